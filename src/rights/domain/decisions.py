"""The answer to "may person P act for organisation O with right R on measure M at time T?".

A pure function over the facts about one (person, organisation, role) triple, so the service, the
policy tests and (later) the in-memory index all decide the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from rights.domain.catalogue import Role
from rights.domain.model import Grant, Organisation, OrgStatus, Person, WorkRelation


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    # "granted" when allowed; otherwise the first reason it was denied.
    reason: str
    grant: Grant | None = None


def deny(reason: str) -> Decision:
    return Decision(allowed=False, reason=reason)


def decide(
    *,
    org: Organisation | None,
    person: Person | None,
    role: Role | None,
    measure: str | None,
    grants: Iterable[Grant],
    work_relations: Iterable[WorkRelation],
    at: datetime,
) -> Decision:
    if org is None:
        return deny("unknown_organisation")
    if person is None:
        return deny("unknown_person")
    if role is None:
        return deny("unknown_role")
    if role.measures and not any(m.code == measure for m in role.measures):
        return deny("unknown_measure")
    if not role.measures and measure:
        return deny("unknown_measure")
    if org.status is OrgStatus.FROZEN:
        return deny("organisation_frozen")
    if org.status is OrgStatus.CEASED:
        return deny("organisation_ceased")
    if person.frozen:
        return deny("person_frozen")
    mine = [
        g
        for g in grants
        if g.person_id == person.id and g.organisation_id == org.id and g.role == role.code and g.measure == (measure or None)
    ]
    active = [g for g in mine if g.active_at(at)]
    if not active:
        return deny(_why_no_active_grant(mine, at))
    if role.requires_work_relation and not any(
        w.person_id == person.id and w.organisation_id == org.id and w.active_at(at) for w in work_relations
    ):
        return deny("work_relation_inactive")
    # The grant that lasts longest explains the answer best.
    return Decision(allowed=True, reason="granted", grant=max(active, key=lambda g: g.valid_until))


def _why_no_active_grant(grants: list[Grant], at: datetime) -> str:
    if not grants:
        return "no_grant"
    if any(g.revoked_at is not None and g.revoked_at <= at for g in grants):
        return "grant_revoked"
    if any(g.valid_until <= at for g in grants):
        return "grant_expired"
    return "grant_not_yet_valid"
