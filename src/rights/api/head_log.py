"""Log the heads of the hash-chained change log and audit trail at a fixed interval (issue 10 item 9).

Each ``rights serve`` process writes one ``audit_head`` event every ``RIGHTS_AUDIT_HEAD_LOG_SECONDS``
(0: never), so a log store outside the database's reach witnesses them; ``rights audit verify
--changes-head … --audit-head …`` later proves the history up to a witnessed head is unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from rights.domain.ports import Store
from rights.logging import get_logger

log = get_logger("rights.audit")


class PublishedHead:
    """When this process last published the heads: the age /metrics reports (rights_audit_head_age_seconds)."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    async def __call__(self) -> datetime | None:
        return self.at


async def log_heads(store: Store) -> bool:
    try:
        async with store.read() as tx:
            changes, audit = await tx.chain_heads()
    except Exception:  # noqa: BLE001 - the next interval tries again; storage errors are logged elsewhere
        log.warning("audit_head_unavailable")
        return False
    log.info(
        "audit_head",
        changes_revision=changes.position, changes_hash=changes.hash,
        changes_at=changes.at.isoformat() if changes.at else None,
        audit_id=audit.position, audit_hash=audit.hash, audit_at=audit.at.isoformat() if audit.at else None,
    )
    return True


@contextlib.asynccontextmanager
async def head_logging(store: Store, interval: float, published: PublishedHead | None = None) -> AsyncIterator[None]:
    """While the app runs: log the heads at start and then every ``interval`` seconds (0: off)."""
    if interval <= 0:
        yield
        return

    async def loop() -> None:
        while True:
            if await log_heads(store) and published is not None:
                published.at = datetime.now(UTC)
            await asyncio.sleep(interval)

    task = asyncio.create_task(loop(), name="audit-head-log")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
