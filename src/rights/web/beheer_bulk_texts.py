"""Texts of the CSV export and bulk upload screens (Dutch, English); merged into the screens' table.

``bulk_fix_<code>`` (or ``bulk_fix_col_<column>``) says how to fix a refused line or file.
"""

from __future__ import annotations

BULK_TEXTS: dict[str, tuple[str, str]] = {
    "bulk_export": ("Rechten exporteren (CSV)", "Export rights (CSV)"),
    "bulk_export_all": ("ook verlopen en ingetrokken rechten", "also expired and revoked rights"),
    "bulk_upload": ("Rechten opladen uit een CSV-bestand", "Upload rights from a CSV file"),
    "bulk_upload_intro": (
        "Eerst controleren we elke regel met dezelfde regels als een gewone toekenning; er wordt nog niets "
        "opgeslagen. Is er één fout, dan wordt het hele bestand geweigerd.",
        "First every line is checked with the same rules as a single grant; nothing is saved yet. If one line "
        "is wrong, the whole file is refused.",
    ),
    "bulk_f_file": ("CSV-bestand (hoogstens 1 MiB en 5000 regels)", "CSV file (at most 1 MiB and 5000 lines)"),
    "bulk_f_file_hint": (
        "UTF-8, kolommen gescheiden door komma of puntkomma. In Excel: Opslaan als 'CSV UTF-8'.",
        "UTF-8, columns separated by comma or semicolon. In Excel: Save as 'CSV UTF-8'.",
    ),
    "bulk_check": ("Bestand controleren", "Check the file"),
    "bulk_format": ("Het formaat", "The format"),
    "bulk_format_intro": (
        "De eerste regel noemt de kolommen (volgorde vrij), daarna één recht per regel. Identificeer de persoon "
        "met het rijksregister- of BIS-nummer (kolom national_number) of met de id uit de export (kolom person).",
        "The first line names the columns (any order), then one right per line. Identify the person by national "
        "register or BIS number (column national_number) or by the id from the export (column person).",
    ),
    "bulk_col_national_number": ("rijksregister- of BIS-nummer, met of zonder punten en streepjes",
                                 "national register or BIS number, with or without dots and dashes"),
    "bulk_col_person": ("of: de interne id van de persoon (per_…) uit de export",
                        "or: the person's internal id (per_…) from the export"),
    "bulk_col_role": ("de rolcode (zie de lijst hieronder)", "the role code (see the list below)"),
    "bulk_col_measure": ("de maatregelcode; leeg bij een rol zonder maatregelen",
                         "the measure code; empty for a role without measures"),
    "bulk_col_valid_until": ("dd/mm/jjjj of jjjj-mm-dd; leeg: de standaardduur van de rol",
                             "dd/mm/yyyy or yyyy-mm-dd; empty: the role's default duration"),
    "bulk_col_reason": ("waarom (3 tot 1000 tekens); komt in de geschiedenis",
                        "why (3 to 1000 characters); goes into the history"),
    "bulk_format_more": (
        "Heeft iemand het recht al, dan wordt de regel overgeslagen (er verandert niets). Twee regels voor "
        "dezelfde persoon, rol en maatregel zijn een fout. Een bestand uit de export mag terug opgeladen worden: "
        "de andere kolommen worden genegeerd.",
        "If someone already holds the right, the line is skipped (nothing changes). Two lines for the same "
        "person, role and measure are an error. A file from the export may be uploaded again: the other "
        "columns are ignored.",
    ),
    "bulk_example": ("Voorbeeld", "Example"),
    "bulk_rights_here": ("Rechten die u hier mag toekennen", "Rights you may grant here"),
    "bulk_application": ("Toepassing", "Application"),
    "bulk_role_code": ("Rolcode (role)", "Role code (role)"),
    "bulk_measure_codes": ("Maatregelcodes (measure)", "Measure codes (measure)"),
    "bulk_days": ("Looptijd in dagen (standaard / hoogstens)", "Duration in days (default / at most)"),
    "bulk_preview": ("Nazicht van het bestand", "Check of the file"),
    "bulk_line": ("Regel", "Line"),
    "bulk_person": ("Persoon", "Person"),
    "bulk_what": ("Wat er zou gebeuren", "What would happen"),
    "bulk_will_grant": ("Krijgt {role} ({code}){measure}, tot en met {until}.",
                        "Gets {role} ({code}){measure}, until {until}."),
    "bulk_measure": (" voor de maatregel {measure}", " for the measure {measure}"),
    "bulk_will_skip": (
        "Heeft het recht {role}{measure} al (tot en met {until}): regel overgeslagen, er verandert niets.",
        "Already holds the right {role}{measure} (until {until}): line skipped, nothing changes.",
    ),
    "bulk_column": ("Kolom {column}", "Column {column}"),
    "bulk_whole_line": ("Regel", "Line"),
    "bulk_refused": (
        "Het hele bestand is geweigerd: {n} regel(s) bevatten een fout. Er is niets opgeslagen. Verbeter de "
        "regels in uw bestand en laad het verbeterde bestand opnieuw op.",
        "The whole file is refused: {n} line(s) have an error. Nothing was saved. Correct those lines in your "
        "file and upload the corrected file.",
    ),
    "bulk_ready": (
        "Alle regels zijn in orde: {grant} recht(en) worden toegekend, {skip} regel(s) overgeslagen. "
        "Nog niets is opgeslagen.",
        "All lines are fine: {grant} right(s) will be granted, {skip} line(s) skipped. Nothing is saved yet.",
    ),
    "bulk_apply": ("Toepassen: alle rechten toekennen", "Apply: grant all rights"),
    "bulk_other_file": ("Een ander bestand opladen", "Upload another file"),
    "bulk_upload_fixed": ("Verbeterd bestand opladen", "Upload the corrected file"),
    "bulk_applied": ("De rechten uit het bestand zijn toegekend.", "The rights from the file were granted."),
    "bulk_changed_help": (
        "Bekijk het nieuwe nazicht hieronder en pas het opnieuw toe als het klopt.",
        "Review the new check below and apply it again if it is right.",
    ),
    "bulk_err_no_file": ("Bestand: kies een CSV-bestand.", "File: choose a CSV file."),
    "bulk_file_label": ("Bestand", "File"),
    # how to fix a refused file
    "bulk_fix_bulk_empty_file": (
        "Kies een CSV-bestand met de kolomnamen op de eerste regel en één recht per regel.",
        "Choose a CSV file with the column names on the first line and one right per line.",
    ),
    "bulk_fix_bulk_file_too_large": ("Splits het in kleinere bestanden.", "Split it into smaller files."),
    "bulk_fix_bulk_too_many_lines": ("Splits het in kleinere bestanden.", "Split it into smaller files."),
    "bulk_fix_bulk_not_utf8": (
        "Bewaar het in Excel als 'CSV UTF-8 (door komma's gescheiden)' en laad het opnieuw op.",
        "Save it in Excel as 'CSV UTF-8 (Comma delimited)' and upload it again.",
    ),
    "bulk_fix_bulk_bad_csv": (
        "Kijk de aanhalingstekens op die regel na: een waarde met een komma staat tussen \"…\".",
        "Check the quotes on that line: a value containing a comma is put between \"…\".",
    ),
    "bulk_fix_bulk_missing_columns": (
        "De eerste regel moet zijn: national_number,role,measure,valid_until,reason "
        "(of person in plaats van national_number).",
        "The first line must be: national_number,role,measure,valid_until,reason "
        "(or person instead of national_number).",
    ),
    "bulk_fix_bulk_no_lines": ("Voeg onder de kolomnamen één regel per recht toe.",
                               "Add one line per right below the column names."),
    # how to fix a refused line
    "bulk_fix_invalid_national_number": (
        "Kijk het nummer na: 11 cijfers, de laatste twee zijn het controlegetal.",
        "Check the number: 11 digits, the last two are the check digits.",
    ),
    "bulk_fix_unknown_person": (
        "Kijk het nummer (of de id uit de export) na; een persoon die hier niet gekend is, kan nog geen recht krijgen.",
        "Check the number (or the id from the export); a person not known here cannot get a right yet.",
    ),
    "bulk_fix_work_relation_required": (
        "Deze persoon werkt niet voor deze organisatie: voeg eerst een werkrelatie toe of verwijder de regel.",
        "This person does not work for this organisation: add a work relation first or remove the line.",
    ),
    "bulk_fix_self_grant_forbidden": ("Laat een andere beheerder dit toekennen of verwijder de regel.",
                                      "Ask another administrator to grant it or remove the line."),
    "bulk_fix_user_type_not_allowed": ("Dit recht past niet bij deze medewerker; verwijder de regel.",
                                       "This right does not fit this staff member; remove the line."),
    "bulk_fix_person_frozen": ("Een geblokkeerde persoon krijgt geen rechten; verwijder de regel.",
                               "A blocked person gets no rights; remove the line."),
    "bulk_fix_measure_required": ("Vul een maatregelcode uit de lijst in.", "Fill in a measure code from the list."),
    "bulk_fix_unknown_measure": (
        "Gebruik een maatregelcode van deze rol uit de lijst, of laat leeg bij een rol zonder maatregelen.",
        "Use a measure code of this role from the list, or leave it empty for a role without measures.",
    ),
    "bulk_fix_bulk_duplicate_line": ("Verwijder een van beide regels.", "Remove one of the two lines."),
    "bulk_fix_bulk_cell_count": (
        "Geef elke regel evenveel waarden als er kolommen zijn; zet een reden met een komma tussen \"…\".",
        "Give every line as many values as there are columns; put a reason containing a comma between \"…\".",
    ),
    "bulk_fix_col_national_number": ("Vul het rijksregister- of BIS-nummer in.",
                                     "Fill in the national register or BIS number."),
    "bulk_fix_col_person": ("Vul de id (per_…) uit de export in.", "Fill in the id (per_…) from the export."),
    "bulk_fix_col_role": (
        "Gebruik een rolcode uit de lijst 'Rechten die u hier mag toekennen'.",
        "Use a role code from the list 'Rights you may grant here'.",
    ),
    "bulk_fix_col_valid_until": (
        "Vul een datum in als dd/mm/jjjj of jjjj-mm-dd, na vandaag en binnen de maximale looptijd van de rol, "
        "of laat leeg voor de standaardduur.",
        "Enter a date as dd/mm/yyyy or yyyy-mm-dd, after today and within the role's maximum duration, or leave "
        "it empty for the default duration.",
    ),
    "bulk_fix_col_reason": ("Vul een reden in van 3 tot 1000 tekens.", "Enter a reason of 3 to 1000 characters."),
}
