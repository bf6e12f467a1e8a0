"""/beheer: one person's page for the organisation's administrators (issue 16 item 4).

``/beheer/organisations/{org}/people/{person}``: the person's work relations in this organisation, their
rights here (within the administrator's applications, each linked to its grant page, with "Intrekken"
only where the revocation would be accepted), their requests here and the history of all of it, newest
first, in Brussels time. Everything comes from ``PeopleService.person_file``, which refuses an unknown
person and one with no tie to the organisation alike, and audits the read.
"""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from rights.api.permissions import Permission
from rights.domain import identifiers as ids
from rights.domain.errors import DomainError
from rights.domain.model import Change
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.requests import RequestEntry
from rights.web import beheer_views as views
from rights.web.beheer import _opt, _refused, screen
from rights.web.beheer_recert import when
from rights.web.beheer_requests import request_view
from rights.web.i18n import TEXTS

PERSON_TEXTS: dict[str, tuple[str, str]] = {
    "person_link": ("Persoonsfiche", "Person page"),
    "person_title": ("Persoonsfiche", "Person page"),
    "person_in": ("in {org}", "in {org}"),
    "person_relations": ("Werkrelaties", "Work relations"),
    "person_since": ("sinds {start}", "since {start}"),
    "person_ended": ("van {start} tot {end}", "from {start} until {end}"),
    "person_blocked": ("geblokkeerd", "blocked"),
    "person_rights": ("Rechten in deze organisatie", "Rights in this organisation"),
    "person_rights_scope": ("Enkel de rechten van de toepassingen die u beheert.",
                            "Only the rights of the applications you administer."),
    "person_requests": ("Aanvragen", "Requests"),
    "person_history": ("Geschiedenis", "History"),
    "person_none": ("Geen.", "None."),
    "person_state": ("Toestand", "State"),
    "person_when": ("Wanneer (Brusselse tijd)", "When (Brussels time)"),
    "person_kind_work_relation_started": ("werkrelatie begonnen", "work relation started"),
    "person_kind_work_relation_ended": ("werkrelatie beëindigd", "work relation ended"),
    "person_kind_grant_created": ("recht toegekend", "right granted"),
    "person_kind_grant_validity_changed": ("geldigheid van een recht gewijzigd", "validity of a right changed"),
    "person_kind_grant_revoked": ("recht ingetrokken", "right revoked"),
    "person_kind_access_request_submitted": ("recht aangevraagd", "right requested"),
    "person_kind_access_request_approved": ("aanvraag goedgekeurd", "request approved"),
    "person_kind_access_request_refused": ("aanvraag geweigerd", "request refused"),
    "person_kind_access_request_withdrawn": ("aanvraag ingetrokken", "request withdrawn"),
    "person_kind_other": ("wijziging", "change"),
}
assert not set(PERSON_TEXTS) & set(TEXTS), "a person page text key collides with another screen's"
TEXTS.update(PERSON_TEXTS)


def _what(services: Services, c: Change, rights: dict[str, str]) -> tuple[str, str]:
    """The history line: the kind in words, and which right it concerns (by name, never a code)."""
    kind = f"person_kind_{c.kind}"
    kind = kind if kind in PERSON_TEXTS else "person_kind_other"
    if c.entity == "grant":
        return kind, rights.get(c.entity_id, "")
    role_code = c.data.get("role")
    if isinstance(role_code, str) and role_code in services.core.catalogue.roles:
        role = services.core.catalogue.roles[role_code]
        measure = c.data.get("measure")
        named = role.measure(measure) if isinstance(measure, str) and measure and role.measures else None
        return kind, role.name + (f" — {named.name}" if named else "")
    return kind, ""


class BeheerPersonScreen(Controller):
    path = "/beheer/organisations/{org_id:str}/people/{person_id:str}"
    include_in_schema = False
    exception_handlers = {DomainError: _refused}  # noqa: RUF012

    @get("/", opt=_opt(Permission.PEOPLE_READ))
    async def show(self, request: Request, services: Services, caller: Caller, org_id: str,
                   person_id: str) -> Template:
        f = await services.people.person_file(caller, org_id, person_id)
        now = services.core.now()
        revocable = await services.grants.revocable(caller, f.grants)
        grants = [views.grant_view(services, g) | {
            "may_revoke": g.id in revocable,
            "state": "grantpage_revoked" if g.revoked_at else "grantpage_future" if now < g.valid_from
            else "grantpage_active" if now < g.valid_until else "grantpage_expired"} for g in f.grants]
        rights = {g["id"]: g["role"] + (f" — {g['measure']}" if g["measure"] else "") for g in grants}
        relations = [{"user_type": w.user_type.value, "start": views.day(w.started_at),
                      "end": views.day(w.ended_at) if w.ended_at else None, "blocked": w.blocked,
                      "active": w.active_at(now)} for w in f.work_relations]
        requests = [request_view(services, RequestEntry(request=r, person=f.person, organisation=f.organisation))
                    for r in f.requests]
        history = [{"at": when(c.at), "what": _what(services, c, rights), "who": who,
                    "why": str(c.data.get("reason") or "") if c.entity != "access_request" else ""}
                   for c, who in f.history]
        return screen(request, "beheer_person.html", org=f.organisation, person=f.person,
                      masked=ids.mask_national_number(f.person.national_number), relations=relations,
                      grants=grants, requests=requests, history=history)

