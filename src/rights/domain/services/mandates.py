"""Mandates: one organisation lets another act for it (a client and its accountancy firm).

Either side's administrator proposes (their side accepts by proposing), the other side's accepts,
either may revoke. Administrators here are those who administer the mandates application.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from rights.domain import rules
from rights.domain.commands import MandateDecision, NewMandate
from rights.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from rights.domain.model import Mandate, Organisation, OrgStatus
from rights.domain.ports import Caller, Tx
from rights.domain.services.base import Core, Written, new_id, record, resolve_organisation, to_data

MANDATES_APPLICATION = "SSM"


def _tz(value: datetime, field_name: str) -> datetime:
    return rules.aware_utc(value, field_name)


class MandateService:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def _side(self, tx: Tx, caller: Caller, m: Mandate) -> str:
        """Which side the caller administers ("mandator" or "holder"), refusing anyone else."""
        for side, org_id in (("mandator", m.mandator_id), ("holder", m.holder_id)):
            admins = await tx.administrators(org_id)
            admin = rules.active_admin(admins, caller.person_id)
            if admin is not None and admin.administers(MANDATES_APPLICATION):
                return side
        raise Forbidden("not_a_mandate_party", "mandate")

    def _check_scope(self, cmd: NewMandate) -> None:
        measures: set[str] = set()
        for i, code in enumerate(cmd.applications):
            try:
                app = self.core.catalogue.application(code)
            except NotFound as exc:
                raise NotFound(exc.code, f"applications[{i}]", **exc.params) from None
            measures |= {m.code for r in app.roles for m in r.measures}
        for i, code in enumerate(cmd.measures):
            if code not in measures:
                raise InvalidInput("measure_not_in_applications", f"measures[{i}]", measure=code)

    async def propose(self, caller: Caller, cmd: NewMandate) -> Written[Mandate]:
        self._check_scope(cmd)
        now = self.core.now()
        valid_from = _tz(cmd.valid_from, "valid_from") if cmd.valid_from else now
        valid_until = _tz(cmd.valid_until, "valid_until") if cmd.valid_until else None
        rules.ensure_mandate_validity(valid_from, valid_until, now)
        async with self.core.store.write() as tx:
            mandator = await resolve_organisation(tx, cmd.mandator, "mandator")
            holder = await resolve_organisation(tx, cmd.holder, "holder")
            if mandator.id == holder.id:
                raise InvalidInput("mandate_same_organisation", "holder")
            for org, name in ((mandator, "mandator"), (holder, "holder")):
                _ensure_active(org, name)
            m = Mandate(
                id=new_id("man_"), mandator_id=mandator.id, holder_id=holder.id, applications=cmd.applications,
                measures=cmd.measures, valid_from=valid_from, valid_until=valid_until,
                proposed_by=caller.person_id or caller.subject, proposed_at=now,
            )
            side = await self._side(tx, caller, m)
            # Proposing is accepting for one's own side.
            m = msgspec.structs.replace(m, **{f"{side}_accepted_by": m.proposed_by, f"{side}_accepted_at": now})
            await tx.add_mandate(m)
            rev = await record(self.core, tx, caller, kind="mandate_proposed", entity="mandate", entity_id=m.id,
                               data=to_data(m), organisation_id=mandator.id)
        await self.core.committed(rev)
        return Written(m, rev)

    async def accept(self, caller: Caller, mandate_id: str, cmd: MandateDecision) -> Written[Mandate]:
        async with self.core.store.write() as tx:
            m = await self._get(tx, mandate_id, cmd)
            side = await self._side(tx, caller, m)
            if getattr(m, f"{side}_accepted_at") is not None:
                raise Conflict("mandate_already_accepted", "mandate")
            for org_id, name in ((m.mandator_id, "mandator"), (m.holder_id, "holder")):
                _ensure_active(await resolve_organisation(tx, org_id, name), name)
            accepted = msgspec.structs.replace(
                m, version=m.version + 1,
                **{f"{side}_accepted_by": caller.person_id or caller.subject, f"{side}_accepted_at": self.core.now()},
            )
            await tx.save_mandate(accepted, expected_version=m.version)
            rev = await record(self.core, tx, caller, kind="mandate_accepted", entity="mandate", entity_id=m.id,
                               data={"side": side, "version": accepted.version}, organisation_id=m.mandator_id)
        await self.core.committed(rev)
        return Written(accepted, rev)

    async def revoke(self, caller: Caller, mandate_id: str, cmd: MandateDecision) -> Written[Mandate]:
        async with self.core.store.write() as tx:
            m = await self._get(tx, mandate_id, cmd)
            side = await self._side(tx, caller, m)
            if m.revoked_at is not None:
                raise Conflict("already_revoked", "mandate")
            revoked = msgspec.structs.replace(m, revoked_at=self.core.now(), revoked_by=caller.person_id or caller.subject,
                                              revoke_reason=cmd.reason, version=m.version + 1)
            await tx.save_mandate(revoked, expected_version=m.version)
            rev = await record(self.core, tx, caller, kind="mandate_revoked", entity="mandate", entity_id=m.id,
                               data={"side": side, "reason": cmd.reason, "version": revoked.version},
                               organisation_id=m.mandator_id)
        await self.core.committed(rev)
        return Written(revoked, rev)

    async def _get(self, tx: Tx, mandate_id: str, cmd: MandateDecision) -> Mandate:
        m = await tx.get_mandate(mandate_id)
        if m is None:
            raise NotFound("unknown_mandate", "mandate")
        if cmd.expected_version is not None and cmd.expected_version != m.version:
            raise Conflict("version_conflict", "expected_version", actual=m.version)
        return m

    async def get(self, caller: Caller, mandate_id: str) -> Mandate:
        async with self.core.store.read() as tx:
            m = await tx.get_mandate(mandate_id)
            if m is None:
                raise NotFound("unknown_mandate", "mandate")
            if not caller.platform_admin:
                await self._side(tx, caller, m)
            return m

    async def of_organisation(self, caller: Caller, org_ref: str) -> list[Mandate]:
        async with self.core.store.read() as tx:
            org = await resolve_organisation(tx, org_ref)
            if not caller.platform_admin and rules.active_admin(await tx.administrators(org.id), caller.person_id) is None:
                raise Forbidden("not_an_administrator", "organisation")
            return await tx.mandates(organisation_id=org.id)


def _ensure_active(org: Organisation, field_name: str) -> None:
    if org.status is OrgStatus.FROZEN:
        raise Conflict("organisation_frozen", field_name)
    if org.status is OrgStatus.CEASED:
        raise Conflict("organisation_ceased", field_name)
