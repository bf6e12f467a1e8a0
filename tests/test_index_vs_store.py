"""Through the real services and store, the index (kept current from the change log) answers exactly as
a direct evaluation over what is stored, whatever happens and whenever we ask.

Hypothesis drives grants, revocations, validity changes, freezes, mandates and clock moves through the
use cases on SQLite; after each step every question is asked of the index and of the store.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rights.domain.commands import (
    Appointment,
    CheckQuestion,
    IdentifiersInput,
    MandateDecision,
    NewGrant,
    NewMandate,
    NewOrganisation,
    NewPerson,
    NewWorkRelation,
    Revocation,
    StatusChange,
    ValidityChange,
)
from rights.domain.errors import DomainError
from rights.domain.keeper import IndexKeeper
from rights.domain.model import OrgStatus, OrgType, UserType
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import build_services
from rights.policies import default_policies_dir, load_catalogue
from rights.storage import create_store, default_sqlite_url
from rights.storage.migrate import upgrade
from tests.api.conftest import enterprise_number, national_number

CATALOGUE = load_catalogue(default_policies_dir())
PLATFORM = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="platform:test")
DESK = Caller(kind=PrincipalKind.SERVICE, subject="service:test")
QUESTIONS = [("DWSEOrganisatieverantwoordelijke", "VOP"), ("DWSEOrganisatieverantwoordelijke", "IMW"),
             ("KIOSKAanvrager", None), ("SSMMandaatuitvoerder", "WSELoket")]


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


step = st.one_of(
    st.tuples(st.just("grant"), st.integers(0, 1), st.integers(0, 1), st.sampled_from(QUESTIONS),
              st.integers(-3, 2), st.integers(1, 60)),
    st.tuples(st.just("revoke"), st.integers(0, 20)),
    st.tuples(st.just("validity"), st.integers(0, 20), st.integers(-3, 3), st.integers(1, 60)),
    st.tuples(st.just("freeze"), st.integers(0, 1), st.sampled_from([OrgStatus.FROZEN, OrgStatus.ACTIVE])),
    st.tuples(st.just("person"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("mandate"), st.sampled_from([(), ("VOP",)]), st.integers(-2, 2), st.integers(1, 30)),
    st.tuples(st.just("accept"), st.integers(0, 5)),
    st.tuples(st.just("unmandate"), st.integers(0, 5)),
    st.tuples(st.just("clock"), st.integers(0, 40)),
)


async def scenario(steps: list[tuple], directory: Path) -> None:
    url = default_sqlite_url(directory)
    await upgrade(url)
    store = create_store(url)
    clock = Clock()
    keeper = IndexKeeper(store, CATALOGUE, poll_interval=60)
    services = build_services(store, CATALOGUE, clock, keeper=keeper)
    try:
        orgs, admins, persons = [], [], []
        for i in range(2):
            org = (await services.organisations.create(PLATFORM, NewOrganisation(
                type=OrgType.COMPANY, name=f"Org {i}", identifiers=IdentifiersInput(enterprise_number=enterprise_number(1000 + i)),
            ))).value
            orgs.append(org.id)
        for i in range(4):
            w, _ = await services.people.register(PLATFORM, NewPerson(
                national_number=national_number("800101", 10 + i), given_name=f"P{i}", family_name="T"))
            persons.append(w.value.id)
        # persons 2 and 3 administer org 0 and org 1; persons 0 and 1 work at both.
        for i, org in enumerate(orgs):
            await services.people.appoint(PLATFORM, org, Appointment(person=persons[2 + i], main=True))
            for p in persons[:2]:
                await services.people.add_work_relation(PLATFORM, org, NewWorkRelation(person=p, user_type=UserType.PERMANENT))
        admins = [Caller(kind=PrincipalKind.PERSON, subject=f"a{i}", person_id=persons[2 + i]) for i in range(2)]
        await keeper.start()
        grants: list[str] = []
        mandates: list[str] = []
        for s in steps:
            kind, *a = s
            try:
                if kind == "grant":
                    p, o, (role, measure), start, length = a
                    frm = clock.at + timedelta(days=start)
                    g = await services.grants.grant(admins[o], NewGrant(
                        person=persons[p], organisation=orgs[o], role=role, measure=measure,
                        valid_from=frm, valid_until=frm + timedelta(days=length)))
                    grants.append(g.value.id)
                elif kind == "revoke" and grants:
                    gid = grants[a[0] % len(grants)]
                    g = await services.grants.get(PLATFORM, gid)
                    await services.grants.revoke(admins[orgs.index(g.organisation_id)], gid, Revocation(reason="x"))
                elif kind == "validity" and grants:
                    gid = grants[a[0] % len(grants)]
                    g = await services.grants.get(PLATFORM, gid)
                    frm = clock.at + timedelta(days=a[1])
                    await services.grants.change_validity(admins[orgs.index(g.organisation_id)], gid, ValidityChange(
                        valid_from=frm, valid_until=frm + timedelta(days=a[2])))
                elif kind == "freeze":
                    await services.organisations.set_status(PLATFORM, orgs[a[0]], a[1], StatusChange())
                elif kind == "person":
                    await services.people.set_frozen(PLATFORM, persons[a[0]], a[1], "x")
                elif kind == "mandate":
                    frm = clock.at + timedelta(days=a[1])
                    m = await services.mandates.propose(admins[0], NewMandate(
                        mandator=orgs[0], holder=orgs[1], applications=("WSELoket",), measures=a[0],
                        valid_from=frm, valid_until=frm + timedelta(days=a[2])))
                    mandates.append(m.value.id)
                elif kind == "accept" and mandates:
                    await services.mandates.accept(admins[1], mandates[a[0] % len(mandates)], MandateDecision())
                elif kind == "unmandate" and mandates:
                    await services.mandates.revoke(admins[1], mandates[a[0] % len(mandates)], MandateDecision())
                elif kind == "clock":
                    clock.at += timedelta(days=a[0], hours=a[0] % 5)
            except DomainError:
                pass  # refused by a rule: nothing written, both sides must still agree
            for p, o, (role, measure) in product(persons[:2], orgs, QUESTIONS):
                q = CheckQuestion(person=p, organisation=o, role=role, measure=measure)
                from_index = await services.checks.check(DESK, q)
                from_store = await services.checks._check_from_store(q, clock.at)
                assert from_index.verdict == from_store.verdict, (s, p, o, role, measure)
                assert from_index.revision == from_store.revision
    finally:
        await keeper.stop()
        await store.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=14))
def test_index_equals_the_store(steps) -> None:
    with tempfile.TemporaryDirectory() as d:
        asyncio.run(scenario(steps, Path(d)))
