"""/v1/recertifications: platform administrators start recertification campaigns and follow them.

Administrators decide the items on the /beheer screens (rights.web.beheer_recert); the deadline is
enforced by ``rights recertify tick``.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, get, post

from rights.api.permissions import Permission
from rights.domain.campaigns import Campaign
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.recertification import NewCampaign


class CampaignOut(msgspec.Struct, kw_only=True, omit_defaults=False):
    id: str
    title: str
    min_age_days: int
    deadline: datetime
    started_at: datetime
    started_by: str
    organisation_id: str | None
    status: str
    closed_at: datetime | None
    items: dict[str, int]


class StartedOut(msgspec.Struct, kw_only=True):
    revision: int
    campaign: CampaignOut


class CampaignListOut(msgspec.Struct, kw_only=True):
    items: list[CampaignOut]


def campaign_out(c: Campaign, counts: dict[str, int]) -> CampaignOut:
    return CampaignOut(id=c.id, title=c.title, min_age_days=c.min_age_days, deadline=c.deadline,
                       started_at=c.started_at, started_by=c.started_by, organisation_id=c.organisation_id,
                       status=c.status.value, closed_at=c.closed_at, items=counts)


class RecertificationController(Controller):
    path = "/v1/recertifications"
    tags = ["recertifications"]

    @post("/", opt={"permission": Permission.RECERTIFICATION_MANAGE})
    async def start(self, data: NewCampaign, services: Services, caller: Caller) -> StartedOut:
        """Snapshot every active grant at least ``min_age_days`` old (of ``organisation``, or all)."""
        w = await services.recertification.start(caller, data)
        return StartedOut(revision=w.revision,
                          campaign=campaign_out(w.value.campaign, {"pending": w.value.items}))

    @get("/", opt={"permission": Permission.RECERTIFICATION_MANAGE})
    async def list(self, services: Services, caller: Caller) -> CampaignListOut:
        """Every campaign, newest first, with its items counted per status."""
        return CampaignListOut(items=[campaign_out(o.campaign, o.counts)
                                      for o in await services.recertification.campaigns(caller)])
