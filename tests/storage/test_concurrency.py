"""Writers are serialised: concurrent read-modify-write on one grant never loses an update, and
revisions commit in revision order, within one engine and across engines (connection pools)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from msgspec.structs import replace

from rights.domain.model import Grant, Organisation, OrgType, Person
from rights.storage import SqlStore, create_store
from rights.storage.migrate import upgrade

T0 = datetime(2025, 3, 1, tzinfo=UTC)


async def seed_grant(store: SqlStore) -> str:
    async with store.write() as tx:
        await tx.add_organisation(Organisation(id="o1", type=OrgType.COMPANY, name="Acme"))
        await tx.add_person(
            Person(id="p1", national_number="85073003328", given_name="An", family_name="Peeters")
        )
        await tx.add_grant(
            Grant(
                id="g1",
                person_id="p1",
                organisation_id="o1",
                role="reader",
                measure=None,
                valid_from=T0,
                valid_until=T0 + timedelta(days=30),
                granted_by="adm",
                granted_at=T0,
            )
        )
    return "g1"


async def bump(store: SqlStore, grant_id: str, n: int) -> int:
    async with store.write() as tx:
        g = await tx.get_grant(grant_id)
        assert g is not None
        await asyncio.sleep(0)  # let the other writers in, if the lock would let them
        await tx.save_grant(replace(g, version=g.version + 1, reason=f"bump {n}"), expected_version=g.version)
        return await tx.record(
            kind="grant_changed",
            entity="grant",
            entity_id=grant_id,
            data={"version": g.version + 1},
            actor=f"t{n}",
        )


async def check_serial(store: SqlStore, revisions: list[int], writers: int) -> None:
    assert sorted(revisions) == list(range(1, writers + 1))
    async with store.read() as tx:
        g = await tx.get_grant("g1")
        assert g is not None and g.version == writers + 1
        log = await tx.changes(limit=1000)
        assert await tx.latest_revision() == writers
    assert [c.revision for c in log] == list(range(1, writers + 1))
    # revision r was written by the writer that moved the grant to version r + 1: commit order == revision order
    assert all(c.data == {"version": c.revision + 1} for c in log)


async def test_concurrent_writers_on_one_store_run_serially(store: SqlStore) -> None:
    grant_id = await seed_grant(store)
    revisions = await asyncio.gather(*(bump(store, grant_id, n) for n in range(20)))
    await check_serial(store, list(revisions), 20)


async def two_stores_race(url: str) -> None:
    await upgrade(url)
    first, second = create_store(url), create_store(url)
    try:
        grant_id = await seed_grant(first)
        revisions = await asyncio.gather(*(bump(first if n % 2 else second, grant_id, n) for n in range(20)))
        await check_serial(second, list(revisions), 20)
    finally:
        await first.close()
        await second.close()


@pytest.mark.postgres
async def test_write_lock_holds_across_engines_on_postgres(pg_url: str) -> None:
    await two_stores_race(pg_url)


async def test_two_engines_on_one_sqlite_file_do_not_hit_database_is_locked(sqlite_url: str) -> None:
    await two_stores_race(sqlite_url)
