"""Operator login by LDAP bind (helpline operators and platform staff).

The user is looked up with the service account, then a *separate* connection binds as the user over
StartTLS or LDAPS (plain only when the mapping allows it for tests), and group membership decides the
principal: platform administrator first, then helpline operator. Failed binds are rate-limited per
user and per address by an in-memory sliding window: the limit holds **per process** (several workers
each count on their own; put a shared limiter in front if that matters). Passwords are never logged,
never kept, and an empty password is refused before LDAP sees it (an empty simple bind is an
*anonymous* bind and would succeed).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress

import ldap
import ldap.filter
import structlog

from rights.directory import metrics
from rights.directory.client import UNAVAILABLE, DirectoryUnavailable, connect, describe, open_connection
from rights.directory.mapping import Mapping
from rights.domain.errors import DomainError, Forbidden
from rights.domain.ports import Caller, PrincipalKind

log = structlog.get_logger("rights.directory")


class LoginRefused(Forbidden):
    """Wrong credentials, unknown user (same answer: no user enumeration), not an operator, or too many tries."""


class LoginUnavailable(DomainError):
    kind = "unavailable"


class RateLimiter:
    """At most ``limit`` failures per key within ``window`` seconds."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window, self.clock = window, clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        cutoff = self.clock() - self.window
        while q and q[0] <= cutoff:
            q.popleft()
        return q

    def blocked(self, key: str, limit: int) -> bool:
        return len(self._recent(key)) >= limit

    def fail(self, key: str) -> None:
        self._recent(key).append(self.clock())

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


class OperatorLogin:
    """``await OperatorLogin(mapping).login(username, password, address)`` -> a :class:`Caller`."""

    def __init__(self, mapping: Mapping, limiter: RateLimiter | None = None) -> None:
        if mapping.operators is None:
            raise ValueError("the mapping has no operators section")
        self.mapping, self.ops = mapping, mapping.operators
        self.limiter = limiter or RateLimiter(self.ops.window_seconds)

    async def login(self, username: str, password: str, address: str | None = None) -> Caller:
        username = username.strip()
        user_key, addr_key = f"user:{username.lower()}", f"addr:{address or '-'}"
        if (self.limiter.blocked(user_key, self.ops.max_failures_per_user)
                or self.limiter.blocked(addr_key, self.ops.max_failures_per_address)):
            metrics.LOGIN.labels("rate_limited").inc()
            log.warning("operator_login_rate_limited", username=username, address=address)
            raise LoginRefused("ldap_login_rate_limited")
        if not username or not password or len(username) > 256:
            return self._failed(user_key, addr_key, username, address)
        try:
            kind = await asyncio.to_thread(self._bind_and_classify, username, password)
        except DirectoryUnavailable as exc:
            metrics.LOGIN.labels("unavailable").inc()
            log.error("operator_login_directory_unavailable", error=str(exc))
            raise LoginUnavailable("directory_unavailable") from None
        if kind is None:
            return self._failed(user_key, addr_key, username, address)
        if kind == "none":
            metrics.LOGIN.labels("not_operator").inc()
            log.warning("operator_login_not_an_operator", username=username, address=address)
            raise LoginRefused("ldap_not_an_operator")
        self.limiter.clear(user_key)
        metrics.LOGIN.labels("success").inc()
        log.info("operator_login", username=username, address=address, principal=kind)
        return Caller(kind=PrincipalKind(kind), subject=f"ldap:{username}", address=address)

    def _failed(self, user_key: str, addr_key: str, username: str, address: str | None) -> Caller:
        self.limiter.fail(user_key)
        self.limiter.fail(addr_key)
        metrics.LOGIN.labels("failed").inc()
        log.warning("operator_login_failed", username=username, address=address)
        raise LoginRefused("ldap_login_failed")

    def _bind_and_classify(self, username: str, password: str) -> str | None:
        """None: bad credentials; "none": authenticated but in no operator group; else the principal kind."""
        cfg = self.mapping.connection
        service = connect(cfg)
        try:
            flt = self.ops.user_filter.format(username=ldap.filter.escape_filter_chars(username))
            found = [dn for dn, _ in service.search_s(self.ops.user_base, ldap.SCOPE_SUBTREE, flt, ["1.1"]) if dn]
            if len(found) != 1:
                return None
            user = open_connection(cfg)
            try:
                user.simple_bind_s(found[0], password)
            except ldap.INVALID_CREDENTIALS:
                return None
            finally:
                with suppress(ldap.LDAPError):
                    user.unbind_s()
            for kind, group in ((PrincipalKind.PLATFORM_ADMIN, self.ops.platform_admin_group),
                                (PrincipalKind.HELPLINE, self.ops.helpline_group)):
                if group and self._member(service, group, found[0]):
                    return kind.value
            return "none"
        except UNAVAILABLE as exc:
            raise DirectoryUnavailable(describe(exc)) from None
        finally:
            with suppress(ldap.LDAPError):
                service.unbind_s()

    def _member(self, conn, group: str, dn: str) -> bool:
        flt = f"({self.ops.member_attribute}={ldap.filter.escape_filter_chars(dn)})"
        try:
            return bool(conn.search_s(group, ldap.SCOPE_BASE, flt, ["1.1"]))
        except ldap.NO_SUCH_OBJECT:
            return False
