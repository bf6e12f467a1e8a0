"""/v1/mandates: an organisation lets another act for it; both sides accept, either revokes."""

from __future__ import annotations

from litestar import Controller, get, post

from rights.api.answers import MandateWritten
from rights.api.permissions import Permission
from rights.domain.commands import MandateDecision, NewMandate
from rights.domain.model import Mandate
from rights.domain.ports import Caller
from rights.domain.services import Services


class MandateController(Controller):
    path = "/v1/mandates"
    tags = ["mandates"]

    @post("/", opt={"permission": Permission.MANDATES_MANAGE})
    async def propose(self, data: NewMandate, services: Services, caller: Caller) -> MandateWritten:
        w = await services.mandates.propose(caller, data)
        return MandateWritten(revision=w.revision, mandate=w.value)

    @get("/{mandate_id:str}", opt={"permission": Permission.MANDATES_MANAGE})
    async def read(self, mandate_id: str, services: Services, caller: Caller) -> Mandate:
        return await services.mandates.get(caller, mandate_id)

    @post("/{mandate_id:str}/accept", status_code=200, opt={"permission": Permission.MANDATES_MANAGE})
    async def accept(
        self, mandate_id: str, services: Services, caller: Caller, data: MandateDecision | None = None
    ) -> MandateWritten:
        w = await services.mandates.accept(caller, mandate_id, data or MandateDecision())
        return MandateWritten(revision=w.revision, mandate=w.value)

    @post("/{mandate_id:str}/revoke", status_code=200, opt={"permission": Permission.MANDATES_MANAGE})
    async def revoke(self, mandate_id: str, data: MandateDecision, services: Services, caller: Caller) -> MandateWritten:
        w = await services.mandates.revoke(caller, mandate_id, data)
        return MandateWritten(revision=w.revision, mandate=w.value)
