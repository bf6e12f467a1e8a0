"""Databases for the tests: a SQLite file per test, and a fresh PostgreSQL database per test.

PostgreSQL comes from ``RIGHTS_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``);
when it cannot be reached the tests that need it are skipped, or fail when ``CI=true``.
Each database is built by the migrations, never by ``metadata.create_all``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from rights.storage import SqlStore, create_store, default_sqlite_url
from rights.storage.migrate import upgrade

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

T = TypeVar("T")


def run_in_thread(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run a coroutine function to completion on its own loop, off the test loop (for sync fixtures)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(fn(*args))).result()  # type: ignore[arg-type]


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return default_sqlite_url(tmp_path)


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get("RIGHTS_TEST_PG_URL", DEFAULT_PG_URL)
    try:
        run_in_thread(_execute, _asyncpg_dsn(url), "SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        where = make_url(url).render_as_string(hide_password=True)
        message = f"PostgreSQL not reachable at {where} ({type(exc).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A new, empty database on the test server; dropped (WITH (FORCE)) afterwards."""
    name = f"rights_test_{secrets.token_hex(6)}"
    server = _asyncpg_dsn(pg_server_url)
    run_in_thread(_execute, server, f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(pg_server_url)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        run_in_thread(_execute, server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of a freshly migrated database, once per backend."""
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    run_in_thread(upgrade, url)
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlStore]:
    s = create_store(store_url)
    try:
        yield s
    finally:
        await s.close()
