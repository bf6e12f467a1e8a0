"""Successions: enter, preview, apply or withdraw (platform administrators; issue 17).

Applying writes every move of the plan in one transaction and one change (``succession_applied``),
audited; the plan as carried out stays on the succession, readable afterwards.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from rights.domain import succession as rules
from rights.domain.commands import NewSuccession, SuccessionApply
from rights.domain.errors import Conflict, InvalidInput, NotFound
from rights.domain.model import Organisation, Succession, SuccessionStatus
from rights.domain.ports import Caller, Tx
from rights.domain.services.base import (
    Core,
    Written,
    new_id,
    record,
    require_platform_admin,
    resolve_organisation,
    resolve_person,
)

SUCCESSION_PREFIX = "suc_"


class SuccessionView(msgspec.Struct, frozen=True, kw_only=True):
    succession: Succession
    organisations: dict[str, Organisation]
    # the plan: as carried out once applied, otherwise as it would be now
    plan: rules.Plan


class SuccessionService:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def _organisations(self, tx: Tx, refs: tuple[str, ...], field: str) -> list[Organisation]:
        return [await resolve_organisation(tx, ref, f"{field}[{k}]") for k, ref in enumerate(refs)]

    async def _assignments(self, tx: Tx, raw: dict[str, str], successors: list[Organisation]) -> dict[str, str]:
        out: dict[str, str] = {}
        for person_ref, org_ref in raw.items():
            # the field never repeats the reference: it may be a full national number
            person = await resolve_person(tx, person_ref, field_name="assignments")
            org = await resolve_organisation(tx, org_ref, "assignments")
            out[person.id] = org.id
        return out

    async def _validate(self, tx: Tx, s: Succession, orgs: dict[str, Organisation]) -> None:
        fresh = []
        for o in s.successor_ids:
            if not await tx.grants(organisation_id=o) and not await tx.work_relations(organisation_id=o):
                fresh.append(o)
        rules.validate(s, self.core.catalogue, orgs, fresh)
        for k, p in enumerate(s.predecessor_ids):
            for other in await tx.successions(organisation_id=p):
                if other.id != s.id and other.status is not SuccessionStatus.WITHDRAWN and p in other.predecessor_ids:
                    raise Conflict("succession_already_entered", f"predecessors[{k}]", succession=other.id)

    async def enter(self, caller: Caller, cmd: NewSuccession) -> Written[Succession]:
        """Record a succession (proposed); nothing moves until it is applied."""
        require_platform_admin(caller)
        if cmd.effective_at.tzinfo is None:
            raise InvalidInput("invalid_value", "effective_at", reason="a time zone is required")
        async with self.core.store.write() as tx:
            preds = await self._organisations(tx, cmd.predecessors, "predecessors")
            succs = await self._organisations(tx, cmd.successors, "successors")
            s = Succession(
                id=new_id(SUCCESSION_PREFIX), kind=cmd.kind, source=cmd.source,
                predecessor_ids=tuple(o.id for o in preds), successor_ids=tuple(o.id for o in succs),
                effective_at=cmd.effective_at, reason=cmd.reason, entered_by=caller.subject,
                entered_at=self.core.now(), assignments=await self._assignments(tx, cmd.assignments, succs),
            )
            await self._validate(tx, s, {o.id: o for o in [*preds, *succs]})
            await tx.add_succession(s)
            rev = await record(self.core, tx, caller, kind="succession_entered", entity="succession",
                               entity_id=s.id, data=_summary(s), organisation_id=s.successor_ids[0])
        await self.core.committed(rev)
        return Written(s, rev)

    async def _facts(self, tx: Tx, s: Succession) -> rules.Facts:
        ids = [*s.predecessor_ids, *s.successor_ids]
        orgs = {o.id: o for o in await tx.get_organisations(ids)}
        admins, relations, grants, mandates = [], [], [], {}
        for o in ids:
            admins += await tx.administrators(o)
            relations += await tx.work_relations(organisation_id=o)
            grants += await tx.grants(organisation_id=o)
            mandates.update({m.id: m for m in await tx.mandates(organisation_id=o)})
        return rules.Facts(organisations=orgs, administrators=admins, work_relations=relations, grants=grants,
                           mandates=list(mandates.values()))

    async def get(self, caller: Caller, succession_id: str) -> SuccessionView:
        """The succession with its plan (the preview while proposed, the record once applied)."""
        require_platform_admin(caller)
        async with self.core.store.read() as tx:
            s = await _get(tx, succession_id)
            facts = await self._facts(tx, s)
        if s.plan is not None:
            plan = msgspec.convert(s.plan, rules.Plan)
        else:
            plan = rules.make_plan(s, self.core.catalogue, facts)
        return SuccessionView(succession=s, organisations=dict(facts.organisations), plan=plan)

    async def preview(self, caller: Caller, succession_id: str) -> SuccessionView:
        return await self.get(caller, succession_id)

    async def list(self, caller: Caller, *, organisation: str | None = None) -> list[Succession]:
        require_platform_admin(caller)
        async with self.core.store.read() as tx:
            org_id = (await resolve_organisation(tx, organisation)).id if organisation else None
            return await tx.successions(organisation_id=org_id)

    async def apply(self, caller: Caller, succession_id: str, cmd: SuccessionApply) -> Written[SuccessionView]:
        """Confirm: carry out the plan in one transaction and one change."""
        require_platform_admin(caller)
        now = self.core.now()
        async with self.core.store.write() as tx:
            s = await _get(tx, succession_id)
            if cmd.expected_version is not None and cmd.expected_version != s.version:
                raise Conflict("version_conflict", "expected_version", actual=s.version)
            if s.status is not SuccessionStatus.PROPOSED:
                raise Conflict("succession_not_proposed", "succession", status=s.status.value)
            if cmd.assignments:
                succs = await tx.get_organisations(s.successor_ids)
                extra = await self._assignments(tx, cmd.assignments, succs)
                s = msgspec.structs.replace(s, assignments={**s.assignments, **extra})
            facts = await self._facts(tx, s)
            await self._validate(tx, s, dict(facts.organisations))
            plan = rules.make_plan(s, self.core.catalogue, facts)
            done = rules.carry(s, plan, facts, new_id=new_id, actor=caller.subject, now=now)
            for a in done.new_administrators:
                await tx.add_administrator(a)
            for w in done.closed_work_relations:
                await tx.save_work_relation(w)
            for w in done.new_work_relations:
                await tx.add_work_relation(w)
            for g in done.closed_grants:
                await tx.save_grant(g, expected_version=g.version - 1)
            for g in done.new_grants:
                await tx.add_grant(g)
            for m in done.closed_mandates:
                await tx.save_mandate(m, expected_version=m.version - 1)
            for m in done.new_mandates:
                await tx.add_mandate(m)
            applied = msgspec.structs.replace(
                s, status=SuccessionStatus.APPLIED, plan=msgspec.to_builtins(done.plan), applied_at=now,
                applied_by=caller.subject, version=s.version + 1)
            await tx.save_succession(applied, expected_version=s.version)
            rev = await record(
                self.core, tx, caller, kind="succession_applied", entity="succession", entity_id=s.id,
                organisation_id=s.successor_ids[0],
                data={**_summary(applied), "moved": sum(1 for i in done.plan.items if i.moves),
                      "open": len(done.plan.open_items),
                      # what the decision index re-reads (rights.domain.keeper)
                      "organisation_ids": [*s.predecessor_ids, *s.successor_ids],
                      "grant_ids": [g.id for g in (*done.closed_grants, *done.new_grants)],
                      "work_relation_ids": [w.id for w in (*done.closed_work_relations, *done.new_work_relations)],
                      "mandate_ids": [m.id for m in (*done.closed_mandates, *done.new_mandates)]},
            )
        await self.core.committed(rev)
        return Written(SuccessionView(succession=applied, organisations=dict(facts.organisations), plan=done.plan),
                       rev)

    async def withdraw(self, caller: Caller, succession_id: str, reason: str) -> Written[Succession]:
        require_platform_admin(caller)
        async with self.core.store.write() as tx:
            s = await _get(tx, succession_id)
            if s.status is not SuccessionStatus.PROPOSED:
                raise Conflict("succession_not_proposed", "succession", status=s.status.value)
            withdrawn = msgspec.structs.replace(s, status=SuccessionStatus.WITHDRAWN, version=s.version + 1)
            await tx.save_succession(withdrawn, expected_version=s.version)
            rev = await record(self.core, tx, caller, kind="succession_withdrawn", entity="succession",
                               entity_id=s.id, data={"reason": reason}, organisation_id=s.successor_ids[0])
        await self.core.committed(rev)
        return Written(withdrawn, rev)


async def _get(tx: Tx, succession_id: str) -> Succession:
    s = await tx.get_succession(succession_id)
    if s is None:
        raise NotFound("unknown_succession", "succession")
    return s


def _summary(s: Succession) -> dict:
    return {"kind": s.kind.value, "source": s.source.value, "predecessors": list(s.predecessor_ids),
            "successors": list(s.successor_ids), "effective_at": s.effective_at.isoformat(),
            "reason": s.reason, "status": s.status.value}


async def successors_at(tx: Tx, org_id: str, at: datetime) -> tuple[str, ...]:
    """The organisations that answer for ``org_id`` at ``at``, through later successions too (empty: it
    answers for itself). Reads only when the organisation was ever named in a succession."""
    known: dict[str, Succession] = {}
    todo, seen = [org_id], set()
    while todo and len(seen) < 50:
        o = todo.pop()
        if o in seen:
            continue
        seen.add(o)
        for s in await tx.successions(organisation_id=o, status=SuccessionStatus.APPLIED):
            if o in s.predecessor_ids and s.id not in known:
                known[s.id] = s
                todo.extend(s.successor_ids)
    return rules.successors_at(known.values(), org_id, at) if known else ()
