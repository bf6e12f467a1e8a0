"""Run the Alembic migrations shipped inside the package (``migrations/``); no alembic.ini needed.

``upgrade(url)`` is what the CLI and the tests call. For other Alembic commands (history, downgrade,
revision --autogenerate) build the config with :func:`alembic_config` and use ``alembic.command``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL, Connection

from rights.storage.engine import WRITE_OPTION, build_engine, normalise_url, sqlite_file

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None, *, service_role: str | None = None) -> Config:
    """An Alembic Config for the package's migrations; ``url`` goes to ``config.attributes["url"]``.

    ``service_role``: the PostgreSQL role the service runs as; migration 0009 revokes UPDATE, DELETE
    and TRUNCATE on the hash-chained tables from it (``RIGHTS_DATABASE_SERVICE_ROLE``).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.attributes["url"] = url
    if service_role:
        config.attributes["service_role"] = service_role
    return config


def _ensure_directory(url: URL) -> None:
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(url: str, revision: str = "head", *, service_role: str | None = None) -> None:
    """Bring the database at ``url`` to ``revision``. Idempotent; concurrent callers queue."""
    parsed = normalise_url(url)
    _ensure_directory(parsed)
    engine = build_engine(parsed)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(**{WRITE_OPTION: True})
            await connection.run_sync(_upgrade, alembic_config(url, service_role=service_role), revision)
            await connection.commit()
    finally:
        await engine.dispose()


def upgrade_sync(url: str, revision: str = "head", *, service_role: str | None = None) -> None:
    """``upgrade`` for callers without an event loop (the CLI)."""
    asyncio.run(upgrade(url, revision, service_role=service_role))


__all__ = ["MIGRATIONS", "alembic_config", "upgrade", "upgrade_sync"]
