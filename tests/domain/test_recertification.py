"""Recertification campaigns on both backends: every refusal, the snapshot's age boundary, the deadline
(revokes only what is unconfirmed and still active, with the reason in the grant and the audit trail,
idempotent and safe when run twice at once) and reminders (once per period, one recipient per mail)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from rights.domain.campaigns import SYSTEM_ACTOR, CampaignStatus, ItemStatus
from rights.domain.commands import Revocation
from rights.domain.errors import Conflict, Forbidden, InvalidInput
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import Services, build_services
from rights.domain.services.recertification import NewCampaign, ReviewEntry
from rights.mail.reminders import OutboxReminders
from rights.mail.sql import SqlOutbox
from rights.policies import default_policies_dir, load_catalogue
from rights.seeding import Seed, apply_seed, load_seed
from rights.storage import SqlStore

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
KEEP = {"bakkerij-peeters", "cijferaar"}
PLATFORM = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="platform:test")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class World:
    def __init__(self, services: Services, clock: Clock, store: SqlStore, people: dict[str, str],
                 orgs: dict[str, str]) -> None:
        self.services, self.clock, self.store, self.people, self.orgs = services, clock, store, people, orgs
        self.recert = services.recertification

    def who(self, key: str) -> Caller:
        return Caller(kind=PrincipalKind.PERSON, subject=f"person:test:{key}", person_id=self.people[key])

    async def item(self, org: str, person: str, role: str, measure: str | None = None) -> ReviewEntry:
        _, entries = await self.recert.entries(PLATFORM, self.orgs[org])
        return next(e for e in entries if e.open and e.grant.person_id == self.people[person]
                    and e.grant.role == role and e.grant.measure == measure)


def _small_seed() -> Seed:
    """The demo seed cut down to Bakkerij Peeters and De Cijferaar (and the people they need)."""
    seed = load_seed(SEEDS / "demo.yaml")
    keep = lambda rows: tuple(r for r in rows if r.organisation in KEEP)  # noqa: E731
    people = {r.person for part in (seed.administrators, seed.work_relations, seed.grants) for r in keep(part)}
    return msgspec.structs.replace(
        seed, organisations=tuple(o for o in seed.organisations if o.key in KEEP),
        persons=tuple(p for p in seed.persons if p.key in people),
        legal_representatives=keep(seed.legal_representatives), administrators=keep(seed.administrators),
        work_relations=keep(seed.work_relations), grants=keep(seed.grants))


@pytest.fixture
async def world(store: SqlStore) -> World:
    clock = Clock(T0)
    services = build_services(store, load_catalogue(default_policies_dir()), clock)
    seed = _small_seed()
    await apply_seed(services, seed)
    async with store.read() as tx:
        people = {p.key: (await tx.find_person(re.sub(r"\D", "", p.national_number))).id for p in seed.persons}
        orgs = {"bakkerij-peeters": (await services.organisations.get(PLATFORM, "0723145688")).id,
                "cijferaar": (await services.organisations.get(PLATFORM, "0471230948")).id}
    return World(services, clock, store, people, orgs)


def campaign(w: World, *, days_left: float = 30, min_age_days: int = 30, org: str | None = None,
             title: str = "Jaarlijkse controle") -> NewCampaign:
    return NewCampaign(title=title, min_age_days=min_age_days, deadline=w.clock.at + timedelta(days=days_left),
                       organisation=w.orgs[org] if org else None)


# --- starting a campaign --------------------------------------------------------------------------


async def test_only_platform_staff_start_a_campaign_with_a_future_deadline(world: World) -> None:
    w = world
    w.clock.at = T0 + timedelta(days=40)
    with pytest.raises(Forbidden) as refused:
        await w.recert.start(w.who("bert"), campaign(w))
    assert refused.value.code == "recert_platform_only"
    with pytest.raises(InvalidInput) as past:
        await w.recert.start(PLATFORM, campaign(w, days_left=-1))
    assert (past.value.code, past.value.field) == ("recert_deadline_in_past", "deadline")
    with pytest.raises(InvalidInput) as now:
        await w.recert.start(PLATFORM, campaign(w, days_left=0))
    assert now.value.field == "deadline"
    with pytest.raises(InvalidInput) as age:
        await w.recert.start(PLATFORM, campaign(w, min_age_days=-1))
    assert age.value.field == "min_age_days"
    with pytest.raises(InvalidInput) as title:
        await w.recert.start(PLATFORM, campaign(w, title="   "))
    assert title.value.field == "title"
    with pytest.raises(Forbidden):
        await w.recert.campaigns(w.who("bert"))
    assert await w.recert.campaigns(PLATFORM) == []  # nothing was written


async def test_the_snapshot_takes_grants_exactly_old_enough(world: World) -> None:
    w = world
    w.clock.at = T0 + timedelta(days=30) - timedelta(seconds=1)  # one second too young
    started = await w.recert.start(PLATFORM, campaign(w))
    assert started.value.items == 0
    w.clock.at = T0 + timedelta(days=30)  # exactly 30 days old: in
    started = await w.recert.start(PLATFORM, campaign(w, org="bakkerij-peeters"))
    assert started.value.items == 4  # An VOP and IMW, Sofie's training leave, Koen's SME wallet
    assert started.value.campaign.organisation_id == w.orgs["bakkerij-peeters"]
    # Every organisation: only what is not already pending in an open campaign (De Cijferaar's three).
    everyone = await w.recert.start(PLATFORM, campaign(w))
    assert everyone.value.items == 3
    _, entries = await w.recert.entries(PLATFORM, w.orgs["cijferaar"])
    assert {e.grant.role for e in entries} == {"SubsidiepuntGebruiker", "SSMMandaatbeheerder", "SSMMandaatuitvoerder"}


async def test_revoked_and_recently_confirmed_grants_are_not_asked_again(world: World) -> None:
    w = world
    w.clock.at = T0 + timedelta(days=40)
    first = (await w.recert.start(PLATFORM, campaign(w, org="bakkerij-peeters", days_left=10))).value
    an_vop = await w.item("bakkerij-peeters", "an", "DWSEOrganisatieverantwoordelijke", "VOP")
    await w.recert.confirm(w.who("sofie"), an_vop.item.id)
    koen = await w.item("bakkerij-peeters", "koen", "VLAIOInkomGebruiker")
    await w.services.grants.revoke(w.who("bert"), koen.grant.id, Revocation(reason="boekhouder gewisseld"))
    w.clock.at = first.campaign.deadline + timedelta(hours=1)
    await w.recert.enforce()
    # 20 days after the confirmation, a 30-day campaign skips An's VOP right and the revoked ones.
    w.clock.at = T0 + timedelta(days=60)
    again = await w.recert.start(PLATFORM, campaign(w, org="bakkerij-peeters"))
    assert again.value.items == 0


# --- deciding -------------------------------------------------------------------------------------


async def test_who_may_decide_and_when(world: World) -> None:
    w = world
    w.clock.at = T0 + timedelta(days=40)
    await w.recert.start(PLATFORM, campaign(w, days_left=5))
    vop = await w.item("bakkerij-peeters", "an", "DWSEOrganisatieverantwoordelijke", "VOP")
    imw = await w.item("bakkerij-peeters", "an", "DWSEOrganisatieverantwoordelijke", "IMW")
    wallet = await w.item("bakkerij-peeters", "koen", "VLAIOInkomGebruiker")

    for caller, code in ((w.who("an"), "not_an_administrator"),       # not an administrator
                         (w.who("griet"), "not_an_administrator"),    # administrator of another organisation
                         (PLATFORM, "not_an_administrator")):         # platform staff do not recertify
        with pytest.raises(Forbidden) as refused:
            await w.recert.confirm(caller, vop.item.id)
        assert refused.value.code == code
    with pytest.raises(Forbidden) as scope:  # Sofie administers the WSE applications only
        await w.recert.confirm(w.who("sofie"), wallet.item.id)
    assert scope.value.code == "application_not_administered"
    with pytest.raises(Forbidden):
        await w.recert.entries(w.who("griet"), w.orgs["bakkerij-peeters"])
    _, sofies = await w.recert.entries(w.who("sofie"), w.orgs["bakkerij-peeters"])
    assert "VLAIOInkomGebruiker" not in {e.grant.role for e in sofies}
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d\d-\*\*\*\.\*\*", e.national_number) for e in sofies)

    with pytest.raises(InvalidInput) as reason:
        await w.recert.revoke(w.who("sofie"), imw.item.id, "  ")
    assert (reason.value.code, reason.value.field) == ("recert_reason_required", "reason")
    assert (await w.services.grants.get(PLATFORM, imw.grant.id)).revoked_at is None  # nothing written

    await w.recert.confirm(w.who("sofie"), vop.item.id)
    with pytest.raises(Conflict) as twice:
        await w.recert.confirm(w.who("bert"), vop.item.id)
    assert twice.value.code == "recert_already_decided"
    with pytest.raises(Conflict):
        await w.recert.revoke(w.who("bert"), vop.item.id, "toch niet")

    revoked = (await w.recert.revoke(w.who("bert"), imw.item.id, "Werkt niet meer aan Maatwerk")).value
    assert revoked.status is ItemStatus.REVOKED
    grant = await w.services.grants.get(PLATFORM, imw.grant.id)
    assert grant.revoke_reason == "Werkt niet meer aan Maatwerk" and grant.revoked_by == w.people["bert"]

    w.clock.at = T0 + timedelta(days=45)  # the deadline itself: too late
    with pytest.raises(Conflict) as late:
        await w.recert.confirm(w.who("bert"), wallet.item.id)
    assert late.value.code == "recert_deadline_passed"
    assert await w.recert.pending(w.who("bert"), w.orgs["bakkerij-peeters"]) == []


# --- the deadline ---------------------------------------------------------------------------------


async def test_the_deadline_revokes_only_unconfirmed_active_grants_once(world: World) -> None:
    w = world
    w.clock.at = T0 + timedelta(days=40)
    started = (await w.recert.start(PLATFORM, campaign(w, org="bakkerij-peeters", days_left=7))).value
    vop = await w.item("bakkerij-peeters", "an", "DWSEOrganisatieverantwoordelijke", "VOP")
    leave = await w.item("bakkerij-peeters", "sofie", "Opleidingsverlof")
    wallet = await w.item("bakkerij-peeters", "koen", "VLAIOInkomGebruiker")
    imw = await w.item("bakkerij-peeters", "an", "DWSEOrganisatieverantwoordelijke", "IMW")
    await w.recert.confirm(w.who("sofie"), vop.item.id)
    await w.services.grants.revoke(w.who("bert"), wallet.grant.id, Revocation(reason="boekhouder gewisseld"))

    w.clock.at = started.campaign.deadline - timedelta(seconds=1)
    assert (await w.recert.enforce()).closed == 0  # not yet
    w.clock.at = started.campaign.deadline + timedelta(minutes=5)
    report = await w.recert.enforce()
    assert (report.closed, report.revoked, report.expired) == (1, 2, 1)

    for entry in (leave, imw):
        grant = await w.services.grants.get(PLATFORM, entry.grant.id)
        assert grant.revoked_at == w.clock.at and grant.revoked_by == SYSTEM_ACTOR
        assert grant.revoke_reason is not None
        assert grant.revoke_reason.startswith("Niet herbevestigd in campagne 'Jaarlijkse controle' vóór ")
        assert "Not recertified in campaign 'Jaarlijkse controle' before" in grant.revoke_reason
        _, history = await w.services.grants.history(PLATFORM, entry.grant.id)
        assert history[-1].kind == "grant_revoked" and history[-1].actor == SYSTEM_ACTOR
    assert (await w.services.grants.get(PLATFORM, vop.grant.id)).active_at(w.clock.at)  # confirmed: kept
    wallet_grant = await w.services.grants.get(PLATFORM, wallet.grant.id)
    assert wallet_grant.revoke_reason == "boekhouder gewisseld"  # revoked before: left as it was

    _, entries = await w.recert.entries(PLATFORM, w.orgs["bakkerij-peeters"])
    status = {e.grant.id: e.item.status for e in entries}
    assert status == {vop.grant.id: ItemStatus.CONFIRMED, leave.grant.id: ItemStatus.REVOKED,
                      imw.grant.id: ItemStatus.REVOKED, wallet.grant.id: ItemStatus.EXPIRED_BEFORE}
    assert all(e.campaign.status is CampaignStatus.CLOSED for e in entries)
    async with w.store.read() as tx:
        audit = [e for _, e in await tx.audit_events(organisation_id=w.orgs["bakkerij-peeters"], limit=1000)]
        revision = await tx.latest_revision()
    revoked_by_system = [e for e in audit if e.action == "grant_revoked" and e.actor == SYSTEM_ACTOR]
    assert {e.target for e in revoked_by_system} == {f"grant:{leave.grant.id}", f"grant:{imw.grant.id}"}
    assert any(e.action == "recertification_closed" for e in audit)

    # Again, later: nothing changes.
    w.clock.at += timedelta(days=1)
    assert (await w.recert.enforce()).closed == 0
    async with w.store.read() as tx:
        assert await tx.latest_revision() == revision


async def test_two_enforcers_at_once_revoke_each_grant_once(world: World) -> None:
    w = world
    w.clock.at = T0 + timedelta(days=40)
    await w.recert.start(PLATFORM, campaign(w, days_left=1))
    w.clock.at += timedelta(days=2)
    first, second = await asyncio.gather(w.recert.enforce(), w.recert.enforce())
    assert first.closed + second.closed == 1
    assert first.revoked + second.revoked == 7
    for org in w.orgs.values():
        for g in await w.services.grants.of_organisation(PLATFORM, org):
            assert g.version == 2 and g.revoked_by == SYSTEM_ACTOR


# --- reminders ------------------------------------------------------------------------------------


async def test_reminders_once_per_period_one_recipient_each(world: World) -> None:
    w = world
    outbox = SqlOutbox(w.store.engine)
    queue = OutboxReminders(outbox)
    w.clock.at = T0 + timedelta(days=40)
    await w.recert.start(PLATFORM, campaign(w, days_left=20))

    assert await w.recert.remind(queue, base_url="https://rights.example", every_days=7) == 3
    mails = await outbox.list()
    assert sorted(m.recipient for m in mails) == [
        "bert@bakkerij-peeters.example.be", "griet@decijferaar.example.be", "sofie.vermeulen@example.be"]
    for m in mails:
        assert m.kind == "recertification_reminder" and "," not in m.recipient
        assert "Beste lokale beheerder" in m.body and "Dear local administrator" in m.body
        assert f"https://rights.example/beheer/organisations/{m.organisation_id}/recertification" in m.body
        assert not re.search(r"(?<!\w)\d{11}(?!\w)|\d\d\.\d\d\.\d\d-\d{3}\.\d\d", m.body)  # no national number at all
    bert = next(m for m in mails if m.recipient.startswith("bert"))
    assert "4 recht(en)" in bert.body
    sofie = next(m for m in mails if m.recipient.startswith("sofie"))
    assert "3 recht(en)" in sofie.body  # her applications only

    w.clock.at += timedelta(days=6, hours=23)
    assert await w.recert.remind(queue, every_days=7) == 0
    w.clock.at += timedelta(hours=1)
    assert await w.recert.remind(queue, every_days=7) == 3
    # Once everything of the bakery is decided, only De Cijferaar is reminded.
    _, entries = await w.recert.entries(PLATFORM, w.orgs["bakkerij-peeters"])
    for e in entries:
        await w.recert.confirm(w.who("bert"), e.item.id)
    w.clock.at += timedelta(days=7)
    assert await w.recert.remind(queue, every_days=7) == 1
    assert (await outbox.list())[-1].recipient == "griet@decijferaar.example.be"
    # After the deadline nobody is reminded; the tick closes the campaign instead.
    w.clock.at += timedelta(days=30)
    report = await w.recert.tick(queue, every_days=7)
    assert (report.reminders, report.closed, report.revoked) == (0, 1, 3)


async def test_reminders_reach_a_real_smtp_server_one_recipient_each(world: World) -> None:
    from aiosmtpd.controller import Controller

    from rights.mail.sender import OutboxWorker, SmtpSender
    from tests.mail.conftest import Inbox, free_port

    w = world
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        outbox = SqlOutbox(w.store.engine)
        w.clock.at = T0 + timedelta(days=40)
        await w.recert.start(PLATFORM, campaign(w, org="bakkerij-peeters", days_left=20))
        assert await w.recert.remind(OutboxReminders(outbox), base_url="https://rights.example") == 2
        worker = OutboxWorker(outbox, SmtpSender("127.0.0.1", port, "noreply@rights.invalid"), now=w.clock.now)
        assert await worker.run_once() == 2
    finally:
        smtp.stop()
    assert sorted(m["X-Envelope-To"] for m in inbox.messages) == [
        "bert@bakkerij-peeters.example.be", "sofie.vermeulen@example.be"]
    for m in inbox.messages:
        assert "Herbevestig de gebruikersrechten van Bakkerij Peeters BV" in m["Subject"]
        body = m.get_payload(decode=True).decode()
        assert "Beste lokale beheerder" in body and "Dear local administrator" in body
