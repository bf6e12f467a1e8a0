"""Lookups per operator per minute, against bulk harvesting of the helpline (screen and API).

Keyed by the authenticated caller (kind and subject), never by address: operators share a call centre's
address, and a harvester can change addresses. Counted per calendar minute in the database
(rights.storage.ratelimit), so the limit holds however many processes or replicas serve the helpline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler

from rights.domain.ports import Caller

WINDOW_SECONDS = 60


class WindowCounter(Protocol):
    async def hit(self, key: str, minute: int, limit: int) -> bool: ...


class LookupLimiter:
    def __init__(self, per_minute: int, counter: WindowCounter | None = None, *, name: str = "helpline_lookup",
                 clock: Callable[[], float] = time.time) -> None:
        if counter is None:
            from rights.storage.ratelimit import MemoryWindowCounter

            counter = MemoryWindowCounter()
        self.per_minute, self.counter, self.name, self.clock = per_minute, counter, name, clock
        self.refused = 0  # rights_ratelimit_refusals_total{limit=name}
        self._generation = 0

    async def allow(self, caller: Caller) -> bool:
        """Count one lookup; False (and not counted) when the caller is over the limit this minute."""
        minute = int(self.clock() // WINDOW_SECONDS)
        key = f"{self.name}:{self._generation}:{caller.kind.value}:{caller.subject}"[:255]
        if await self.counter.hit(key, minute, self.per_minute):
            return True
        self.refused += 1
        return False

    def retry_after(self) -> int:
        """Seconds until the current minute ends (the Retry-After of a refusal)."""
        return max(1, WINDOW_SECONDS - int(self.clock()) % WINDOW_SECONDS)

    def reset(self) -> None:
        """Start counting afresh in this process (tests, demos): its earlier hits no longer count."""
        self._generation += 1


class LookupRateLimited(HTTPException):
    status_code = 429


async def limit_lookups(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Route guard (after ``authorize``, which put the caller in ``scope["user"]``)."""
    limiter: LookupLimiter = connection.app.state.lookup_limiter
    if not await limiter.allow(connection.scope["user"]):
        raise LookupRateLimited(detail="lookup rate limit", headers={"Retry-After": str(limiter.retry_after())})
