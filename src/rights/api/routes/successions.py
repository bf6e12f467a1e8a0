"""/v1/successions: organisations that merge, split, are absorbed or renumbered (platform administrators)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.params import Parameter

from rights.api.permissions import Permission
from rights.api.schemas import organisation_out
from rights.domain.catalogue import Catalogue
from rights.domain.commands import NewSuccession, SuccessionApply, SuccessionWithdrawal
from rights.domain.model import Succession
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.successions import SuccessionView


def succession_out(s: Succession) -> dict[str, Any]:
    return msgspec.to_builtins(msgspec.structs.replace(s, plan=None)) | {"plan": None}


def view_out(v: SuccessionView, catalogue: Catalogue) -> dict[str, Any]:
    items = [msgspec.to_builtins(i) | {"open": i.open} for i in v.plan.items]
    return {
        "succession": succession_out(v.succession),
        "organisations": {k: organisation_out(o, catalogue) for k, o in v.organisations.items()},
        "plan": {
            "applied": v.succession.plan is not None,
            "effective_at": v.plan.effective_at.isoformat(),
            "items": items,
            "moves": sum(1 for i in v.plan.items if i.moves),
            "open": sum(1 for i in v.plan.items if i.open),
            "blocking": list(v.plan.blocking),
        },
    }


class SuccessionController(Controller):
    path = "/v1/successions"
    tags = ["successions"]

    @post("/", opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def enter(self, data: NewSuccession, services: Services, caller: Caller) -> dict[str, Any]:
        """Enter a succession (proposed): nothing moves until it is applied."""
        w = await services.successions.enter(caller, data)
        return {"revision": w.revision, "succession": succession_out(w.value)}

    @get("/", opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def list_successions(
        self, services: Services, caller: Caller,
        organisation: str | None = Parameter(query="organisation", default=None, max_length=100),
    ) -> dict[str, Any]:
        items = await services.successions.list(caller, organisation=organisation)
        return {"items": [succession_out(s) for s in items]}

    @get("/{succession_id:str}", opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def read(self, succession_id: str, services: Services, caller: Caller) -> dict[str, Any]:
        """The succession and its plan: the preview while proposed, what was done once applied."""
        return view_out(await services.successions.get(caller, succession_id), services.core.catalogue)

    @get("/{succession_id:str}/preview", opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def preview(self, succession_id: str, services: Services, caller: Caller) -> dict[str, Any]:
        return view_out(await services.successions.preview(caller, succession_id), services.core.catalogue)

    @post("/{succession_id:str}/apply", status_code=200, opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def apply(
        self, succession_id: str, services: Services, caller: Caller, data: SuccessionApply | None = None
    ) -> dict[str, Any]:
        """Confirm: carry out the plan in one transaction and one change."""
        w = await services.successions.apply(caller, succession_id, data or SuccessionApply())
        return {"revision": w.revision, **view_out(w.value, services.core.catalogue)}

    @post("/{succession_id:str}/withdraw", status_code=200, opt={"permission": Permission.SUCCESSIONS_MANAGE})
    async def withdraw(
        self, succession_id: str, data: SuccessionWithdrawal, services: Services, caller: Caller
    ) -> dict[str, Any]:
        w = await services.successions.withdraw(caller, succession_id, data.reason)
        return {"revision": w.revision, "succession": succession_out(w.value)}
