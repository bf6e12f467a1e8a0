"""Session lifetime for the screens: a fresh session at every login, and expiry after idle or max time.

A logged-in session holds ``created`` and ``seen`` (seconds since the epoch, from the services' clock so
tests can move time). :class:`SessionExpiry` sits just inside the session middleware of the screens'
router: on every request of a logged-in session it either refreshes ``seen`` or, when the session was
unused for longer than ``RIGHTS_SESSION_IDLE_MINUTES`` or is older than ``RIGHTS_SESSION_MAX_HOURS``,
clears it (the language is kept) and sends the user to the login page with a "your session expired"
notice. A logged-in session without these timestamps is treated as expired. Cost: two comparisons.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

from rights.settings import Settings

LOGIN_PATH = "/helpline/login"
EXPIRED_PATH = f"{LOGIN_PATH}?expired=1"
log = structlog.get_logger("rights.web.session")


def clock_now(app: Any) -> int:
    """Now, in whole seconds, from the clock the use cases read (injectable in tests)."""
    return int(app.state.services.core.now().timestamp())


def start_session(request: Request, principal: dict[str, Any], **extra: Any) -> None:
    """A new principal starts a new session: the old one (and anything pending in it) is dropped."""
    lang = request.session.get("lang")
    now = clock_now(request.app)
    request.clear_session()
    request.set_session({"principal": principal, "lang": lang or "nl", "call": [], "created": now, "seen": now,
                         **extra})


def is_expired(session: dict[str, Any], now: int, settings: Settings) -> bool:
    created, seen = session.get("created"), session.get("seen")
    if not isinstance(created, int | float) or not isinstance(seen, int | float):
        return True
    return now - seen > settings.session_idle_minutes * 60 or now - created > settings.session_max_hours * 3600


class SessionExpiry:
    """ASGI middleware (inside the session middleware) that ends idle and too old sessions."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = scope.get("session")
        if scope["type"] == "http" and isinstance(session, dict) and session.get("principal"):
            now = clock_now(scope["litestar_app"])
            if not is_expired(session, now, self.settings):
                session["seen"] = now
            else:
                who = session["principal"]
                log.info("session_expired", principal=who.get("subject") if isinstance(who, dict) else None)
                scope["session"] = {"lang": session.get("lang") or "nl"}  # the session cookie is rewritten
                if scope["path"] != LOGIN_PATH:
                    await send({"type": "http.response.start", "status": 303,
                                "headers": [(b"location", EXPIRED_PATH.encode()), (b"content-length", b"0"),
                                            (b"cache-control", b"no-store")]})
                    await send({"type": "http.response.body", "body": b""})
                    return
        await self.app(scope, receive, send)
