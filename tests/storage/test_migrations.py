"""The migrations build exactly the schema in tables.py, on every backend, and can run again safely."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, Table, text

from rights.storage import search
from rights.storage.engine import build_engine
from rights.storage.migrate import alembic_config, upgrade
from rights.storage.tables import metadata


async def schema_diff(url: str, target: MetaData = metadata) -> list:
    engine = build_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync,
                        opts={
                            "compare_type": True,
                            "compare_server_default": False,
                            "include_name": search.include_name,  # FTS5 table, GIN index
                        },
                    ),
                    target,
                )
            )
    finally:
        await engine.dispose()


async def scalar_rows(url: str, sql: str) -> list:
    engine = build_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()


async def test_migrations_match_the_tables(store_url: str) -> None:
    assert await schema_diff(store_url) == []


async def test_drift_check_notices_a_difference(store_url: str) -> None:
    drifted = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["persons"].append_column(Column("nickname", String(40)))
    drifted.tables["persons"].c.given_name.type = String(100)
    Table("not_migrated", drifted, Column("id", String(10), primary_key=True))
    diff = await schema_diff(store_url, drifted)
    # column modifications come as a list of ops per column
    kinds = {(d[0][0] if isinstance(d, list) else d[0]) for d in diff}
    assert kinds == {"add_column", "add_table", "modify_type"}


async def test_upgrade_is_idempotent(store_url: str) -> None:
    await upgrade(store_url)  # store_url is migrated already: this is the second run
    await upgrade(store_url)
    assert await scalar_rows(store_url, "SELECT id, value FROM revision_counter") == [(1, 0)]
    head = ScriptDirectory.from_config(alembic_config(store_url)).get_current_head()
    assert await scalar_rows(store_url, "SELECT version_num FROM alembic_version") == [(head,)]
    assert await schema_diff(store_url) == []


async def test_sqlite_upgrade_creates_the_data_directory(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/a/b/rights.db"
    await upgrade(url)
    assert (tmp_path / "a" / "b" / "rights.db").is_file()
    assert await scalar_rows(url, "PRAGMA journal_mode") == [("wal",)]


@pytest.mark.postgres
async def test_postgres_urls_are_accepted_in_every_spelling(pg_url: str) -> None:
    plain = pg_url.replace("postgresql+asyncpg://", "postgres://")
    await upgrade(plain)
    assert await scalar_rows(
        pg_url.replace("postgresql+asyncpg://", "postgresql://"), "SELECT value FROM revision_counter"
    ) == [(0,)]
