"""Single-active processes: a PostgreSQL session advisory lock held on one dedicated connection.

A process that must run once per deployment (the directory follower) takes the lock before it starts
and keeps it while it runs; a second replica waits until the first one stops or loses its connection,
then takes over. On SQLite (one machine, development) there is nothing to share: the lock always holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib

from sqlalchemy import URL, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rights.storage.engine import build_engine, is_sqlite, normalise_url


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock from a readable name."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class AdvisoryLock:
    def __init__(self, url: str | URL, name: str) -> None:
        self.url, self.name, self.key = normalise_url(url), name, lock_key(name)
        self._engine: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None

    async def acquire(self, stop: asyncio.Event, *, retry_seconds: float = 5.0) -> bool:
        """Wait until the lock is ours (True) or `stop` is set (False)."""
        if is_sqlite(self.url):
            return True
        self._engine = build_engine(self.url)
        while not stop.is_set():
            try:
                if self._conn is None:
                    self._conn = await self._engine.connect()
                got = (await self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})).scalar()
                await self._conn.commit()
                if got:
                    return True
            except (OSError, DBAPIError):  # the database is away: try again later
                await self._drop_connection()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), retry_seconds)
        await self.release()
        return False

    async def _drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def release(self) -> None:
        """Give the lock up (closing the session releases it too)."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                await self._conn.commit()
        await self._drop_connection()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
