"""Texts of the /beheer screens (Dutch, English), merged into the screens' table in rights.web.i18n."""

from __future__ import annotations

BEHEER_TEXTS: dict[str, tuple[str, str]] = {
    "beheer_app": ("Gebruikersbeheer — lokale beheerders", "User management — local administrators"),
    "persona_bert": (
        "Bert Peeters — wettelijk vertegenwoordiger en hoofdbeheerder, Bakkerij Peeters",
        "Bert Peeters — legal representative and main administrator, Bakkerij Peeters",
    ),
    "persona_sofie": ("Sofie Vermeulen — lokale beheerder, Bakkerij Peeters",
                      "Sofie Vermeulen — local administrator, Bakkerij Peeters"),
    "persona_an": ("An Peeters — medewerker, Bakkerij Peeters", "An Peeters — employee, Bakkerij Peeters"),
    "persona_koen": ("Koen Mertens — boekhouder, werkt voor twee organisaties",
                     "Koen Mertens — accountant, works for two organisations"),
    "my_orgs": ("Mijn organisaties", "My organisations"),
    "my_rights": ("Mijn rechten", "My rights"),
    "no_orgs": ("U hebt geen rol in een organisatie.", "You have no role in any organisation."),
    "acting_for": ("U handelt voor", "You act for"),
    "choose_org": ("Kies voor welke organisatie u handelt.", "Choose which organisation you act for."),
    "act_for": ("Handel voor {org}", "Act for {org}"),
    "role_main": ("hoofdbeheerder", "main administrator"),
    "role_admin": ("lokale beheerder", "local administrator"),
    "role_staff": ("medewerker", "staff member"),
    "manage": ("Beheren", "Manage"),
    "people_rights": ("Medewerkers en hun rechten", "People and their rights"),
    "no_rights": ("geen rechten", "no rights"),
    "page_of": ("Pagina {page} van {pages}", "Page {page} of {pages}"),
    "previous": ("Vorige", "Previous"),
    "next": ("Volgende", "Next"),
    "pagination": ("Paginering", "Pagination"),
    "valid_until_short": ("geldig tot", "valid until"),
    "user_type_permanent": ("vast personeel", "permanent staff"),
    "user_type_external": ("externe medewerker", "external staff"),
    "user_type_occasional": ("occasionele medewerker", "occasional staff"),
    "user_type_civil_servant": ("ambtenaar", "civil servant"),
    "grant_right": ("Recht toekennen", "Grant a right"),
    "grant_intro": (
        "U ziet enkel de rechten die u voor dit type organisatie en uw toepassingen mag toekennen.",
        "You only see the rights you may grant for this type of organisation and your applications.",
    ),
    "f_person": ("Persoon", "Person"),
    "f_right": ("Recht (toepassing, rol en maatregel)", "Right (application, role and measure)"),
    "f_valid_until": ("Geldig tot en met (dd/mm/jjjj)", "Valid until (dd/mm/yyyy)"),
    "f_valid_until_hint": (
        "Leeg laten: de standaardduur van het gekozen recht. Standaard en maximum staan bij elk recht.",
        "Leave empty: the chosen right's default duration. Default and maximum are shown with each right.",
    ),
    "f_reason": ("Reden", "Reason"),
    "f_reason_hint": ("Waarom krijgt deze persoon dit recht? Dit komt in de geschiedenis.",
                      "Why does this person get this right? It goes into the history."),
    "choose": ("— kies —", "— choose —"),
    "days_hint": ("standaard {default} dagen, hoogstens {max}", "default {default} days, at most {max}"),
    "historic": ("historisch", "historic"),
    "next_step": ("Verder naar bevestigen", "Continue to confirm"),
    "confirm_title": ("Bevestig het recht", "Confirm the right"),
    "confirm_sentence": (
        "{person} zal voor {org} in de toepassing {app} mogen werken als {role}{measure}, "
        "van {start} tot en met {until}.",
        "{person} will be able to work for {org} in the application {app} as {role}{measure}, "
        "from {start} until {until}.",
    ),
    "confirm_measure": (" voor de maatregel {measure}", " for the measure {measure}"),
    "catalogue_says": ("Wat dit recht inhoudt (catalogus)", "What this right means (catalogue)"),
    "confirm": ("Bevestigen en toekennen", "Confirm and grant"),
    "change": ("Wijzigen", "Change"),
    "granted": ("Het recht is toegekend.", "The right was granted."),
    "revoke": ("Intrekken", "Revoke"),
    "revoke_title": ("Recht intrekken", "Revoke a right"),
    "revoke_sentence": ("{person} verliest het recht {role}{measure} voor {org}.",
                        "{person} loses the right {role}{measure} for {org}."),
    "revoked": ("Het recht is ingetrokken.", "The right was revoked."),
    "administrators_of": ("Lokale beheerders", "Local administrators"),
    "all_applications": ("alle toepassingen", "all applications"),
    "appoint": ("Lokale beheerder aanstellen", "Appoint a local administrator"),
    "appoint_intro": (
        "Een lokale beheerder kent rechten toe aan de medewerkers van de organisatie, "
        "enkel voor de toepassingen die u aanvinkt.",
        "A local administrator grants rights to the organisation's staff, only for the applications you tick.",
    ),
    "f_applications": ("Toepassingen (niets aanvinken: alle toepassingen)",
                       "Applications (tick none: all applications)"),
    "f_email": ("Werk-e-mailadres (niet verplicht)", "Work e-mail address (optional)"),
    "f_disclose": ("De helpdesk 1700 mag dit adres doorgeven", "The 1700 helpline may give out this address"),
    "appointed": ("De lokale beheerder is aangesteld.", "The local administrator was appointed."),
    "main_only": (
        "Enkel een hoofdbeheerder kan lokale beheerders aanstellen of verwijderen.",
        "Only a main administrator can appoint or remove local administrators.",
    ),
    "remove": ("Verwijderen als beheerder", "Remove as administrator"),
    "remove_title": ("Lokale beheerder verwijderen", "Remove a local administrator"),
    "removed": ("De lokale beheerder is verwijderd.", "The local administrator was removed."),
    "remove_sentence": (
        "{person} is daarna geen {role} meer van {org} en kan er geen rechten meer toekennen of intrekken "
        "(nu voor {apps}). De rechten die {person} zelf heeft, blijven.",
        "{person} will no longer be {role} of {org} and can no longer grant or revoke rights there "
        "(now for {apps}). The rights {person} holds personally stay.",
    ),
    "remove_confirm": ("Bevestigen en verwijderen", "Confirm and remove"),
    "cancel": ("Annuleren", "Cancel"),
    "last_admin_rule": (
        "Regel: een organisatie heeft altijd minstens één lokale beheerder en minstens één hoofdbeheerder. "
        "Wilt u de laatste (hoofd)beheerder verwijderen, stel dan eerst iemand anders aan als (hoofd)beheerder.",
        "Rule: an organisation always keeps at least one local administrator and at least one main "
        "administrator. To remove the last (main) administrator, first appoint someone else as (main) "
        "administrator.",
    ),
    "refused": ("Niet toegestaan", "Not allowed"),
    "back_home": ("Terug naar mijn organisaties", "Back to my organisations"),
    "errors_title": ("Verbeter de volgende fouten:", "Please correct the following:"),
    "err_person": ("Persoon: kies een medewerker uit de lijst.", "Person: choose a staff member from the list."),
    "grant_nothing": ("Deze persoon kan van u nu geen ander recht krijgen: ze heeft al elk recht dat u kunt "
                      "toekennen, of een regel laat het niet toe.",
                      "This person cannot get another right from you now: they already hold every right you can "
                      "grant, or a rule does not allow it."),
    "err_right": ("Recht: kies een recht uit de lijst.", "Right: choose a right from the list."),
    "err_date": (
        "Geldig tot en met: vul een datum in als dd/mm/jjjj (bv. 31/12/2027) of laat het veld leeg.",
        "Valid until: enter a date as dd/mm/yyyy (e.g. 31/12/2027) or leave it empty.",
    ),
    "err_reason": ("Reden: vul een reden in (3 tot 1000 tekens).",
                   "Reason: enter a reason (3 to 1000 characters)."),
    "err_email_opt": ("Werk-e-mailadres: vul een geldig adres in of laat het leeg.",
                      "Work e-mail address: enter a valid address or leave it empty."),
    "err_application": ("Toepassingen: kies enkel toepassingen uit de lijst.",
                        "Applications: choose only applications from the list."),
    "no_contact": ("geen contactgegevens openbaar", "no contact details public"),
    "my_admins": ("Lokale beheerders van deze organisatie", "Local administrators of this organisation"),
}
