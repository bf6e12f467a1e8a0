"""Authentication and the deny-by-default guard.

The guard runs before every handler: it reads the permission the route declares, authenticates the
bearer token unless the route is public, and refuses a principal whose kind does not hold the permission.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import (
    ImproperlyConfiguredException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute

from rights.api.permissions import Permission, holds
from rights.api.tokens import Principal, TokenError, TokenVerifier
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import Services


def declared_permission(handler: BaseRouteHandler) -> Permission | None:
    value = handler.opt.get("permission")
    if isinstance(value, Permission):
        return value
    # Litestar adds an OPTIONS handler per path (it only lists the allowed methods): public by nature.
    if getattr(handler, "http_methods", None) == {"OPTIONS"}:
        return Permission.PUBLIC
    return None


def ensure_every_route_declares_permission(app: Litestar) -> None:
    """Start-up check: a route without a permission is a configuration error, not an open door."""
    missing = [
        f"{sorted(handler.http_methods)} {route.path}"
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if declared_permission(handler) is None
    ]
    if missing:
        raise ImproperlyConfiguredException(f"routes without a declared permission: {', '.join(missing)}")


async def authorize(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    permission = declared_permission(handler)
    if permission is None:  # unreachable after the start-up check; deny all the same
        raise PermissionDeniedException("route declares no permission")
    if permission is Permission.PUBLIC:
        return
    if handler.opt.get("session"):  # a screen (rights.web): the principal comes from the signed session
        return _authorize_session(connection, permission)
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("Missing bearer token.")
    principal = await _principal(connection.app.state, token.strip())
    person_id = None
    if principal.kind is PrincipalKind.PERSON and principal.national_number:
        person_id = await _person_id(connection.app.state.services, principal.national_number)
    caller = Caller(
        kind=principal.kind,
        subject=principal.subject,
        person_id=person_id,
        request_id=connection.scope.get("state", {}).get("request_id"),
        address=connection.client.host if connection.client else None,
        may_list_persons=principal.kind is PrincipalKind.SERVICE
        and connection.app.state.settings.persons_list_scope in principal.scopes,
    )
    connection.scope["user"] = caller
    connection.scope["auth"] = principal
    if not holds(principal.kind, permission):
        raise PermissionDeniedException(f"A {principal.kind.value} principal may not use this route.")


def _authorize_session(connection: ASGIConnection, permission: Permission) -> None:
    """Screens never take bearer tokens; no logged-in operator in the session is a 401 (the screens'
    router turns it into a redirect to the login page)."""
    session = connection.scope.get("session")
    who = session.get("principal") if isinstance(session, dict) else None
    if not isinstance(who, dict) or who.get("kind") not in PrincipalKind.__members__.values():
        raise NotAuthorizedException("Login required.")
    kind = PrincipalKind(who["kind"])
    connection.scope["user"] = Caller(
        kind=kind,
        subject=str(who.get("subject")),
        person_id=who.get("person_id") if kind is PrincipalKind.PERSON else None,  # set at login (signed)
        request_id=connection.scope.get("state", {}).get("request_id"),
        address=connection.client.host if connection.client else None,
    )
    if not holds(kind, permission):
        raise PermissionDeniedException(f"A {kind.value} principal may not use this route.")


class TokenCache:
    """Verified tokens until they expire, so a busy service client pays the signature check once.

    Bounded (oldest dropped first) and keyed by the whole token; nothing here is ever logged.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[1] <= time.time():
            del self._entries[token]
            return None
        return entry[0]

    def put(self, token: str, principal: Principal, expires: float) -> None:
        self._entries[token] = (principal, expires)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


async def _principal(state: State, token: str) -> Principal:
    cache: TokenCache = state.token_cache
    principal = cache.get(token)
    if principal is not None:
        return principal
    verifier: TokenVerifier = state.verifier
    try:
        claims = await verifier.averify(token)
        principal = verifier.principal(claims)
    except TokenError as exc:
        raise NotAuthorizedException(str(exc)) from None
    cache.put(token, principal, float(claims["exp"]) + verifier.settings.clock_skew_seconds)
    return principal


async def _person_id(services: Services, national_number: str) -> str | None:
    """The logged-in person's id: from this process's index when it knows them, else the store."""
    keeper = services.core.keeper
    if keeper is not None and (ix := keeper.index.person_ix(national_number)) is not None:
        return keeper.index.person_id(ix)
    async with services.core.store.read() as tx:
        person = await tx.find_person(national_number)
    return person.id if person is not None else None
