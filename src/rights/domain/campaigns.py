"""Recertification campaigns: the model and the pure rules (issue 5).

A campaign asks each organisation's local administrators to confirm or revoke every grant that is older
than ``min_age_days`` when the campaign starts. Starting it snapshots those grants as review items; an
item is confirmed or revoked by an administrator of the grant's organisation (within their applications)
before the deadline. At the deadline every item still pending whose grant is still active is revoked,
with the reason recorded in the grant, and the campaign is closed.

A grant's age counts from the latest of when it was granted, when it began to count (``valid_from``)
and when it was last confirmed in an earlier campaign: a confirmed grant is not asked about again until
it is ``min_age_days`` older.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec

from rights.domain import rules
from rights.domain.errors import Conflict, Forbidden, InvalidInput
from rights.domain.model import Administrator, Grant

MAX_AGE_DAYS = 36_500
SYSTEM_ACTOR = "system:recertification"


class CampaignStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ItemStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REVOKED = "revoked"  # by an administrator in the campaign, or at the deadline (decided_by SYSTEM_ACTOR)
    EXPIRED_BEFORE = "expired_before"  # the grant ended or was revoked otherwise before anyone decided


class Campaign(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: str
    min_age_days: int
    deadline: datetime
    started_at: datetime
    started_by: str
    organisation_id: str | None = None  # None: every organisation
    status: CampaignStatus = CampaignStatus.OPEN
    closed_at: datetime | None = None


class ReviewItem(msgspec.Struct, frozen=True, kw_only=True):
    """One grant to confirm or revoke in one campaign."""

    id: str
    campaign_id: str
    grant_id: str
    organisation_id: str
    status: ItemStatus = ItemStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    reminded_at: datetime | None = None


def age_reference(grant: Grant, last_confirmed: datetime | None) -> datetime:
    """From when a grant's age counts: the latest of granted, began to count, last confirmed."""
    return max(t for t in (grant.granted_at, grant.valid_from, last_confirmed) if t is not None)


def qualifies(grant: Grant, *, started_at: datetime, min_age_days: int, last_confirmed: datetime | None) -> bool:
    """Active at the start and at least ``min_age_days`` old then (exactly that old counts)."""
    return grant.active_at(started_at) and age_reference(grant, last_confirmed) <= started_at - timedelta(
        days=min_age_days
    )


def ensure_may_start(*, platform_admin: bool, title: str, min_age_days: int, deadline: datetime,
                     now: datetime) -> None:
    if not platform_admin:  # who asks comes first: a refused caller learns nothing else
        raise Forbidden("recert_platform_only")
    if not title.strip():
        raise InvalidInput("recert_title_required", "title")
    if not 0 <= min_age_days <= MAX_AGE_DAYS:
        raise InvalidInput("recert_min_age_invalid", "min_age_days", max_days=MAX_AGE_DAYS)
    if deadline.tzinfo is None:
        raise InvalidInput("invalid_value", "deadline", reason="a time zone is required")
    if deadline <= now:
        raise InvalidInput("recert_deadline_in_past", "deadline")


def ensure_may_decide(
    *,
    campaign: Campaign,
    item: ReviewItem,
    grant: Grant,
    admins: Sequence[Administrator],
    actor_person_id: str | None,
    application: str,
    now: datetime,
) -> None:
    """Only an administrator of the grant's organisation (for its application), before the deadline, once."""
    rules.ensure_administers(admins, actor_person_id, application)
    if campaign.status is not CampaignStatus.OPEN or now >= campaign.deadline:
        raise Conflict("recert_deadline_passed", "item")
    if item.status is not ItemStatus.PENDING:
        raise Conflict("recert_already_decided", "item", status=item.status.value)
    if not grant.active_at(now):
        raise Conflict("recert_grant_not_active", "item")


def ensure_reason(reason: str) -> str:
    reason = reason.strip()
    if not 3 <= len(reason) <= 1000:
        raise InvalidInput("recert_reason_required", "reason")
    return reason


def deadline_reason(campaign: Campaign) -> str:
    """What a grant revoked at the deadline records as its revoke reason (Dutch / English)."""
    day = campaign.deadline.strftime("%d/%m/%Y %H:%M UTC")
    return (
        f"Niet herbevestigd in campagne '{campaign.title}' vóór {day} / "
        f"Not recertified in campaign '{campaign.title}' before {day}"
    )[:1000]
