"""Alembic environment for ``rights``; run through ``rights.storage.migrate`` or the alembic CLI.

The database URL comes from ``config.attributes["url"]`` (set by ``migrate.py``), ``-x url=…`` on the
command line, or ``sqlalchemy.url`` in an ini file, in that order. ``migrate.upgrade`` hands over an
open connection in ``config.attributes["connection"]`` instead, so nothing here starts an event loop
inside another.

Engines are built by ``rights.storage.engine`` so SQLite gets the same BEGIN handling as the store,
which makes its DDL transactional. Concurrent upgrades queue: SQLite on ``BEGIN IMMEDIATE``,
PostgreSQL on an advisory lock taken before Alembic reads the version table.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from rights.storage.engine import WRITE_OPTION, build_engine, normalise_url
from rights.storage.search import include_name
from rights.storage.tables import metadata

config = context.config

# pg_advisory_xact_lock key, arbitrary but fixed: "rights" in ASCII, as an integer
MIGRATION_LOCK = int.from_bytes(b"rights", "big")


def _url() -> str:
    url = (
        config.attributes.get("url")
        or context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=… or use rights.storage.migrate.upgrade(url)")
    return url


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=metadata, transactional_ddl=True, compare_type=True, include_name=include_name, **kwargs
    )


def run_migrations_offline() -> None:
    _configure(url=normalise_url(_url()), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = build_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.execution_options(**{WRITE_OPTION: True})
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
elif (shared := config.attributes.get("connection")) is not None:
    do_run_migrations(shared)
else:
    asyncio.run(run_async_migrations())
