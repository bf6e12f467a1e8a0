"""Storage adapter: SQLAlchemy tables, the SQL store (SQLite and PostgreSQL) and Alembic migrations.

``create_store`` only connects; the schema comes from ``rights.storage.migrate.upgrade``.
"""

from __future__ import annotations

from pathlib import Path

from rights.domain.ports import Clock
from rights.storage.engine import StorageError, build_engine, normalise_url
from rights.storage.sql_store import SqlStore, SqlTx


def create_store(url: str, *, echo: bool = False, clock: Clock | None = None) -> SqlStore:
    """A store on ``url``: ``sqlite+aiosqlite:///…`` or ``postgresql://…`` (``postgres://`` works too)."""
    return SqlStore(build_engine(url, echo=echo), clock=clock)


def default_sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{Path(data_dir).as_posix()}/rights.db"


__all__ = ["SqlStore", "SqlTx", "StorageError", "create_store", "default_sqlite_url", "normalise_url"]
