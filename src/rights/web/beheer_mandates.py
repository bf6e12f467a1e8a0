"""/beheer: an organisation's mandates — list, propose, accept, revoke (issue 5, item 3).

``/beheer/organisations/{org}/mandates`` lists the mandates where the organisation is mandator or holder
(the other party, the applications, the validity and the status from this organisation's point of view).
An administrator proposes a mandate to another organisation found by its enterprise number (either
direction), accepts an incoming proposal, or revokes one with a reason. Everything goes through
``MandateService`` (which refuses anyone who does not administer the mandates application on one of
the two sides); a mandate that does not involve the organisation in the URL is a 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.domain import identifiers
from rights.domain.commands import MandateDecision, NewMandate
from rights.domain.errors import DomainError, NotFound
from rights.domain.model import Mandate, Organisation
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.web import beheer_more_texts  # noqa: F401  (merges the texts)
from rights.web import beheer_views as views
from rights.web.beheer import FORM, _lang, _opt, _refused, _status, screen
from rights.web.beheer_forms import in_words, list_of, parse_day, reason_errors, text_of, until_of
from rights.web.i18n import Texts, texts

DONE = ("proposed", "accepted", "revoked")


def applications(services: Services) -> list[tuple[str, str]]:
    """The applications a mandate can cover: the ones the mandate executor role acts in."""
    catalogue = services.core.catalogue
    executor = catalogue.mandate_executor
    if executor is not None:
        return [(m.code, m.name) for m in executor.measures if m.code in catalogue.applications]
    return sorted(((a.code, a.name) for a in catalogue.applications.values()), key=lambda a: a[1].lower())


def state_key(m: Mandate, side: str, now: datetime) -> str:
    if m.revoked_at is not None:
        return "mandates_state_revoked"
    if m.accepted_at is None:
        mine = m.mandator_accepted_at if side == "mandator" else m.holder_accepted_at
        return "mandates_state_waiting_them" if mine is not None else "mandates_state_waiting_us"
    return f"mandates_state_{m.state_at(now)}"


def mandate_row(services: Services, m: Mandate, org: Organisation, others: dict[str, Organisation],
                names: dict[str, str], now: datetime) -> dict[str, Any]:
    side = "mandator" if m.mandator_id == org.id else "holder"
    other = others.get(m.holder_id if side == "mandator" else m.mandator_id)
    number = other.identifiers.enterprise_number if other else None
    state = state_key(m, side, now)
    return {"id": m.id, "side": side, "other": other.name if other else "",
            "other_number": identifiers.format_enterprise_number(number) if number else "",
            "apps": [names.get(a, a) for a in m.applications], "measures": list(m.measures),
            "from": views.day(m.valid_from), "until": views.day(m.valid_until) if m.valid_until else None,
            "state": state, "may_accept": state == "mandates_state_waiting_us", "may_revoke": m.revoked_at is None}


def propose_errors(form: dict[str, Any], t: Texts, *, known_apps: set[str], now: datetime) -> dict[str, str]:
    errors = {}
    if form["direction"] not in ("give", "hold"):
        errors["direction"] = t.err_mandate_direction
    try:
        identifiers.normalise_enterprise_number(form["other"])
    except identifiers.IdentifierError:
        errors["other"] = t.err_other
    if not form["applications"] or not set(form["applications"]) <= known_apps:
        errors["applications"] = t.err_mandate_apps
    if form["valid_until"]:
        day = parse_day(form["valid_until"])
        if day is None or day <= now.date():
            errors["valid_until"] = t.err_mandate_until
    return errors


def _field(exc: DomainError) -> str:
    f = exc.field or ""
    if f in ("mandator", "holder", "organisation"):
        return "other"
    if f.startswith("applications") or f.startswith("measures"):
        return "applications"
    return "valid_until" if f in ("valid_until", "valid_from") else "other"


LABEL_OF = {"other": "f_other", "applications": "f_mandate_apps", "valid_until": "f_mandate_until"}


class BeheerMandateScreen(Controller):
    path = "/beheer/organisations/{org_id:str}/mandates"
    include_in_schema = False
    exception_handlers = {DomainError: _refused}  # noqa: RUF012

    async def _mandate(self, services: Services, caller: Caller, org_id: str,
                       mandate_id: str) -> tuple[Organisation, Mandate]:
        org, _ = await views.my_administration(services, caller, org_id)
        m = await services.mandates.get(caller, mandate_id)
        if org.id not in (m.mandator_id, m.holder_id):  # a mandate of other organisations under this URL
            raise NotFound("unknown_mandate", "mandate")
        return org, m

    @get("/", opt=_opt(Permission.MANDATES_MANAGE))
    async def index(self, request: Request, services: Services, caller: Caller, org_id: str,
                   done: str | None = Parameter(query="done", default=None, max_length=20)) -> Template:
        org, admin = await views.my_administration(services, caller, org_id)
        mandates = await services.mandates.of_organisation(caller, org.id)
        async with services.core.store.read() as tx:
            others = {o.id: o for o in await tx.get_organisations(
                {m.holder_id for m in mandates} | {m.mandator_id for m in mandates})}
        names = dict(applications(services))
        now = services.core.now()
        rows = [mandate_row(services, m, org, others, names, now)
                for m in sorted(mandates, key=lambda m: m.proposed_at, reverse=True)]
        return screen(request, "beheer_mandates.html", org=org, rows=rows,
                      may_act=admin.administers("SSM"), done=f"mandates_{done}" if done in DONE else None)

    # --- propose ------------------------------------------------------------------------------------

    async def _propose_context(self, services: Services, caller: Caller, org_id: str) -> dict[str, Any]:
        org, _ = await views.my_administration(services, caller, org_id)
        return {"org": org, "apps": applications(services)}

    @get("/new", opt=_opt(Permission.MANDATES_MANAGE))
    async def propose_form(self, request: Request, services: Services, caller: Caller, org_id: str) -> Template:
        ctx = await self._propose_context(services, caller, org_id)
        form = {"direction": "give", "other": "", "applications": [], "valid_until": ""}
        return screen(request, "beheer_mandate_new.html", form=form, errors={}, **ctx)

    @post("/new", opt=_opt(Permission.MANDATES_MANAGE), status_code=303)
    async def propose(self, request: Request, services: Services, caller: Caller, org_id: str,
                      data: dict[str, Any] = FORM) -> Template | Redirect:
        ctx = await self._propose_context(services, caller, org_id)
        lang = _lang(request)
        t = texts(lang)
        now = services.core.now()
        form = {"direction": text_of(data, "direction", 10), "other": text_of(data, "other", 40),
                "applications": list_of(data, "applications")[:50], "valid_until": text_of(data, "valid_until", 20)}
        errors = propose_errors(form, t, known_apps={a for a, _ in ctx["apps"]}, now=now)
        status = 422
        if not errors:
            try:
                other = await self._other(services, form["other"])
                if other is None:
                    errors = {"other": t.err_other_unknown}
                else:
                    day = parse_day(form["valid_until"]) if form["valid_until"] else None
                    until = until_of(day, now) if day else None
                    ours, theirs = ctx["org"].id, other.id
                    mandator, holder = (ours, theirs) if form["direction"] == "give" else (theirs, ours)
                    await services.mandates.propose(caller, NewMandate(
                        mandator=mandator, holder=holder, applications=tuple(form["applications"]),
                        valid_until=until))
                    return Redirect(f"/beheer/organisations/{org_id}/mandates?done=proposed", status_code=303)
            except DomainError as exc:
                if exc.kind == "forbidden":
                    raise
                status = _status(exc)
                field = _field(exc)
                message = in_words(exc, lang, services.core.catalogue)
                errors = {field: f"{t[LABEL_OF[field]]}: {message}"}
        return screen(request, "beheer_mandate_new.html", status=status, form=form, errors=errors, **ctx)

    async def _other(self, services: Services, number: str) -> Organisation | None:
        """The other organisation by its enterprise number (checked by propose_errors first)."""
        value = identifiers.normalise_enterprise_number(number)
        async with services.core.store.read() as tx:
            return await tx.find_organisation(identifiers.IdentifierKind.ENTERPRISE_NUMBER, value)

    # --- accept and revoke --------------------------------------------------------------------------

    @post("/{mandate_id:str}/accept", opt=_opt(Permission.MANDATES_MANAGE), status_code=303)
    async def accept(self, services: Services, caller: Caller, org_id: str, mandate_id: str,
                     data: dict[str, Any] = FORM) -> Redirect:
        _, m = await self._mandate(services, caller, org_id, mandate_id)
        version = text_of(data, "version", 10)
        await services.mandates.accept(caller, m.id, MandateDecision(
            expected_version=int(version) if version.isdigit() else None))
        return Redirect(f"/beheer/organisations/{org_id}/mandates?done=accepted", status_code=303)

    async def _revoke_context(self, services: Services, caller: Caller, org_id: str,
                              mandate_id: str) -> dict[str, Any]:
        org, m = await self._mandate(services, caller, org_id, mandate_id)
        async with services.core.store.read() as tx:
            parties = {o.id: o.name for o in await tx.get_organisations({m.mandator_id, m.holder_id})}
        return {"org": org, "mandate": m, "mandator": parties.get(m.mandator_id, ""),
                "holder": parties.get(m.holder_id, "")}

    @get("/{mandate_id:str}/revoke", opt=_opt(Permission.MANDATES_MANAGE))
    async def revoke_form(self, request: Request, services: Services, caller: Caller, org_id: str,
                          mandate_id: str) -> Template:
        ctx = await self._revoke_context(services, caller, org_id, mandate_id)
        return screen(request, "beheer_mandate_revoke.html", form={"reason": ""}, errors={}, **ctx)

    @post("/{mandate_id:str}/revoke", opt=_opt(Permission.MANDATES_MANAGE), status_code=303)
    async def revoke(self, request: Request, services: Services, caller: Caller, org_id: str, mandate_id: str,
                     data: dict[str, Any] = FORM) -> Template | Redirect:
        ctx = await self._revoke_context(services, caller, org_id, mandate_id)
        lang = _lang(request)
        form = {"reason": text_of(data, "reason")}
        errors = reason_errors(form, texts(lang))
        if not errors:
            await services.mandates.revoke(caller, ctx["mandate"].id, MandateDecision(
                reason=form["reason"], expected_version=ctx["mandate"].version))
            return Redirect(f"/beheer/organisations/{org_id}/mandates?done=revoked", status_code=303)
        return screen(request, "beheer_mandate_revoke.html", status=422, form=form, errors=errors, **ctx)
