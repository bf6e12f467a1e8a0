"""Helpline lookup, audit trail, catalogue, health and readiness."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Parameter

from rights.api.answers import (
    AuditEventOut,
    AuditHeadOut,
    AuditPage,
    CatalogueOut,
    ChainHeadsOut,
    ChangesHeadOut,
    HealthOut,
    LookupOut,
    ReadinessOut,
    fields_of,
    helpline_card_out,
)
from rights.api.permissions import Permission
from rights.api.ratelimit import limit_lookups
from rights.api.routes.deps import Limit
from rights.domain.ports import Caller
from rights.domain.services import Services


class HelplineController(Controller):
    path = "/v1/helpline"
    tags = ["helpline"]

    @get("/lookup", opt={"permission": Permission.HELPLINE_LOOKUP}, guards=[limit_lookups])
    async def lookup(
        self,
        services: Services,
        caller: Caller,
        q: str = Parameter(query="q", min_length=2, max_length=200),
        limit: int = Parameter(query="limit", ge=1, le=50, default=10),
    ) -> LookupOut:
        """Organisations matching any identifier or part of the name, with who administers them.

        Each item says how it matched (``match``, see docs/search.md). A mistyped enterprise number
        answers the organisations it could have meant, listed in ``suggestions`` ("did you mean").
        """
        cards = await services.helpline.lookup(caller, q, limit=limit)
        return LookupOut(
            items=[helpline_card_out(c, services.core.catalogue) for c in cards],
            suggestions=[c.organisation.identifiers.enterprise_number for c in cards if c.match == "suggestion"],
        )


class AuditController(Controller):
    path = "/v1/audit"
    tags = ["audit"]

    @get("/", opt={"permission": Permission.AUDIT_READ})
    async def events(
        self,
        services: Services,
        caller: Caller,
        organisation: str | None = Parameter(query="organisation", default=None, max_length=64),
        after: int = Parameter(query="after", ge=0, le=2**63 - 1, default=0),  # a BIGINT, not an overflow
        limit: Limit = 100,
    ) -> AuditPage:
        rows = await services.audit_events(caller, organisation_id=organisation, after_id=after, limit=limit)
        return AuditPage(items=[AuditEventOut(id=i, **fields_of(e)) for i, e in rows],
                         next_after=rows[-1][0] if rows else None)

    @get("/head", opt={"permission": Permission.AUDIT_HEAD})
    async def head(self, services: Services, caller: Caller) -> ChainHeadsOut:
        """The heads of the hash-chained change log and audit trail, for an outside party to witness.

        Record them somewhere the database's administrators cannot edit; later, `rights audit verify
        --changes-head REVISION:HASH --audit-head ID:HASH` proves the history up to them is unchanged
        (docs/security.md, "Tamper evidence").
        """
        changes_head, audit_head = await services.audit_head(caller)
        return ChainHeadsOut(
            changes=ChangesHeadOut(revision=changes_head.position, hash=changes_head.hash, at=changes_head.at),
            audit=AuditHeadOut(id=audit_head.position, hash=audit_head.hash, at=audit_head.at),
            algorithm="sha256",
            observed_at=services.core.now(),
        )


class CatalogueController(Controller):
    path = "/v1/catalogue"
    tags = ["catalogue"]

    @get("/", opt={"permission": Permission.CATALOGUE_READ})
    async def catalogue(self, services: Services) -> CatalogueOut:
        cat = services.core.catalogue
        return CatalogueOut(applications=list(cat.applications.values()),
                            organisation_types=list(cat.org_types.values()))


class HealthController(Controller):
    tags = ["operations"]

    @get("/healthz", opt={"permission": Permission.PUBLIC})
    async def healthz(self) -> HealthOut:
        return HealthOut(status="ok")

    @get("/readyz", opt={"permission": Permission.PUBLIC}, responses={
        503: ResponseSpec(ReadinessOut, description="Not ready: the database is out of reach.",
                          examples=[Example(value={"status": "unavailable", "database": "unreachable"})])})
    async def readyz(self, services: Services) -> Response[ReadinessOut]:
        try:
            await services.core.store.ping()
        except Exception:  # noqa: BLE001 - readiness reports, it does not raise
            return Response(ReadinessOut(status="unavailable", database="unreachable"), status_code=503)
        body = ReadinessOut(status="ready", database="ok")
        # Directory sync/provisioning status is a detail: the API serves without the directory.
        from rights.directory.status import directory_status

        try:
            if (directory := await directory_status(services.core.store)) is not None:
                body.directory = directory
        except Exception:  # noqa: BLE001 - readiness reports, it does not raise
            body.directory = {"status": "unknown"}
        return Response(body)
