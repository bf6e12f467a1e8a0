"""Authentication and the deny-by-default guard.

The guard runs before every handler: it reads the permission the route declares, authenticates the
bearer token unless the route is public, and refuses a principal whose kind does not hold the permission.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ImproperlyConfiguredException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute

from rights.api.permissions import Permission, holds
from rights.api.tokens import TokenError, TokenVerifier
from rights.domain.ports import Caller, PrincipalKind


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
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("Missing bearer token.")
    verifier: TokenVerifier = connection.app.state.verifier
    try:
        principal = verifier.principal(verifier.verify(token.strip()))
    except TokenError as exc:
        raise NotAuthorizedException(str(exc)) from None
    person_id = None
    if principal.kind is PrincipalKind.PERSON and principal.national_number:
        async with connection.app.state.services.core.store.read() as tx:
            person = await tx.find_person(principal.national_number)
        person_id = person.id if person is not None else None
    caller = Caller(
        kind=principal.kind,
        subject=principal.subject,
        person_id=person_id,
        request_id=connection.scope.get("state", {}).get("request_id"),
        address=connection.client.host if connection.client else None,
    )
    connection.scope["user"] = caller
    connection.scope["auth"] = principal
    if not holds(principal.kind, permission):
        raise PermissionDeniedException(f"A {principal.kind.value} principal may not use this route.")
