"""The few figures /metrics needs from the database (rights.api.metrics reads them at scrape time,
cached for a few seconds, never per request): the latest revision, the outbox, import runs and the
directory integration's state rows. One short read transaction, small aggregate queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rights.storage.tables import directory_state, import_runs, outbox, revision_counter

_UNSENT = ("pending", "sending")


class DirectoryStream(msgspec.Struct, frozen=True):
    name: str  # "in" (sync) | "out" (provisioning)
    synced_at: datetime | None
    status: dict[str, Any]


class Figures(msgspec.Struct, frozen=True, kw_only=True):
    latest_revision: int
    outbox_pending: int = 0
    outbox_failed: int = 0
    outbox_oldest_unsent: datetime | None = None
    import_runs: dict[tuple[str, str], int] = {}  # (source, status) -> runs
    directory: tuple[DirectoryStream, ...] = ()


async def read_figures(conn: AsyncConnection) -> Figures:
    latest = (await conn.execute(select(func.max(revision_counter.c.value)))).scalar()
    by_status = {row.status: (row.n, row.oldest) for row in await conn.execute(
        select(outbox.c.status, func.count().label("n"), func.min(outbox.c.created_at).label("oldest"))
        .group_by(outbox.c.status))}
    unsent = [by_status[s] for s in _UNSENT if s in by_status]
    oldest = min((o for _, o in unsent if o is not None), default=None)
    runs = {(row.source, row.status): int(row.n) for row in await conn.execute(
        select(import_runs.c.source, import_runs.c.status, func.count().label("n"))
        .group_by(import_runs.c.source, import_runs.c.status))}
    streams = tuple(
        DirectoryStream(row.name, row.synced_at, dict(row.status or {}))
        for row in await conn.execute(select(directory_state.c.name, directory_state.c.synced_at,
                                             directory_state.c.status).order_by(directory_state.c.name)))
    return Figures(
        latest_revision=int(latest or 0),
        outbox_pending=sum(n for n, _ in unsent),
        outbox_failed=int(by_status.get("failed", (0, None))[0]),
        outbox_oldest_unsent=oldest,
        import_runs=runs,
        directory=streams,
    )
