"""Request id, security headers and one scrubbed access-log line per request."""

from __future__ import annotations

import re
import secrets
import time

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def security_headers(form_targets: tuple[str, ...] = ()) -> tuple[tuple[bytes, bytes], ...]:
    """Sent with every response (docs/security.md). The screens load scripts and styles only from
    /static: no inline script or style, no framing (the confirmation pages must not be clickjacked), no
    sniffing. Forms post only to the service itself and to ``form_targets`` (the OpenID Connect issuer,
    which the login form's redirect reaches)."""
    form_action = " ".join(("'self'", *form_targets))
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
           f"base-uri 'none'; form-action {form_action}; frame-ancestors 'none'")
    return (
        (b"content-security-policy", csp.encode("latin-1")),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", b"accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                                b"microphone=(), payment=(), usb=()"),
    )


_SECURITY_NAMES = {name for name, _ in security_headers()}
log = structlog.get_logger("rights.access")


class RequestContextMiddleware:
    """Give every request an id (a sane incoming X-Request-ID is kept), bind it to the log context,
    echo it in the response and log the request once it is done."""

    def __init__(self, app: ASGIApp, headers: tuple[tuple[bytes, bytes], ...] | None = None) -> None:
        self.app = app
        self.headers = headers if headers is not None else security_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                kept = [(k, v) for k, v in message["headers"] if k.lower() not in _SECURITY_NAMES]
                message["headers"] = [*kept, *self.headers, (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            user = scope.get("user")
            log.info(
                "request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                principal=getattr(user, "subject", None),
            )
            structlog.contextvars.clear_contextvars()
