"""/v1/requests: a person requests a right; the organisation's administrators approve or refuse it.

The administrators' e-mail addresses are never in an answer: the requester learns how many were e-mailed.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.params import Parameter

from rights.api.permissions import Permission
from rights.domain import identifiers as ids
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.requests import NewAccessRequest, RequestApproval, RequestEntry, RequestRefusal


def _entry(e: RequestEntry) -> dict[str, Any]:
    return {
        **msgspec.to_builtins(e.request),
        "organisation_name": e.organisation.name,
        "person": {"id": e.person.id, "name": e.person.display_name,
                   "national_number": ids.mask_national_number(e.person.national_number)},
    }


class RequestController(Controller):
    path = "/v1/requests"
    tags = ["requests"]

    @post("/", opt={"permission": Permission.RIGHTS_LIST})
    async def submit(self, data: NewAccessRequest, services: Services, caller: Caller) -> dict[str, Any]:
        w = await services.requests.submit(caller, data)
        return {"revision": w.revision, "request": msgspec.to_builtins(w.value.request),
                "administrators_notified": w.value.notified}

    @get("/", opt={"permission": Permission.RIGHTS_LIST})
    async def list_requests(
        self, services: Services, caller: Caller,
        organisation: str | None = Parameter(query="organisation", default=None, max_length=100),
    ) -> dict[str, Any]:
        """Without ``organisation``: the caller's own requests; with it: the pending ones they may decide."""
        if organisation is None:
            return {"requests": [_entry(e) for e in await services.requests.mine(caller)]}
        return {"requests": [_entry(e) for e in await services.requests.pending(caller, organisation)]}

    @post("/{request_id:str}/approve", status_code=200, opt={"permission": Permission.GRANTS_MANAGE})
    async def approve(
        self, request_id: str, services: Services, caller: Caller, data: RequestApproval | None = None
    ) -> dict[str, Any]:
        w = await services.requests.approve(caller, request_id, data or RequestApproval())
        return {"revision": w.revision, "request": msgspec.to_builtins(w.value)}

    @post("/{request_id:str}/refuse", status_code=200, opt={"permission": Permission.GRANTS_MANAGE})
    async def refuse(self, request_id: str, data: RequestRefusal, services: Services, caller: Caller) -> dict[str, Any]:
        w = await services.requests.refuse(caller, request_id, data)
        return {"revision": w.revision, "request": msgspec.to_builtins(w.value)}

    @post("/{request_id:str}/withdraw", status_code=200, opt={"permission": Permission.RIGHTS_LIST})
    async def withdraw(self, request_id: str, services: Services, caller: Caller) -> dict[str, Any]:
        w = await services.requests.withdraw(caller, request_id)
        return {"revision": w.revision, "request": msgspec.to_builtins(w.value)}
