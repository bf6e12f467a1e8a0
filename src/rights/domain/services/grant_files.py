"""An organisation's grants as a file: export them, and grant a whole CSV file at once (all or nothing).

Only a local administrator of the organisation may do either (platform staff do not grant, and an
export holds the organisation's people). The preview reads in one transaction; applying checks every
line again in the write transaction, and writes each grant through ``GrantService.grant_in`` — the one
path of a single grant (rules, overlap check, change log, audit) — so the file commits whole or not at all.
"""

from __future__ import annotations

from rights.domain import bulk, rules
from rights.domain.commands import NewGrant
from rights.domain.errors import Forbidden
from rights.domain.model import Administrator, AuditEvent, Grant, Organisation, Person
from rights.domain.ports import Caller, Tx
from rights.domain.services.base import PERSON_PREFIX, Core, resolve_organisation
from rights.domain.services.grants import GrantService


class GrantFileService:
    def __init__(self, core: Core, grants: GrantService) -> None:
        self.core = core
        self.grants = grants

    async def _organisation(self, tx: Tx, caller: Caller, org_ref: str) -> tuple[Organisation, list[Administrator]]:
        org = await resolve_organisation(tx, org_ref)
        admins = await tx.administrators(org.id)
        if rules.active_admin(admins, caller.person_id) is None:
            raise Forbidden("not_an_administrator", "organisation")
        return org, admins

    async def _plan(self, tx: Tx, caller: Caller, org_ref: str, data: bytes) -> tuple[bulk.Plan, bulk.Facts]:
        org, admins = await self._organisation(tx, caller, org_ref)  # refused before the file is even read
        rows = bulk.parse_file(data)
        persons: dict[str, Person] = {}
        for ref in sorted({r.ref for r in rows if r.ref and not r.problems}):
            found = await (tx.get_person(ref) if ref.startswith(PERSON_PREFIX) else tx.find_person(ref))
            if found is not None:
                persons[ref] = found
        facts = bulk.Facts(
            org=org, admins=admins, actor_person_id=caller.person_id or "", persons=persons,
            work_relations=await tx.work_relations(organisation_id=org.id),
            grants=await tx.grants(organisation_id=org.id), now=self.core.now())
        return bulk.plan(rows, facts, self.core.catalogue), facts

    async def preview(self, caller: Caller, org_ref: str, data: bytes) -> bulk.Plan:
        """What each line of the file would do; writes nothing. A file that cannot be read raises."""
        async with self.core.store.read() as tx:
            plan, _ = await self._plan(tx, caller, org_ref, data)
        return plan

    async def apply(self, caller: Caller, org_ref: str, data: bytes, promised: str) -> bulk.Plan:
        """Every line checked again; written only when none has a problem and the plan is still the one
        the preview showed (``promised``, its fingerprint). One transaction: all lines or none."""
        revision = 0
        async with self.core.store.write() as tx:
            plan, facts = await self._plan(tx, caller, org_ref, data)
            if not plan.ok:
                return plan
            if plan.fingerprint != promised:
                return bulk.Plan(plan.outcomes, plan.fingerprint, changed=True)
            for o in plan.outcomes:
                if o.action == "grant":
                    assert o.person is not None and o.role is not None
                    _, revision = await self.grants.grant_in(tx, caller, NewGrant(
                        person=o.person.id, organisation=facts.org.id, role=o.role.code,
                        measure=o.row.measure or None, valid_until=o.valid_until, reason=o.row.reason))
            await tx.audit(AuditEvent(
                at=self.core.now(), actor=caller.subject, actor_kind=caller.kind.value, action="grants_file_applied",
                organisation_id=facts.org.id, request_id=caller.request_id, address=caller.address,
                details={"lines": len(plan.outcomes), "granted": plan.count("grant"), "skipped": plan.count("skip")}))
        if revision:
            await self.core.committed(revision)
        return bulk.Plan(plan.outcomes, plan.fingerprint, applied=True)

    async def export(self, caller: Caller, org_ref: str, *, inactive: bool) -> tuple[Organisation, list[bulk.ExportRow]]:
        """The organisation's grants (only active ones unless ``inactive``); masked national numbers; audited."""
        now = self.core.now()
        async with self.core.store.write() as tx:
            org, _ = await self._organisation(tx, caller, org_ref)
            grants: list[Grant] = [g for g in await tx.grants(organisation_id=org.id)
                                   if inactive or bulk.grant_status(g, now) == "active"]
            people: dict[str, Person | None] = {}
            for pid in {g.person_id for g in grants} | {g.granted_by for g in grants}:
                people[pid] = await tx.get_person(pid) if pid.startswith(PERSON_PREFIX) else None

            def by(ref: str) -> str:
                p = people.get(ref)
                return p.display_name if p else ref

            rows = [bulk.export_row(g, people.get(g.person_id), by(g.granted_by), self.core.catalogue, now)
                    for g in sorted(grants, key=lambda g: (g.person_id, g.role, g.measure or "", g.valid_from))]
            rows.sort(key=lambda r: (r.name.casefold(), r.person, r.role, r.measure, r.valid_from))
            await tx.audit(AuditEvent(
                at=now, actor=caller.subject, actor_kind=caller.kind.value, action="grants_exported",
                organisation_id=org.id, request_id=caller.request_id, address=caller.address,
                details={"rows": len(rows), "inactive": inactive}))
        return org, rows
