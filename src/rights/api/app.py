"""The HTTP application, built by :func:`create_app` from settings (no import-time side effects)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig

from rights import __version__
from rights.api.bodies import json_body_gate
from rights.api.contract import document_problems
from rights.api.examples import document_examples
from rights.api.head_log import PublishedHead, head_logging
from rights.api.metrics import RuntimeMetrics, metrics_endpoint
from rights.api.middleware import RequestContextMiddleware, security_headers
from rights.api.operations import OPERATIONS, name_operations
from rights.api.permissions import Permission
from rights.api.problems import EXCEPTION_HANDLERS
from rights.api.ratelimit import LookupLimiter
from rights.api.reference import reference_router
from rights.api.routes.deps import DEPENDENCIES
from rights.api.routes.grants import ChangeController, CheckController, GrantController
from rights.api.routes.mandates import MandateController
from rights.api.routes.misc import AuditController, CatalogueController, HealthController, HelplineController
from rights.api.routes.organisations import OrganisationController
from rights.api.routes.persons import PersonController
from rights.api.routes.recertifications import RecertificationController
from rights.api.routes.requests import RequestController
from rights.api.routes.successions import SuccessionController
from rights.api.security import TokenCache, authorize, ensure_every_route_declares_permission
from rights.api.tokens import TokenVerifier
from rights.domain.catalogue import Catalogue
from rights.domain.keeper import IndexKeeper
from rights.domain.ports import Clock, Store
from rights.domain.services import build_services
from rights.settings import Settings


def _form_targets(settings: Settings) -> tuple[str, ...]:
    """The issuer's origin, when persons log in there from the screens (the login form redirects to it)."""
    if not settings.oidc_login:
        return ()
    parts = urlsplit(settings.oidc_issuer)
    return (f"{parts.scheme}://{parts.netloc}",) if parts.scheme in ("http", "https") and parts.netloc else ()


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    catalogue: Catalogue | None = None,
    clock: Clock | None = None,
) -> Litestar:
    """Wire the ports into the use cases and the use cases into routes."""
    if settings.ldap_mapping is not None:  # operators log in by LDAP bind: python-ldap, rights[ldap]
        from rights.directory.available import require_ldap

        require_ldap()  # refuse to start with one clear sentence rather than fail at the first login
    if store is None:
        from rights.storage import create_store

        store = create_store(settings.database)
    if catalogue is None:
        from rights.policies import default_policies_dir, load_catalogue

        catalogue = load_catalogue(settings.policies_dir or default_policies_dir())
    keeper = IndexKeeper(store, catalogue, poll_interval=settings.index_poll_seconds,
                         snapshot=settings.index_snapshot)
    services = build_services(store, catalogue, clock, keeper=keeper)
    from rights.web import create_web  # the screens, exports and outbox worker (docs/helpline.md)

    web = create_web(settings, services)
    from rights.storage.ratelimit import SqlWindowCounter

    # Shared through the database by every process (one PostgreSQL behind all replicas).
    lookup_limiter = LookupLimiter(settings.helpline_lookups_per_minute,
                                   SqlWindowCounter(store.engine))  # type: ignore[attr-defined]
    verifier = TokenVerifier(settings)
    metrics = RuntimeMetrics(store, keeper, cache_seconds=settings.metrics_cache_seconds,
                             limiters={"helpline_lookup": lookup_limiter})
    metrics.audit_head = published = PublishedHead()  # rights_audit_head_age_seconds

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Each process answers checks from its own index: built here, kept current from the change log.
        await keeper.start()
        from rights.logging import get_logger

        get_logger("rights.index").info("index_ready", started_from=keeper.started_from, revision=keeper.revision,
                                        seconds=round(keeper.built_in or 0.0, 3))
        if verifier.remote_keys is not None:
            verifier.remote_keys.refresh()  # read the issuer's keys now, without waiting for them
        # The index is millions of long-lived objects: keep the cyclic GC from walking them in every
        # full collection (107 ms at 300k grants, 1 s at 3M), which was the p99 of every request.
        gc.freeze()
        try:
            async with head_logging(services.core.store, settings.audit_head_log_seconds, published):
                yield
        finally:
            await keeper.stop()
            if verifier.remote_keys is not None:
                await verifier.remote_keys.aclose()
            await services.core.store.close()

    openapi = OpenAPIConfig(
        title="rights",
        version=__version__,
        description="Who may act for which organisation, with which right, on which measure.",
        path="/schema",
        use_handler_docstrings=True,
        render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"]), YamlRenderPlugin()],
        openapi_router=Router(path="/schema", route_handlers=[], opt={"permission": Permission.PUBLIC},
                              tags=["reference"]),
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
        ),
        security=[{"bearer": []}],
    )
    prometheus = PrometheusConfig(app_name="rights", group_path=True, exclude=["/metrics"])
    app = Litestar(
        route_handlers=[
            OrganisationController,
            PersonController,
            RecertificationController,
            GrantController,
            CheckController,
            ChangeController,
            MandateController,
            SuccessionController,
            RequestController,
            HelplineController,
            AuditController,
            CatalogueController,
            HealthController,
            metrics_endpoint,
            *reference_router(),
            *web.handlers,
        ],
        template_config=web.templates,
        dependencies=DEPENDENCIES,
        guards=[authorize],
        before_request=json_body_gate,
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[DefineMiddleware(RequestContextMiddleware, headers=security_headers(_form_targets(settings))),
                    prometheus.middleware],
        openapi_config=openapi,
        lifespan=[lifespan, *web.lifespans],
        state=State({"services": services, "verifier": verifier, "token_cache": TokenCache(),
                     "settings": settings, **web.state,
                     "lookup_limiter": lookup_limiter, "metrics": metrics}),
        request_max_body_size=settings.max_body_bytes,
        debug=False,
        logging_config=None,  # rights.logging configures structlog for the whole process
    )
    ensure_every_route_declares_permission(app)
    document_problems(app)  # every problem status each operation can answer, in the OpenAPI document
    name_operations(app)  # stable operationIds, summaries and descriptions
    document_examples(app, {op: row[0] for op, row in OPERATIONS.items()})  # from the demo data
    return app
