"""Texts of the rest of the /beheer administrator screens (Dutch, English): adding a person, a grant's
page (validity and history), the people filter, the main-administrator option and the mandates.
Merged into the screens' table the way rights.web.beheer merges BEHEER_TEXTS."""

from __future__ import annotations

MORE_TEXTS: dict[str, tuple[str, str]] = {
    # --- add a person ------------------------------------------------------------------------------
    "addperson_title": ("Persoon toevoegen", "Add a person"),
    "addperson_intro": (
        "Voeg een medewerker toe aan deze organisatie: kies een persoon die u al kent, of vul het "
        "rijksregisternummer in. Daarna kunt u rechten toekennen.",
        "Add a staff member to this organisation: pick a person you already know, or enter the national "
        "register number. You can then grant rights.",
    ),
    "addperson_existing": ("Een persoon die al gekend is", "A person who is already known"),
    "addperson_existing_hint": (
        "Mensen uit de andere organisaties die u beheert. Laat leeg om een nieuw nummer in te vullen.",
        "People of the other organisations you administer. Leave empty to enter a new number.",
    ),
    "addperson_none": ("— niemand, ik vul een nummer in —", "— nobody, I enter a number —"),
    "addperson_or": ("Of een persoon met rijksregisternummer", "Or a person by national register number"),
    "f_national_number": ("Rijksregisternummer of BIS-nummer", "National register or BIS number"),
    "f_national_number_hint": (
        "11 cijfers in de vorm JJ.MM.DD-VVV.CC (geboortedatum, volgnummer, controlegetal); punten, streepjes "
        "en spaties mogen.",
        "11 digits in the form YY.MM.DD-SSS.CC (birth date, serial, check digits); dots, dashes and spaces "
        "are fine.",
    ),
    "f_given_name": ("Voornaam", "Given name"),
    "f_family_name": ("Familienaam", "Family name"),
    "addperson_names_hint": (
        "Nodig bij een nummer. Is de persoon al gekend, dan moeten de namen overeenkomen met het register.",
        "Needed with a number. If the person is already known, the names must match the register.",
    ),
    "f_user_type": ("Gebruikerstype (soort werkrelatie)", "User type (kind of work relation)"),
    "f_user_type_hint": (
        "Enkel de gebruikerstypes die dit type organisatie mag registreren.",
        "Only the user types this type of organisation may record.",
    ),
    "addperson_submit": ("Persoon toevoegen", "Add the person"),
    "addperson_done": ("De persoon is toegevoegd aan de organisatie.", "The person was added to the organisation."),
    "nrn_live_ok": ("De controlecijfers kloppen.", "The check digits are correct."),
    "nrn_live_bad": (
        "De controlecijfers kloppen niet: kijk het nummer na op de identiteitskaart.",
        "The check digits are wrong: check the number on the identity card.",
    ),
    "nrn_live_long": ("Te veel cijfers: een nummer heeft er 11.", "Too many digits: a number has 11."),
    "nrn_live_format": ("Gebruik enkel cijfers, punten, streepjes en spaties.",
                        "Use only digits, dots, dashes and spaces."),
    "err_nrn_empty": (
        "Rijksregisternummer: kies een gekende persoon of vul een rijksregisternummer in.",
        "National register number: pick a known person or enter a national register number.",
    ),
    "err_nrn_format": (
        "Rijksregisternummer: gebruik enkel cijfers (punten, streepjes en spaties mogen).",
        "National register number: use digits only (dots, dashes and spaces are fine).",
    ),
    "err_nrn_length": (
        "Rijksregisternummer: een nummer heeft 11 cijfers; kijk het na.",
        "National register number: a number has 11 digits; check it.",
    ),
    "err_nrn_checksum": (
        "Rijksregisternummer: de controlecijfers (de laatste twee) kloppen niet; kijk het nummer na.",
        "National register number: the check digits (the last two) are wrong; check the number.",
    ),
    "err_nrn_date": (
        "Rijksregisternummer: het nummer bevat geen geldige geboortedatum; kijk het na.",
        "National register number: the number holds no valid birth date; check it.",
    ),
    "err_nrn_both": (
        "Rijksregisternummer: kies een gekende persoon óf vul een nummer in, niet allebei.",
        "National register number: pick a known person or enter a number, not both.",
    ),
    "err_existing": ("Gekende persoon: kies een persoon uit de lijst.",
                     "Known person: choose a person from the list."),
    "err_given_name": ("Voornaam: vul de voornaam in (hoogstens 300 tekens).",
                       "Given name: enter the given name (at most 300 characters)."),
    "err_family_name": ("Familienaam: vul de familienaam in (hoogstens 300 tekens).",
                        "Family name: enter the family name (at most 300 characters)."),
    "err_user_type": (
        "Gebruikerstype: kies een gebruikerstype uit de lijst.",
        "User type: choose a user type from the list.",
    ),
    # --- a grant's page: validity and history ------------------------------------------------------
    "grantpage_link": ("Details", "Details"),
    "grantpage_title": ("Recht", "Right"),
    "grantpage_holder": ("Houder", "Holder"),
    "grantpage_validity": ("Geldig", "Valid"),
    "grantpage_from_until": ("van {start} tot en met {until}", "from {start} until {until}"),
    "grantpage_status": ("Toestand", "Status"),
    "grantpage_active": ("actief", "active"),
    "grantpage_expired": ("verlopen", "expired"),
    "grantpage_future": ("nog niet geldig", "not yet valid"),
    "grantpage_revoked": ("ingetrokken", "revoked"),
    "grantpage_change": ("Geldigheid wijzigen", "Change the validity"),
    "grantpage_change_intro": (
        "Verkort of verleng het recht. Dezelfde regels als bij het toekennen gelden: het recht loopt "
        "hoogstens {max} dagen vanaf {start}, dus ten laatste tot en met {last}.",
        "Shorten or extend the right. The same rules as when granting apply: the right runs at most "
        "{max} days from {start}, so until {last} at the latest.",
    ),
    "f_new_until": ("Nieuwe einddatum: geldig tot en met (dd/mm/jjjj)", "New end date: valid until (dd/mm/yyyy)"),
    "grantpage_submit": ("Geldigheid wijzigen", "Change the validity"),
    "grantpage_changed": ("De geldigheid is gewijzigd.", "The validity was changed."),
    "grantpage_history": ("Geschiedenis", "History"),
    "grantpage_when": ("Wanneer (UTC)", "When (UTC)"),
    "grantpage_what": ("Wat", "What"),
    "grantpage_who": ("Wie", "Who"),
    "grantpage_why": ("Reden", "Reason"),
    "grantpage_kind_grant_created": ("toegekend", "granted"),
    "grantpage_kind_grant_validity_changed": ("geldigheid gewijzigd", "validity changed"),
    "grantpage_kind_grant_revoked": ("ingetrokken", "revoked"),
    "grantpage_changed_detail": ("was tot en met {before}, nu tot en met {after}",
                                 "was until {before}, now until {after}"),
    "grantpage_created_detail": ("van {start} tot en met {until}", "from {start} until {until}"),
    "err_new_until": (
        "Nieuwe einddatum: vul een datum in als dd/mm/jjjj (bv. 31/12/2027).",
        "New end date: enter a date as dd/mm/yyyy (e.g. 31/12/2027).",
    ),
    # --- the people filter --------------------------------------------------------------------------
    "peoplefilter_title": ("Filteren", "Filter"),
    "peoplefilter_name": ("Naam bevat", "Name contains"),
    "peoplefilter_role": ("Heeft de rol", "Holds the role"),
    "peoplefilter_measure": ("Heeft de maatregel", "Holds the measure"),
    "peoplefilter_any": ("— om het even —", "— any —"),
    "peoplefilter_with_rights": ("Enkel mensen met rechten", "Only people with rights"),
    "peoplefilter_apply": ("Filter toepassen", "Apply the filter"),
    "peoplefilter_clear": ("Filter wissen", "Clear the filter"),
    "peoplefilter_count_one": ("{n} persoon gevonden.", "{n} person found."),
    "peoplefilter_count_other": ("{n} personen gevonden.", "{n} people found."),
    # --- main administrator ---------------------------------------------------------------------------
    "mainadmin_option": ("Als hoofdbeheerder (alle toepassingen, mag zelf beheerders aanstellen)",
                         "As main administrator (all applications, may appoint administrators)"),
    "mainadmin_hint": (
        "Enkel een hoofdbeheerder ziet deze keuze.",
        "Only a main administrator sees this option.",
    ),
    # --- mandates -------------------------------------------------------------------------------------
    "mandates_title": ("Mandaten", "Mandates"),
    "mandates_intro": (
        "Een mandaat laat een andere organisatie (bv. een boekhoudkantoor) voor de mandaatgever werken in "
        "de gekozen toepassingen. Het telt pas als beide organisaties het aanvaard hebben.",
        "A mandate lets another organisation (e.g. an accountancy firm) work for the mandator in the chosen "
        "applications. It only counts once both organisations accepted it.",
    ),
    "mandates_none": ("Er zijn geen mandaten.", "There are no mandates."),
    "mandates_we_give": ("wij geven mandaat aan", "we give a mandate to"),
    "mandates_we_hold": ("wij werken voor", "we work for"),
    "mandates_other": ("Andere organisatie", "Other organisation"),
    "mandates_direction": ("Richting", "Direction"),
    "mandates_scope": ("Toepassingen", "Applications"),
    "mandates_validity": ("Geldig", "Valid"),
    "mandates_status": ("Toestand", "Status"),
    "mandates_open_ended": ("van {start}, zonder einddatum", "from {start}, no end date"),
    "mandates_from_until": ("van {start} tot en met {until}", "from {start} until {until}"),
    "mandates_state_active": ("actief", "active"),
    "mandates_state_waiting_us": ("wacht op uw aanvaarding", "waiting for your acceptance"),
    "mandates_state_waiting_them": ("wacht op de andere organisatie", "waiting for the other organisation"),
    "mandates_state_not_yet_valid": ("aanvaard, nog niet geldig", "accepted, not yet valid"),
    "mandates_state_expired": ("verlopen", "expired"),
    "mandates_state_revoked": ("ingetrokken", "revoked"),
    "mandates_accept": ("Aanvaarden", "Accept"),
    "mandates_revoke": ("Beëindigen", "Revoke"),
    "mandates_propose": ("Mandaat voorstellen", "Propose a mandate"),
    "mandates_propose_intro": (
        "Uw voorstel geldt meteen als aanvaard door uw organisatie; een beheerder van de andere "
        "organisatie moet het nog aanvaarden.",
        "Your proposal counts as accepted by your organisation; an administrator of the other "
        "organisation still has to accept it.",
    ),
    "f_mandate_direction": ("Wie werkt voor wie?", "Who works for whom?"),
    "f_mandate_give": ("De andere organisatie werkt voor ons (wij geven het mandaat)",
                       "The other organisation works for us (we give the mandate)"),
    "f_mandate_hold": ("Wij werken voor de andere organisatie (wij vragen het mandaat)",
                       "We work for the other organisation (we ask for the mandate)"),
    "f_other": ("Ondernemingsnummer van de andere organisatie", "Enterprise number of the other organisation"),
    "f_other_hint": ("bv. 0471.230.948", "e.g. 0471.230.948"),
    "f_mandate_apps": ("Toepassingen waarin het mandaat geldt", "Applications the mandate covers"),
    "f_mandate_until": ("Geldig tot en met (dd/mm/jjjj, niet verplicht)", "Valid until (dd/mm/yyyy, optional)"),
    "f_mandate_until_hint": ("Leeg laten: zonder einddatum, tot een van beide het beëindigt.",
                             "Leave empty: no end date, until either side revokes it."),
    "mandates_proposed": ("Het mandaat is voorgesteld.", "The mandate was proposed."),
    "mandates_accepted": ("Het mandaat is aanvaard.", "The mandate was accepted."),
    "mandates_revoked": ("Het mandaat is beëindigd.", "The mandate was revoked."),
    "mandates_revoke_title": ("Mandaat beëindigen", "Revoke a mandate"),
    "mandates_revoke_sentence": (
        "Het mandaat tussen {mandator} (mandaatgever) en {holder} (mandaathouder) eindigt meteen.",
        "The mandate between {mandator} (mandator) and {holder} (holder) ends at once.",
    ),
    "err_mandate_direction": ("Wie werkt voor wie: kies een van beide.", "Who works for whom: choose one."),
    "err_other": (
        "Ondernemingsnummer: vul het ondernemingsnummer van de andere organisatie in (bv. 0471.230.948).",
        "Enterprise number: enter the other organisation's enterprise number (e.g. 0471.230.948).",
    ),
    "err_other_unknown": (
        "Ondernemingsnummer: er is geen organisatie met dit nummer; kijk het na.",
        "Enterprise number: no organisation has this number; check it.",
    ),
    "err_mandate_apps": ("Toepassingen: vink minstens één toepassing uit de lijst aan.",
                         "Applications: tick at least one application from the list."),
    "err_mandate_until": (
        "Geldig tot en met: vul een datum in de toekomst in als dd/mm/jjjj, of laat het veld leeg.",
        "Valid until: enter a future date as dd/mm/yyyy, or leave it empty.",
    ),
}


def merge_texts() -> None:
    """Into the screens' table, once; a key colliding with another screen's is a programming error."""
    from rights.web.i18n import TEXTS

    if all(TEXTS.get(k) == v for k, v in MORE_TEXTS.items()):
        return
    assert not set(MORE_TEXTS) & set(TEXTS), "a /beheer (more) text key collides with another one"
    TEXTS.update(MORE_TEXTS)


merge_texts()
