"""The screens' texts, Dutch first. ``texts(lang)`` gives a mapping the templates read as ``t.key``."""

from __future__ import annotations

LANGUAGES = ("nl", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("Helpdesk 1700 — lokale beheerders", "Helpline 1700 — local administrators"),
    "skip": ("Ga naar de inhoud", "Skip to content"),
    "demo_banner": (
        "DEMO — geen echte aanmelding: kies een rol. Niet voor productie.",
        "DEMO — no real login: pick a role. Not for production.",
    ),
    "login": ("Aanmelden", "Log in"),
    "logout": ("Afmelden", "Log out"),
    "persona": ("Aanmelden als (demo)", "Log in as (demo)"),
    "persona_helpline": ("Helpdeskmedewerker 1700", "1700 helpline operator"),
    "persona_platform": ("Platformbeheerder", "Platform administrator"),
    "username": ("Gebruikersnaam", "User name"),
    "password": ("Wachtwoord", "Password"),
    "login_unconfigured": (
        "Aanmelden is niet geconfigureerd (RIGHTS_LDAP_MAPPING ontbreekt).",
        "Login is not configured (RIGHTS_LDAP_MAPPING is missing).",
    ),
    "logged_in_as": ("Aangemeld als", "Logged in as"),
    "search_label": (
        "Organisatie: naam, ondernemingsnummer, btw-, OVO-, NIS- of instellingsnummer",
        "Organisation: name, enterprise, VAT, OVO, NIS or institution number",
    ),
    "search": ("Zoeken", "Search"),
    "results": ("Resultaten", "Results"),
    "no_results": ("Geen organisatie gevonden.", "No organisation found."),
    "n_results_one": ("{n} organisatie gevonden.", "{n} organisation found."),
    "n_results_other": ("{n} organisaties gevonden.", "{n} organisations found."),
    "invalid_number": (
        "{kind} {value} is ongeldig: het controlegetal klopt niet.",
        "{kind} {value} is invalid: its check digits are wrong.",
    ),
    "admin_applications": ("Toepassingen", "Applications"),
    "call_refused": ("geweigerd: te veel opzoekingen", "refused: too many lookups"),
    "call_found_one": ("{n} gevonden", "{n} found"),
    "call_found_other": ("{n} gevonden", "{n} found"),
    "did_you_mean": ("Bedoelde u", "Did you mean"),
    "type_more": ("Typ minstens 2 tekens.", "Type at least 2 characters."),
    "administrators": ("Lokale beheerders", "Local administrators"),
    "main": ("hoofdbeheerder", "main administrator"),
    "no_admin": ("Deze organisatie heeft geen lokale beheerder.", "This organisation has no local administrator."),
    "no_admin_help": (
        "Wat de beller kan doen: een wettelijke vertegenwoordiger kan zichzelf hoofd lokale beheerder maken; "
        "volg anders de raad hieronder.",
        "What the caller can do: a legal representative can make themself main local administrator; "
        "otherwise follow the guidance below.",
    ),
    "contact_hidden": ("contactgegevens niet openbaar", "contact details not public"),
    "guidance": ("Raad voor dit type organisatie", "Guidance for this type of organisation"),
    "identifiers": ("Identificaties", "Identifiers"),
    "status": ("Status", "Status"),
    "type": ("Type", "Type"),
    "parent": ("Hoort bij", "Part of"),
    "details": ("Details en aanvraag doorsturen", "Details and forward a request"),
    "forward": ("Aanvraag doorsturen naar de beheerders", "Forward the request to the administrators"),
    "forward_intro": (
        "De beheerders krijgen een e-mail; hun adres blijft verborgen. Zij antwoorden de beller rechtstreeks.",
        "The administrators get an e-mail; their address stays hidden. They answer the caller directly.",
    ),
    "forward_unreachable": (
        "Geen enkele beheerder van deze organisatie heeft een e-mailadres: doorsturen kan niet.",
        "No administrator of this organisation has an e-mail address: the request cannot be forwarded.",
    ),
    "caller_name": ("Naam van de beller", "Caller's name"),
    "caller_email": ("E-mailadres van de beller", "Caller's e-mail address"),
    "caller_phone": ("Telefoon van de beller (niet verplicht)", "Caller's phone (optional)"),
    "message": ("Vraag van de beller", "Caller's request"),
    "send": ("Doorsturen", "Forward"),
    "sent_one": ("Doorgestuurd naar {n} beheerder.", "Forwarded to {n} administrator."),
    "sent_other": ("Doorgestuurd naar {n} beheerders.", "Forwarded to {n} administrators."),
    "err_name": ("Vul de naam in (2 tot 200 tekens).", "Enter the name (2 to 200 characters)."),
    "err_email": ("Vul een geldig e-mailadres in.", "Enter a valid e-mail address."),
    "err_phone": ("Vul een geldig telefoonnummer in.", "Enter a valid phone number."),
    "err_message": ("Vul de vraag in (5 tot 2000 tekens).", "Enter the request (5 to 2000 characters)."),
    "call": ("Opzoekingen in deze oproep", "Lookups of this call"),
    "call_empty": ("Nog geen opzoekingen.", "No lookups yet."),
    "new_call": ("Nieuwe oproep", "New call"),
    "back": ("Terug naar zoeken", "Back to search"),
    "rate_limited": (
        "U deed te veel opzoekingen ({n} per minuut). Wacht een minuut en probeer opnieuw.",
        "You made too many lookups ({n} per minute). Wait a minute and try again.",
    ),
    "exports": ("Overzicht lokale beheerders", "Overview of local administrators"),
    "language": ("English", "Nederlands"),
    "company": ("onderneming", "company"),
    "local_government": ("lokaal bestuur", "local government"),
    "flemish_entity": ("entiteit van de Vlaamse overheid", "Flemish government entity"),
    "education_institution": ("onderwijsinstelling", "education institution"),
    "active": ("actief", "active"),
    "ceased": ("stopgezet", "ceased"),
    "frozen": ("geblokkeerd", "blocked"),
    "enterprise_number": ("Ondernemingsnummer", "Enterprise number"),
    "ovo_code": ("OVO-code", "OVO code"),
    "nis_code": ("NIS-code", "NIS code"),
    "institution_number": ("Instellingsnummer", "Institution number"),
    "establishment_numbers": ("Vestigingseenheden", "Establishment units"),
}


class Texts(dict[str, str]):
    def __getattr__(self, key: str) -> str:
        return self[key]

    def plural(self, key: str, n: int, **values: object) -> str:
        """``key_one`` for exactly one, ``key_other`` otherwise (Dutch and English plural rules agree)."""
        return self[f"{key}_one" if n == 1 else f"{key}_other"].format(n=n, **values)


def texts(lang: str) -> Texts:
    i = 1 if lang == "en" else 0
    return Texts({k: v[i] for k, v in TEXTS.items()})


def pick_lang(requested: str | None, remembered: str | None) -> str:
    for lang in (requested, remembered):
        if lang in LANGUAGES:
            return lang  # type: ignore[return-value]
    return "nl"
