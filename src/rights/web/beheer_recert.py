"""Recertification on the /beheer screens (issue 5): an administrator confirms or revokes the grants a
campaign asks about, before its deadline; what was decided (also at the deadline) stays visible.

/beheer/organisations/{org}/recertification lists the organisation's items the administrator may decide
(their applications), with a confirm button and a revoke page (reason required) per item. Plain forms
with the CSRF token; every decision goes through rights.domain.services.recertification, which refuses
anyone but an administrator of the grant's organisation. An item of another organisation under this
organisation's URL is a 404, another organisation's URL a 403 page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.domain.campaigns import SYSTEM_ACTOR, ItemStatus
from rights.domain.errors import DomainError, NotFound
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.recertification import ReviewEntry
from rights.web import beheer_views as views
from rights.web.beheer import FORM, _lang, _opt, _refused, screen
from rights.web.beheer_forms import domain_errors, text_of
from rights.web.i18n import TEXTS, texts

BRUSSELS = ZoneInfo("Europe/Brussels")
DONE = ("recert_confirmed", "recert_revoked")
HISTORY = 100  # decided items shown

RECERT_TEXTS: dict[str, tuple[str, str]] = {
    "recert_title": ("Rechten herbevestigen", "Recertify rights"),
    "recert_intro": (
        "Bevestig elk recht dat nog nodig is, of trek het in. Wat niet bevestigd is vóór de uiterste datum, "
        "wordt automatisch ingetrokken.",
        "Confirm each right that is still needed, or revoke it. Whatever is not confirmed before the deadline "
        "is revoked automatically.",
    ),
    "recert_pending_h": ("Te herbevestigen", "To recertify"),
    "recert_none": ("Er is niets te herbevestigen.", "There is nothing to recertify."),
    "recert_decided_h": ("Beslist", "Decided"),
    "recert_campaign": ("Campagne", "Campaign"),
    "recert_deadline": ("Uiterste datum", "Deadline"),
    "recert_before": ("vóór {deadline}", "before {deadline}"),
    "recert_granted_at": ("Toegekend op", "Granted on"),
    "recert_valid_until": ("Geldig tot", "Valid until"),
    "recert_decision": ("Beslissing", "Decision"),
    "recert_confirm": ("Bevestigen", "Confirm"),
    "recert_revoke": ("Intrekken", "Revoke"),
    "recert_status_confirmed": ("bevestigd", "confirmed"),
    "recert_status_revoked": ("ingetrokken", "revoked"),
    "recert_status_expired_before": ("al beëindigd", "already ended"),
    "recert_status_pending": ("open", "pending"),
    "recert_by_deadline": ("automatisch, uiterste datum verstreken", "automatically, deadline passed"),
    "recert_confirmed": ("Het recht is herbevestigd.", "The right was recertified."),
    "recert_revoked": ("Het recht is ingetrokken.", "The right was revoked."),
    "recert_revoke_title": ("Recht intrekken bij herbevestiging", "Revoke a right when recertifying"),
    "recert_notice_one": (
        "{n} recht wacht op herbevestiging, uiterlijk vóór {deadline}.",
        "{n} right awaits recertification, before {deadline}.",
    ),
    "recert_notice_other": (
        "{n} rechten wachten op herbevestiging, uiterlijk vóór {deadline}.",
        "{n} rights await recertification, before {deadline}.",
    ),
    "recert_open": ("Nu herbevestigen", "Recertify now"),
}

assert not set(RECERT_TEXTS) & set(TEXTS), "a recertification text key collides with another screen's"
TEXTS.update(RECERT_TEXTS)


def when(value: datetime) -> str:
    """A moment as administrators read it: Brussels time."""
    return value.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M")


def row(services: Services, e: ReviewEntry) -> dict[str, Any]:
    return {"id": e.item.id, "person": e.person_name, "national_number": e.national_number,
            "grant": views.grant_view(services, e.grant), "granted_at": views.day(e.grant.granted_at),
            "campaign": e.campaign.title, "deadline": when(e.campaign.deadline), "status": e.item.status.value,
            "automatic": e.item.decided_by == SYSTEM_ACTOR, "reason": e.item.reason or "",
            "decided_at": when(e.item.decided_at) if e.item.decided_at else ""}


class RecertScreen(Controller):
    path = "/beheer/organisations/{org_id:str}/recertification"
    include_in_schema = False
    exception_handlers = {DomainError: _refused}  # noqa: RUF012

    async def _entries(self, services: Services, caller: Caller, org_id: str) -> dict[str, Any]:
        org, _ = await views.my_administration(services, caller, org_id)  # 403 page for another organisation
        _, entries = await services.recertification.entries(caller, org.id)
        now = services.core.now()
        pending = [e for e in entries if e.open and now < e.campaign.deadline and e.grant.active_at(now)]
        decided = [e for e in entries if e.item.status is not ItemStatus.PENDING][:HISTORY]
        return {"org": org, "pending": pending, "decided": decided}

    async def _entry(self, services: Services, caller: Caller, org_id: str, item_id: str) -> dict[str, Any]:
        ctx = await self._entries(services, caller, org_id)
        entry = next((e for e in ctx["pending"] if e.item.id == item_id), None)
        if entry is None:  # another organisation's item, one outside my applications, or decided already
            raise NotFound("unknown_recert_item", "item")
        return {"org": ctx["org"], "entry": row(services, entry)}

    @get("/", opt=_opt(Permission.PEOPLE_READ))
    async def overview(self, request: Request, services: Services, caller: Caller, org_id: str,
                       done: str | None = Parameter(query="done", default=None, max_length=20)) -> Template:
        ctx = await self._entries(services, caller, org_id)
        return screen(request, "beheer_recert.html", org=ctx["org"], done=done if done in DONE else None,
                      pending=[row(services, e) for e in ctx["pending"]],
                      decided=[row(services, e) for e in ctx["decided"]])

    @post("/{item_id:str}/confirm", opt=_opt(Permission.GRANTS_MANAGE), status_code=303)
    async def confirm(self, services: Services, caller: Caller, org_id: str, item_id: str) -> Redirect:
        await self._entry(services, caller, org_id, item_id)
        await services.recertification.confirm(caller, item_id)
        return Redirect(f"/beheer/organisations/{org_id}/recertification?done=recert_confirmed", status_code=303)

    @get("/{item_id:str}/revoke", opt=_opt(Permission.GRANTS_MANAGE))
    async def revoke_form(self, request: Request, services: Services, caller: Caller, org_id: str,
                          item_id: str) -> Template:
        ctx = await self._entry(services, caller, org_id, item_id)
        return screen(request, "beheer_recert_revoke.html", form={"reason": ""}, errors={}, **ctx)

    @post("/{item_id:str}/revoke", opt=_opt(Permission.GRANTS_MANAGE), status_code=303)
    async def revoke(self, request: Request, services: Services, caller: Caller, org_id: str, item_id: str,
                     data: dict[str, Any] = FORM) -> Template | Redirect:
        ctx = await self._entry(services, caller, org_id, item_id)
        lang = _lang(request)
        form = {"reason": text_of(data, "reason")}
        try:
            await services.recertification.revoke(caller, item_id, form["reason"])
        except DomainError as exc:
            if exc.field != "reason":
                raise
            return screen(request, "beheer_recert_revoke.html", status=422, form=form,
                          errors=domain_errors(exc, texts(lang), lang, "reason"), **ctx)
        return Redirect(f"/beheer/organisations/{org_id}/recertification?done=recert_revoked", status_code=303)


async def notice(services: Services, caller: Caller, org_id: str) -> dict[str, Any] | None:
    """For the organisation's page: how many items await the caller, and the nearest deadline."""
    pending = await services.recertification.pending(caller, org_id)
    if not pending:
        return None
    return {"count": len(pending), "deadline": when(min(e.campaign.deadline for e in pending))}
