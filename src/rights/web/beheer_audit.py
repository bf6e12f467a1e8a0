"""/beheer: the local administrators' audit view (issue 16 item 4).

``/beheer/organisations/{org}/audit``: who granted, revoked, changed, appointed, removed or ended what in
this organisation, and when (Brussels time), newest first, 25 a page (``?before=`` is the cursor), searchable by name (``?name=``: who did it or for
whom). Only the
organisation's own administrators; everything comes from ``OrganisationService.audit_page``, which
limits a limited administrator to their applications and audits the read.
"""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template

from rights.api.permissions import Permission
from rights.domain.errors import DomainError
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.org_audit import NEWEST
from rights.web.beheer import _opt, _refused, screen
from rights.web.beheer_recert import when
from rights.web.i18n import TEXTS

AUDIT_TEXTS: dict[str, tuple[str, str]] = {
    "audit_link": ("Wie deed wat", "Who did what"),
    "audit_title": ("Wie deed wat in deze organisatie", "Who did what in this organisation"),
    "audit_intro": ("Toekenningen, intrekkingen, beheerders, werkrelaties, aanvragen en mandaten, de nieuwste "
                    "eerst.", "Grants, revocations, administrators, work relations, requests and mandates, "
                    "newest first."),
    "audit_when": ("Wanneer (Brusselse tijd)", "When (Brussels time)"),
    "audit_who": ("Wie", "Who"),
    "audit_what": ("Wat", "What"),
    "audit_whom": ("Voor wie", "For whom"),
    "audit_why": ("Reden", "Reason"),
    "audit_none": ("Nog niets.", "Nothing yet."),
    "audit_none_found": ("Niets gevonden voor deze naam.", "Nothing found for this name."),
    "audit_search": ("Naam (wie of voor wie)", "Name (who or for whom)"),
    "audit_search_button": ("Zoeken", "Search"),
    "audit_search_clear": ("Alles tonen", "Show everything"),
    "audit_older": ("Oudere", "Older"),
    "audit_newest": ("Nieuwste", "Newest"),
    "audit_grant_created": ("recht toegekend", "right granted"),
    "audit_grant_revoked": ("recht ingetrokken", "right revoked"),
    "audit_grant_validity_changed": ("geldigheid gewijzigd", "validity changed"),
    "audit_administrator_appointed": ("lokale beheerder aangesteld", "local administrator appointed"),
    "audit_administrator_removed": ("lokale beheerder verwijderd", "local administrator removed"),
    "audit_administrator_contact_changed": ("contactgegevens van een beheerder gewijzigd",
                                            "an administrator's contact details changed"),
    "audit_work_relation_started": ("werkrelatie begonnen", "work relation started"),
    "audit_work_relation_ended": ("werkrelatie beëindigd", "work relation ended"),
    "audit_access_request_submitted": ("recht aangevraagd", "right requested"),
    "audit_access_request_approved": ("aanvraag goedgekeurd", "request approved"),
    "audit_access_request_refused": ("aanvraag geweigerd", "request refused"),
    "audit_access_request_withdrawn": ("aanvraag ingetrokken", "request withdrawn"),
    "audit_mandate_proposed": ("mandaat voorgesteld", "mandate proposed"),
    "audit_mandate_accepted": ("mandaat aanvaard", "mandate accepted"),
    "audit_mandate_revoked": ("mandaat beëindigd", "mandate ended"),
}
assert not set(AUDIT_TEXTS) & set(TEXTS), "an audit page text key collides with another screen's"
TEXTS.update(AUDIT_TEXTS)


def _right(services: Services, role_code: str | None, measure: str | None) -> str:
    role = services.core.catalogue.roles.get(role_code or "")
    if role is None:
        return ""
    named = role.measure(measure) if measure and role.measures else None
    return role.name + (f" — {named.name}" if named else "")


class BeheerAuditScreen(Controller):
    path = "/beheer/organisations/{org_id:str}/audit"
    include_in_schema = False
    exception_handlers = {DomainError: _refused}  # noqa: RUF012

    @get("/", opt=_opt(Permission.PEOPLE_READ))
    async def show(self, request: Request, services: Services, caller: Caller, org_id: str,
                   before: int = Parameter(query="before", default=NEWEST, ge=1, le=NEWEST),
                   name: str = Parameter(query="name", default="", max_length=100)) -> Template:
        name = name.strip()
        result = await services.organisations.audit_page(caller, org_id, before, name=name)
        async with services.core.store.read() as tx:
            org = await tx.get_organisation(org_id)
        rows = [{"at": when(line.event.at), "who": line.who, "what": f"audit_{line.event.action}",
                 "right": _right(services, line.role, line.measure), "whom": line.person,
                 "why": str(line.event.details.get("reason") or "")} for line in result.lines]
        return screen(request, "beheer_audit.html", org=org, rows=rows, next_before=result.next_before,
                      first=before == NEWEST, search=name, name_qs=urlencode({"name": name}) if name else "")
