"""One small error hierarchy for the core.

Every refusal carries a stable machine-readable ``code``, the ``field`` it concerns (when there is one)
and a message in Dutch and English. The HTTP edge maps the class to a status in one table; the texts
live here so that the CLI, the screens and the API say the same thing.
"""

from __future__ import annotations

# code -> (Dutch, English). Placeholders are filled from DomainError.params.
MESSAGES: dict[str, tuple[str, str]] = {
    "invalid_identifier": ("Ongeldige identificatie: {reason}.", "Invalid identifier: {reason}."),
    "nis_code_merged": (
        "NIS-code {former_code} was van {former_name}, dat op {since} opging in {municipality} (NIS-code {current});"
        " registreer een organisatie met de huidige code.",
        "NIS code {former_code} belonged to {former_name}, which merged into {municipality} (NIS code {current}) on"
        " {since}; register an organisation with the current code.",
    ),
    "invalid_national_number": (
        "Ongeldig rijksregister- of BIS-nummer: {reason}.",
        "Invalid national register or BIS number: {reason}.",
    ),
    "ambiguous_identifier": (
        "{number} is zowel de NIS-code van {municipality} als het instellingsnummer van {school}; geef de id,"
        " of OV gevolgd door het instellingsnummer voor de school.",
        "{number} is both the NIS code of {municipality} and the institution number of {school}; give the id,"
        " or OV followed by the institution number for the school.",
    ),
    "institution_number_is_nis_code": (
        "Instellingsnummer {number} is ook de NIS-code van {municipality}: wie {short} opzoekt, krijgt een"
        " probleem met beide kandidaten; verwijs naar de school met {code} of haar id.",
        "Institution number {number} is also the NIS code of {municipality}: looking up {short} answers a problem"
        " listing both candidates; refer to the school by {code} or its id.",
    ),
    "invalid_value": ("Ongeldige waarde: {reason}.", "Invalid value: {reason}."),
    "duplicate_key": (
        "Een sleutel komt twee keer voor in de JSON; elke sleutel mag maar één keer.",
        "A key occurs twice in the JSON object; each key may occur only once.",
    ),
    "json_too_deep": (
        "De JSON is te diep genest (hoogstens {max_depth} niveaus).",
        "The JSON is nested too deeply (at most {max_depth} levels).",
    ),
    "nul_character": (
        "Het NUL-teken (\\u0000) is niet toegelaten.",
        "The NUL character (\\u0000) is not allowed.",
    ),
    "number_out_of_range": (
        "Het getal is te groot of te klein (hoogstens {maximum}).",
        "The number is out of range (at most {maximum}).",
    ),
    "mandate_too_long": (
        "Een mandaat mag hoogstens {max_days} dagen lopen.",
        "A mandate may run for at most {max_days} days.",
    ),
    "unknown_organisation": ("Onbekende organisatie.", "Unknown organisation."),
    "unknown_person": ("Onbekende persoon.", "Unknown person."),
    "unknown_grant": ("Onbekend gebruikersrecht.", "Unknown grant."),
    "unknown_role": ("Onbekend recht '{role}'.", "Unknown role '{role}'."),
    "unknown_application": ("Onbekende toepassing '{application}'.", "Unknown application '{application}'."),
    "unknown_measure": (
        "Het recht '{role}' kent de maatregel '{measure}' niet.",
        "Role '{role}' does not carry measure '{measure}'.",
    ),
    "measure_required": (
        "Het recht '{role}' vraagt een maatregel.",
        "Role '{role}' needs a measure.",
    ),
    "duplicate_identifier": (
        "Er bestaat al een organisatie met deze identificatie.",
        "An organisation with this identifier already exists.",
    ),
    "duplicate_person": (
        "Deze persoon is al gekend.",
        "This person is already known.",
    ),
    "missing_identifier": (
        "Een organisatie van dit type heeft een {kind} nodig.",
        "An organisation of this type needs its {kind}.",
    ),
    "unknown_parent": ("Onbekende bovenliggende organisatie.", "Unknown parent organisation."),
    "role_not_for_organisation_type": (
        "Het recht '{role}' kan niet worden toegekend aan een organisatie van type {org_type}.",
        "Role '{role}' cannot be held for an organisation of type {org_type}.",
    ),
    "role_not_grantable_by_organisation_type": (
        "Beheerders van een organisatie van type {org_type} kennen '{role}' niet toe.",
        "Administrators of an organisation of type {org_type} do not grant '{role}'.",
    ),
    "validity_too_long": (
        "De looptijd mag hoogstens {max_days} dagen zijn.",
        "Validity may be at most {max_days} days.",
    ),
    "validity_ends_before_start": (
        "De looptijd eindigt voor ze begint.",
        "Validity ends before it starts.",
    ),
    "validity_in_past": (
        "De looptijd eindigt in het verleden.",
        "Validity ends in the past.",
    ),
    "self_grant_forbidden": (
        "Een beheerder mag zichzelf dit recht niet toekennen.",
        "An administrator may not grant this right to themself.",
    ),
    "organisation_frozen": (
        "De organisatie is geblokkeerd; er kunnen geen rechten worden toegekend.",
        "The organisation is frozen; no rights can be granted.",
    ),
    "organisation_ceased": (
        "De organisatie is stopgezet; er kunnen geen rechten worden toegekend.",
        "The organisation has ceased; no rights can be granted.",
    ),
    "person_frozen": (
        "De persoon is geblokkeerd; er kunnen geen rechten worden toegekend.",
        "The person is frozen; no rights can be granted.",
    ),
    "work_relation_required": (
        "De persoon heeft geen actieve werkrelatie met deze organisatie.",
        "The person has no active work relation with this organisation.",
    ),
    "user_type_not_allowed": (
        "Gebruikerstype {user_type} is niet toegelaten voor {purpose}.",
        "User type {user_type} is not allowed for {purpose}.",
    ),
    "work_relation_exists": (
        "Deze persoon heeft al een actieve werkrelatie met deze organisatie.",
        "This person already has an active work relation with this organisation.",
    ),
    "unknown_work_relation": ("Onbekende werkrelatie.", "Unknown work relation."),
    "unknown_administrator": ("Onbekende beheerder.", "Unknown administrator."),
    "not_an_administrator": (
        "U bent geen lokale beheerder van deze organisatie.",
        "You are not a local administrator of this organisation.",
    ),
    "application_not_administered": (
        "U beheert de toepassing '{application}' niet voor deze organisatie.",
        "You do not administer application '{application}' for this organisation.",
    ),
    "not_main_administrator": (
        "Enkel een hoofd lokale beheerder (of een wettelijke vertegenwoordiger voor zichzelf) "
        "mag lokale beheerders aanstellen of verwijderen.",
        "Only a main local administrator (or a legal representative, for themself) "
        "may appoint or remove local administrators.",
    ),
    "already_administrator": (
        "Deze persoon is al lokale beheerder van deze organisatie.",
        "This person is already a local administrator of this organisation.",
    ),
    "last_administrator": (
        "De laatste beheerder van een organisatie kan niet worden verwijderd; stel eerst een andere aan.",
        "The last administrator of an organisation cannot be removed; appoint another one first.",
    ),
    "last_main_administrator": (
        "De laatste hoofd lokale beheerder kan niet worden verwijderd; stel eerst een andere aan.",
        "The last main local administrator cannot be removed; appoint another one first.",
    ),
    "already_revoked": ("Dit recht is al ingetrokken.", "This grant is already revoked."),
    "grant_ended": (
        "Dit recht is afgelopen en kan niet worden verlengd; ken een nieuw recht toe.",
        "This grant has ended and cannot be extended; make a new grant.",
    ),
    "person_name_mismatch": (
        "De naam komt niet overeen met die van dit rijksregisternummer.",
        "The name does not match the one registered for this national number.",
    ),
    "not_allowed_to_list_persons": (
        "Enkel de beheerders van deze organisatie mogen opvragen wie voor haar mag optreden.",
        "Only this organisation's administrators may list who may act for it.",
    ),
    "version_conflict": (
        "Het recht werd intussen gewijzigd (versie {actual}); laad het opnieuw.",
        "The grant was changed meanwhile (version {actual}); reload it.",
    ),
    "unknown_mandate": ("Onbekend mandaat.", "Unknown mandate."),
    "mandate_same_organisation": (
        "Een organisatie kan zichzelf geen mandaat geven.",
        "An organisation cannot give a mandate to itself.",
    ),
    "mandate_already_accepted": (
        "Uw organisatie heeft dit mandaat al aanvaard.",
        "Your organisation already accepted this mandate.",
    ),
    "not_a_mandate_party": (
        "U bent geen beheerder van de mandaatgever of de mandaathouder.",
        "You are not an administrator of the mandator or the mandate holder.",
    ),
    "measure_not_in_applications": (
        "De maatregel '{measure}' hoort niet bij de gekozen toepassingen.",
        "Measure '{measure}' does not belong to the chosen applications.",
    ),
    "index_behind": (
        "Het antwoord is nog niet bijgewerkt tot revisie {revision}; probeer opnieuw.",
        "The answer has not caught up with revision {revision} yet; try again.",
    ),
    "revision_in_future": (
        "Revisie {revision} bestaat nog niet (laatste: {latest}).",
        "Revision {revision} does not exist yet (latest: {latest}).",
    ),
    # self-registration requests (rights.domain.services.requests)
    "unknown_request": ("Onbekende aanvraag.", "Unknown request."),
    "request_only_by_person": (
        "Enkel een persoon kan voor zichzelf een recht aanvragen.",
        "Only a person can request a right, for themself.",
    ),
    "request_already_pending": (
        "U hebt dit recht al aangevraagd voor deze organisatie; de aanvraag wacht op een beslissing.",
        "You already requested this right for this organisation; the request awaits a decision.",
    ),
    "request_already_decided": (
        "Over deze aanvraag werd al beslist ({status}).",
        "This request was already decided ({status}).",
    ),
    "request_no_administrator": (
        "Deze organisatie heeft geen lokale beheerder die over dit recht kan beslissen. Bel 1700.",
        "This organisation has no local administrator who can decide on this right. Call 1700.",
    ),
    "motivation_required": (
        "Motivering: leg in 10 tot 2000 tekens uit waarom u dit recht nodig hebt.",
        "Motivation: explain in 10 to 2000 characters why you need this right.",
    ),
    "reason_required": (
        "Reden: geef een reden op (3 tot 1000 tekens).",
        "Reason: give a reason (3 to 1000 characters).",
    ),
    "invalid_email": (
        "E-mailadres: vul een geldig e-mailadres in of laat het leeg.",
        "E-mail address: enter a valid e-mail address or leave it empty.",
    ),
    "forbidden": ("U mag dit niet doen.", "You are not allowed to do this."),
    "not_own_data": (
        "U mag enkel uw eigen gegevens raadplegen.",
        "You may only read your own data.",
    ),
    "grant_already_exists": (
        "Deze persoon heeft dit recht al voor deze organisatie.",
        "This person already holds this right for this organisation.",
    ),
    "status_unchanged": ("De organisatie heeft die status al.", "The organisation already has that status."),
    # a CSV file of grants (rights.domain.bulk): the whole file, then one line's column
    "bulk_empty_file": ("Het bestand is leeg.", "The file is empty."),
    "bulk_file_too_large": ("Het bestand is groter dan {max_kib} KiB.", "The file is larger than {max_kib} KiB."),
    "bulk_too_many_lines": (
        "Het bestand heeft meer dan {max_lines} regels met rechten.",
        "The file has more than {max_lines} lines of grants.",
    ),
    "bulk_not_utf8": ("Het bestand is geen UTF-8-tekst.", "The file is not UTF-8 text."),
    "bulk_bad_csv": ("Regel {line} is geen geldige CSV.", "Line {line} is not valid CSV."),
    "bulk_missing_columns": (
        "De eerste regel mist de kolom(men) {columns}.",
        "The first line lacks the column(s) {columns}.",
    ),
    "bulk_unknown_columns": (
        "De eerste regel bevat onbekende kolom(men) {columns}.",
        "The first line has unknown column(s) {columns}.",
    ),
    "bulk_person_column": (
        "De eerste regel moet precies één van de kolommen national_number of person bevatten.",
        "The first line must have exactly one of the columns national_number or person.",
    ),
    "bulk_no_lines": (
        "Het bestand bevat enkel de kolomnamen, geen rechten.",
        "The file holds only the column names, no grants.",
    ),
    "bulk_cell_count": (
        "Deze regel heeft {got} waarden in plaats van {expected}.",
        "This line has {got} values instead of {expected}.",
    ),
    "bulk_missing_value": ("Deze waarde ontbreekt.", "This value is missing."),
    "bulk_bad_date": ("Dit is geen geldige datum.", "This is not a valid date."),
    "bulk_bad_reason": ("De reden moet 3 tot 1000 tekens lang zijn.", "The reason must be 3 to 1000 characters."),
    "bulk_duplicate_line": (
        "Deze regel herhaalt regel {first} (dezelfde persoon, hetzelfde recht en dezelfde maatregel).",
        "This line repeats line {first} (the same person, right and measure).",
    ),
    "bulk_changed": (
        "Het bestand of de gegevens zijn gewijzigd sinds het nazicht; er is niets opgeslagen.",
        "The file or the data changed since the check; nothing was saved.",
    ),
    # recertification campaigns (rights.domain.campaigns)
    "recert_platform_only": (
        "Enkel een platformbeheerder kan een hercertificeringscampagne starten.",
        "Only a platform administrator can start a recertification campaign.",
    ),
    "recert_title_required": ("Vul een titel in.", "Enter a title."),
    "recert_min_age_invalid": (
        "Het aantal dagen moet tussen 0 en {max_days} liggen.",
        "The number of days must be between 0 and {max_days}.",
    ),
    "recert_deadline_in_past": (
        "De uiterste datum moet in de toekomst liggen.",
        "The deadline must be in the future.",
    ),
    "recert_deadline_passed": (
        "De uiterste datum van deze campagne is voorbij; er kan niets meer worden beslist.",
        "This campaign's deadline has passed; nothing can be decided any more.",
    ),
    "recert_already_decided": (
        "Over dit recht is in deze campagne al beslist ({status}).",
        "This grant was already decided in this campaign ({status}).",
    ),
    "recert_grant_not_active": (
        "Dit recht is niet meer actief; er valt niets te bevestigen.",
        "This grant is no longer active; there is nothing to confirm.",
    ),
    "recert_reason_required": (
        "Vul een reden in (3 tot 1000 tekens).",
        "Enter a reason (3 to 1000 characters).",
    ),
    "unknown_recert_item": ("Onbekend te herbevestigen recht.", "Unknown recertification item."),
    "unknown_recert_campaign": ("Onbekende hercertificeringscampagne.", "Unknown recertification campaign."),
    # successions (issue 17)
    "unknown_succession": ("Onbekende opvolging.", "Unknown succession."),
    "unknown_succession_kind": ("Onbekende soort opvolging '{kind}'.", "Unknown kind of succession '{kind}'."),
    "succession_duplicate_organisation": (
        "Dezelfde organisatie staat er twee keer in.", "The same organisation is named twice.",
    ),
    "succession_organisation_on_both_sides": (
        "Een organisatie kan niet haar eigen opvolger zijn.", "An organisation cannot succeed itself.",
    ),
    "succession_wrong_count": (
        "Een {kind} heeft {low} tot {high} {side}.", "A {kind} has {low} to {high} {side}.",
    ),
    "succession_type_mismatch": (
        "Bij een {kind} is de opvolger van hetzelfde type als een voorganger.",
        "In a {kind} the successor is of a predecessor's organisation type.",
    ),
    "succession_successor_inactive": ("De opvolger is niet actief.", "The successor is not active."),
    "succession_successor_must_be_new": (
        "Bij een {kind} is de opvolger een nieuwe organisatie zonder gebruikers of rechten.",
        "In a {kind} the successor is a new organisation without users or rights.",
    ),
    "succession_assignment_not_a_successor": (
        "Een persoon kan enkel aan een van de opvolgers worden toegewezen.",
        "A person can only be assigned to one of the successors.",
    ),
    "succession_already_entered": (
        "Voor deze organisatie is al een opvolging ingevoerd ({succession}).",
        "A succession was already entered for this organisation ({succession}).",
    ),
    "succession_not_proposed": (
        "Deze opvolging is niet (meer) voorgesteld: {status}.", "This succession is no longer proposed: {status}.",
    ),
    "organisation_succeeded": (
        "Deze organisatie wordt op {date} opgevolgd; ken het recht toe bij de opvolger.",
        "This organisation is succeeded on {date}; grant the right at the successor.",
    ),
    "succession_blocked": (
        "Deze opvolging kan niet worden doorgevoerd: {blocking}.", "This succession cannot be applied: {blocking}.",
    ),
    # operator login by LDAP bind (rights.directory.login)
    "ldap_login_failed": ("Onjuiste gebruikersnaam of wachtwoord.", "Wrong user name or password."),
    "ldap_login_rate_limited": (
        "Te veel mislukte aanmeldingen; probeer het later opnieuw.",
        "Too many failed logins; try again later.",
    ),
    "ldap_not_an_operator": (
        "U bent geen helpdeskmedewerker of platformbeheerder.",
        "You are not a helpline operator or platform administrator.",
    ),
    "directory_unavailable": (
        "De gebruikersdirectory is onbereikbaar; probeer het later opnieuw.",
        "The user directory cannot be reached; try again later.",
    ),
}


# A ``reason`` or ``kind`` parameter is a short code (an identifier's kind, why it was refused): said in
# words of each language, so a Dutch message is entirely Dutch (no "checksum", no "enterprise_number").
WORDS: dict[str, tuple[str, str]] = {
    "enterprise_number": ("ondernemingsnummer", "enterprise number"),
    "establishment_number": ("vestigingsnummer", "establishment number"),
    "ovo_code": ("OVO-code", "OVO code"),
    "nis_code": ("NIS-code", "NIS code"),
    "institution_number": ("instellingsnummer", "institution number"),
    "national_number": ("rijksregisternummer", "national register number"),
    "empty": ("er is niets ingevuld", "nothing was given"),
    "format": ("alleen cijfers en de gebruikelijke scheidingstekens zijn toegelaten",
               "only digits and the usual separators are allowed"),
    "length": ("het aantal cijfers klopt niet", "the number of digits is wrong"),
    "first_digit": ("het eerste cijfer klopt niet", "the first digit is wrong"),
    "checksum": ("de controlecijfers kloppen niet", "the check digits do not match"),
    "unknown_nis_code": ("dit is geen bestaande NIS-code", "this is not a current NIS code"),
    "merged_nis_code": ("deze gemeente is opgegaan in een andere", "this municipality merged into another"),
    "date": ("de geboortedatum bestaat niet", "the date of birth does not exist"),
    "a time zone is required": ("vermeld een tijdzone (bijvoorbeeld Z of +01:00)",
                                "give a time zone (for example Z or +01:00)"),
    "out of range": ("de datum ligt buiten het toegelaten bereik", "the date is out of the allowed range"),
}


class DomainError(Exception):
    """Base of every refusal the core makes. Subclasses say what kind of refusal it is."""

    kind = "invalid"

    def __init__(self, code: str, field: str | None = None, **params: object) -> None:
        self.code = code
        self.field = field
        self.params = params
        super().__init__(self.message_en)

    def _fmt(self, index: int) -> str:
        texts = MESSAGES.get(self.code)
        if texts is None:
            return self.code
        params = {k: WORDS[v][index] if k in ("reason", "kind") and isinstance(v, str) and v in WORDS else v
                  for k, v in self.params.items()}
        try:
            return texts[index].format(**params)
        except (KeyError, IndexError):
            return texts[index]

    @property
    def message_nl(self) -> str:
        return self._fmt(0)

    @property
    def message_en(self) -> str:
        return self._fmt(1)


class InvalidInput(DomainError):
    """The request is well-formed but a value breaks a rule (checksum, range, catalogue)."""

    kind = "invalid"


class NotFound(DomainError):
    kind = "not_found"


class Forbidden(DomainError):
    """The caller is known but may not do this here."""

    kind = "forbidden"


class Conflict(DomainError):
    """The request clashes with the current state (revoked twice, last administrator, stale version)."""

    kind = "conflict"


class Unavailable(Exception):
    """A port cannot be reached just now (the database is down); the caller may retry later.

    Not a :class:`DomainError`: it says nothing about the request, so nothing catches it as a refusal.
    """

    retry_after_seconds = 5
