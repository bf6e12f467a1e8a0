"""Recertification: start a campaign, let administrators confirm or revoke, remind them, enforce the deadline.

The rules are in rights.domain.campaigns; this module gathers the facts in one transaction per use case.
``enforce`` closes each campaign past its deadline in one write transaction: it revokes every still
pending item whose grant is still active through the normal revoke path (change log, audit, the reason
in the grant) and then closes the campaign. Writes are serialised, so a second run — at the same time
or later — finds the campaign closed and does nothing. ``remind`` queues the e-mails in the same
transaction as the items' ``reminded_at`` marker, so a reminder is sent once per period or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Protocol

import msgspec

from rights.domain import rules
from rights.domain.campaigns import (
    SYSTEM_ACTOR,
    Campaign,
    CampaignStatus,
    ItemStatus,
    ReviewItem,
    deadline_reason,
    ensure_may_decide,
    ensure_may_start,
    ensure_reason,
    qualifies,
)
from rights.domain.errors import Forbidden, NotFound
from rights.domain.identifiers import mask_national_number
from rights.domain.model import AuditEvent, Grant, Organisation
from rights.domain.ports import Caller, PrincipalKind, Tx
from rights.domain.services.base import Core, Written, new_id, record, resolve_organisation
from rights.domain.services.grants import revoke_in

SYSTEM = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject=SYSTEM_ACTOR)
REMIND_EVERY_DAYS = 7


class NewCampaign(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What a platform administrator asks for (the API decodes POST /v1/recertifications into it)."""

    title: Annotated[str, msgspec.Meta(max_length=255)]
    min_age_days: int
    deadline: datetime
    organisation: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None


class StartedCampaign(msgspec.Struct, frozen=True, kw_only=True):
    campaign: Campaign
    items: int


class CampaignOverview(msgspec.Struct, frozen=True, kw_only=True):
    campaign: Campaign
    counts: dict[str, int]  # item status -> how many


class ReviewEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One item as an administrator sees it: never the holder's full national number."""

    item: ReviewItem
    campaign: Campaign
    grant: Grant
    person_name: str
    national_number: str  # masked
    application: str

    @property
    def open(self) -> bool:
        return self.campaign.status is CampaignStatus.OPEN and self.item.status is ItemStatus.PENDING


class ReminderMail(msgspec.Struct, frozen=True, kw_only=True):
    recipient: str
    subject: str
    body: str
    organisation_id: str


class ReminderQueue(Protocol):
    """Where reminders go (rights.mail.reminders puts them in the outbox, in ``tx``)."""

    async def queue(self, tx: Tx, mails: Sequence[ReminderMail], *, now: datetime) -> list[str]: ...


class TickReport(msgspec.Struct, frozen=True, kw_only=True):
    reminders: int = 0
    closed: int = 0
    revoked: int = 0
    expired: int = 0


class RecertificationService:
    def __init__(self, core: Core) -> None:
        self.core = core

    def _application(self, grant: Grant) -> str:
        return self.core.catalogue.role(grant.role).application

    # --- platform administrators ----------------------------------------------------------------

    async def start(self, caller: Caller, cmd: NewCampaign) -> Written[StartedCampaign]:
        now = self.core.now()
        ensure_may_start(platform_admin=caller.platform_admin, title=cmd.title, min_age_days=cmd.min_age_days,
                         deadline=cmd.deadline, now=now)
        async with self.core.store.write() as tx:
            org = await resolve_organisation(tx, cmd.organisation) if cmd.organisation else None
            confirmed = await tx.last_confirmations()
            busy = {i.grant_id for c in await tx.campaigns(status=CampaignStatus.OPEN)
                    for i in await tx.review_items(campaign_id=c.id, status=ItemStatus.PENDING)}
            if org is not None:
                candidates = await tx.grants(organisation_id=org.id)
            else:
                candidates = [g async for g in tx.stream_grants()]
            campaign = Campaign(id=new_id("rcc_"), title=cmd.title.strip(), min_age_days=cmd.min_age_days,
                                deadline=cmd.deadline, started_at=now, started_by=caller.subject,
                                organisation_id=org.id if org else None)
            items = [
                ReviewItem(id=new_id("rci_"), campaign_id=campaign.id, grant_id=g.id, organisation_id=g.organisation_id)
                for g in sorted(candidates, key=lambda g: (g.organisation_id, g.id))
                if g.id not in busy
                and qualifies(g, started_at=now, min_age_days=cmd.min_age_days, last_confirmed=confirmed.get(g.id))
            ]
            await tx.add_campaign(campaign, items)
            rev = await record(
                self.core, tx, caller, kind="recertification_started", entity="recertification",
                entity_id=campaign.id, organisation_id=campaign.organisation_id,
                data={"title": campaign.title, "min_age_days": campaign.min_age_days,
                      "deadline": campaign.deadline.isoformat(), "organisation_id": campaign.organisation_id,
                      "items": len(items)},
            )
        return Written(StartedCampaign(campaign=campaign, items=len(items)), rev)

    async def campaigns(self, caller: Caller) -> list[CampaignOverview]:
        if not caller.platform_admin:
            raise Forbidden("recert_platform_only")
        async with self.core.store.read() as tx:
            out = []
            for c in reversed(await tx.campaigns()):
                counts = dict.fromkeys((s.value for s in ItemStatus), 0)
                for i in await tx.review_items(campaign_id=c.id):
                    counts[i.status.value] += 1
                out.append(CampaignOverview(campaign=c, counts=counts))
            return out

    # --- an organisation's administrators ---------------------------------------------------------

    async def entries(self, caller: Caller, org_ref: str) -> tuple[Organisation, list[ReviewEntry]]:
        """Every item of the organisation the caller may decide (their applications), newest campaign first."""
        async with self.core.store.read() as tx:
            org = await resolve_organisation(tx, org_ref)
            admin = rules.active_admin(await tx.administrators(org.id), caller.person_id)
            if admin is None and not caller.platform_admin:
                raise Forbidden("not_an_administrator", "organisation")
            items = await tx.review_items(organisation_id=org.id)
            if not items:
                return org, []
            campaigns = {c.id: c for c in await tx.campaigns()}
            grants = {g.id: g for g in await tx.grants(organisation_id=org.id)}
            entries = []
            persons: dict[str, tuple[str, str]] = {}
            for item in items:
                grant = grants.get(item.grant_id)
                if grant is None:
                    continue
                application = self._application(grant)
                if admin is not None and not admin.administers(application):
                    continue
                if grant.person_id not in persons:
                    p = await tx.get_person(grant.person_id)
                    persons[grant.person_id] = (p.display_name, mask_national_number(p.national_number)) if p else ("?", "")
                name, masked = persons[grant.person_id]
                entries.append(ReviewEntry(item=item, campaign=campaigns[item.campaign_id], grant=grant,
                                           person_name=name, national_number=masked, application=application))
        entries.sort(key=lambda e: (not e.open, -e.campaign.started_at.timestamp(), e.person_name.lower(),
                                    e.grant.role, e.item.id))
        return org, entries

    async def pending(self, caller: Caller, org_ref: str) -> list[ReviewEntry]:
        """What is still to decide now: pending items of open campaigns before their deadline, grant active."""
        now = self.core.now()
        _, entries = await self.entries(caller, org_ref)
        return [e for e in entries if e.open and now < e.campaign.deadline and e.grant.active_at(now)]

    async def _decide(self, caller: Caller, item_id: str, reason: str | None) -> Written[ReviewItem]:
        now = self.core.now()
        async with self.core.store.write() as tx:
            item = await tx.get_review_item(item_id)
            campaign = await tx.get_campaign(item.campaign_id) if item else None
            grant = await tx.get_grant(item.grant_id) if item else None
            if item is None or campaign is None or grant is None:
                raise NotFound("unknown_recert_item", "item")
            ensure_may_decide(campaign=campaign, item=item, grant=grant, actor_person_id=caller.person_id,
                              admins=await tx.administrators(item.organisation_id),
                              application=self._application(grant), now=now)
            actor = caller.person_id or caller.subject
            if reason is None:
                decided = msgspec.structs.replace(item, status=ItemStatus.CONFIRMED, decided_by=actor, decided_at=now)
            else:
                reason = ensure_reason(reason)
                await revoke_in(self.core, tx, caller, grant, reason, at=now)
                decided = msgspec.structs.replace(item, status=ItemStatus.REVOKED, decided_by=actor, decided_at=now,
                                                  reason=reason)
            await tx.save_review_items([decided])
            rev = await record(
                self.core, tx, caller, kind=f"recertification_{decided.status.value}", entity="recertification_item",
                entity_id=item.id, organisation_id=item.organisation_id,
                data={"campaign_id": campaign.id, "grant_id": grant.id, "reason": decided.reason},
            )
        await self.core.committed(rev)
        return Written(decided, rev)

    async def confirm(self, caller: Caller, item_id: str) -> Written[ReviewItem]:
        return await self._decide(caller, item_id, None)

    async def revoke(self, caller: Caller, item_id: str, reason: str) -> Written[ReviewItem]:
        return await self._decide(caller, item_id, reason)

    # --- the periodic tick ----------------------------------------------------------------------

    async def enforce(self, now: datetime | None = None) -> TickReport:
        """Close every open campaign past its deadline, revoking what was not confirmed (idempotent)."""
        now = now or self.core.now()
        async with self.core.store.read() as tx:
            due = [c.id for c in await tx.campaigns(status=CampaignStatus.OPEN) if c.deadline <= now]
        closed = revoked = expired = 0
        for campaign_id in due:
            async with self.core.store.write() as tx:
                campaign = await tx.get_campaign(campaign_id)
                if campaign is None or campaign.status is not CampaignStatus.OPEN:
                    continue  # another run closed it meanwhile
                reason = deadline_reason(campaign)
                decided = []
                for item in await tx.review_items(campaign_id=campaign.id, status=ItemStatus.PENDING):
                    grant = await tx.get_grant(item.grant_id)
                    if grant is not None and grant.active_at(now):
                        await revoke_in(self.core, tx, SYSTEM, grant, reason, at=now)
                        decided.append(msgspec.structs.replace(item, status=ItemStatus.REVOKED, decided_by=SYSTEM_ACTOR,
                                                               decided_at=now, reason=reason))
                        revoked += 1
                    else:
                        decided.append(msgspec.structs.replace(item, status=ItemStatus.EXPIRED_BEFORE,
                                                               decided_by=SYSTEM_ACTOR, decided_at=now))
                        expired += 1
                await tx.save_review_items(decided)
                await tx.save_campaign(msgspec.structs.replace(campaign, status=CampaignStatus.CLOSED, closed_at=now))
                rev = await record(
                    self.core, tx, SYSTEM, kind="recertification_closed", entity="recertification",
                    entity_id=campaign.id, organisation_id=campaign.organisation_id,
                    data={"revoked": sum(d.status is ItemStatus.REVOKED for d in decided),
                          "expired_before": sum(d.status is ItemStatus.EXPIRED_BEFORE for d in decided)},
                )
                closed += 1
            await self.core.committed(rev)
        return TickReport(closed=closed, revoked=revoked, expired=expired)

    async def remind(self, queue: ReminderQueue, *, base_url: str = "", every_days: int = REMIND_EVERY_DAYS,
                     now: datetime | None = None) -> int:
        """One e-mail per administrator (with a contact address) of each organisation with pending items,
        at most once per ``every_days`` per organisation; how many e-mails were queued."""
        now = now or self.core.now()
        queued = 0
        async with self.core.store.write() as tx:
            by_org: dict[str, list[tuple[ReviewItem, Campaign, Grant]]] = {}
            for c in await tx.campaigns(status=CampaignStatus.OPEN):
                if c.deadline <= now:
                    continue
                for item in await tx.review_items(campaign_id=c.id, status=ItemStatus.PENDING):
                    grant = await tx.get_grant(item.grant_id)
                    if grant is not None and grant.active_at(now):
                        by_org.setdefault(item.organisation_id, []).append((item, c, grant))
            mails: list[ReminderMail] = []
            touched: list[ReviewItem] = []
            for org_id, entries in sorted(by_org.items()):
                last = max((i.reminded_at for i, _, _ in entries if i.reminded_at is not None), default=None)
                if last is not None and last > now - timedelta(days=every_days):
                    continue
                org = await tx.get_organisation(org_id)
                if org is None:
                    continue
                org_mails, seen = [], set()
                for admin in await tx.administrators(org_id):
                    address = (admin.contact.email or "").strip()
                    mine = [(i, c) for i, c, g in entries if admin.administers(self._application(g))]
                    if not address or address.lower() in seen or not mine:
                        continue
                    seen.add(address.lower())
                    org_mails.append(ReminderMail(recipient=address, subject=_subject(org.name),
                                                  body=_body(org, mine, base_url), organisation_id=org.id))
                if not org_mails:
                    continue  # nobody reachable: nothing is marked, the next tick tries again
                mails += org_mails
                touched += [msgspec.structs.replace(i, reminded_at=now) for i, _, _ in entries]
                await tx.audit(AuditEvent(
                    at=now, actor=SYSTEM.subject, actor_kind=SYSTEM.kind.value, action="recertification_reminded",
                    organisation_id=org_id, target=f"organisation:{org_id}",
                    details={"mails": len(org_mails), "items": len(entries)},
                ))
            if mails:
                queued = len(await queue.queue(tx, mails, now=now))
                await tx.save_review_items(touched)
        return queued

    async def tick(self, queue: ReminderQueue, *, base_url: str = "", every_days: int = REMIND_EVERY_DAYS,
                   now: datetime | None = None) -> TickReport:
        """What the cron job runs: remind, then enforce deadlines."""
        reminders = await self.remind(queue, base_url=base_url, every_days=every_days, now=now)
        report = await self.enforce(now)
        return msgspec.structs.replace(report, reminders=reminders)


def _day(value: datetime) -> str:
    return value.strftime("%d/%m/%Y %H:%M UTC")


def _subject(org_name: str) -> str:
    return f"Herbevestig de gebruikersrechten van {org_name} / Recertify the rights of {org_name}"[:255]


def _body(org: Organisation, mine: list[tuple[ReviewItem, Campaign]], base_url: str) -> str:
    per_campaign: dict[str, tuple[Campaign, int]] = {}
    for _, c in mine:
        per_campaign[c.id] = (c, per_campaign.get(c.id, (c, 0))[1] + 1)
    link = f"{base_url.rstrip('/')}/beheer/organisations/{org.id}/recertification"
    nl = "\n".join(f"- campagne '{c.title}': {n} recht(en), uiterlijk {_day(c.deadline)}"
                   for c, n in per_campaign.values())
    en = "\n".join(f"- campaign '{c.title}': {n} right(s), by {_day(c.deadline)}" for c, n in per_campaign.values())
    return (
        f"Beste lokale beheerder van {org.name},\n\n"
        "Bevestig of trek de volgende gebruikersrechten van uw organisatie in:\n"
        f"{nl}\n\n"
        "Wat niet bevestigd is vóór de uiterste datum, wordt automatisch ingetrokken.\n"
        f"{link}\n\n"
        "-- \n"
        f"Dear local administrator of {org.name},\n\n"
        "Please confirm or revoke these rights of your organisation:\n"
        f"{en}\n\n"
        "Whatever is not confirmed before the deadline is revoked automatically.\n"
        f"{link}\n"
    )
