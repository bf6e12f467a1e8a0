"""/beheer: one grant's page — what it is, its validity (shorten or extend it) and its history.

``/beheer/organisations/{org}/grants/{grant}``: the holder, the right, valid from – until and whether it
is active; a form to change "valid until" through ``GrantService.change_validity`` (the same catalogue
rules as a new grant, so at most the role's maximum from the grant's start — the last allowed day is
shown); and the history from the change log (``GrantService.history``): granted, validity changed,
revoked, with who, when and the reason. A grant of another organisation under this one's URL is a 404,
an organisation one does not administer a 403 (as on the revoke page).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.domain.commands import ValidityChange
from rights.domain.errors import DomainError, NotFound
from rights.domain.model import Change, Grant
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.web import beheer_more_texts  # noqa: F401  (merges the texts)
from rights.web import beheer_views as views
from rights.web.beheer import FORM, _lang, _opt, _refused, _status, screen
from rights.web.beheer_forms import in_words, parse_day, reason_errors, text_of
from rights.web.i18n import texts

KINDS = ("grant_created", "grant_validity_changed", "grant_revoked")


def until_on(day: date, valid_from: datetime) -> datetime:
    """"Valid until and including D", counted in whole days from the grant's start (so the last allowed
    day, start + the role's maximum, is accepted)."""
    return valid_from + timedelta(days=(day - valid_from.date()).days)


def state_of(grant: Grant, now: datetime) -> str:
    if grant.revoked_at is not None:
        return "grantpage_revoked"
    if now < grant.valid_from:
        return "grantpage_future"
    return "grantpage_active" if now < grant.valid_until else "grantpage_expired"


async def history_rows(services: Services, grant: Grant, changes: list[Change]) -> list[dict[str, str]]:
    """The change log of one grant in words: who (by name when it was a person), when, what, why."""
    names: dict[str, str] = {}

    async def who(ref: str | None) -> str:
        if not ref:
            return ""
        if ref.startswith("per_"):
            if ref not in names:
                async with services.core.store.read() as tx:
                    person = await tx.get_person(ref)
                names[ref] = person.display_name if person else ref
            return names[ref]
        return ref  # a principal's subject (platform staff, a seed): never a national number

    rows = []
    for c in changes:
        if c.kind not in KINDS:
            continue
        data = c.data
        if c.kind == "grant_created":
            by = await who(data.get("granted_by") or c.actor)
            detail = ("grantpage_created_detail", {"start": _day(data.get("valid_from")),
                                                   "until": _day(data.get("valid_until"))})
        elif c.kind == "grant_validity_changed":
            by = await who(data.get("changed_by") or c.actor)
            detail = ("grantpage_changed_detail", {"before": _day(data.get("previous_valid_until")),
                                                   "after": _day(data.get("valid_until"))})
        else:
            by = await who(grant.revoked_by or c.actor)
            detail = ("", {})
        rows.append({"kind": f"grantpage_kind_{c.kind}", "at": c.at.strftime("%d/%m/%Y %H:%M"), "who": by,
                     "why": str(data.get("reason") or ""), "detail": detail})
    return rows


def _day(iso: str | None) -> str:
    return views.day(datetime.fromisoformat(iso)) if iso else ""


class BeheerGrantScreen(Controller):
    path = "/beheer/organisations/{org_id:str}/grants/{grant_id:str}"
    include_in_schema = False
    exception_handlers = {DomainError: _refused}  # noqa: RUF012

    async def _context(self, services: Services, caller: Caller, org_id: str, grant_id: str) -> dict[str, Any]:
        org, admin = await views.my_administration(services, caller, org_id)
        grant, changes = await services.grants.history(caller, grant_id)
        if grant.organisation_id != org.id:  # a grant of another organisation under this one's URL
            raise NotFound("unknown_grant", "grant")
        async with services.core.store.read() as tx:
            holder = await tx.get_person(grant.person_id)
        role = services.core.catalogue.role(grant.role)
        now = services.core.now()
        last = grant.valid_from + timedelta(days=role.max_validity_days)
        return {"org": org, "grant": grant, "view": views.grant_view(services, grant), "holder": holder,
                "role": role, "state": state_of(grant, now), "last_day": views.day(last),
                "start": views.day(grant.valid_from),
                # The form only where change_validity() would look at new dates (its own preconditions).
                "may_change": await services.grants.validity_refusal(caller, grant.id) is None,
                "history": await history_rows(services, grant, changes)}

    @get("/", opt=_opt(Permission.GRANTS_READ))
    async def show(self, request: Request, services: Services, caller: Caller, org_id: str, grant_id: str,
                   done: str | None = Parameter(query="done", default=None, max_length=20)) -> Template:
        ctx = await self._context(services, caller, org_id, grant_id)
        form = {"valid_until": views.day(ctx["grant"].valid_until), "reason": "",
                "version": str(ctx["grant"].version)}
        return screen(request, "beheer_grantpage.html", form=form, errors={},
                      done="grantpage_changed" if done == "changed" else None, **ctx)

    @post("/validity", opt=_opt(Permission.GRANTS_MANAGE), status_code=303)
    async def change(self, request: Request, services: Services, caller: Caller, org_id: str, grant_id: str,
                     data: dict[str, Any] = FORM) -> Template | Redirect:
        ctx = await self._context(services, caller, org_id, grant_id)
        lang = _lang(request)
        t = texts(lang)
        form = {"valid_until": text_of(data, "valid_until", 20), "reason": text_of(data, "reason"),
                "version": text_of(data, "version", 10)}
        day = parse_day(form["valid_until"])
        errors = {} if day else {"valid_until": t.err_new_until}
        errors |= reason_errors(form, t)
        status = 422
        if not errors and day is not None:
            grant: Grant = ctx["grant"]
            try:
                await services.grants.change_validity(caller, grant.id, ValidityChange(
                    valid_until=until_on(day, grant.valid_from), reason=form["reason"],
                    expected_version=int(form["version"]) if form["version"].isdigit() else None))
                return Redirect(f"/beheer/organisations/{org_id}/grants/{grant_id}?done=changed", status_code=303)
            except DomainError as exc:
                if exc.kind == "forbidden":
                    raise
                status = _status(exc)
                field = "reason" if exc.field == "reason" else "valid_until"
                message = in_words(exc, lang, services.core.catalogue)
                errors = {field: f"{t.f_reason if field == 'reason' else t.f_new_until}: {message}"}
        return screen(request, "beheer_grantpage.html", status=status, form=form, errors=errors, done=None, **ctx)
