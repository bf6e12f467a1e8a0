"""Set-based writes inside a store transaction, the fastest way each backend offers.

SQLite: ``executemany`` of plain tuples on the driver cursor (no per-row SQLAlchemy processing).
PostgreSQL: ``COPY`` (asyncpg ``copy_records_to_table``) for new rows, prepared ``executemany`` for
the few changed ones. Reads go through ``text()`` with expanding ``IN`` lists, the same on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

_json = msgspec.json.Encoder()


class Bulk:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    async def tune(self) -> None:
        """Per-transaction settings for bulk work.

        SQLite: a bigger page cache (the default 2 MB thrashes on big indexes). PostgreSQL: plan every
        statement for its parameters; the driver's prepared statements would otherwise settle on a
        generic plan made while the tables were still empty (sequential scans, quadratic time).
        """
        if self.postgres:
            await self.conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        else:
            await self.conn.exec_driver_sql("PRAGMA cache_size = -65536")  # 64 MiB

    # --- values in the form each driver takes ----------------------------------------------------

    def time(self, at: datetime) -> Any:
        """A timestamp as UTCDateTime stores it: aware on PostgreSQL, naive UTC text on SQLite."""
        at = at.astimezone(UTC)
        return at if self.postgres else at.strftime("%Y-%m-%d %H:%M:%S.%f")

    def json(self, value: object) -> str | None:
        return None if value is None else _json.encode(value).decode()

    # --- reads --------------------------------------------------------------------------------

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        stmt = text(sql)
        expanding = [bindparam(k, expanding=True) for k, v in params.items() if isinstance(v, list)]
        if expanding:
            stmt = stmt.bindparams(*expanding)
        return list((await self.conn.execute(stmt, params)).all())

    # --- writes -------------------------------------------------------------------------------

    async def insert(self, table: str, columns: Sequence[str], records: list[tuple]) -> None:
        if not records:
            return
        if self.postgres:
            raw = await self.conn.get_raw_connection()
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                table, records=records, columns=list(columns)
            )
            return
        marks = ", ".join("?" * len(columns))
        await self.conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", records
        )

    async def execute_many(self, sql: str, params: list[dict[str, Any]]) -> None:
        """``sql`` with ``:name`` parameters, once per dict (an UPDATE or DELETE by key)."""
        if params:
            await self.conn.execute(text(sql), params)

    async def execute(self, sql: str, **params: Any) -> int:
        stmt = text(sql)
        expanding = [bindparam(k, expanding=True) for k, v in params.items() if isinstance(v, list)]
        if expanding:
            stmt = stmt.bindparams(*expanding)
        return (await self.conn.execute(stmt, params)).rowcount


__all__ = ["Bulk"]
