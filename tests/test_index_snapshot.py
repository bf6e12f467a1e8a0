"""Cold start from a snapshot of the decision index (issue 14, item 6).

A process starts from RIGHTS_INDEX_SNAPSHOT when the snapshot is this database's, of this catalogue and
intact, and catches it up from the change log; a stale one is caught up, a foreign or corrupt one is
never trusted: the index is built from the store (and a sound snapshot written in its place). Each case
compares every answer with an index built from the store alone. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from rights.domain import snapshot as snap
from rights.domain.catalogue import Catalogue
from rights.domain.commands import Revocation, StatusChange
from rights.domain.index import DecisionIndex
from rights.domain.keeper import IndexKeeper
from rights.domain.model import OrgStatus
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import build_services
from rights.policies import default_policies_dir, load_catalogue
from rights.seeding import seed_directory
from rights.storage import create_store
from rights.storage.migrate import upgrade

CATALOGUE = load_catalogue(default_policies_dir())
SEEDS = default_policies_dir().parent / "seeds"
PLATFORM = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="platform:test")


async def seeded(url: str):
    await upgrade(url)
    store = create_store(url)
    await seed_directory(build_services(store, CATALOGUE), SEEDS)
    return store


async def answers(keeper: IndexKeeper) -> tuple[int, list]:
    """Every (person, organisation, role, measure) answer of the keeper's index, now and in a year."""
    async with keeper.store.read() as tx:
        persons = [p.id async for p in tx.stream_persons()]
        orgs = [o.id async for o in tx.stream_organisations()]
    index = keeper.index
    pairs = [(r.code, m.code) for r in CATALOGUE.roles.values() for m in r.measures] + [
        (r.code, None) for r in CATALOGUE.roles.values() if not r.measures]
    out = []
    for at in (datetime.now(UTC).timestamp(), datetime.now(UTC).timestamp() + 365 * 86400):
        for p in persons:
            for o in orgs:
                for role, measure in pairs:
                    verdict = index.check(index.person_ix(p), index.organisation_ix(o), role, measure, at)
                    out.append((p, o, role, measure, verdict.allowed, verdict.reason))
    return keeper.revision, out


async def from_store(store) -> tuple[int, list]:
    keeper = IndexKeeper(store, CATALOGUE)
    await keeper.build()
    return await answers(keeper)


async def started(store, path: Path, catalogue: Catalogue = CATALOGUE) -> IndexKeeper:
    keeper = IndexKeeper(store, catalogue, poll_interval=60, snapshot=path)
    await keeper.start()
    await keeper.stop()
    return keeper


async def test_a_build_writes_a_snapshot_that_the_next_start_uses(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "index.snapshot"
    store = await seeded(store_url)
    try:
        first = await started(store, path)
        assert first.started_from == "no snapshot file" and path.exists()
        header = snap.read_header(path)
        assert header.revision == first.revision > 0
        second = await started(store, path)
        assert second.started_from == "snapshot"
        assert await answers(second) == await from_store(store)
        assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed, not left behind
        assert path.stat().st_mode & 0o777 == 0o600  # national numbers: the service's user only
    finally:
        await store.close()


async def test_a_stale_snapshot_is_caught_up_from_the_change_log(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "index.snapshot"
    store = await seeded(store_url)
    try:
        await started(store, path)
        written_at = snap.read_header(path).revision
        services = build_services(store, CATALOGUE)
        async with store.read() as tx:
            grant = await anext(g async for g in tx.stream_grants() if g.revoked_at is None)
            org = await anext(o async for o in tx.stream_organisations()
                              if o.id != grant.organisation_id and o.status is OrgStatus.ACTIVE)
        await services.grants.revoke(PLATFORM, grant.id, Revocation(reason="test"))
        await services.organisations.set_status(PLATFORM, org.id, OrgStatus.FROZEN, StatusChange())
        keeper = await started(store, path)
        assert keeper.started_from == "snapshot"
        assert keeper.revision > written_at
        got, expected = await answers(keeper), await from_store(store)
        assert got == expected
        assert not next(a for a in got[1] if a[0] == grant.person_id and a[1] == grant.organisation_id
                        and a[2] == grant.role and a[3] == grant.measure)[4]
    finally:
        await store.close()


async def test_a_foreign_snapshot_is_rebuilt(store_url: str, sqlite_url: str, tmp_path: Path) -> None:
    """Another database with the very same demo data: same ids and content, another history."""
    path = tmp_path / "index.snapshot"
    other_url = sqlite_url.replace(".db", "-other.db") if store_url == sqlite_url else sqlite_url
    other = await seeded(other_url)
    store = await seeded(store_url)
    try:
        await started(other, path)
        foreign = snap.read_header(path)
        keeper = await started(store, path)
        assert keeper.started_from == "foreign"
        assert await answers(keeper) == await from_store(store)
        assert snap.read_header(path).database != foreign.database  # replaced by this database's own
        assert (await started(store, path)).started_from == "snapshot"
    finally:
        await other.close()
        await store.close()


async def test_a_snapshot_ahead_of_the_database_is_foreign(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "index.snapshot"
    store = await seeded(store_url)
    try:
        await started(store, path)
        header = snap.read_header(path)
        raw = path.read_bytes()
        ahead = msgspec.structs.replace(header, revision=header.revision + 5)
        path.write_bytes(rewrite_header(raw, ahead))
        keeper = await started(store, path)
        assert keeper.started_from == "foreign"
        assert await answers(keeper) == await from_store(store)
    finally:
        await store.close()


def test_the_snapshot_holds_every_part_of_the_index() -> None:
    """A part added to DecisionIndex must be stored or rebuilt by the snapshot, or restored indexes differ."""
    assert set(vars(DecisionIndex(CATALOGUE))) == set(snap.PARTS) | snap.DERIVED


async def test_a_restored_index_equals_the_one_it_was_written_from(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "index.snapshot"
    store = await seeded(store_url)
    try:
        built = await started(store, path)
        restored = await started(store, path)
        assert restored.started_from == "snapshot"
        for name in sorted(set(snap.PARTS) | snap.DERIVED - {"catalogue"}):
            assert getattr(restored.index, name) == getattr(built.index, name), name
    finally:
        await store.close()


def rewrite_header(raw: bytes, header: snap.Header) -> bytes:
    """The same body under another header, with a checksum that holds again (a well-made lie)."""
    import hashlib

    size = int.from_bytes(raw[len(snap.MAGIC):len(snap.MAGIC) + 4], "big")
    body = raw[len(snap.MAGIC) + 4 + size:-(9 + 32)]
    head = msgspec.msgpack.encode(header)
    data = snap.MAGIC + len(head).to_bytes(4, "big") + head + body
    return data + bytes([0]) + (32).to_bytes(8, "big") + hashlib.sha256(data).digest()


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "garbage", "empty"])
async def test_a_corrupt_snapshot_is_rebuilt(store_url: str, tmp_path: Path, damage: str) -> None:
    path = tmp_path / "index.snapshot"
    store = await seeded(store_url)
    try:
        await started(store, path)
        raw = bytearray(path.read_bytes())
        if damage == "flipped byte":
            raw[len(raw) // 2] ^= 0x01
        elif damage == "truncated":
            raw = raw[: len(raw) - 100]
        elif damage == "garbage":
            raw = bytearray(b"\x80\x04\x95" + bytes(range(256)) * 4)  # a pickle's opening, then noise
        else:
            raw = bytearray()
        path.write_bytes(bytes(raw))
        keeper = await started(store, path)
        assert keeper.started_from == "corrupt"
        assert await answers(keeper) == await from_store(store)
        assert (await started(store, path)).started_from == "snapshot"  # a sound one was written again
    finally:
        await store.close()


async def test_a_snapshot_of_another_catalogue_is_rebuilt(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "index.snapshot"
    store = await seeded(store_url)
    try:
        await started(store, path)
        fewer = Catalogue(list(CATALOGUE.applications.values())[:-1], CATALOGUE.org_types.values())
        keeper = await started(store, path, fewer)
        assert keeper.started_from == "catalogue"
    finally:
        await store.close()


def test_rights_index_snapshot_writes_one_the_next_start_uses(sqlite_url: str, tmp_path: Path) -> None:
    import asyncio

    from click.testing import CliRunner

    from rights.cli import main

    async def seed() -> None:
        await (await seeded(sqlite_url)).close()

    async def start() -> str | None:
        store = create_store(sqlite_url)
        try:
            return (await started(store, path)).started_from
        finally:
            await store.close()

    path = tmp_path / "index.snapshot"
    asyncio.run(seed())
    env = {"RIGHTS_DATABASE_URL": sqlite_url, "RIGHTS_DATA_DIR": str(tmp_path), "RIGHTS_INDEX_SNAPSHOT": str(path)}
    result = CliRunner(env=env).invoke(main, ["index", "snapshot"])
    assert result.exit_code == 0, result.output
    assert f"written to {path}" in result.output
    assert asyncio.run(start()) == "snapshot"
    refused = CliRunner(env={**env, "RIGHTS_INDEX_SNAPSHOT": ""}).invoke(main, ["index", "snapshot"])
    assert refused.exit_code != 0 and "RIGHTS_INDEX_SNAPSHOT is not set" in refused.output
