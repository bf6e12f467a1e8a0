"""Successions: the rules of what moves when organisations merge, split, are absorbed or renumbered.

Pure functions over the facts (issue 17). :func:`validate` refuses a succession the policy does not
allow; :func:`make_plan` says, item by item, what would move to which successor and what is left for a
person to decide; :func:`carry` turns a plan into the new and the closed entities. The service writes
them in one transaction; the policy tests and the property test call the same functions.

Outcomes of a plan item: ``move`` (carried to ``to``), or why not:

* ``already_administrator`` / ``already_user`` / ``already_held``: the person already has it at the
  successor (nothing to do, listed for completeness);
* ``role_not_for_organisation_type``: the successor's type may not hold the right (listed, not moved);
* ``user_type_not_allowed``: the successor's type does not record that kind of work relation;
* ``assignment_needed``: a split, and the person is not yet assigned to one of the successors;
* ``mandate_listed``: the policy lists mandates for a decision (splits);
* ``mandate_within_successor``: mandator and holder become the same organisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import msgspec

from rights.domain.catalogue import Catalogue
from rights.domain.errors import Conflict, InvalidInput
from rights.domain.model import (
    Administrator,
    Grant,
    Mandate,
    Organisation,
    OrgStatus,
    Succession,
    SuccessionStatus,
    WorkRelation,
)

MOVE = "move"
NOTHING_TO_DO = frozenset({"already_administrator", "already_user", "already_held"})


class PlanItem(msgspec.Struct, frozen=True, kw_only=True):
    item: str  # administrator | work_relation | grant | mandate
    id: str  # the predecessor's entity
    organisation_id: str  # the predecessor it belongs to (for a mandate: the mandator)
    outcome: str
    to: str | None = None  # the successor (for a mandate: "mandator_id>holder_id" after the move)
    person_id: str | None = None
    role: str | None = None
    measure: str | None = None
    new_id: str | None = None  # the successor's entity, once applied

    @property
    def moves(self) -> bool:
        return self.outcome == MOVE

    @property
    def open(self) -> bool:
        """Left for a person to decide."""
        return self.outcome != MOVE and self.outcome not in NOTHING_TO_DO


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    succession_id: str
    effective_at: datetime
    items: tuple[PlanItem, ...]
    # What stops the plan from being applied (e.g. "successor_without_administrator:<org id>").
    blocking: tuple[str, ...] = ()

    @property
    def open_items(self) -> list[PlanItem]:
        return [i for i in self.items if i.open]


class Facts(msgspec.Struct, frozen=True, kw_only=True):
    """What a plan is made from: every organisation of the succession, and their people and rights."""

    organisations: Mapping[str, Organisation]
    administrators: Iterable[Administrator] = ()
    work_relations: Iterable[WorkRelation] = ()
    grants: Iterable[Grant] = ()
    mandates: Iterable[Mandate] = ()


def validate(s: Succession, catalogue: Catalogue, orgs: Mapping[str, Organisation],
             new_successor_ids: Iterable[str] = ()) -> None:
    """Refuse a succession its kind's policy does not allow (``field`` names what is wrong)."""
    policy = catalogue.succession(s.kind)
    preds, succs = s.predecessor_ids, s.successor_ids
    if len(set(preds)) != len(preds):
        raise InvalidInput("succession_duplicate_organisation", "predecessors")
    if len(set(succs)) != len(succs):
        raise InvalidInput("succession_duplicate_organisation", "successors")
    if set(preds) & set(succs):
        raise InvalidInput("succession_organisation_on_both_sides", "successors")
    for side, ids_, low, high in (("predecessors", preds, policy.min_predecessors, policy.max_predecessors),
                                  ("successors", succs, policy.min_successors, policy.max_successors)):
        if len(ids_) < low or (high is not None and len(ids_) > high):
            raise InvalidInput("succession_wrong_count", side, kind=s.kind.value, side=side,
                               low=low, high=high if high is not None else "∞")
    pred_types = {orgs[p].type for p in preds}
    for k, o in enumerate(succs):
        if policy.same_type and orgs[o].type not in pred_types:
            raise InvalidInput("succession_type_mismatch", f"successors[{k}]", kind=s.kind.value)
        if orgs[o].status is not OrgStatus.ACTIVE:
            raise Conflict("succession_successor_inactive", f"successors[{k}]")
    if not policy.successor_may_exist:
        new = set(new_successor_ids)
        for k, o in enumerate(succs):
            if o not in new:
                raise InvalidInput("succession_successor_must_be_new", f"successors[{k}]", kind=s.kind.value)
    for target in s.assignments.values():
        if target not in succs:
            raise InvalidInput("succession_assignment_not_a_successor", "assignments")


def make_plan(s: Succession, catalogue: Catalogue, facts: Facts) -> Plan:
    """What would happen on the effective date; nothing is changed."""
    orgs, at = facts.organisations, s.effective_at
    preds, succs = set(s.predecessor_ids), s.successor_ids
    admins = [a for a in facts.administrators if a.active]
    relations = list(facts.work_relations)
    grants = list(facts.grants)
    items: list[PlanItem] = []

    def targets(person_id: str) -> tuple[str, ...]:
        if len(succs) == 1:
            return succs
        assigned = s.assignments.get(person_id)
        return (assigned,) if assigned else ()

    # administrators: in a split an unassigned administrator keeps administering every successor
    admins_at: dict[str, set[str]] = {o: {a.person_id for a in admins if a.organisation_id == o} for o in succs}
    for a in sorted((a for a in admins if a.organisation_id in preds), key=lambda a: a.id):
        for to in targets(a.person_id) or succs:
            outcome = "already_administrator" if a.person_id in admins_at[to] else MOVE
            items.append(PlanItem(item="administrator", id=a.id, organisation_id=a.organisation_id,
                                  person_id=a.person_id, outcome=outcome, to=to))
            admins_at[to].add(a.person_id)
    for r in sorted((r for r in relations if r.organisation_id in preds), key=lambda r: r.id):
        if r.blocked or (r.ended_at is not None and r.ended_at <= at):
            continue
        to_ = targets(r.person_id)
        if not to_:
            items.append(PlanItem(item="work_relation", id=r.id, organisation_id=r.organisation_id,
                                  person_id=r.person_id, outcome="assignment_needed"))
            continue
        to = to_[0]
        if r.user_type not in catalogue.org_type(orgs[to].type).user_types:
            outcome = "user_type_not_allowed"
        elif any(w.person_id == r.person_id and w.organisation_id == to and w.active_at(at) for w in relations):
            outcome = "already_user"
        else:
            outcome = MOVE
        items.append(PlanItem(item="work_relation", id=r.id, organisation_id=r.organisation_id,
                              person_id=r.person_id, outcome=outcome, to=to))
    for g in sorted((g for g in grants if g.organisation_id in preds), key=lambda g: g.id):
        if (g.revoked_at is not None and g.revoked_at <= at) or g.valid_until <= at:
            continue
        to_ = targets(g.person_id)
        common = {"item": "grant", "id": g.id, "organisation_id": g.organisation_id, "person_id": g.person_id,
                  "role": g.role, "measure": g.measure}
        if not to_:
            items.append(PlanItem(outcome="assignment_needed", **common))
            continue
        to = to_[0]
        role = catalogue.roles.get(g.role)
        if role is None or orgs[to].type not in role.org_types:
            outcome = "role_not_for_organisation_type"
        elif any(h.person_id == g.person_id and h.organisation_id == to and h.role == g.role
                 and h.measure == g.measure and h.valid_until >= g.valid_until
                 and (h.revoked_at is None or h.revoked_at > at) for h in grants):
            outcome = "already_held"
        else:
            outcome = MOVE
        items.append(PlanItem(outcome=outcome, to=to, **common))
    policy = catalogue.succession(s.kind)
    for m in sorted((m for m in facts.mandates if m.mandator_id in preds or m.holder_id in preds),
                    key=lambda m: m.id):
        if (m.revoked_at is not None and m.revoked_at <= at) or (m.valid_until is not None and m.valid_until <= at):
            continue
        common = {"item": "mandate", "id": m.id, "organisation_id": m.mandator_id}
        if policy.mandates == "list" or len(succs) != 1:
            items.append(PlanItem(outcome="mandate_listed", **common))
            continue
        mandator = succs[0] if m.mandator_id in preds else m.mandator_id
        holder = succs[0] if m.holder_id in preds else m.holder_id
        outcome = "mandate_within_successor" if mandator == holder else MOVE
        items.append(PlanItem(outcome=outcome, to=f"{mandator}>{holder}", **common))
    blocking: list[str] = []
    if policy.keep_administrators:
        had_admin = any(a.organisation_id in preds for a in admins)
        for o in succs:
            if had_admin and not admins_at[o]:
                blocking.append(f"successor_without_administrator:{o}")
    return Plan(succession_id=s.id, effective_at=at, items=tuple(items), blocking=tuple(blocking))


class Carried(msgspec.Struct, frozen=True, kw_only=True):
    """The entities a plan creates at the successors and the predecessors' entities it closes."""

    plan: Plan
    new_administrators: tuple[Administrator, ...] = ()
    new_work_relations: tuple[WorkRelation, ...] = ()
    new_grants: tuple[Grant, ...] = ()
    new_mandates: tuple[Mandate, ...] = ()
    closed_work_relations: tuple[WorkRelation, ...] = ()
    closed_grants: tuple[Grant, ...] = ()
    closed_mandates: tuple[Mandate, ...] = ()


def carry(s: Succession, plan: Plan, facts: Facts, *, new_id, actor: str, now: datetime) -> Carried:  # noqa: ANN001
    """Carry out a plan: what moves is re-created at the successor from the effective date, keeping its
    end of validity, and closed at the predecessor on that date (so the past answers as before)."""
    if plan.blocking:
        raise Conflict("succession_blocked", "plan", blocking=", ".join(plan.blocking))
    at, note = s.effective_at, f"succession {s.id}"
    by_id: dict[str, object] = {}
    for group in (facts.administrators, facts.work_relations, facts.grants, facts.mandates):
        by_id.update({e.id: e for e in group})  # type: ignore[attr-defined]
    items: list[PlanItem] = []
    out: dict[str, list] = {k: [] for k in ("admins", "wrs", "grants", "mandates", "c_wrs", "c_grants", "c_mandates")}
    for item in plan.items:
        if not item.moves:
            items.append(item)
            continue
        old = by_id[item.id]
        if isinstance(old, Administrator):
            assert item.to is not None
            new: object = Administrator(
                id=new_id("adm_"), organisation_id=item.to, person_id=old.person_id, main=old.main,
                applications=old.applications, contact=old.contact, appointed_by=note, appointed_at=now)
            out["admins"].append(new)
        elif isinstance(old, WorkRelation):
            assert item.to is not None
            new = WorkRelation(id=new_id("wr_"), person_id=old.person_id, organisation_id=item.to,
                               user_type=old.user_type, started_at=max(old.started_at, at), ended_at=old.ended_at)
            out["wrs"].append(new)
            out["c_wrs"].append(msgspec.structs.replace(old, ended_at=at))
        elif isinstance(old, Grant):
            assert item.to is not None
            new = Grant(id=new_id("gr_"), person_id=old.person_id, organisation_id=item.to, role=old.role,
                        measure=old.measure, valid_from=max(old.valid_from, at), valid_until=old.valid_until,
                        granted_by=old.granted_by, granted_at=now, reason=f"{note}: moved from {old.id}",
                        # a revocation already set for a later moment goes with it
                        revoked_at=old.revoked_at, revoked_by=old.revoked_by, revoke_reason=old.revoke_reason)
            out["grants"].append(new)
            out["c_grants"].append(msgspec.structs.replace(
                old, revoked_at=at, revoked_by=actor, revoke_reason=f"{note}: moved to {new.id}",
                version=old.version + 1))
        else:
            assert isinstance(old, Mandate) and item.to is not None
            mandator, holder = item.to.split(">")
            new = msgspec.structs.replace(old, id=new_id("man_"), mandator_id=mandator, holder_id=holder,
                                          valid_from=max(old.valid_from, at), version=1)
            out["mandates"].append(new)
            out["c_mandates"].append(msgspec.structs.replace(
                old, revoked_at=at, revoked_by=actor, revoke_reason=f"{note}: moved to {new.id}",  # type: ignore[attr-defined]
                version=old.version + 1))
        items.append(msgspec.structs.replace(item, new_id=new.id))  # type: ignore[attr-defined]
    return Carried(
        plan=msgspec.structs.replace(plan, items=tuple(items)),
        new_administrators=tuple(out["admins"]), new_work_relations=tuple(out["wrs"]),
        new_grants=tuple(out["grants"]), new_mandates=tuple(out["mandates"]),
        closed_work_relations=tuple(out["c_wrs"]), closed_grants=tuple(out["c_grants"]),
        closed_mandates=tuple(out["c_mandates"]),
    )


def successors_at(successions: Iterable[Succession], org_id: str, at: datetime, _depth: int = 0) -> tuple[str, ...]:
    """The organisations that answer for ``org_id`` at ``at``, following later successions of the
    successors too (empty: it answers for itself)."""
    successions = list(successions)
    if _depth > 8:
        return ()
    for s in successions:
        if s.status is SuccessionStatus.APPLIED and org_id in s.predecessor_ids and s.effective_at <= at:
            out: list[str] = []
            for o in s.successor_ids:
                out.extend(successors_at(successions, o, at, _depth + 1) or (o,))
            return tuple(dict.fromkeys(out))
    return ()
