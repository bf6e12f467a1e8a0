"""The conformance suite for the Store port, run against every SQL backend (``store`` is parametrized).

An in-memory twin of the store should pass these same tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from msgspec.structs import replace

from rights.domain.errors import Conflict, NotFound
from rights.domain.identifiers import IdentifierKind
from rights.domain.model import (
    Address,
    Administrator,
    AuditEvent,
    ContactCard,
    Grant,
    LegalRepresentative,
    Organisation,
    OrgIdentifiers,
    OrgStatus,
    OrgType,
    Person,
    UserType,
    WorkRelation,
)
from rights.storage import SqlStore, StorageError

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
BRUSSELS_SUMMER = timezone(timedelta(hours=2))


def org(org_id: str, name: str = "Org", **kw: object) -> Organisation:
    return Organisation(id=org_id, type=kw.pop("type", OrgType.COMPANY), name=name, **kw)  # type: ignore[arg-type]


def person(person_id: str, nrn: str, **kw: object) -> Person:
    return Person(id=person_id, national_number=nrn, given_name="An", family_name="Peeters", **kw)  # type: ignore[arg-type]


def grant(grant_id: str, **kw: object) -> Grant:
    values: dict = {
        "person_id": "p1",
        "organisation_id": "o1",
        "role": "dossier_reader",
        "measure": None,
        "valid_from": T0,
        "valid_until": T0 + timedelta(days=365),
        "granted_by": "adm_1",
        "granted_at": T0,
    } | kw
    return Grant(id=grant_id, **values)


async def seed(store: SqlStore) -> None:
    async with store.write() as tx:
        await tx.add_organisation(org("o1", "Acme"))
        await tx.add_person(person("p1", "85073003328"))


AFFLIGEM_IDS = OrgIdentifiers(
    enterprise_number="0207437468",
    establishment_numbers=("2001234567", "2000000123"),
    ovo_code="OVO002949",
    nis_code="23105",
)


# --- organisations ---------------------------------------------------------------------------


async def test_organisation_round_trip_and_identifier_lookup(store: SqlStore) -> None:
    parent = org("o_parent", "Provincie Vlaams-Brabant", type=OrgType.LOCAL_GOVERNMENT)
    affligem = org(
        "o_affligem",
        "Gemeente Affligem",
        type=OrgType.LOCAL_GOVERNMENT,
        short_name="Affligem",
        identifiers=AFFLIGEM_IDS,
        parent_id="o_parent",
        status=OrgStatus.FROZEN,
        version=3,
        address=Address(street="Bellestraat", house_number="2", postal_code="1790", municipality="Affligem"),
    )
    async with store.write() as tx:
        await tx.add_organisation(parent)
        await tx.add_organisation(affligem)
    async with store.read() as tx:
        assert await tx.get_organisation("o_affligem") == affligem
        assert await tx.get_organisation("o_parent") == parent
        assert await tx.get_organisation("nope") is None
        for kind, value in [
            (IdentifierKind.ENTERPRISE_NUMBER, "0207437468"),
            (IdentifierKind.ESTABLISHMENT_NUMBER, "2000000123"),  # answers the enterprise's organisation
            (IdentifierKind.OVO_CODE, "OVO002949"),
            (IdentifierKind.NIS_CODE, "23105"),
        ]:
            assert await tx.find_organisation(kind, value) == affligem
        assert await tx.find_organisation(IdentifierKind.ENTERPRISE_NUMBER, "2000000123") is None
        assert await tx.find_organisation(IdentifierKind.INSTITUTION_NUMBER, "0207437468") is None


async def test_save_organisation_replaces_fields_and_identifiers(store: SqlStore) -> None:
    original = org("o1", "Gemeente Affligem", identifiers=AFFLIGEM_IDS)
    async with store.write() as tx:
        await tx.add_organisation(original)
    changed = replace(
        original,
        name="Gemeente Opwijk",
        short_name=None,
        version=2,
        status=OrgStatus.CEASED,
        identifiers=OrgIdentifiers(enterprise_number="0207437468", establishment_numbers=("2999999999",)),
    )
    async with store.write() as tx:
        await tx.save_organisation(changed)
    async with store.read() as tx:
        assert await tx.get_organisation("o1") == changed
        assert await tx.find_organisation(IdentifierKind.ESTABLISHMENT_NUMBER, "2001234567") is None
        assert await tx.find_organisation(IdentifierKind.ESTABLISHMENT_NUMBER, "2999999999") == changed
        assert [o.id for o in await tx.search_organisations("opwijk")] == ["o1"]
        assert await tx.search_organisations("affligem") == []
    with pytest.raises(NotFound):
        async with store.write() as tx:
            await tx.save_organisation(org("ghost"))


async def test_duplicate_identifier_is_a_conflict_and_writes_nothing(store: SqlStore) -> None:
    async with store.write() as tx:
        await tx.add_organisation(org("o1", identifiers=OrgIdentifiers(enterprise_number="0207437468")))
        with pytest.raises(Conflict) as raised:
            await tx.add_organisation(org("o2", identifiers=OrgIdentifiers(enterprise_number="0207437468")))
        assert (raised.value.code, raised.value.field) == ("duplicate_identifier", "identifiers")
        with pytest.raises(Conflict):
            await tx.add_organisation(org("o1", "same id again"))
        # the transaction goes on after a refused insert
        await tx.add_organisation(
            org("o3", identifiers=OrgIdentifiers(establishment_numbers=("2000000123",)))
        )
        with pytest.raises(Conflict):  # the establishment number belongs to o3
            await tx.add_organisation(
                org("o4", identifiers=OrgIdentifiers(establishment_numbers=("2000000123",)))
            )
        with pytest.raises(Conflict):  # saving onto someone else's identifier leaves o1 as it was
            await tx.save_organisation(
                org("o1", "renamed", identifiers=OrgIdentifiers(establishment_numbers=("2000000123",)))
            )
    async with store.read() as tx:
        assert [o.id for o in await tx.list_organisations()] == ["o1", "o3"]
        o1 = await tx.get_organisation("o1")
        assert o1 is not None and o1.name == "Org" and o1.identifiers.enterprise_number == "0207437468"


async def test_unknown_parent_is_not_found(store: SqlStore) -> None:
    async with store.write() as tx:
        with pytest.raises(NotFound) as raised:
            await tx.add_organisation(org("o1", parent_id="missing"))
        assert raised.value.code == "unknown_parent"
        assert await tx.get_organisation("o1") is None


async def test_conflict_escaping_write_rolls_everything_back(store: SqlStore) -> None:
    await seed(store)
    with pytest.raises(Conflict):
        async with store.write() as tx:
            await tx.add_organisation(org("o2"))
            await tx.record(
                kind="organisation_created", entity="organisation", entity_id="o2", data={}, actor=None
            )
            await tx.add_person(person("p2", "85073003328"))
    async with store.read() as tx:
        assert await tx.get_organisation("o2") is None
        assert await tx.latest_revision() == 0
        assert await tx.changes() == []


async def test_keyset_paging_is_complete_and_stable(store: SqlStore) -> None:
    ids = [f"o{n:03d}" for n in range(23)]
    async with store.write() as tx:
        for n, org_id in enumerate(reversed(ids)):
            kind = OrgType.COMPANY if n % 3 else OrgType.FLEMISH_ENTITY
            await tx.add_organisation(org(org_id, f"Org {org_id}", type=kind))

    async def all_pages(org_type: OrgType | None = None) -> list[list[str]]:
        pages: list[list[str]] = []
        after = None
        async with store.read() as tx:
            while page := await tx.list_organisations(org_type=org_type, after=after, limit=5):
                pages.append([o.id for o in page])
                after = page[-1].id
        return pages

    pages = await all_pages()
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [i for p in pages for i in p] == ids
    assert await all_pages() == pages
    companies = [i for p in await all_pages(OrgType.COMPANY) for i in p]
    async with store.read() as tx:
        expected = sorted(o.id for o in await tx.list_organisations(limit=100) if o.type is OrgType.COMPANY)
    assert companies == expected and 0 < len(companies) < len(ids)


async def test_search_ignores_case_and_accents_and_puts_active_first(store: SqlStore) -> None:
    async with store.write() as tx:
        await tx.add_organisation(org("o1", "OCMW Affligem", status=OrgStatus.CEASED))
        await tx.add_organisation(org("o2", "Gemeente Affligem"))
        await tx.add_organisation(org("o3", "Gemeente Aalst"))
        await tx.add_organisation(org("o4", "Politiezone Affligem-Liedekerke", short_name="PZ 5409"))
        await tx.add_organisation(org("o5", "100% Zeker_BV"))
    async with store.read() as tx:
        for query in ("AFFLIGEM", "Afflìgem", "  affligem "):
            assert [o.id for o in await tx.search_organisations(query)] == ["o2", "o4", "o1"]
        assert [o.id for o in await tx.search_organisations("gemeente affligem")] == ["o2"]
        assert [o.id for o in await tx.search_organisations("pz 5409")] == ["o4"]
        assert [o.id for o in await tx.search_organisations("%")] == []
        assert [o.id for o in await tx.search_organisations("100%")] == ["o5"]
        assert [o.id for o in await tx.search_organisations("zeker bv")] == ["o5"]
        assert [o.id for o in await tx.search_organisations("_")] == []
        assert len(await tx.search_organisations("affligem", limit=2)) == 2


# --- people, work relations, legal representatives, administrators ----------------------------


async def test_person_round_trip_and_duplicate(store: SqlStore) -> None:
    p1 = person("p1", "85073003328", email="an@example.org")
    async with store.write() as tx:
        await tx.add_person(p1)
        with pytest.raises(Conflict) as raised:
            await tx.add_person(person("p2", "85073003328"))
        assert (raised.value.code, raised.value.field) == ("duplicate_person", "national_number")
        await tx.add_person(person("p3", "90010100123"))
    async with store.write() as tx:
        assert await tx.get_person("p1") == p1
        assert await tx.find_person("85073003328") == p1
        assert await tx.get_person("p2") is None
        frozen = replace(p1, frozen=True, email=None)
        await tx.save_person(frozen)
        with pytest.raises(Conflict):
            await tx.save_person(replace(frozen, national_number="90010100123"))
    async with store.read() as tx:
        assert await tx.get_person("p1") == frozen


async def test_work_relations_round_trip_with_aware_times(store: SqlStore) -> None:
    await seed(store)
    started = datetime(2025, 6, 1, 8, 0, tzinfo=BRUSSELS_SUMMER)
    rel = WorkRelation(
        id="w1", person_id="p1", organisation_id="o1", user_type=UserType.EXTERNAL, started_at=started
    )
    async with store.write() as tx:
        await tx.add_work_relation(rel)
        await tx.add_organisation(org("o2"))
        await tx.add_work_relation(
            replace(rel, id="w2", organisation_id="o2", started_at=started + timedelta(days=1))
        )
    async with store.read() as tx:
        back = await tx.get_work_relation("w1")
        assert back == rel
        assert back is not None and back.started_at.tzinfo is UTC and back.started_at.hour == 6
        assert [w.id for w in await tx.work_relations(person_id="p1")] == ["w1", "w2"]
        assert [w.id for w in await tx.work_relations(organisation_id="o2")] == ["w2"]
        assert await tx.work_relations(person_id="p1", organisation_id="nope") == []
    ended = replace(rel, ended_at=T0 + timedelta(days=900), blocked=True)
    async with store.write() as tx:
        await tx.save_work_relation(ended)
        assert await tx.get_work_relation("w1") == ended


async def test_legal_representatives(store: SqlStore) -> None:
    await seed(store)
    rep = LegalRepresentative(organisation_id="o1", person_id="p1")
    async with store.write() as tx:
        await tx.add_legal_representative(rep)
        with pytest.raises(Conflict) as raised:
            await tx.add_legal_representative(rep)
        assert (raised.value.code, raised.value.field) == ("duplicate_person", "person")
    async with store.read() as tx:
        assert await tx.legal_representatives("o1") == [rep]
        assert await tx.legal_representatives("o2") == []


async def test_administrators_round_trip(store: SqlStore) -> None:
    await seed(store)
    main = Administrator(
        id="a1",
        organisation_id="o1",
        person_id="p1",
        main=True,
        appointed_by="platform",
        appointed_at=T0,
        contact=ContactCard(email="an@example.org", phone="+32 2 123 45 67", disclose=True),
    )
    limited = replace(
        main,
        id="a2",
        main=False,
        applications=("vastgoed", "subsidies"),
        contact=ContactCard(),
        appointed_at=T0 + timedelta(hours=1),
    )
    async with store.write() as tx:
        await tx.add_administrator(main)
        await tx.add_administrator(limited)
    removed = replace(limited, removed_at=T0 + timedelta(days=2), removed_by="a1", removal_reason="left")
    async with store.write() as tx:
        assert await tx.administrators("o1") == [main, limited]
        await tx.save_administrator(removed)
    async with store.read() as tx:
        assert await tx.administrators("o1") == [main]
        assert await tx.administrators("o1", include_removed=True) == [main, removed]
        assert await tx.administrations_of("p1") == [main]
        assert await tx.administrators("o2") == []


# --- grants ----------------------------------------------------------------------------------


async def test_grants_round_trip_and_filters(store: SqlStore) -> None:
    await seed(store)
    g1 = grant("g1", granted_at=T0 + timedelta(minutes=5), reason="needs it")
    g2 = grant("g2", role="dossier_writer", measure="m1", granted_at=T0)
    g3 = grant("g3", person_id="p2", granted_at=T0 + timedelta(minutes=5))
    async with store.write() as tx:
        await tx.add_person(person("p2", "90010100123"))
        for g in (g1, g2, g3):
            await tx.add_grant(g)
    async with store.read() as tx:
        assert await tx.get_grant("g1") == g1
        assert await tx.get_grant("nope") is None
        assert await tx.grants() == [g2, g1, g3]
        assert await tx.grants(person_id="p1") == [g2, g1]
        assert await tx.grants(organisation_id="o1", role="dossier_reader") == [g1, g3]
        assert await tx.grants(measure="m1") == [g2]
        assert await tx.grants(organisation_id="o2") == []


async def test_save_grant_compares_and_sets_version(store: SqlStore) -> None:
    await seed(store)
    g1 = grant("g1")
    async with store.write() as tx:
        await tx.add_grant(g1)
    revoked = replace(
        g1, revoked_at=T0 + timedelta(days=1), revoked_by="adm_1", revoke_reason="gone", version=2
    )
    async with store.write() as tx:
        await tx.save_grant(revoked, expected_version=1)
    with pytest.raises(Conflict) as raised:
        async with store.write() as tx:
            await tx.save_grant(replace(g1, reason="stale", version=2), expected_version=1)
    assert (raised.value.code, raised.value.params) == ("version_conflict", {"actual": 2})
    async with store.read() as tx:
        assert await tx.get_grant("g1") == revoked
    with pytest.raises(NotFound):
        async with store.write() as tx:
            await tx.save_grant(grant("ghost", version=2), expected_version=1)


async def test_driver_errors_are_wrapped_without_their_message(store: SqlStore) -> None:
    await seed(store)
    with pytest.raises(StorageError) as raised:
        async with store.write() as tx:
            await tx.add_grant(grant("g1", person_id="nobody"))  # foreign key
    assert str(raised.value) == "storage failure"
    assert raised.value.__cause__ is not None
    async with store.read() as tx:
        assert await tx.grants() == []


# --- change log and audit --------------------------------------------------------------------


async def test_record_gives_consecutive_revisions(store: SqlStore) -> None:
    async with store.read() as tx:
        assert await tx.latest_revision() == 0
    async with store.write() as tx:
        first = await tx.record(
            kind="grant_created", entity="grant", entity_id="g1", data={"a": [1]}, actor="x"
        )
        second = await tx.record(kind="grant_revoked", entity="grant", entity_id="g1", data={}, actor=None)
    async with store.write() as tx:
        third = await tx.record(
            kind="organisation_created", entity="organisation", entity_id="o1", data={"at": T0}, actor="x"
        )
        assert await tx.latest_revision() == 3
    assert (first, second, third) == (1, 2, 3)
    async with store.read() as tx:
        log = await tx.changes()
        assert [c.revision for c in log] == [1, 2, 3]
        assert (log[0].kind, log[0].entity_id, log[0].actor, log[0].data) == (
            "grant_created",
            "g1",
            "x",
            {"a": [1]},
        )
        assert log[2].data == {"at": "2025-03-01T09:30:00Z"}
        assert all(c.at.tzinfo is UTC for c in log)
        assert [c.revision for c in await tx.changes(entity="grant", entity_id="g1")] == [1, 2]
        assert [c.revision for c in await tx.changes(after=1)] == [2, 3]
        assert [c.revision for c in await tx.changes(after=1, limit=1)] == [2]
        assert await tx.changes(entity="person") == []


async def test_rolled_back_write_leaves_no_revision(store: SqlStore) -> None:
    async with store.write() as tx:
        await tx.record(kind="k", entity="e", entity_id="1", data={}, actor=None)
    with pytest.raises(RuntimeError):
        async with store.write() as tx:
            await tx.record(kind="k", entity="e", entity_id="2", data={}, actor=None)
            raise RuntimeError("boom")
    async with store.write() as tx:
        assert await tx.latest_revision() == 1
        assert [c.entity_id for c in await tx.changes()] == ["1"]
        assert await tx.record(kind="k", entity="e", entity_id="3", data={}, actor=None) == 2


async def test_audit_round_trip(store: SqlStore) -> None:
    e1 = AuditEvent(
        at=datetime(2025, 3, 1, 10, 0, tzinfo=BRUSSELS_SUMMER),
        actor="helpline:jan",
        actor_kind="helpline",
        action="grant_created",
        organisation_id="o1",
        target="grant:g1",
        request_id="req-1",
        address="192.0.2.1",
        details={"revision": 7, "nested": {"x": [1, 2]}},
    )
    e2 = AuditEvent(at=T0, actor="svc", actor_kind="service", action="organisation_frozen")
    e3 = replace(e1, target="grant:g2")
    async with store.write() as tx:
        for e in (e1, e2, e3):
            await tx.audit(e)
    async with store.read() as tx:
        events = await tx.audit_events()
        assert [e for _, e in events] == [e1, e2, e3]
        ids = [i for i, _ in events]
        assert ids == sorted(ids) and len(set(ids)) == 3
        assert events[0][1].at.tzinfo is UTC
        assert [e for _, e in await tx.audit_events(organisation_id="o1")] == [e1, e3]
        assert [e for _, e in await tx.audit_events(after_id=ids[0], limit=1)] == [e2]
        # Newest first below a cursor, by organisation and action (the administrators' audit page).
        assert [e for _, e in await tx.audit_events(before_id=ids[2] + 1)] == [e3, e2, e1]
        assert [e for _, e in await tx.audit_events(before_id=ids[2], limit=1)] == [e2]
        assert [e for _, e in await tx.audit_events(organisation_id="o1", before_id=ids[2] + 1, limit=5,
                                                    actions=("grant_created",))] == [e3, e1]
        assert await tx.audit_events(organisation_id="o1", before_id=ids[2] + 1, actions=("grant_revoked",)) == []


async def test_ping(store: SqlStore) -> None:
    await store.ping()


async def test_writes_inside_read_never_persist(store: SqlStore) -> None:
    # PostgreSQL refuses them (read-only transaction); SQLite discards them with the snapshot.
    try:
        async with store.read() as tx:
            await tx.add_organisation(org("o1"))
    except StorageError:
        pass
    async with store.read() as tx:
        assert await tx.get_organisation("o1") is None
