"""/v1/successions: organisations that merge, split, are absorbed or renumbered (platform administrators)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.params import Parameter

from rights.api.answers import (
    PlanItemOut,
    PlanOut,
    SuccessionApplied,
    SuccessionList,
    SuccessionViewOut,
    SuccessionWritten,
    fields_of,
)
from rights.api.permissions import Permission
from rights.api.schemas import organisation_out
from rights.domain.catalogue import Catalogue
from rights.domain.commands import NewSuccession, SuccessionApply, SuccessionWithdrawal
from rights.domain.model import Succession
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.successions import SuccessionView


def succession_out(s: Succession) -> Succession:
    return msgspec.structs.replace(s, plan=None)  # the plan is the view's (``plan`` below), not the record's


def view_out(v: SuccessionView, catalogue: Catalogue) -> SuccessionViewOut:
    return SuccessionViewOut(
        succession=succession_out(v.succession),
        organisations={k: organisation_out(o, catalogue) for k, o in v.organisations.items()},
        plan=plan_out(v),
    )


def plan_out(v: SuccessionView) -> PlanOut:
    return PlanOut(
        applied=v.succession.plan is not None,
        effective_at=v.plan.effective_at.isoformat(),
        items=[PlanItemOut(**fields_of(i), open=i.open) for i in v.plan.items],
        moves=sum(1 for i in v.plan.items if i.moves),
        open=sum(1 for i in v.plan.items if i.open),
        blocking=list(v.plan.blocking),
    )


class SuccessionController(Controller):
    path = "/v1/successions"
    tags = ["successions"]

    @post("/", opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def enter(self, data: NewSuccession, services: Services, caller: Caller) -> SuccessionWritten:
        """Enter a succession (proposed): nothing moves until it is applied."""
        w = await services.successions.enter(caller, data)
        return SuccessionWritten(revision=w.revision, succession=succession_out(w.value))

    @get("/", opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def list_successions(
        self, services: Services, caller: Caller,
        organisation: str | None = Parameter(query="organisation", default=None, max_length=100),
    ) -> SuccessionList:
        items = await services.successions.list(caller, organisation=organisation)
        return SuccessionList(items=[succession_out(s) for s in items])

    @get("/{succession_id:str}", opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def read(self, succession_id: str, services: Services, caller: Caller) -> SuccessionViewOut:
        """The succession and its plan: the preview while proposed, what was done once applied."""
        return view_out(await services.successions.get(caller, succession_id), services.core.catalogue)

    @get("/{succession_id:str}/preview", opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def preview(self, succession_id: str, services: Services, caller: Caller) -> SuccessionViewOut:
        return view_out(await services.successions.preview(caller, succession_id), services.core.catalogue)

    @post("/{succession_id:str}/apply", status_code=200, opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def apply(
        self, succession_id: str, services: Services, caller: Caller, data: SuccessionApply | None = None
    ) -> SuccessionApplied:
        """Confirm: carry out the plan in one transaction and one change."""
        w = await services.successions.apply(caller, succession_id, data or SuccessionApply())
        view = view_out(w.value, services.core.catalogue)
        return SuccessionApplied(revision=w.revision, succession=view.succession, organisations=view.organisations,
                                 plan=view.plan)

    @post("/{succession_id:str}/withdraw", status_code=200, opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def withdraw(
        self, succession_id: str, data: SuccessionWithdrawal, services: Services, caller: Caller
    ) -> SuccessionWritten:
        w = await services.successions.withdraw(caller, succession_id, data.reason)
        return SuccessionWritten(revision=w.revision, succession=succession_out(w.value))
