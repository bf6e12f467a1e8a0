"""The operator's screen at /helpline: search, results as you type, the organisation card, forwarding.

Works as plain HTML forms (GET search, POST forward); helpline.js only fetches the results fragment
while typing. Every route reads the operator from the session (``opt["session"]``, see
rights.api.security) and counts against the per-operator lookup limit where it discloses something.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.api.ratelimit import LookupLimiter
from rights.domain import identifiers as ids
from rights.domain.model import Organisation
from rights.domain.ports import Caller
from rights.domain.services import HelplineCard, Services
from rights.web.desk import Desk, ForwardRequest
from rights.web.i18n import texts
from rights.web.session import page

SCREEN = {"permission": Permission.HELPLINE_LOOKUP, "session": True}
CALL_MEMORY = 15  # lookups of this call kept in the session


def identifiers_view(org: Organisation) -> list[tuple[str, str]]:
    i = org.identifiers
    out = []
    if i.enterprise_number:
        out.append(("enterprise_number", ids.format_enterprise_number(i.enterprise_number)))
    if i.ovo_code:
        out.append(("ovo_code", i.ovo_code))
    if i.nis_code:
        out.append(("nis_code", i.nis_code))
    if i.institution_number:
        out.append(("institution_number", i.institution_number))
    if i.establishment_numbers:
        out.append(("establishment_numbers",
                    ", ".join(ids.format_establishment_number(n) for n in i.establishment_numbers)))
    return out


def card_view(card: HelplineCard) -> dict[str, Any]:
    org = card.organisation
    return {
        "id": org.id, "name": org.name, "short_name": org.short_name, "type": org.type.value,
        "status": org.status.value, "identifiers": identifiers_view(org), "match": card.match,
        "administrators": card.administrators, "guidance": {"nl": card.guidance_nl, "en": card.guidance_en},
        "parent": card.parent.name if card.parent else None, "address": org.address,
        # successions (issue 17): who answers for it now, whom it answers for
        "succeeded_by": [o.name for o in card.succeeded_by], "succeeds": [o.name for o in card.succeeds],
    }


def _invalid_number(q: str) -> str | None:
    """The kind of organisation number ``q`` is, when it is one whose check digits are wrong."""
    try:
        ids.parse_organisation_identifier(q)
    except ids.IdentifierError as exc:
        return exc.kind if exc.reason == "checksum" else None
    return None


def _remember(request: Request, q: str, found: int | None) -> None:
    """Keep the lookups of this call; typing "bakk", "bakker", "bakkerij" keeps only the last."""
    call = list(request.session.get("call") or [])
    if call and (q.lower().startswith(call[-1]["q"].lower()) or call[-1]["q"].lower().startswith(q.lower())):
        call.pop()
    call.append({"q": q, "n": 0, "refused": True} if found is None else {"q": q, "n": found})
    request.session["call"] = call[-CALL_MEMORY:]


async def _search(request: Request, services: Services, caller: Caller, q: str) -> dict[str, Any]:
    q = q.strip()[:200]
    if len(q) < 2:
        return {"q": q, "results": None, "limited": False}
    limiter: LookupLimiter = request.app.state.lookup_limiter
    if not await limiter.allow(caller):
        _remember(request, q, None)  # shown as refused in the call history, never as "0 found"
        return {"q": q, "results": None, "limited": True, "limit": limiter.per_minute}
    cards = await services.helpline.lookup(caller, q, limit=10)
    _remember(request, q, len(cards))
    return {"q": q, "results": [card_view(c) for c in cards], "limited": False, "invalid": _invalid_number(q)}


class HelplineScreen(Controller):
    path = "/helpline"
    include_in_schema = False

    @get("/", opt=SCREEN)
    async def screen(self, request: Request, services: Services, caller: Caller,
                     q: str = Parameter(query="q", default="", max_length=400)) -> Template:
        found = await _search(request, services, caller, q)
        return page(request, "helpline.html", status=429 if found["limited"] else 200,
                    call=request.session.get("call") or [], **found)

    @get("/results", opt=SCREEN)
    async def results(self, request: Request, services: Services, caller: Caller,
                      q: str = Parameter(query="q", default="", max_length=400)) -> Template:
        """The results fragment the page fetches while the operator types."""
        found = await _search(request, services, caller, q)
        return page(request, "_results.html", status=429 if found["limited"] else 200, fragment=True,
                    call=request.session.get("call") or [], **found)

    @get("/organisations/{org_id:str}", opt=SCREEN)
    async def card(self, request: Request, caller: Caller, org_id: str,
                   sent: int | None = Parameter(query="sent", default=None, ge=0, le=100)) -> Template:
        limiter: LookupLimiter = request.app.state.lookup_limiter
        if not await limiter.allow(caller):  # opening cards one by one is harvesting too
            return page(request, "helpline.html", status=429, q="", results=None, limited=True,
                        limit=limiter.per_minute, call=request.session.get("call") or [])
        desk: Desk = request.app.state.desk
        found = await desk.card(caller, org_id)
        return page(request, "card.html", org=card_view(found.card), reachable=found.reachable, sent=sent,
                    form={}, errors={})

    @post("/organisations/{org_id:str}/forward", opt=SCREEN, status_code=303)
    async def forward(
        self, request: Request, caller: Caller, org_id: str,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Redirect | Template:
        form = {k: str(data.get(k, ""))[:4000] for k in ("caller_name", "caller_email", "caller_phone", "message")}
        forward = ForwardRequest(**form)
        desk: Desk = request.app.state.desk
        if errors := forward.errors():
            found = await desk.card(caller, org_id)
            t = texts(request.session.get("lang") or "nl")
            return page(request, "card.html", status=422, org=card_view(found.card), reachable=found.reachable,
                        sent=None, form=form, errors={k: t[v] for k, v in errors.items()})
        n = await desk.forward(caller, org_id, forward)
        return Redirect(f"/helpline/organisations/{org_id}?sent={n}", status_code=303)

    @post("/new-call", opt=SCREEN, status_code=303)
    async def new_call(self, request: Request) -> Redirect:
        request.session["call"] = []
        return Redirect("/helpline", status_code=303)
