"""Grants: give, revoke and change the validity of a right; list them and show one's history.

Nothing is deleted: revoking stamps the grant, a validity change bumps its version, and every write
appends to the change log, which is the grant's history.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import msgspec

from rights.domain import rules
from rights.domain.catalogue import Role
from rights.domain.commands import UNSET, NewGrant, Revocation, ValidityChange
from rights.domain.errors import Conflict, DomainError, Forbidden, NotFound
from rights.domain.model import Administrator, Change, Grant, Organisation, SuccessionStatus
from rights.domain.ports import Caller, Tx
from rights.domain.services.base import (
    Core,
    Written,
    audit_read,
    find_person,
    is_active_admin,
    new_id,
    record,
    resolve_organisation,
    resolve_person,
    to_data,
)


def _utc(value: datetime, field_name: str) -> datetime:
    return rules.aware_utc(value, field_name)


async def revoke_in(
    core: Core, tx: Tx, caller: Caller, grant: Grant, reason: str, *, at: datetime | None = None
) -> tuple[Grant, int]:
    """The one revoke path (stamp, compare-and-set, change log, audit) inside the caller's transaction;
    also used by recertification, whose deadline revokes what was not confirmed."""
    revoked = msgspec.structs.replace(
        grant, revoked_at=at or core.now(), revoked_by=caller.person_id or caller.subject,
        revoke_reason=reason, version=grant.version + 1,
    )
    await tx.save_grant(revoked, expected_version=grant.version)
    rev = await record(
        core, tx, caller, kind="grant_revoked", entity="grant", entity_id=grant.id,
        data={"reason": reason, "version": revoked.version}, organisation_id=grant.organisation_id,
    )
    return revoked, rev


_SUCCESSION = re.compile(r"\bsuccession (suc_[0-9a-f]+)")


class GrantService:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def _revocable_in(self, tx: Tx, caller: Caller, grant_id: str) -> Grant:
        """The grant, if the caller may revoke it now (the one rule path of the revoke page and the write)."""
        grant = await tx.get_grant(grant_id)
        if grant is None:
            raise NotFound("unknown_grant", "grant")
        await resolve_organisation(tx, grant.organisation_id)
        rules.ensure_may_revoke(
            admins=await tx.administrators(grant.organisation_id), actor_person_id=caller.person_id,
            platform_admin=caller.platform_admin, application=self.core.catalogue.role(grant.role).application,
            revoked=grant.revoked_at is not None,
        )
        return grant

    async def preview_revoke(self, caller: Caller, grant_id: str) -> Grant:
        """What revoke() would refuse, asked before a screen offers it: reads only, writes nothing."""
        async with self.core.store.read() as tx:
            return await self._revocable_in(tx, caller, grant_id)

    async def revocable(self, caller: Caller, grants: Iterable[Grant]) -> set[str]:
        """The ids among ``grants`` the caller may revoke now, by the same rule revoke() applies."""
        out: set[str] = set()
        admins: dict[str, list[Administrator]] = {}
        async with self.core.store.read() as tx:
            for g in grants:
                if g.organisation_id not in admins:
                    admins[g.organisation_id] = await tx.administrators(g.organisation_id)
                role = self.core.catalogue.roles.get(g.role)
                if role is None:
                    continue
                try:
                    rules.ensure_may_revoke(
                        admins=admins[g.organisation_id], actor_person_id=caller.person_id,
                        platform_admin=caller.platform_admin, application=role.application,
                        revoked=g.revoked_at is not None,
                    )
                except DomainError:
                    continue
                out.add(g.id)
        return out

    async def preview_grant(self, caller: Caller, cmd: NewGrant) -> Grant:
        """The grant grant() would make, or its refusal, by the same rules: reads only, writes nothing."""
        async with self.core.store.read() as tx:
            return await self._new_grant(tx, caller, cmd)

    async def grantable(self, caller: Caller, cmds: Sequence[NewGrant]) -> list[DomainError | None]:
        """Per command, None when grant() would accept it now, else its refusal (one read, nothing written)."""
        out: list[DomainError | None] = []
        async with self.core.store.read() as tx:
            for cmd in cmds:
                try:
                    await self._new_grant(tx, caller, cmd)
                except DomainError as exc:
                    out.append(exc)
                else:
                    out.append(None)
        return out

    async def grant(self, caller: Caller, cmd: NewGrant) -> Written[Grant]:
        async with self.core.store.write() as tx:
            grant, rev = await self.grant_in(tx, caller, cmd)
        await self.core.committed(rev)
        return Written(grant, rev)

    async def grant_in(self, tx: Tx, caller: Caller, cmd: NewGrant) -> tuple[Grant, int]:
        """The grant inside the caller's write transaction (an approved access request commits with it)."""
        grant = await self._new_grant(tx, caller, cmd)
        await tx.add_grant(grant)
        rev = await record(
            self.core, tx, caller, kind="grant_created", entity="grant", entity_id=grant.id,
            data=to_data(grant), organisation_id=grant.organisation_id,
        )
        return grant, rev

    async def _new_grant(self, tx: Tx, caller: Caller, cmd: NewGrant) -> Grant:
        """Every rule a new grant must pass, asked of the facts in ``tx``; the grant it would be. The write
        (grant_in) and the screens' preview (preview_grant, grantable) both come through here."""
        role = self.core.catalogue.role(cmd.role)
        now = self.core.now()
        valid_from = _utc(cmd.valid_from, "valid_from") if cmd.valid_from else now
        valid_until = (
            _utc(cmd.valid_until, "valid_until")
            if cmd.valid_until
            else valid_from + timedelta(days=role.default_validity_days)
        )
        org = await resolve_organisation(tx, cmd.organisation)
        holder = await resolve_person(tx, cmd.person, caller)
        # Only local administrators grant: platform staff neither grant nor hold the organisation's keys.
        rules.ensure_administers(await tx.administrators(org.id), caller.person_id, role.application)
        rules.ensure_grantable(
            role=role, measure=cmd.measure, org=org, holder=holder, actor_person_id=caller.person_id or "",
            work_relations=await tx.work_relations(person_id=holder.id), valid_from=valid_from,
            valid_until=valid_until, now=now,
        )
        # An applied succession (issue 17) already carried the predecessor's rights; one given there now
        # would silently stop counting on the effective date: give it at the successor instead.
        for s in await tx.successions(organisation_id=org.id, status=SuccessionStatus.APPLIED):
            if org.id in s.predecessor_ids and valid_until > s.effective_at:
                raise Conflict("organisation_succeeded", "organisation", date=s.effective_at.date().isoformat())
        existing = await tx.grants(person_id=holder.id, organisation_id=org.id, role=role.code, measure=cmd.measure)
        if any(g.revoked_at is None and g.valid_until > valid_from and g.valid_from < valid_until for g in existing):
            raise Conflict("grant_already_exists", "role")
        return Grant(
            id=new_id("gr_"), person_id=holder.id, organisation_id=org.id, role=role.code,
            measure=cmd.measure or None, valid_from=valid_from, valid_until=valid_until,
            granted_by=caller.person_id or caller.subject, granted_at=now, reason=cmd.reason,
        )

    async def revoke(self, caller: Caller, grant_id: str, cmd: Revocation) -> Written[Grant]:
        async with self.core.store.write() as tx:
            grant = await self._revocable_in(tx, caller, grant_id)
            if cmd.expected_version is not None and cmd.expected_version != grant.version:
                raise Conflict("version_conflict", "expected_version", actual=grant.version)
            revoked, rev = await revoke_in(self.core, tx, caller, grant, cmd.reason)
        await self.core.committed(rev)
        return Written(revoked, rev)

    async def _changeable_in(self, tx: Tx, caller: Caller, grant_id: str, now: datetime) -> tuple[Grant, Organisation, Role]:
        """The grant, if its validity may be changed at all now (before the new dates are looked at)."""
        grant = await tx.get_grant(grant_id)
        if grant is None:
            raise NotFound("unknown_grant", "grant")
        org = await resolve_organisation(tx, grant.organisation_id)
        role = self.core.catalogue.role(grant.role)
        # Changing validity is granting anew: only the organisation's local administrators, within their
        # applications (platform staff do not grant, so they do not extend either).
        rules.ensure_administers(await tx.administrators(org.id), caller.person_id, role.application)
        if grant.revoked_at is not None:
            raise Conflict("already_revoked", "grant")
        if grant.valid_until <= now:
            raise Conflict("grant_ended", "grant")  # an ended grant is not revived: that is a new grant
        return grant, org, role

    async def validity_refusal(self, caller: Caller, grant_id: str) -> DomainError | None:
        """None when change_validity() would look at new dates for this grant now, else its refusal
        (a preview for the grant page's form; nothing is written)."""
        async with self.core.store.read() as tx:
            try:
                await self._changeable_in(tx, caller, grant_id, self.core.now())
            except DomainError as exc:
                return exc
        return None

    async def change_validity(self, caller: Caller, grant_id: str, cmd: ValidityChange) -> Written[Grant]:
        role_now = self.core.now()
        async with self.core.store.write() as tx:
            grant, org, role = await self._changeable_in(tx, caller, grant_id, role_now)
            if cmd.expected_version is not None and cmd.expected_version != grant.version:
                raise Conflict("version_conflict", "expected_version", actual=grant.version)
            valid_from = _utc(cmd.valid_from, "valid_from") if cmd.valid_from else grant.valid_from
            valid_until = grant.valid_until if cmd.valid_until is UNSET else _utc(cmd.valid_until, "valid_until")
            holder = await resolve_person(tx, grant.person_id, caller)
            # A new validity is a new promise: it must satisfy every rule a new grant does, and the policy
            # maximum counts from the grant's own start (moving the start does not buy a longer grant).
            rules.ensure_grantable(
                role=role, measure=grant.measure, org=org, holder=holder,
                actor_person_id=caller.person_id or "", work_relations=await tx.work_relations(person_id=holder.id),
                valid_from=valid_from, valid_until=valid_until, now=role_now,
            )
            rules.ensure_validity(role, min(valid_from, grant.valid_from), valid_until, role_now)
            changed = msgspec.structs.replace(
                grant, valid_from=valid_from, valid_until=valid_until, version=grant.version + 1
            )
            await tx.save_grant(changed, expected_version=grant.version)
            rev = await record(
                self.core, tx, caller, kind="grant_validity_changed", entity="grant", entity_id=grant.id,
                data={
                    "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat(),
                    "previous_valid_from": grant.valid_from.isoformat(),
                    "previous_valid_until": grant.valid_until.isoformat(),
                    "reason": cmd.reason, "version": changed.version,
                    "changed_by": caller.person_id or caller.subject,
                },
                organisation_id=org.id,
            )
        await self.core.committed(rev)
        return Written(changed, rev)

    async def _ensure_may_read_grant(self, tx: Tx, caller: Caller, grant: Grant) -> None:
        if caller.platform_admin or caller.person_id == grant.person_id:
            return
        if await is_active_admin(tx, grant.organisation_id, caller.person_id) is None:
            raise Forbidden("forbidden", "grant")

    async def get(self, caller: Caller, grant_id: str) -> Grant:
        async with self.core.store.read() as tx:
            grant = await tx.get_grant(grant_id)
            if grant is None:
                raise NotFound("unknown_grant", "grant")
            await self._ensure_may_read_grant(tx, caller, grant)
        await self._audit_grant_read(caller, grant, "grant_read")
        return grant

    async def _audit_grant_read(self, caller: Caller, grant: Grant, action: str) -> None:
        if caller.person_id != grant.person_id:  # someone else's right: a read of personal data
            await audit_read(self.core, caller, action=action, target=f"grant:{grant.id}",
                             organisation_id=grant.organisation_id)

    async def history(self, caller: Caller, grant_id: str) -> tuple[Grant, list[Change]]:
        async with self.core.store.read() as tx:
            grant = await tx.get_grant(grant_id)
            if grant is None:
                raise NotFound("unknown_grant", "grant")
            await self._ensure_may_read_grant(tx, caller, grant)
            changes = await tx.changes(entity="grant", entity_id=grant.id, limit=10_000)
            # A grant moved by a succession (issue 17): its history shows the move, from either side.
            for succession_id in dict.fromkeys(_SUCCESSION.findall(f"{grant.reason} {grant.revoke_reason or ''}")):
                changes += [c for c in await tx.changes(entity="succession", entity_id=succession_id, limit=100)
                            if c.kind == "succession_applied"]
        await self._audit_grant_read(caller, grant, "grant_history_read")
        return grant, sorted(changes, key=lambda c: c.revision)

    async def of_organisation(self, caller: Caller, org_ref: str) -> list[Grant]:
        async with self.core.store.read() as tx:
            org = await resolve_organisation(tx, org_ref)
            admin = None if caller.platform_admin else await is_active_admin(tx, org.id, caller.person_id)
            if not caller.platform_admin and admin is None:
                raise Forbidden("not_an_administrator", "organisation")
            grants = await tx.grants(organisation_id=org.id)
            if admin is not None and admin.applications is not None:  # a limited administrator: theirs only
                grants = [g for g in grants if admin.administers(self.core.catalogue.role(g.role).application)]
        await audit_read(self.core, caller, action="organisation_grants_read", target=f"organisation:{org.id}",
                         organisation_id=org.id, details={"grants": len(grants)})
        return grants

    async def of_person(self, caller: Caller, person_ref: str) -> list[Grant]:
        """All of a person's grants for the caller: everything to themself and platform staff,
        only their own organisations' grants to an administrator."""
        async with self.core.store.read() as tx:
            person = await find_person(tx, person_ref, caller)
            if person is None:
                # The same answer as for a person the caller may not read: no existence oracle.
                if caller.platform_admin or person_ref.strip() == "me":
                    raise NotFound("unknown_person", "person")
                raise Forbidden("not_own_data", "person")
            grants = await tx.grants(person_id=person.id)
            if caller.platform_admin or caller.person_id == person.id:
                shown, via = grants, None
            else:
                admins = {a.organisation_id: a for a in await tx.administrations_of(caller.person_id)
                          if a.active} if caller.person_id else {}
                mine = set(admins)
                related = {w.organisation_id for w in await tx.work_relations(person_id=person.id)}
                # An administrator sees the grants of their organisations, within their applications.
                shown = [g for g in grants if g.organisation_id in admins
                         and admins[g.organisation_id].administers(self.core.catalogue.role(g.role).application)]
                if not shown and not (mine & related):
                    raise Forbidden("not_own_data", "person")
                via = min({g.organisation_id for g in shown} | (mine & related))
        if caller.person_id != person.id:
            await audit_read(self.core, caller, action="person_grants_read", target=f"person:{person.id}",
                             organisation_id=via, details={"grants": len(shown)})
        return shown
