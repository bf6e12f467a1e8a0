"""What the sync holds for an operator, and the commands that resolve it (docs/ldap.md, runbook).

- An **identity conflict**: a directory person's national number changed. Nothing moved; ``confirm_identity``
  accepts the new number as a correction of the same person.
- A **held removal**: the directory no longer names an administrator, but removing them would leave the
  organisation without one (or without a main one). The next sync applies it by itself once another
  administrator exists; ``confirm_removal`` applies it now.

Both write as the operator who confirmed, to the change log and the audit trail, in one transaction
with the sync's own tables; the hold then leaves the status.
"""

from __future__ import annotations

import msgspec

from rights.directory import state as st
from rights.directory.mapping import Mapping
from rights.directory.reconcile import person_digest
from rights.directory.records import build_snapshot
from rights.directory.sync import STREAM
from rights.domain.identifiers import mask_national_number
from rights.domain.model import AuditEvent
from rights.domain.ports import Caller
from rights.domain.services.base import Core, person_summary, record


class HoldError(Exception):
    """The hold cannot be resolved as asked; the message says why (never with a full national number)."""


async def _held(tx, field: str, key: str) -> tuple[st.State, dict]:
    state = await st.get_state(tx, STREAM)
    hold = next((h for h in state.status.get(field, []) if h["key"] == key), None)
    if hold is None:
        raise HoldError(f"nothing is held under {key!r} (see `rights ldap status`, {field})")
    return state, hold


async def _release(tx, state: st.State, field: str, key: str) -> None:
    rest = [h for h in state.status.get(field, []) if h["key"] != key]
    await st.save_state(tx, msgspec.structs.replace(state, status={**state.status, field: rest}))


async def _audit(core: Core, tx, caller: Caller, action: str, hold: dict, org_id: str | None, target: str) -> None:
    await tx.audit(AuditEvent(at=core.now(), actor=caller.subject, actor_kind=caller.kind.value, action=action,
                              organisation_id=org_id, target=target, address=caller.address,
                              details={k: v for k, v in hold.items() if k != "since"}))


async def confirm_identity(core: Core, mapping: Mapping, key: str, caller: Caller) -> str:
    """Accept a directory person's changed national number as a correction of the same person."""
    async with core.store.write() as tx:
        state, hold = await _held(tx, "identity_conflicts", key)
        entry = build_snapshot(mapping, await st.entries(tx)).persons.get(key)
        link = (await st.links(tx)).get(f"person:{key}")
        person = await tx.get_person(link.entity_id) if link is not None else None
        if entry is None or link is None or person is None:
            raise HoldError(f"the directory entry {hold['dn']} is no longer a synced person; run `rights ldap sync`")
        if (taken := await tx.find_person(entry.national_number)) is not None and taken.id != person.id:
            raise HoldError(f"the new national number {mask_national_number(entry.national_number)} already "
                            f"belongs to person {taken.id}: fix the directory entry {entry.dn} instead")
        corrected = msgspec.structs.replace(person, national_number=entry.national_number,
                                            given_name=entry.given_name, family_name=entry.family_name,
                                            email=entry.email)
        await tx.save_person(corrected)
        await record(core, tx, caller, kind="person_updated", entity="person", entity_id=person.id,
                     data=person_summary(corrected) | {"source": "directory", "dn": entry.dn,
                                                       "correction": {"was": hold["was"], "now": hold["now"]}})
        await _audit(core, tx, caller, "directory_identity_confirmed", hold, None, f"person:{person.id}")
        await st.save_link(tx, msgspec.structs.replace(link, digest=person_digest(entry), dn=entry.dn), core.now())
        await _release(tx, state, "identity_conflicts", key)
    return f"confirmed: {entry.dn} is person {person.id}, national number {hold['was']} corrected to {hold['now']}"


async def confirm_removal(core: Core, key: str, caller: Caller) -> str:
    """Apply a held administrator removal now, even though it leaves the organisation without one."""
    async with core.store.write() as tx:
        state, hold = await _held(tx, "held_removals", key)
        links = await st.links(tx)
        link = links.get(key)
        admins = await tx.administrators(hold["organisation_id"])
        admin = next((a for a in admins if a.id == hold["administrator_id"]), None)
        if link is None or link.gone_at is not None or admin is None or admin.removed_at is not None:
            raise HoldError(f"the designation {key} is no longer active; run `rights ldap sync`")
        reason = f"{hold['reason']} (held removal confirmed by {caller.subject})"
        removed = msgspec.structs.replace(admin, removed_at=core.now(), removed_by=caller.subject,
                                          removal_reason=reason)
        await tx.save_administrator(removed)
        await record(core, tx, caller, kind="administrator_removed", entity="administrator", entity_id=admin.id,
                     data={"person_id": admin.person_id, "reason": reason}, organisation_id=admin.organisation_id)
        await _audit(core, tx, caller, "directory_removal_confirmed", hold, admin.organisation_id,
                     f"administrator:{admin.id}")
        await st.save_link(tx, msgspec.structs.replace(link, gone_at=core.now()), core.now())
        await _release(tx, state, "held_removals", key)
    return f"confirmed: {hold['dn']} is no longer an administrator of {hold['organisation']}"


__all__ = ["HoldError", "confirm_identity", "confirm_removal"]
