"""Engines for SQLite and PostgreSQL, set up the same way for the store and for the migrations.

SQLite: pysqlite/aiosqlite's own transaction handling is switched off (``isolation_level = None``)
and SQLAlchemy's ``begin`` event emits the BEGIN itself: ``BEGIN IMMEDIATE`` for a connection marked
with the ``rights_write`` execution option (so writers queue on SQLite's write lock, waiting up to the
busy timeout, instead of failing with "database is locked" on upgrade from a read lock), plain
``BEGIN`` otherwise. See the SQLAlchemy SQLite dialect docs, "Enabling Non-Legacy SQLite Transactional
Modes with the sqlite3 or aiosqlite driver".
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from rights.domain.errors import Unavailable

WRITE_OPTION = "rights_write"
BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 5

_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


class StorageError(Exception):
    """The database failed us. The message is deliberately generic; the driver's error is ``__cause__``."""

    def __init__(self, message: str = "storage failure") -> None:
        super().__init__(message)


class StorageUnavailable(StorageError, Unavailable):
    """The database cannot be reached (refused, timed out, connection lost): answered with 503."""

    def __init__(self) -> None:
        super().__init__("storage unavailable")


def unreachable(exc: BaseException) -> bool:
    """Whether a driver error means the database is out of reach rather than that a statement failed."""
    if isinstance(exc, OSError):  # refused, reset, timed out
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, InterfaceError):
            return True
        if isinstance(exc, OperationalError):  # SQLite's "no such table" is one too, but a bug, not an outage
            return "no such" not in str(exc.orig)
        return isinstance(exc.orig, OSError) or "connection" in type(exc.orig).__name__.lower()
    return False


def normalise_url(url: str | URL) -> URL:
    """``postgres://`` and ``postgresql://`` become ``postgresql+asyncpg://``, ``sqlite://`` aiosqlite."""
    parsed = make_url(url)
    return parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    if not is_sqlite(url) or url.database in (None, "", ":memory:") or str(url.database).startswith("file:"):
        return None
    return Path(str(url.database))


def _json_dumps(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def build_engine(url: str | URL, *, echo: bool = False) -> AsyncEngine:
    parsed = normalise_url(url)
    engine = create_async_engine(
        parsed,
        echo=echo,
        json_serializer=_json_dumps,
        json_deserializer=msgspec.json.decode,
        # An unreachable PostgreSQL answers 503 within seconds, not after asyncpg's 60 s default.
        **({} if is_sqlite(parsed) else {"pool_pre_ping": True}),
        **({"connect_args": {"timeout": CONNECT_TIMEOUT_S}} if parsed.get_driver_name() == "asyncpg" else {}),
    )
    if is_sqlite(parsed):
        _setup_sqlite(engine)
    return engine


def _setup_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first, so that switching to WAL waits for other connections too.
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def violation(exc: DBAPIError) -> str:
    """Which kind of integrity violation a driver error is: "unique", "foreign_key" or "other"."""
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        name = getattr(orig, "sqlite_errorname", "")
        if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
            return "unique"
        if name == "SQLITE_CONSTRAINT_FOREIGNKEY":
            return "foreign_key"
        return "other"
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return {"23505": "unique", "23503": "foreign_key"}.get(str(code), "other")
