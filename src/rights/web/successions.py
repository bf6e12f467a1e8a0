"""The platform administrators' succession screen at /helpline/successions (issue 17).

Enter a succession (merger, absorption, split, renumbering), read its plan (what moves to which
successor, what is left for a decision, what blocks it), and apply it. Plain forms with the CSRF token;
every action goes through rights.domain.services.successions, which refuses anyone but the platform.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.domain.commands import NewSuccession, SuccessionApply
from rights.domain.errors import DomainError
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.successions import SuccessionView
from rights.web.helpline import identifiers_view
from rights.web.i18n import TEXTS
from rights.web.session import page

BRUSSELS = ZoneInfo("Europe/Brussels")
SCREEN = {"permission": Permission.SUCCESSIONS_MANAGE, "session": True}

SUCCESSION_TEXTS: dict[str, tuple[str, str]] = {
    "suc_title": ("Opvolgingen van organisaties", "Successions of organisations"),
    "suc_intro": (
        "Organisaties die fuseren, opgaan in een andere, splitsen of een nieuw nummer krijgen: voer de opvolging "
        "in, lees het plan na en voer het door. Er verhuist niets zonder bevestiging.",
        "Organisations that merge, are absorbed, split or get a new number: enter the succession, read its plan "
        "and apply it. Nothing moves without confirmation.",
    ),
    "suc_new": ("Nieuwe opvolging", "New succession"),
    "suc_kind": ("Soort", "Kind"),
    "suc_merger": ("fusie", "merger"),
    "suc_absorption": ("opslorping", "absorption"),
    "suc_split": ("splitsing", "split"),
    "suc_renumbering": ("nieuw nummer", "renumbering"),
    "suc_source": ("Bron", "Source"),
    "suc_decree": ("decreet of besluit", "decree"),
    "suc_kbo": ("KBO", "KBO"),
    "suc_register": ("organisatieregister", "organisation register"),
    "suc_predecessors": ("Voorgangers (één identificatie per lijn)", "Predecessors (one identifier per line)"),
    "suc_successors": ("Opvolgers (één identificatie per lijn)", "Successors (one identifier per line)"),
    "suc_side_predecessors": ("Voorgangers", "Predecessors"),
    "suc_side_successors": ("Opvolgers", "Successors"),
    "suc_effective": ("Datum van ingang", "Effective date"),
    "suc_reason": ("Reden", "Reason"),
    "suc_enter": ("Opvolging invoeren", "Enter succession"),
    "suc_list": ("Ingevoerde opvolgingen", "Entered successions"),
    "suc_none": ("Er zijn nog geen opvolgingen.", "There are no successions yet."),
    "suc_status": ("Status", "Status"),
    "suc_proposed": ("voorgesteld", "proposed"),
    "suc_applied": ("doorgevoerd", "applied"),
    "suc_withdrawn": ("ingetrokken", "withdrawn"),
    "suc_plan": ("Plan", "Plan"),
    "suc_plan_applied": ("Zo werd het plan doorgevoerd.", "This is how the plan was applied."),
    "suc_plan_preview": ("Zo zou het plan worden doorgevoerd.", "This is how the plan would be applied."),
    "suc_item": ("Wat", "What"),
    "suc_person": ("Persoon", "Person"),
    "suc_right": ("Recht", "Right"),
    "suc_from": ("Van", "From"),
    "suc_to": ("Naar", "To"),
    "suc_outcome": ("Uitkomst", "Outcome"),
    "suc_moves": ("{n} verhuist, {open} te beslissen", "{n} move(s), {open} left for a decision"),
    "suc_blocked": ("Kan niet worden doorgevoerd:", "Cannot be applied:"),
    "suc_apply": ("Plan doorvoeren", "Apply the plan"),
    "suc_done": ("De opvolging is doorgevoerd.", "The succession was applied."),
    "suc_back": ("Alle opvolgingen", "All successions"),
    "suc_successions": ("Opvolgingen", "Successions"),
    "suc_succeeded_by": ("Opgevolgd door", "Succeeded by"),
    "suc_succeeds": ("Opvolger van", "Successor of"),
    "item_administrator": ("lokale beheerder", "local administrator"),
    "item_work_relation": ("gebruiker", "user"),
    "item_grant": ("recht", "right"),
    "item_mandate": ("mandaat", "mandate"),
    "out_move": ("verhuist", "moves"),
    "out_already_administrator": ("al beheerder bij de opvolger", "already administrator at the successor"),
    "out_already_user": ("al gebruiker bij de opvolger", "already a user at the successor"),
    "out_already_held": ("heeft dit recht al bij de opvolger", "already holds it at the successor"),
    "out_role_not_for_organisation_type": (
        "te beslissen: de opvolger kan dit recht niet hebben", "to decide: the successor cannot hold this right"),
    "out_user_type_not_allowed": (
        "te beslissen: soort gebruiker niet toegelaten", "to decide: user type not allowed"),
    "out_assignment_needed": ("te beslissen: aan welke opvolger?", "to decide: which successor?"),
    "out_mandate_listed": ("te beslissen: mandaat", "to decide: mandate"),
    "out_mandate_within_successor": (
        "te beslissen: mandaat binnen dezelfde opvolger", "to decide: mandate within the same successor"),
}

assert not set(SUCCESSION_TEXTS) & set(TEXTS), "a succession text key collides with another screen's"
TEXTS.update(SUCCESSION_TEXTS)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.replace(",", "\n").splitlines() if line.strip())[:50]


async def _view(services: Services, v: SuccessionView) -> dict[str, Any]:
    names = {k: o.name for k, o in v.organisations.items()}
    async with services.core.store.read() as tx:
        people = {}
        for i in v.plan.items:
            if i.person_id and i.person_id not in people:
                p = await tx.get_person(i.person_id)
                people[i.person_id] = p.display_name if p else i.person_id
    s = v.succession
    return {
        "id": s.id, "kind": s.kind.value, "source": s.source.value, "status": s.status.value,
        "effective": s.effective_at.astimezone(BRUSSELS).strftime("%d/%m/%Y"), "reason": s.reason,
        "predecessors": [{"name": names.get(o, o), "identifiers": identifiers_view(v.organisations[o])}
                         for o in s.predecessor_ids if o in v.organisations],
        "successors": [{"name": names.get(o, o), "identifiers": identifiers_view(v.organisations[o])}
                       for o in s.successor_ids if o in v.organisations],
        "applied": s.plan is not None,
        "items": [{"item": i.item, "person": people.get(i.person_id or "", ""),
                   "right": " ".join(x for x in (i.role, i.measure) if x), "from": names.get(i.organisation_id, ""),
                   "to": names.get(i.to or "", "") if i.to and ">" not in i.to else (i.to or ""),
                   "outcome": i.outcome, "open": i.open} for i in v.plan.items],
        "moves": sum(1 for i in v.plan.items if i.moves), "open": len(v.plan.open_items),
        "blocking": [names.get(b.rpartition(":")[2], b) for b in v.plan.blocking],
    }


class SuccessionScreen(Controller):
    path = "/helpline/successions"
    include_in_schema = False

    async def _list(self, request: Request, services: Services, caller: Caller, status: int = 200,
                    form: dict | None = None, error: str | None = None) -> Template:
        items = await services.successions.list(caller)
        rows = [{"id": s.id, "kind": s.kind.value, "status": s.status.value,
                 "effective": s.effective_at.astimezone(BRUSSELS).strftime("%d/%m/%Y"), "reason": s.reason}
                for s in reversed(items)]
        return page(request, "successions.html", status=status, rows=rows, form=form or {}, error=error)

    @get("/", opt=SCREEN)
    async def index(self, request: Request, services: Services, caller: Caller) -> Template:
        return await self._list(request, services, caller)

    @post("/", opt=SCREEN, status_code=303)
    async def enter(self, request: Request, services: Services, caller: Caller,
                    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED)) -> Redirect | Template:
        form = {k: str(data.get(k, ""))[:4000] for k in
                ("kind", "source", "predecessors", "successors", "effective", "reason")}
        try:
            day = datetime.strptime(form["effective"], "%Y-%m-%d").date()
            cmd = msgspec.convert({
                "kind": form["kind"], "source": form["source"] or "decree",
                "predecessors": _lines(form["predecessors"]), "successors": _lines(form["successors"]),
                "effective_at": datetime.combine(day, time(0), tzinfo=BRUSSELS), "reason": form["reason"].strip(),
            }, NewSuccession)
            w = await services.successions.enter(caller, cmd)
        except ValueError:
            return await self._list(request, services, caller, 422, form, "effective: YYYY-MM-DD")
        except msgspec.ValidationError as exc:
            return await self._list(request, services, caller, 422, form, str(exc))
        except DomainError as exc:
            lang = request.session.get("lang") or "nl"
            message = exc.message_en if lang == "en" else exc.message_nl
            return await self._list(request, services, caller, 422, form, f"{exc.field}: {message}")
        return Redirect(f"/helpline/successions/{w.value.id}", status_code=303)

    @get("/{succession_id:str}", opt=SCREEN)
    async def show(self, request: Request, services: Services, caller: Caller, succession_id: str) -> Template:
        view = await services.successions.get(caller, succession_id)
        done = request.query_params.get("done") == "1"
        return page(request, "succession.html", s=await _view(services, view), done=done, error=None)

    @post("/{succession_id:str}/apply", opt=SCREEN, status_code=303)
    async def apply(self, request: Request, services: Services, caller: Caller, succession_id: str) -> Redirect | Template:
        try:
            await services.successions.apply(caller, succession_id, SuccessionApply())
        except DomainError as exc:
            view = await services.successions.get(caller, succession_id)
            lang = request.session.get("lang") or "nl"
            return page(request, "succession.html", status=409, s=await _view(services, view), done=False,
                        error=exc.message_en if lang == "en" else exc.message_nl)
        return Redirect(f"/helpline/successions/{succession_id}?done=1", status_code=303)
