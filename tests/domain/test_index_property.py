"""The index answers exactly as decide() over the same facts, through any sequence of changes.

Hypothesis drives random grants, revocations, validity changes, freezes, work relations, mandates and
clock moves; after every step every question is asked of both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rights.domain.decisions import decide
from rights.domain.index import DecisionIndex, ts
from rights.domain.model import (
    Grant,
    Mandate,
    Organisation,
    OrgStatus,
    OrgType,
    Person,
    UserType,
    WorkRelation,
)
from rights.policies import default_policies_dir, load_catalogue

CATALOGUE = load_catalogue(default_policies_dir())
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PERSONS = ["p0", "p1", "p2"]
ORGS = ["o0", "o1", "o2"]
# A role with measures and a work relation, one without work relation, and the mandate executor.
QUESTIONS = [("DWSEOrganisatieverantwoordelijke", "VOP"), ("DWSEOrganisatieverantwoordelijke", "IMW"),
             ("KIOSKAanvrager", None), ("VLAIOInkomGebruiker", None), ("SSMMandaatuitvoerder", "WSELoket"),
             ("NoSuchRole", None), ("DWSEOrganisatieverantwoordelijke", None)]
GRANTABLE = [q for q in QUESTIONS if q[0] != "NoSuchRole" and not (q[0].startswith("DWSE") and q[1] is None)]

person_ = st.sampled_from(PERSONS)
org_ = st.sampled_from(ORGS)
day_ = st.integers(min_value=-30, max_value=5)  # mostly started already: yes answers must be common
grant_ = st.tuples(st.just("grant"), person_, org_, st.sampled_from(GRANTABLE), day_, st.integers(1, 400))
relation_ = st.tuples(st.just("relation"), person_, org_, st.booleans())
step = st.one_of(
    grant_, grant_, grant_, relation_, relation_,
    st.tuples(st.just("revoke"), st.integers(0, 50)),
    st.tuples(st.just("validity"), st.integers(0, 50), day_, st.integers(1, 400)),
    st.tuples(st.just("org_status"), org_, st.sampled_from(list(OrgStatus))),
    st.tuples(st.just("person_frozen"), person_, st.booleans()),
    st.tuples(st.just("mandate"), org_, org_, st.sampled_from([("WSELoket",), ("VLAIOInkom",)]),
              st.sampled_from([(), ("VOP",), ("IMW",)]), day_, st.one_of(st.none(), st.integers(1, 400))),
    st.tuples(st.just("accept"), st.integers(0, 10), st.sampled_from(["mandator", "holder"])),
    st.tuples(st.just("revoke_mandate"), st.integers(0, 10)),
    st.tuples(st.just("clock"), st.integers(-5, 60)),
)


class World:
    def __init__(self) -> None:
        self.now = T0
        self.orgs = {o: Organisation(id=o, type=OrgType.COMPANY, name=o) for o in ORGS}
        self.persons = {p: Person(id=p, national_number=p, given_name=p, family_name=p) for p in PERSONS}
        self.grants: list[Grant] = []
        self.relations: dict[tuple[str, str], WorkRelation] = {}
        self.all_relations: dict[str, WorkRelation] = {}
        self.mandates: list[Mandate] = []
        self.index = DecisionIndex(CATALOGUE)
        for o in self.orgs.values():
            self.index.put_organisation(o)
        for p in self.persons.values():
            self.index.put_person(p)

    def apply(self, s: tuple) -> None:
        kind, *a = s
        n = self.now
        if kind == "grant":
            p, o, (role, measure), start, length = a
            g = Grant(id=f"g{len(self.grants):03d}", person_id=p, organisation_id=o, role=role, measure=measure,
                      valid_from=n + timedelta(days=start), valid_until=n + timedelta(days=start + length),
                      granted_by="x", granted_at=n)
            self.grants.append(g)
            self.index.put_grant(g)
        elif kind == "revoke" and self.grants:
            i = a[0] % len(self.grants)
            if self.grants[i].revoked_at is None:
                self.grants[i] = msgspec.structs.replace(self.grants[i], revoked_at=n)
                self.index.put_grant(self.grants[i])
        elif kind == "validity" and self.grants:
            i, start, length = a[0] % len(self.grants), a[1], a[2]
            self.grants[i] = msgspec.structs.replace(
                self.grants[i], valid_from=n + timedelta(days=start), valid_until=n + timedelta(days=start + length))
            self.index.put_grant(self.grants[i])
        elif kind == "org_status":
            self.orgs[a[0]] = msgspec.structs.replace(self.orgs[a[0]], status=a[1])
            self.index.set_organisation_status(a[0], a[1])
        elif kind == "person_frozen":
            self.persons[a[0]] = msgspec.structs.replace(self.persons[a[0]], frozen=a[1])
            self.index.set_person_frozen(a[0], a[1])
        elif kind == "relation":
            p, o, on = a
            old = self.relations.get((p, o))
            if on and (old is None or old.ended_at is not None):
                w = WorkRelation(id=f"w{p}{o}{len(self.grants)}{n.timestamp()}", person_id=p, organisation_id=o,
                                 user_type=UserType.PERMANENT, started_at=n)
            elif not on and old is not None and old.ended_at is None:
                w = msgspec.structs.replace(old, ended_at=n)
            else:
                return
            if old is not None and old.id != w.id and old.ended_at is None:
                return
            self.relations[(p, o)] = w
            self.all_relations[w.id] = w
            self.index.put_work_relation(w)
        elif kind == "mandate":
            mandator, holder, apps, measures, start, length = a
            if mandator == holder:
                return
            m = Mandate(id=f"m{len(self.mandates):02d}", mandator_id=mandator, holder_id=holder,
                        applications=apps, measures=measures, valid_from=n + timedelta(days=start),
                        valid_until=None if length is None else n + timedelta(days=start + length),
                        proposed_by="x", proposed_at=n)
            self.mandates.append(m)
            self.index.put_mandate(m)
        elif kind == "accept" and self.mandates:
            i = a[0] % len(self.mandates)
            side = {"mandator": "mandator_accepted", "holder": "holder_accepted"}[a[1]]
            if getattr(self.mandates[i], f"{side}_at") is None:
                self.mandates[i] = msgspec.structs.replace(self.mandates[i], **{f"{side}_at": n, f"{side}_by": "x"})
                self.index.put_mandate(self.mandates[i])
        elif kind == "revoke_mandate" and self.mandates:
            i = a[0] % len(self.mandates)
            if self.mandates[i].revoked_at is None:
                self.mandates[i] = msgspec.structs.replace(self.mandates[i], revoked_at=n)
                self.index.put_mandate(self.mandates[i])
        elif kind == "clock":
            self.now = n + timedelta(days=a[0], hours=a[0] % 7)

    def assert_agree(self) -> None:
        # Ended relations stay in history (the clock may move back into them).
        relations = list(self.all_relations.values())
        for p, o, (role, measure) in product(PERSONS, ORGS, QUESTIONS):
            expected = decide(
                org=self.orgs[o], person=self.persons[p], role=CATALOGUE.roles.get(role), measure=measure,
                grants=self.grants, work_relations=relations, at=self.now, mandates=self.mandates,
                holders=self.orgs, executor=CATALOGUE.mandate_executor,
            )
            got = self.index.check(self.index.person_ix(p), self.index.organisation_ix(o), role, measure,
                                   ts(self.now))
            assert (got.allowed, got.reason) == (expected.allowed, expected.reason), (p, o, role, measure)
            assert got.grant_id == (expected.grant.id if expected.grant else None)
            assert got.mandate_id == (expected.mandate.id if expected.mandate else None)
            if not got.allowed:
                assert got.reasons == expected.reasons


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=40))
def test_index_equals_reference_evaluation(steps) -> None:
    world = World()
    for s in steps:
        world.apply(s)
        world.assert_agree()


def test_unknowns() -> None:
    index = DecisionIndex(CATALOGUE)
    assert index.check(0, None, "X", None, 0).reason == "unknown_organisation"
    assert index.check(None, 0, "X", None, 0).reason == "unknown_person"
    assert index.check(None, None, "X", None, 0).reason == "unknown_organisation"
