"""The answer to "may person P act for organisation O with right R on measure M at time T?".

A pure function over the facts about one (person, organisation, role) triple, so the service, the
policy tests and (later) the in-memory index all decide the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from rights.domain.catalogue import Role
from rights.domain.model import Grant, Mandate, Organisation, OrgStatus, Person, WorkRelation


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    # "granted" or "mandate" when allowed; otherwise the first reason it was denied.
    reason: str
    grant: Grant | None = None
    # The mandate the person acted under (the grant is then their executing right at the holder).
    mandate: Mandate | None = None
    # Every reason it failed: the direct grant's, then each mandate's (for explanations).
    reasons: tuple[str, ...] = ()


def deny(reason: str, reasons: tuple[str, ...] = ()) -> Decision:
    return Decision(allowed=False, reason=reason, reasons=reasons or (reason,))


def decide(
    *,
    org: Organisation | None,
    person: Person | None,
    role: Role | None,
    measure: str | None,
    grants: Iterable[Grant],
    work_relations: Iterable[WorkRelation],
    at: datetime,
    mandates: Iterable[Mandate] = (),
    holders: dict[str, Organisation] | None = None,
    executor: Role | None = None,
) -> Decision:
    """The reference evaluation. ``grants`` and ``work_relations`` may include the person's facts at
    mandate holders; ``holders`` maps holder ids to organisations; ``executor`` is the role that
    executes mandates (its measure names the application)."""
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
    grants = list(grants)
    relations = list(work_relations)
    direct = _grant_decision(person, org.id, role.code, measure or None, role.requires_work_relation,
                             grants, relations, at)
    if direct.allowed:
        return direct
    reasons = [direct.reason]
    for m in sorted((m for m in mandates if m.mandator_id == org.id), key=lambda m: m.id):
        state = m.state_at(at)
        if state != "active":
            reasons.append(f"mandate_{state}")
            continue
        if not m.covers(role.application, measure):
            reasons.append("mandate_not_covering")
            continue
        holder = (holders or {}).get(m.holder_id)
        if holder is None or holder.status is not OrgStatus.ACTIVE:
            reasons.append("mandate_holder_inactive")
            continue
        if executor is None:
            reasons.append("no_executing_right")
            continue
        via = _grant_decision(person, holder.id, executor.code, role.application, executor.requires_work_relation,
                              grants, relations, at)
        if via.allowed:
            return Decision(allowed=True, reason="mandate", grant=via.grant, mandate=m)
        reasons.append("no_executing_right")
    return deny(direct.reason, tuple(reasons))


def _grant_decision(
    person: Person,
    org_id: str,
    role: str,
    measure: str | None,
    needs_relation: bool,
    grants: list[Grant],
    relations: list[WorkRelation],
    at: datetime,
) -> Decision:
    mine = [
        g for g in grants
        if g.person_id == person.id and g.organisation_id == org_id and g.role == role and g.measure == measure
    ]
    active = [g for g in mine if g.active_at(at)]
    if not active:
        return deny(_why_no_active_grant(mine, at))
    if needs_relation and not any(
        w.person_id == person.id and w.organisation_id == org_id and w.active_at(at) for w in relations
    ):
        return deny("work_relation_inactive")
    # The grant that lasts longest explains the answer best.
    return Decision(allowed=True, reason="granted", grant=max(active, key=lambda g: (g.valid_until, g.id)))


def _why_no_active_grant(grants: list[Grant], at: datetime) -> str:
    if not grants:
        return "no_grant"
    if any(g.revoked_at is not None and g.revoked_at <= at for g in grants):
        return "grant_revoked"
    if any(g.valid_until <= at for g in grants):
        return "grant_expired"
    return "grant_not_yet_valid"
