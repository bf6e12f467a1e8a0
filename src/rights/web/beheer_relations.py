"""/beheer: end a person's work relation with the organisation, through a confirmation page (issue 16).

``GET …/people/{person}/end`` says what ending means (the person no longer works for the organisation,
so their rights there that need a work relation no longer apply; the rights stay in the history) and asks a reason
(required); ``POST`` ends it through ``PeopleService.end_work_relation``, which audits it with the reason.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.domain.commands import EndWorkRelation
from rights.domain.errors import DomainError, NotFound
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.web import beheer_more_texts  # noqa: F401  (merges the texts)
from rights.web import beheer_views as views
from rights.web.beheer import FORM, _lang, _opt, _refused, screen
from rights.web.beheer_forms import reason_errors, text_of
from rights.web.i18n import TEXTS, texts

RELATION_TEXTS: dict[str, tuple[str, str]] = {
    "end_relation": ("Werkrelatie beëindigen", "End work relation"),
    "end_relation_sentence": (
        "{person} werkt daarna niet meer voor {org}. De rechten van {person} voor {org} die een werkrelatie "
        "vereisen, gelden dan niet meer ({rights}); ze blijven in de geschiedenis staan. Wilt u {person} later "
        "opnieuw toevoegen, dan gebeurt dat met een nieuwe werkrelatie.",
        "{person} will no longer work for {org}. {person}'s rights for {org} that need a work relation no longer "
        "apply ({rights}); they stay in the history. To add {person} again later, add a new work relation.",
    ),
    "end_relation_rights_one": ("1 recht", "1 right"),
    "end_relation_rights_other": ("{n} rechten", "{n} rights"),
    "end_relation_confirm": ("Bevestigen en beëindigen", "Confirm and end"),
    "relation_ended": ("De werkrelatie is beëindigd.", "The work relation was ended."),
}
assert not set(RELATION_TEXTS) & set(TEXTS), "a work-relation text key collides with another one"
TEXTS.update(RELATION_TEXTS)


class BeheerRelationScreen(Controller):
    path = "/beheer/organisations/{org_id:str}/people/{person_id:str}/end"
    include_in_schema = False
    exception_handlers = {DomainError: _refused}  # noqa: RUF012

    async def _context(self, services: Services, caller: Caller, org_id: str, person_id: str) -> dict[str, Any]:
        org, _ = await views.my_administration(services, caller, org_id)
        now = services.core.now()
        found = [(w, p) for w, p in await services.people.work_relations(caller, org.id)
                 if p.id == person_id and w.active_at(now)]
        if not found:
            raise NotFound("unknown_work_relation", "work_relation")
        relation, person = found[0]
        roles = services.core.catalogue.roles
        # The rights a check then refuses: the active ones whose role needs a work relation (most do).
        rights = [g for g in await services.grants.of_organisation(caller, org.id)
                  if g.person_id == person.id and views.active(g, now)
                  and (g.role not in roles or roles[g.role].requires_work_relation)]
        return {"org": org, "relation": relation, "person": person, "rights": len(rights)}

    def _page(self, request: Request, ctx: dict[str, Any], status: int = 200, reason: str = "",
              errors: dict[str, str] | None = None) -> Template:
        return screen(request, "beheer_relation_end.html", status=status, form={"reason": reason},
                      errors=errors or {}, **ctx)

    @get("/", opt=_opt(Permission.PEOPLE_MANAGE))
    async def confirm(self, request: Request, services: Services, caller: Caller, org_id: str,
                      person_id: str) -> Template:
        return self._page(request, await self._context(services, caller, org_id, person_id))

    @post("/", opt=_opt(Permission.PEOPLE_MANAGE), status_code=303)
    async def end(self, request: Request, services: Services, caller: Caller, org_id: str, person_id: str,
                  data: dict[str, Any] = FORM) -> Template | Redirect:
        ctx = await self._context(services, caller, org_id, person_id)
        form = {"reason": text_of(data, "reason")}
        if errors := reason_errors(form, texts(_lang(request))):  # nothing is written without a reason
            return self._page(request, ctx, 422, form["reason"], errors)
        await services.people.end_work_relation(caller, org_id, ctx["relation"].id,
                                                EndWorkRelation(reason=form["reason"]))
        return Redirect(f"/beheer/organisations/{org_id}?done=relation_ended", status_code=303)


__all__ = ["RELATION_TEXTS", "BeheerRelationScreen"]
