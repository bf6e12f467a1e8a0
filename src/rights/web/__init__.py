"""Server-rendered screens: the 1700 helpline operator's screen and the overview exports.

``create_web(settings, services)`` gives what ``create_app`` mounts: the screens' router (with its own
session and CSRF middleware), the export API controller, the template engine, the desk (cards and
forwards) and the outbox worker's lifespan. See docs/helpline.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Router, get
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from rights.api.permissions import Permission
from rights.domain.services import Services
from rights.mail.notifier import OutboxNotifier
from rights.mail.ports import Outbox
from rights.settings import Settings
from rights.web.beheer import BeheerScreen
from rights.web.beheer_bulk import BulkScreen
from rights.web.beheer_more import BEHEER_MORE
from rights.web.beheer_recert import RecertScreen
from rights.web.beheer_requests import RequestScreen
from rights.web.desk import Desk
from rights.web.exports import ExportController, ExportScreen
from rights.web.helpline import HelplineScreen
from rights.web.oidc import OidcLoginController
from rights.web.session import LoginController, middleware, session_key
from rights.web.successions import SuccessionScreen

HERE = Path(__file__).parent
log = structlog.get_logger("rights.web")


@dataclass
class Web:
    handlers: list[Any]
    templates: TemplateConfig | None
    state: dict[str, Any]
    lifespans: list[Any] = field(default_factory=list)


def create_outbox(services: Services) -> Outbox:
    engine = getattr(services.core.store, "engine", None)
    if engine is None:
        from rights.mail.memory import MemoryOutbox

        return MemoryOutbox()
    from rights.mail.sql import SqlOutbox

    return SqlOutbox(engine)


def _to_login(request: Request, _exc: NotAuthorizedException) -> Redirect:
    return Redirect("/helpline/login", status_code=303)


@get("/", opt={"permission": Permission.PUBLIC}, include_in_schema=False)
async def home(request: Request) -> Redirect:
    """A person to their /beheer, an operator to the helpline screen, anyone else to the login page."""
    who = request.session.get("principal")
    kind = who.get("kind") if isinstance(who, dict) else None
    if kind == "person":
        return Redirect("/beheer", status_code=303)
    if kind in ("helpline", "platform_admin"):
        return Redirect("/helpline", status_code=303)
    return Redirect("/helpline/login", status_code=303)


def create_web(settings: Settings, services: Services) -> Web:
    outbox = create_outbox(services)
    worker = None
    if settings.smtp_host:
        from rights.mail.sender import OutboxWorker, SmtpSender

        worker = OutboxWorker(outbox, SmtpSender(settings.smtp_host, settings.smtp_port, settings.mail_from))
    desk = Desk(services.core, outbox, on_queued=worker.wake if worker else None)
    services.requests.notifier = OutboxNotifier(outbox, base_url=settings.base_url,
                                                on_queued=worker.wake if worker else None)
    state = {"outbox": outbox, "desk": desk, "mail_worker": worker}

    @asynccontextmanager
    async def run_worker(_app: Litestar) -> AsyncIterator[None]:
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()

    handlers: list[Any] = [ExportController]
    key = session_key(settings)
    if key is None:
        log.warning("helpline_screens_disabled", reason="RIGHTS_SESSION_SECRET is not set")
        return Web(handlers, None, state, [run_worker])
    screens = Router(
        path="/",
        route_handlers=[LoginController, HelplineScreen, ExportScreen, BeheerScreen, RequestScreen, home,
                       OidcLoginController, *BEHEER_MORE, BulkScreen,
                       RecertScreen, SuccessionScreen],
        middleware=middleware(settings, key),
        exception_handlers={NotAuthorizedException: _to_login},
    )
    static = create_static_files_router(path="/static", directories=[HERE / "static"],
                                        opt={"permission": Permission.PUBLIC})
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    templates = TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
    return Web([*handlers, screens, static], templates, state, [run_worker])
