"""The token issuer's key set (JWKS), fetched asynchronously so a slow issuer never stalls the service.

Requests whose ``kid`` is known are answered from the cache at once, even while a refresh is under way.
A token with an unknown ``kid`` (key rotation) triggers a refresh and waits for it, but at most once per
``refresh_seconds``: a flood of tokens with made-up key ids cannot make us hammer the issuer. Keys older
than ``max_age_seconds`` are refreshed in the background while the old ones keep serving (a failed
refresh keeps them, and is retried after ``refresh_seconds``, not at the next request). One refresh at a
time (single flight), over one ``httpx.AsyncClient``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import httpx
import jwt
import structlog

log = structlog.get_logger("rights.jwks")

MAX_AGE_SECONDS = 300.0


class RemoteKeySet:
    def __init__(self, url: str, *, refresh_seconds: float = 60.0, max_age_seconds: float = MAX_AGE_SECONDS,
                 timeout: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.url, self.refresh_seconds, self.max_age_seconds = url, refresh_seconds, max_age_seconds
        self.timeout, self.clock = timeout, clock
        self._by_kid: dict[str, jwt.PyJWK] = {}
        self._all: list[jwt.PyJWK] = []
        self._read_at = -math.inf
        self._unknown_at = -math.inf  # the last refresh an unknown key id asked for
        self._tried_at = -math.inf  # the last refresh of any kind (a failed one is not retried at once)
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self.fetches = 0

    async def keys_for(self, kid: str | None) -> list[jwt.PyJWK]:
        """The keys a token with this ``kid`` may be signed with; [] when none (the token is refused)."""
        if self._all:
            now = self.clock()
            if now - self._read_at >= self.max_age_seconds and now - self._tried_at >= self.refresh_seconds:
                self.refresh()  # in the background: the keys we have keep serving meanwhile
            if found := self._lookup(kid):
                return found
        # Unknown key id (a rotation?) or no keys yet: wait for a refresh, at most one per interval.
        task = self._task if self._task is not None and not self._task.done() else None
        if task is None and self.clock() - self._unknown_at >= self.refresh_seconds:
            self._unknown_at = self.clock()
            task = self.refresh()
        if task is not None:
            await asyncio.shield(task)
        return self._lookup(kid)

    def _lookup(self, kid: str | None) -> list[jwt.PyJWK]:
        if kid is None:
            return list(self._all)
        key = self._by_kid.get(kid)
        return [key] if key is not None else []

    def refresh(self) -> asyncio.Task[None]:
        """Start a refresh unless one is running; either way return the running one."""
        if self._task is None or self._task.done():
            self._tried_at = self.clock()
            self._task = asyncio.get_running_loop().create_task(self._fetch(), name="rights-jwks-refresh")
        return self._task

    async def _fetch(self) -> None:
        self.fetches += 1
        try:
            if self._client is None:
                self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
            response = await self._client.get(self.url, headers={"accept": "application/json"})
            response.raise_for_status()
            keys = _signing_keys(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("jwks_fetch_failed", error=type(exc).__name__)
            return
        if not keys:
            log.warning("jwks_without_signing_keys")
            return
        self._all = keys
        self._by_kid = {k.key_id: k for k in keys if k.key_id}
        self._read_at = self.clock()
        log.info("jwks_read", keys=len(keys))

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _signing_keys(data: Any) -> list[jwt.PyJWK]:
    """Public signing keys only: never a symmetric ("oct") key, nor one marked for encryption."""
    found = []
    for jwk in data.get("keys", []) if isinstance(data, dict) and isinstance(data.get("keys"), list) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") == "oct" or jwk.get("use") not in (None, "sig"):
            continue
        with suppress(jwt.PyJWTError):
            found.append(jwt.PyJWK(jwk))
    return found
