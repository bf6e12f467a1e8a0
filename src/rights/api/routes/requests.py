"""/v1/requests: a person requests a right; the organisation's administrators approve or refuse it.

The administrators' e-mail addresses are never in an answer: the requester learns how many were e-mailed.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import Parameter

from rights.api.answers import (
    RequestEntryOut,
    RequestList,
    RequestPersonOut,
    RequestSubmitted,
    RequestWritten,
    fields_of,
)
from rights.api.permissions import Permission
from rights.domain import identifiers as ids
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.requests import NewAccessRequest, RequestApproval, RequestEntry, RequestRefusal


def _entry(e: RequestEntry) -> RequestEntryOut:
    return RequestEntryOut(
        **fields_of(e.request),
        organisation_name=e.organisation.name,
        person=RequestPersonOut(id=e.person.id, name=e.person.display_name,
                                national_number=ids.mask_national_number(e.person.national_number)),
    )


class RequestController(Controller):
    path = "/v1/requests"
    tags = ["requests"]

    @post("/", opt={"permission": Permission.RIGHTS_LIST})
    async def submit(self, data: NewAccessRequest, services: Services, caller: Caller) -> RequestSubmitted:
        w = await services.requests.submit(caller, data)
        return RequestSubmitted(revision=w.revision, request=w.value.request, administrators_notified=w.value.notified)

    @get("/", opt={"permission": Permission.RIGHTS_LIST})
    async def list_requests(
        self, services: Services, caller: Caller,
        organisation: str | None = Parameter(query="organisation", default=None, max_length=100),
    ) -> RequestList:
        """Without ``organisation``: the caller's own requests; with it: the pending ones they may decide."""
        if organisation is None:
            return RequestList(requests=[_entry(e) for e in await services.requests.mine(caller)])
        return RequestList(requests=[_entry(e) for e in await services.requests.pending(caller, organisation)])

    @post("/{request_id:str}/approve", status_code=200, opt={"permission": Permission.GRANTS_MANAGE})
    async def approve(
        self, request_id: str, services: Services, caller: Caller, data: RequestApproval | None = None
    ) -> RequestWritten:
        w = await services.requests.approve(caller, request_id, data or RequestApproval())
        return RequestWritten(revision=w.revision, request=w.value)

    @post("/{request_id:str}/refuse", status_code=200, opt={"permission": Permission.GRANTS_MANAGE})
    async def refuse(self, request_id: str, data: RequestRefusal, services: Services, caller: Caller) -> RequestWritten:
        w = await services.requests.refuse(caller, request_id, data)
        return RequestWritten(revision=w.revision, request=w.value)

    @post("/{request_id:str}/withdraw", status_code=200, opt={"permission": Permission.RIGHTS_LIST})
    async def withdraw(self, request_id: str, services: Services, caller: Caller) -> RequestWritten:
        w = await services.requests.withdraw(caller, request_id)
        return RequestWritten(revision=w.revision, request=w.value)
