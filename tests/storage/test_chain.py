"""Tamper evidence (issue 10 item 9): the change log and the audit trail are hash chains, and
`rights audit verify` names the first entry where one was changed, deleted, inserted or reordered.

Tampering is done as someone with direct database access would: on SQLite after dropping the
append-only triggers (whoever holds the file can), on PostgreSQL as the superuser with triggers off
(``session_replication_role = replica``). Both backends, through the real command.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.engine import make_url
from tests.conftest import run_in_thread

from rights.cli import main
from rights.domain.model import AuditEvent
from rights.storage import chain, create_store
from rights.storage.engine import build_engine
from rights.storage.migrate import upgrade

T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
WRITES = 6  # revisions 1..7 and audit ids 1..8: the last write appends two changes and one more audit event


async def append(url: str, writes: int = WRITES, start: int = 0) -> None:
    store = create_store(url)
    try:
        for i in range(start, start + writes):
            last = i == start + writes - 1
            async with store.write() as tx:
                for j in range(2 if last else 1):
                    rev = await tx.record(kind="grant_created", entity="grant", entity_id=f"gr_{i}_{j}",
                                          data={"role": "R", "n": i, "nested": {"b": [1, 2.5], "a": None}},
                                          actor=f"person:{i}")
                    await tx.audit(AuditEvent(at=T0 + timedelta(seconds=i), actor=f"person:{i}",
                                              actor_kind="person", action="grant_created", organisation_id="org_1",
                                              target=f"grant:gr_{i}_{j}", request_id=f"req-{i}",
                                              address="192.0.2.1", details={"revision": rev, "é": "ü"}))
                if last:  # an audit event of its own, as a read is audited
                    await tx.audit(AuditEvent(at=T0 + timedelta(seconds=i), actor="helpline:op", actor_kind="helpline",
                                              action="person_read", details={}))
    finally:
        await store.close()


async def execute(url: str, *statements: str) -> None:
    """Run SQL as an attacker with database access: the append-only triggers are out of the way."""
    engine = build_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                for name in ("changes_no_update", "changes_no_delete", "audit_events_no_update",
                             "audit_events_no_delete"):
                    await conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
            for sql in statements:
                await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def fetch(url: str, sql: str) -> list[tuple]:
    engine = build_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()


def verify(url: str, *args: str, tmp: Path) -> Result:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("RIGHTS_")}
    env |= {"RIGHTS_DATABASE_URL": url, "RIGHTS_DATA_DIR": str(tmp)}
    return CliRunner().invoke(main, ["audit", "verify", *args], env=env)


@pytest.fixture
def chained(store_url: str) -> str:
    run_in_thread(append, store_url)
    return store_url


def test_an_untouched_database_verifies(chained: str, tmp_path: Path) -> None:
    result = verify(chained, tmp=tmp_path)
    assert result.exit_code == 0, result.output
    assert re.search(r"ok changes: .* 7:[0-9a-f]{64}", result.output)
    assert re.search(r"ok audit_events: .* 8:[0-9a-f]{64}", result.output)


def test_an_empty_database_verifies(store_url: str, tmp_path: Path) -> None:
    result = verify(store_url, tmp=tmp_path)
    assert result.exit_code == 0, result.output
    assert f"0:{chain.GENESIS}" in result.output


SWAP_CHANGES = (
    "UPDATE changes SET revision = -1 WHERE revision = 3",
    "UPDATE changes SET revision = 3 WHERE revision = 4",
    "UPDATE changes SET revision = 4 WHERE revision = -1",
)
SWAP_AUDIT = tuple(s.replace("changes", "audit_events").replace("revision", "id") for s in SWAP_CHANGES)
# A row copied from the one before, re-chained correctly, but the recorded head was not moved on.
APPEND_CHANGE = (
    "INSERT INTO changes (revision, at, kind, entity, entity_id, actor, data, prev_hash, hash) "
    "SELECT 8, at, kind, entity, entity_id, actor, data, hash, hash FROM changes WHERE revision = 7"
)
INSERT_AUDIT = (
    "INSERT INTO audit_events (id, at, actor, actor_kind, action, organisation_id, target, request_id, address,"
    " details, prev_hash, hash) SELECT 0, at, 'intruder', actor_kind, action, organisation_id, target,"
    " request_id, address, details, prev_hash, hash FROM audit_events WHERE id = 1"
)

TAMPERING = {
    "change changes": (("UPDATE changes SET actor = 'person:someone-else' WHERE revision = 3",),
                       "changes revision 3: hash does not match the content"),
    "change changes data": (("UPDATE changes SET data = '{\"reason\": \"rewritten\"}' WHERE revision = 5",),
                            "changes revision 5: hash does not match the content"),
    "delete changes": (("DELETE FROM changes WHERE revision = 2",), "changes revision 3: expected revision 2"),
    "delete last change": (("DELETE FROM changes WHERE revision = 7",), "changes head: the last entry is 6"),
    "insert changes": ((APPEND_CHANGE,), "changes revision 8: hash does not match the content"),
    "reorder changes": (SWAP_CHANGES, "changes revision 3: prev_hash does not match"),
    "change audit": (("UPDATE audit_events SET actor = 'platform:nobody' WHERE id = 4",),
                     "audit_events id 4: hash does not match the content"),
    "delete audit": (("DELETE FROM audit_events WHERE id = 2",), "audit_events id 3: prev_hash does not match"),
    "delete last audit": (("DELETE FROM audit_events WHERE id = 8",), "audit_events head: the last entry is 7"),
    "insert audit": ((INSERT_AUDIT,), "audit_events id 0: hash does not match the content"),
    "reorder audit": (SWAP_AUDIT, "audit_events id 3: prev_hash does not match"),
}


@pytest.mark.parametrize("case", TAMPERING)
def test_tampering_is_named(chained: str, tmp_path: Path, case: str) -> None:
    statements, expected = TAMPERING[case]
    if "data =" in statements[0] and chained.startswith("postgresql"):
        statements = (statements[0].replace("' WHERE", "'::jsonb WHERE"),)
    run_in_thread(execute, chained, *statements)
    result = verify(chained, tmp=tmp_path)
    assert result.exit_code == 1, result.output
    assert f"BROKEN {expected}" in result.output
    assert "Traceback" not in result.output


def test_a_consistently_rewritten_tail_is_caught_by_a_witnessed_head(chained: str, tmp_path: Path) -> None:
    """Someone who re-hashes everything after their edit and moves the recorded head on passes the walk;
    the head an outside party witnessed before (`--changes-head`) does not match any more."""
    witnessed = next(line.split()[-1] for line in verify(chained, tmp=tmp_path).output.splitlines()
                     if line.startswith("ok changes"))
    rows = run_in_thread(fetch, chained, "SELECT revision, hash FROM changes ORDER BY revision")
    prev = rows[2][1]  # revision 3's hash: revisions 4.. are rewritten
    statements = ["UPDATE changes SET actor = 'person:forged' WHERE revision = 4"]
    run_in_thread(execute, chained, *statements)

    async def rechain() -> None:
        engine = build_engine(chained)
        try:
            async with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("SET LOCAL session_replication_role = replica"))
                last = prev
                found = (await conn.execute(text("SELECT * FROM changes WHERE revision >= 4 ORDER BY revision")))
                for row in found.mappings().all():
                    values = dict(row)
                    if isinstance(values["data"], str):
                        values["data"] = msgspec.json.decode(values["data"])
                    if isinstance(values["at"], str):
                        values["at"] = datetime.fromisoformat(values["at"])
                    digest = chain.entry_hash("changes", last, values)
                    await conn.execute(text("UPDATE changes SET prev_hash = :p, hash = :h WHERE revision = :r"),
                                       {"p": last, "h": digest, "r": row["revision"]})
                    last = digest
                await conn.execute(text("UPDATE revision_counter SET changes_hash = :h"), {"h": last})
        finally:
            await engine.dispose()

    run_in_thread(rechain)
    assert verify(chained, tmp=tmp_path).exit_code == 0  # the walk alone cannot tell
    result = verify(chained, "--changes-head", witnessed, tmp=tmp_path)
    assert result.exit_code == 1, result.output
    assert "BROKEN changes revision 7: hash differs from the witnessed head" in result.output


def test_a_witnessed_head_that_still_holds_passes_after_more_writes(chained: str, tmp_path: Path) -> None:
    out = verify(chained, tmp=tmp_path).output.splitlines()
    changes_head = next(line.split()[-1] for line in out if line.startswith("ok changes"))
    audit_head = next(line.split()[-1] for line in out if line.startswith("ok audit_events"))
    run_in_thread(append, chained, 3, 10)
    result = verify(chained, "--changes-head", changes_head, "--audit-head", audit_head, tmp=tmp_path)
    assert result.exit_code == 0, result.output
    bad = verify(chained, "--audit-head", "99:" + "a" * 64, tmp=tmp_path)
    assert bad.exit_code == 1
    assert "BROKEN audit_events id 99: the witnessed head is no longer in the chain" in bad.output
    assert verify(chained, "--audit-head", "nonsense", tmp=tmp_path).exit_code == 2


def test_concurrent_writers_keep_one_chain(store_url: str, tmp_path: Path) -> None:
    async def many() -> None:
        stores = [create_store(store_url) for _ in range(2)]  # two connection pools, as two processes
        try:
            await asyncio.gather(*(append_one(stores[i % 2], i) for i in range(24)))
        finally:
            for s in stores:
                await s.close()

    async def append_one(store, i: int) -> None:  # noqa: ANN001
        async with store.write() as tx:
            if i % 3:
                await tx.record(kind="k", entity="e", entity_id=str(i), data={}, actor=None)
            await asyncio.sleep(0)
            await tx.audit(AuditEvent(at=T0, actor="a", actor_kind="person", action="read", details={"i": i}))

    run_in_thread(many)
    result = verify(store_url, tmp=tmp_path)
    assert result.exit_code == 0, result.output
    assert "ok audit_events: the chain holds up to its head 24:" in result.output


def test_the_tables_refuse_update_and_delete(chained: str) -> None:
    for sql in ("UPDATE changes SET actor = 'x' WHERE revision = 1", "DELETE FROM changes WHERE revision = 1",
                "UPDATE audit_events SET actor = 'x' WHERE id = 1", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"):
            run_in_thread(fetch_in_tx, chained, sql)
    if chained.startswith("postgresql"):
        with pytest.raises(Exception, match="append-only"):
            run_in_thread(fetch_in_tx, chained, "TRUNCATE audit_events")
    assert run_in_thread(fetch, chained, "SELECT count(*) FROM audit_events") == [(8,)]


async def fetch_in_tx(url: str, sql: str) -> None:
    engine = build_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def test_heads_name_the_last_entries(store_url: str) -> None:
    await append(store_url, 2)
    store = create_store(store_url)
    try:
        async with store.read() as tx:
            changes_head, audit_head = await tx.chain_heads()
        async with store.write() as tx:
            assert await tx.chain_heads() == (changes_head, audit_head)
    finally:
        await store.close()
    assert (changes_head.table, changes_head.position, audit_head.position) == ("changes", 3, 4)
    assert changes_head.at is not None and audit_head.at == T0 + timedelta(seconds=1)
    assert len(changes_head.hash) == 64 and changes_head.hash != chain.GENESIS


# --- migration 0009 chains what was already there --------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def bare_url(request: pytest.FixtureRequest) -> str:
    """An empty database, not migrated, once per backend."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def test_migration_chains_existing_rows(bare_url: str, tmp_path: Path) -> None:
    run_in_thread(upgrade, bare_url, "0008")
    run_in_thread(execute_old, bare_url)
    run_in_thread(upgrade, bare_url)
    result = verify(bare_url, tmp=tmp_path)
    assert result.exit_code == 0, result.output
    assert "ok changes: the chain holds up to its head 3:" in result.output
    assert "ok audit_events: the chain holds up to its head 7:" in result.output  # ids with a gap
    run_in_thread(append, bare_url, 2, 5)  # new entries continue the migrated chain
    result = verify(bare_url, tmp=tmp_path)
    assert result.exit_code == 0, result.output
    assert "ok changes: the chain holds up to its head 6:" in result.output
    assert "ok audit_events: the chain holds up to its head 11:" in result.output
    run_in_thread(execute, bare_url, "UPDATE audit_events SET details = " + (
        "'{}'::jsonb" if bare_url.startswith("postgresql") else "'{}'") + " WHERE id = 2")
    assert "BROKEN audit_events id 2: hash does not match" in verify(bare_url, tmp=tmp_path).output


async def execute_old(url: str) -> None:
    """Rows as the service wrote them before migration 0009 (through the store of that time: SQL)."""
    engine = build_engine(url)
    json_data = "'{\"reason\": \"old\", \"n\": 1}'"
    at = "'2025-01-02 03:04:05.678901'" if url.startswith("sqlite") else "'2025-01-02 03:04:05.678901+00'"
    try:
        async with engine.begin() as conn:
            for rev in (1, 2, 3):
                await conn.execute(text(
                    "INSERT INTO changes (revision, at, kind, entity, entity_id, actor, data) "
                    f"VALUES ({rev}, {at}, 'grant_created', 'grant', 'gr_{rev}', 'person:old', {json_data})"))
            for aid in (1, 2, 3, 7):
                await conn.execute(text(
                    "INSERT INTO audit_events (id, at, actor, actor_kind, action, details) "
                    f"VALUES ({aid}, {at}, 'person:old', 'person', 'grant_created', {json_data})"))
            await conn.execute(text("UPDATE revision_counter SET value = 3"))
    finally:
        await engine.dispose()


# --- PostgreSQL: the service's role appends but cannot rewrite -------------------------------------

async def plain(url: str, *statements: str) -> None:
    engine = build_engine(url)
    try:
        async with engine.begin() as conn:
            for sql in statements:
                await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.mark.postgres
def test_the_service_role_may_append_but_not_rewrite(pg_url: str, tmp_path: Path) -> None:
    role = f"rights_svc_{secrets.token_hex(4)}"
    run_in_thread(upgrade, pg_url, "0008")
    # What an operator grants the service today: everything on the tables (as before this change).
    run_in_thread(plain, pg_url, f'CREATE ROLE "{role}" LOGIN',
                  f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO "{role}"',
                  f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    try:
        run_in_thread(lambda: upgrade(pg_url, service_role=role))
        as_service = make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        run_in_thread(append, as_service, 3)  # the service writes as before: appends are allowed
        for sql in ("UPDATE changes SET actor = 'x'", "DELETE FROM audit_events", "TRUNCATE changes",
                    "UPDATE audit_events SET details = '{}'::jsonb WHERE id = 1"):
            with pytest.raises(Exception, match="permission denied"):
                run_in_thread(plain, as_service, sql)
        # Even with the triggers off (which needs more than the service has), the REVOKE stands.
        with pytest.raises(Exception, match="permission denied"):
            run_in_thread(plain, as_service, "SET LOCAL session_replication_role = replica",
                          "DELETE FROM changes")
        result = verify(as_service, tmp=tmp_path)
        assert result.exit_code == 0, result.output
        assert "ok changes: the chain holds up to its head 4:" in result.output
    finally:
        run_in_thread(plain, pg_url, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')


async def test_appends_need_a_write_transaction(store) -> None:  # noqa: ANN001
    async with store.read() as tx:
        with pytest.raises(RuntimeError, match="only inside Store.write"):
            await tx.audit(AuditEvent(at=T0, actor="a", actor_kind="person", action="person_read"))
        with pytest.raises(RuntimeError, match="only inside Store.write"):
            await tx.record(kind="k", entity="e", entity_id="1", data={}, actor=None)


async def test_the_demo_data_chains_and_verifies(store) -> None:  # noqa: ANN001
    """Every kind of entry the use cases write (times, enums, nested data, accents) hashes the same when
    read back from either database."""
    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.seeding import seed_directory

    services = build_services(store, load_catalogue(default_policies_dir()))
    counts = await seed_directory(services, default_policies_dir().parent / "seeds")
    assert counts["grants"] >= 10
    async with store.read() as tx:
        assert await tx.verify_chains() == []
        changes_head, audit_head = await tx.chain_heads()
    assert changes_head.position > 50
    assert audit_head.position >= changes_head.position


def test_audit_head_command_prints_both_heads(chained: str, tmp_path: Path) -> None:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("RIGHTS_")}
    env |= {"RIGHTS_DATABASE_URL": chained, "RIGHTS_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["audit", "head"], env=env)
    assert result.exit_code == 0, result.output
    assert re.search(r"^changes 7:[0-9a-f]{64} 2\d{3}-", result.output, re.M)
    assert re.search(r"^audit_events 8:[0-9a-f]{64} 2026-03-02T09:30:20", result.output, re.M)


async def test_numbers_hash_the_same_after_a_jsonb_round_trip(store) -> None:  # noqa: ANN001
    """PostgreSQL's jsonb keeps numbers as decimals: 1e20 comes back as an integer, 1.0 as 1.0."""
    numbers = [1.0, 1e20, 1.5e300, 0.1, 2**70, -0.0, 1e-7, 3, -12.5]
    async with store.write() as tx:
        rev = await tx.record(kind="k", entity="e", entity_id="1", data={"n": numbers}, actor=None)
        await tx.audit(AuditEvent(at=T0, actor="a", actor_kind="person", action="x", details={"n": numbers}))
    async with store.read() as tx:
        assert await tx.verify_chains() == []
        assert (await tx.changes(after=rev - 1))[0].data["n"][3] == 0.1


def test_migration_0009_downgrades_and_upgrades_again(chained: str, tmp_path: Path) -> None:
    from alembic import command

    from rights.storage.migrate import alembic_config

    def downgrade() -> None:
        command.downgrade(alembic_config(chained), "0008")

    run_in_thread(asyncio.to_thread, downgrade)
    run_in_thread(plain, chained, "UPDATE changes SET actor = 'allowed again' WHERE revision = 1")
    run_in_thread(upgrade, chained)
    result = verify(chained, tmp=tmp_path)
    assert result.exit_code == 0, result.output  # re-chained as found, from the first entry
    assert "ok changes: the chain holds up to its head 7:" in result.output
