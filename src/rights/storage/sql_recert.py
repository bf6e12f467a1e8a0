"""Recertification campaigns and their review items (mixed into SqlTx; see rights.domain.campaigns)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from rights.domain.campaigns import Campaign, CampaignStatus, ItemStatus, ReviewItem
from rights.domain.errors import NotFound
from rights.storage.tables import recert_campaigns, recert_items

_CAMPAIGN_FIELDS = tuple(Campaign.__struct_fields__)
_ITEM_FIELDS = tuple(ReviewItem.__struct_fields__)
_MUTABLE_ITEM_FIELDS = ("status", "decided_by", "decided_at", "reason", "reminded_at")
_CHUNK = 1_000


def _campaign_values(c: Campaign) -> dict[str, Any]:
    return {name: getattr(c, name) for name in _CAMPAIGN_FIELDS} | {"status": c.status.value}


def _campaign(row: Any) -> Campaign:
    return Campaign(**{name: row[name] for name in _CAMPAIGN_FIELDS} | {"status": CampaignStatus(row["status"])})


def _item_values(i: ReviewItem) -> dict[str, Any]:
    return {name: getattr(i, name) for name in _ITEM_FIELDS} | {"status": i.status.value}


def _item(row: Any) -> ReviewItem:
    return ReviewItem(**{name: row[name] for name in _ITEM_FIELDS} | {"status": ItemStatus(row["status"])})


class RecertQueries:
    async def add_campaign(self, campaign: Campaign, items: Sequence[ReviewItem]) -> None:
        await self._exec(insert(recert_campaigns).values(_campaign_values(campaign)))  # type: ignore[attr-defined]
        rows = [_item_values(i) for i in items]
        for start in range(0, len(rows), _CHUNK):
            await self._exec(insert(recert_items), rows[start:start + _CHUNK])  # type: ignore[attr-defined]

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        row = await self._one(select(recert_campaigns).where(recert_campaigns.c.id == campaign_id))  # type: ignore[attr-defined]
        return None if row is None else _campaign(row)

    async def campaigns(self, *, status: CampaignStatus | None = None) -> list[Campaign]:
        stmt = select(recert_campaigns).order_by(recert_campaigns.c.started_at, recert_campaigns.c.id)
        if status is not None:
            stmt = stmt.where(recert_campaigns.c.status == CampaignStatus(status).value)
        return [_campaign(r) for r in await self._all(stmt)]  # type: ignore[attr-defined]

    async def save_campaign(self, campaign: Campaign) -> None:
        stmt = update(recert_campaigns).where(recert_campaigns.c.id == campaign.id).values(_campaign_values(campaign))
        if (await self._exec(stmt)).rowcount == 0:  # type: ignore[attr-defined]
            raise NotFound("unknown_recert_campaign", "campaign")

    async def get_review_item(self, item_id: str) -> ReviewItem | None:
        row = await self._one(select(recert_items).where(recert_items.c.id == item_id))  # type: ignore[attr-defined]
        return None if row is None else _item(row)

    async def review_items(
        self, *, campaign_id: str | None = None, organisation_id: str | None = None,
        status: ItemStatus | None = None,
    ) -> list[ReviewItem]:
        t = recert_items
        stmt = select(t).order_by(t.c.campaign_id, t.c.organisation_id, t.c.id)
        if campaign_id is not None:
            stmt = stmt.where(t.c.campaign_id == campaign_id)
        if organisation_id is not None:
            stmt = stmt.where(t.c.organisation_id == organisation_id)
        if status is not None:
            stmt = stmt.where(t.c.status == ItemStatus(status).value)
        return [_item(r) for r in await self._all(stmt)]  # type: ignore[attr-defined]

    async def save_review_items(self, items: Sequence[ReviewItem]) -> None:
        if not items:
            return
        t = recert_items
        stmt = (
            update(t).where(t.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in _MUTABLE_ITEM_FIELDS})
        )
        params = [
            {"b_id": i.id, **{f"b_{name}": v for name, v in _item_values(i).items() if name in _MUTABLE_ITEM_FIELDS}}
            for i in items
        ]
        for start in range(0, len(params), _CHUNK):
            await self._exec(stmt, params[start:start + _CHUNK])  # type: ignore[attr-defined]

    async def last_confirmations(self) -> dict[str, datetime]:
        """grant id -> when it was last confirmed in any campaign."""
        t = recert_items
        stmt = (
            select(t.c.grant_id, func.max(t.c.decided_at).label("at"))
            .where(t.c.status == ItemStatus.CONFIRMED.value)
            .group_by(t.c.grant_id)
        )
        return {r["grant_id"]: r["at"] for r in await self._all(stmt)}  # type: ignore[attr-defined]
