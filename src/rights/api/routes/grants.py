"""/v1/grants, /v1/check and /v1/changes: giving and taking rights, and the questions other services ask."""

from __future__ import annotations

import time
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import Parameter

from rights.api.answers import (
    BatchAnswer,
    ChangePage,
    CheckAnswer,
    ExplanationOut,
    GrantHistoryOut,
    GrantWritten,
    SuccessorOut,
)
from rights.api.metrics import RuntimeMetrics
from rights.api.permissions import Permission
from rights.api.schemas import GrantOut, change_out, grant_out, organisation_out
from rights.domain.commands import CheckQuestion, NewGrant, Revocation, ValidityChange
from rights.domain.errors import DomainError
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.checks import Answer


class GrantController(Controller):
    path = "/v1/grants"
    tags = ["grants"]

    @post("/", opt={"permission": Permission.GRANTS_MANAGE})
    async def grant(self, data: NewGrant, services: Services, caller: Caller) -> GrantWritten:
        w = await services.grants.grant(caller, data)
        return GrantWritten(revision=w.revision, grant=grant_out(w.value, services.core.now()))

    @get("/{grant_id:str}", opt={"permission": Permission.GRANTS_READ})
    async def read(self, grant_id: str, services: Services, caller: Caller) -> GrantOut:
        return grant_out(await services.grants.get(caller, grant_id), services.core.now())

    @post("/{grant_id:str}/revoke", status_code=200, opt={"permission": Permission.GRANTS_MANAGE})
    async def revoke(self, grant_id: str, data: Revocation, services: Services, caller: Caller) -> GrantWritten:
        w = await services.grants.revoke(caller, grant_id, data)
        return GrantWritten(revision=w.revision, grant=grant_out(w.value, services.core.now()))

    @patch("/{grant_id:str}/validity", opt={"permission": Permission.GRANTS_MANAGE})
    async def change_validity(
        self, grant_id: str, data: ValidityChange, services: Services, caller: Caller
    ) -> GrantWritten:
        w = await services.grants.change_validity(caller, grant_id, data)
        return GrantWritten(revision=w.revision, grant=grant_out(w.value, services.core.now()))

    @get("/{grant_id:str}/history", opt={"permission": Permission.GRANTS_READ})
    async def history(self, grant_id: str, services: Services, caller: Caller) -> GrantHistoryOut:
        grant, changes = await services.grants.history(caller, grant_id)
        return GrantHistoryOut(grant=grant_out(grant, services.core.now()), history=[change_out(c) for c in changes])


class CheckRequest(CheckQuestion, kw_only=True):
    # The revision of the caller's own write: the answer waits (boundedly) until it includes it.
    at_least_revision: Annotated[int, msgspec.Meta(ge=0)] | None = None
    explain: bool = False


class BatchRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    questions: Annotated[list[CheckQuestion], msgspec.Meta(min_length=1, max_length=1000)]
    at_least_revision: Annotated[int, msgspec.Meta(ge=0)] | None = None


def answer_out(a: Answer, successors: dict[str, SuccessorOut] | None = None) -> CheckAnswer:
    v = a.verdict
    return CheckAnswer(allowed=v.allowed, reason=v.reason, grant_id=v.grant_id, mandate_id=v.mandate_id,
                       organisation_id=a.organisation_id, revision=a.revision,
                       succeeded_by=[successors[o] for o in a.succeeded_by] if a.succeeded_by and successors
                       else None)


async def successors_out(services: Services, caller: Caller, answers: list[Answer]) -> dict[str, SuccessorOut] | None:
    """Who answered for a predecessor, with their identifiers so desks can update their data (issue 17).
    Only read when some answer names a successor: the hot path pays nothing."""
    wanted = {o for a in answers for o in a.succeeded_by}
    if not wanted:
        return None
    cat = services.core.catalogue
    out = {}
    for o in sorted(wanted):
        org = organisation_out(await services.organisations.get(caller, o), cat)
        out[o] = SuccessorOut(id=org.id, name=org.name, identifiers=org.identifiers,
                              organisation_code=org.organisation_code)
    return out


class CheckController(Controller):
    path = "/v1/check"
    tags = ["checks"]

    # The hot path: no dependency injection (Litestar resolves dependencies in a task group per request).
    @post("/", status_code=200, opt={"permission": Permission.CHECK})
    async def check(self, data: CheckRequest, request: Request) -> CheckAnswer:
        """May this person act for this organisation with this role on this measure (now, or ``at``)?"""
        started = time.perf_counter()
        state = request.app.state
        services: Services = state.services
        stats = state.metrics.checks  # plain ints, exposed at scrape time (rights.api.metrics)
        try:
            answer = await services.checks.check(request.scope["user"], data,
                                                 at_least_revision=data.at_least_revision)
        except DomainError as exc:
            stats.count("error", exc.code)
            stats.observe(time.perf_counter() - started)
            raise
        verdict = answer.verdict
        stats.count("allowed" if verdict.allowed else "denied", verdict.reason)
        succeeded = await successors_out(services, request.scope["user"], [answer]) if answer.succeeded_by else None
        body = answer_out(answer, succeeded)
        if data.explain:
            e = await services.checks.explain(answer)
            body.explanation = ExplanationOut(
                grant=grant_out(e.grant, services.core.now()) if e.grant else None,
                mandate=e.mandate,
                reasons=list(e.reasons) if not answer.verdict.allowed else [],
            )
        stats.observe(time.perf_counter() - started)
        return body

    @post("/batch", status_code=200, opt={"permission": Permission.CHECK})
    async def batch(self, data: BatchRequest, request: Request) -> BatchAnswer:
        """Up to 1,000 questions; answers in the same order, each with its own reason."""
        services: Services = request.app.state.services
        answers = await services.checks.batch(request.scope["user"], data.questions,
                                              at_least_revision=data.at_least_revision)
        metrics: RuntimeMetrics = request.app.state.metrics
        for a in answers:
            metrics.checks.count("allowed" if a.verdict.allowed else "denied", a.verdict.reason)
        revision = min((a.revision for a in answers), default=0)
        successors = await successors_out(services, request.scope["user"], answers)
        # Each answer names the revision it reflects (an `at` question's is the stored history's).
        return BatchAnswer(revision=revision, answers=[answer_out(a, successors) for a in answers])


class ChangeController(Controller):
    path = "/v1/changes"
    tags = ["changes"]

    @get("/", opt={"permission": Permission.CHANGES_READ})
    async def changes(
        self,
        services: Services,
        after: int = Parameter(query="after", ge=0, le=2**63 - 1, default=0),  # a BIGINT, not an overflow
        limit: int = Parameter(query="limit", ge=1, le=1000, default=100),
    ) -> ChangePage:
        """Grants, revocations, validity changes, freezes, administrator and mandate changes, in order."""
        items, latest = await services.changes(after=after, limit=limit)
        return ChangePage(items=[change_out(c) for c in items], next_after=items[-1].revision if items else after,
                          latest_revision=latest)
