"""Every answer's revision is exactly the state it reflects (issue 18), in one process.

A writer grants and revokes one right over and over through the use cases; readers on the writer's own
index and on a second keeper over the same database (another "process" that learns of the writes from
the change log) ask check, batch, organisations-of, persons-of and claims questions meanwhile. Each
answer is then held against the change log at the revision it reported (tests/revision_promise.py).
The two-process variant over HTTP is in tests/test_two_processes.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from rights.domain.commands import (
    Appointment,
    CheckQuestion,
    IdentifiersInput,
    NewGrant,
    NewOrganisation,
    NewPerson,
    NewWorkRelation,
    Revocation,
)
from rights.domain.keeper import IndexKeeper
from rights.domain.model import OrgType, UserType
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import Services, build_services
from rights.policies import default_policies_dir, load_catalogue
from rights.storage import SqlStore
from tests.api.conftest import enterprise_number, national_number
from tests.revision_promise import HELD, Log, Seen

CATALOGUE = load_catalogue(default_policies_dir())
PLATFORM = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="platform:test")
DESK = Caller(kind=PrincipalKind.SERVICE, subject="service:test")
ROLE, MEASURE = "DWSEOrganisatieverantwoordelijke", "VOP"
CYCLES, READERS = 30, 6


async def _world(services: Services) -> tuple[str, str, str, Caller]:
    number = enterprise_number(4567891)
    org = (await services.organisations.create(PLATFORM, NewOrganisation(
        type=OrgType.COMPANY, name="Boulangerie Dupré BV", identifiers=IdentifiersInput(enterprise_number=number),
    ))).value.id
    admin, an = [(await services.people.register(PLATFORM, NewPerson(
        national_number=national_number("800101", 10 + i), given_name=f"P{i}", family_name="T")))[0].value.id
        for i in range(2)]
    await services.people.appoint(PLATFORM, org, Appointment(person=admin, main=True))
    await services.people.add_work_relation(PLATFORM, org, NewWorkRelation(person=an, user_type=UserType.PERMANENT))
    return org, number, an, Caller(kind=PrincipalKind.PERSON, subject="admin", person_id=admin)


async def _read(name: str, services: Services, org: str, number: str, an: str, seen: list[Seen],
                done: asyncio.Event) -> None:
    checks = services.checks
    q = CheckQuestion(person=an, organisation=org, role=ROLE, measure=MEASURE)
    other = CheckQuestion(person=an, organisation=org, role=ROLE, measure="IMW")
    past = CheckQuestion(person=an, organisation=org, role=ROLE, measure=MEASURE, at=datetime(2026, 1, 1, tzinfo=UTC))
    claim = f"{ROLE}-{MEASURE}:{number}"
    i = 0
    while not done.is_set():
        kind = i % 5
        i += 1
        if kind == 0:
            a = await checks.check(DESK, q)
            seen.append(Seen(f"{name} check", a.revision, a.verdict.grant_id))
        elif kind == 1:  # a batch reports its answers' lowest revision (an ``at`` one is read from the store)
            answers = await checks.batch(DESK, [q, other, q, past, q])
            revision = min(a.revision for a in answers)
            seen += [Seen(f"{name} batch", revision, a.verdict.grant_id) for a in answers[::2]]
        elif kind == 2:
            rows, revision = await checks.organisations_of(DESK, an, role=ROLE, measure=MEASURE)
            seen.append(Seen(f"{name} organisations", revision, dict(rows).get(org, [None])[0]))
        elif kind == 3:
            _, rows, revision = await checks.persons_of(org, role=ROLE, measure=MEASURE)
            seen.append(Seen(f"{name} persons", revision, dict(rows).get(an, [None])[0]))
        else:
            claims, revision = await checks.claims(DESK, an, application=None)
            seen.append(Seen(f"{name} claims", revision, HELD if claim in claims else None))
        await asyncio.sleep(0)


async def test_every_answer_reflects_exactly_the_revision_it_reports(store: SqlStore) -> None:
    keeper = IndexKeeper(store, CATALOGUE, poll_interval=0.005)
    services = build_services(store, CATALOGUE, keeper=keeper)
    other_keeper = IndexKeeper(store, CATALOGUE, poll_interval=0.005)  # a second process's index
    other = build_services(store, CATALOGUE, keeper=other_keeper)
    org, number, an, admin = await _world(services)
    await keeper.start()
    await other_keeper.start()
    seen: list[Seen] = []
    done = asyncio.Event()
    readers = [asyncio.create_task(_read(f"{name}{i}", s, org, number, an, seen, done))
               for i in range(READERS // 2) for name, s in (("writer's", services), ("other's", other))]
    grant_ids: set[str] = set()
    try:
        for _ in range(CYCLES):
            g = (await services.grants.grant(admin, NewGrant(person=an, organisation=org, role=ROLE,
                                                              measure=MEASURE))).value
            grant_ids.add(g.id)
            await asyncio.sleep(0)
            await services.grants.revoke(admin, g.id, Revocation(reason="toggle"))
            await asyncio.sleep(0)
        await asyncio.wait_for(other_keeper.wait_for(await _latest(store), 5), 10)
    finally:
        done.set()
        await asyncio.gather(*readers)
        await keeper.stop()
        await other_keeper.stop()
    async with store.read() as tx:
        log = Log([(c.revision, c.kind, c.entity_id) for c in await tx.changes(entity="grant", limit=100_000)],
                  grant_ids)
    assert len(log.revisions) == 2 * CYCLES
    held = [s for s in seen if s.grant_id is not None]
    assert held and len(held) < len(seen), "the readers saw the right both held and not held"
    broken = log.broken(seen)
    assert not broken, f"{len(broken)} of {len(seen)} answers broke the revision promise: {broken[:5]}"


async def _latest(store: SqlStore) -> int:
    async with store.read() as tx:
        return await tx.latest_revision()


class _SlowStore:
    """Just enough of a store for catch_up: an empty change log that takes a moment to read."""

    def read(self):  # type: ignore[no-untyped-def]
        store = self

        class _Read:
            async def __aenter__(self):  # type: ignore[no-untyped-def]
                return store

            async def __aexit__(self, *exc: object) -> None:
                return None

        return _Read()

    async def changes(self, *, after: int = 0, limit: int = 100) -> list:
        await asyncio.sleep(0.01)
        return []


def test_a_keeper_can_be_driven_from_another_event_loop() -> None:
    """Two catch-ups at once on one loop, then on another: no "bound to a different event loop"."""
    keeper = IndexKeeper(_SlowStore(), CATALOGUE)  # type: ignore[arg-type]

    async def twice() -> list[int]:
        return await asyncio.gather(keeper.catch_up(), keeper.catch_up())

    assert asyncio.run(twice()) == [0, 0]
    assert asyncio.run(twice()) == [0, 0]
