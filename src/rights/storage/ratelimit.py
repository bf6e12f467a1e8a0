"""Rate-limit windows in the database, so the limit holds across every process (issue 15 item 4).

One statement per hit, atomic on both backends: insert the caller's row for this minute, or add one to
it only while it is under the limit (``INSERT … ON CONFLICT DO UPDATE … WHERE hits < limit RETURNING``).
No row back means refused, and a refused hit is not counted. Rows of past minutes are deleted when this
process first counts in a new minute.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from rights.storage.engine import WRITE_OPTION
from rights.storage.sql_store import _wrapped
from rights.storage.tables import rate_limit_windows

_T = rate_limit_windows


class SqlWindowCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._swept = -1

    async def hit(self, key: str, minute: int, limit: int) -> bool:
        """Count one hit of ``key`` in ``minute``; False (and not counted) when it already has ``limit``."""
        stmt = self._insert(_T).values(key=key, minute=minute, hits=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_T.c.key, _T.c.minute], set_={"hits": _T.c.hits + 1}, where=_T.c.hits < limit,
        ).returning(_T.c.hits)
        with _wrapped("storage unavailable"):
            async with self.engine.connect() as conn:
                await conn.execution_options(**{WRITE_OPTION: True})
                async with conn.begin():
                    if self._swept != minute:
                        await conn.execute(delete(_T).where(_T.c.minute < minute - 1))
                        self._swept = minute
                    counted = (await conn.execute(stmt)).first()
        return counted is not None


class MemoryWindowCounter:
    """The in-process twin (one process only): the same answers as :class:`SqlWindowCounter`."""

    def __init__(self) -> None:
        self._hits: dict[tuple[str, int], int] = {}

    async def hit(self, key: str, minute: int, limit: int) -> bool:
        if len(self._hits) > 10_000:  # forget past minutes so the table stays small
            self._hits = {k: v for k, v in self._hits.items() if k[1] >= minute - 1}
        n = self._hits.get((key, minute), 0)
        if n >= limit:
            return False
        self._hits[(key, minute)] = n + 1
        return True
