"""Lookups per operator per minute, against bulk harvesting of the helpline (screen and API).

Keyed by the authenticated caller (kind and subject), never by address: operators share a call centre's
address, and a harvester can change addresses. In memory, per process: with N processes an operator may
do up to N times the limit; put a shared limiter in front if that matters (docs/helpline.md).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler

from rights.domain.ports import Caller

WINDOW_SECONDS = 60.0


class LookupLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.clock = per_minute, clock
        self._hits: dict[str, deque[float]] = {}
        self.refused = 0  # rights_ratelimit_refusals_total{limit="helpline_lookup"}

    def allow(self, caller: Caller) -> bool:
        """Count one lookup; False (and not counted) when the caller is over the limit."""
        key = f"{caller.kind.value}:{caller.subject}"
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        if len(hits) >= self.per_minute:
            self.refused += 1
            return False
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle callers so the table stays small
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - WINDOW_SECONDS}
        return True

    def reset(self) -> None:
        self._hits.clear()


class LookupRateLimited(HTTPException):
    status_code = 429


async def limit_lookups(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Route guard (after ``authorize``, which put the caller in ``scope["user"]``)."""
    limiter: LookupLimiter = connection.app.state.lookup_limiter
    if not limiter.allow(connection.scope["user"]):
        raise LookupRateLimited(detail="lookup rate limit", headers={"Retry-After": str(int(WINDOW_SECONDS))})
