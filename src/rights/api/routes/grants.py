"""/v1/grants and /v1/check: giving and taking rights, and the question other services ask."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, patch, post

from rights.api.permissions import Permission
from rights.api.schemas import change_out, grant_out
from rights.domain.commands import CheckQuestion, NewGrant, Revocation, ValidityChange
from rights.domain.ports import Caller
from rights.domain.services import Services


class GrantController(Controller):
    path = "/v1/grants"
    tags = ["grants"]

    @post("/", opt={"permission": Permission.GRANTS_MANAGE})
    async def grant(self, data: NewGrant, services: Services, caller: Caller) -> dict[str, Any]:
        w = await services.grants.grant(caller, data)
        return {"revision": w.revision, "grant": grant_out(w.value, services.core.now())}

    @get("/{grant_id:str}", opt={"permission": Permission.GRANTS_READ})
    async def read(self, grant_id: str, services: Services, caller: Caller) -> Any:
        return grant_out(await services.grants.get(caller, grant_id), services.core.now())

    @post("/{grant_id:str}/revoke", status_code=200, opt={"permission": Permission.GRANTS_MANAGE})
    async def revoke(self, grant_id: str, data: Revocation, services: Services, caller: Caller) -> dict[str, Any]:
        w = await services.grants.revoke(caller, grant_id, data)
        return {"revision": w.revision, "grant": grant_out(w.value, services.core.now())}

    @patch("/{grant_id:str}/validity", opt={"permission": Permission.GRANTS_MANAGE})
    async def change_validity(
        self, grant_id: str, data: ValidityChange, services: Services, caller: Caller
    ) -> dict[str, Any]:
        w = await services.grants.change_validity(caller, grant_id, data)
        return {"revision": w.revision, "grant": grant_out(w.value, services.core.now())}

    @get("/{grant_id:str}/history", opt={"permission": Permission.GRANTS_READ})
    async def history(self, grant_id: str, services: Services, caller: Caller) -> dict[str, Any]:
        grant, changes = await services.grants.history(caller, grant_id)
        return {"grant": grant_out(grant, services.core.now()), "history": [change_out(c) for c in changes]}


class CheckController(Controller):
    path = "/v1/check"
    tags = ["checks"]

    @post("/", status_code=200, opt={"permission": Permission.CHECK})
    async def check(self, data: CheckQuestion, services: Services, caller: Caller) -> dict[str, Any]:
        """May this person act for this organisation with this role on this measure?"""
        answer = await services.checks.check(caller, data)
        d = answer.decision
        return {
            "allowed": d.allowed,
            "reason": d.reason,
            "grant": grant_out(d.grant, services.core.now()) if d.grant else None,
            "organisation_id": answer.organisation.id if answer.organisation else None,
            "revision": answer.revision,
        }
