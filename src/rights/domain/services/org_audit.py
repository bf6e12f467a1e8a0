"""The local administrators' audit view (issue 16 item 4): who granted, revoked, appointed or ended what
in my organisation, and when — newest first, a page at a time, only the caller's own organisation.

Read from the audit trail (every write appends to it with its organisation). A limited administrator sees
the rights and requests of their own applications only, as on the other screens. Reading the page is
itself audited (``organisation_audit_read``): it names people.
"""

from __future__ import annotations

import msgspec

from rights.domain import rules
from rights.domain.errors import Forbidden, NotFound
from rights.domain.model import Administrator, AuditEvent
from rights.domain.ports import Caller, Tx
from rights.domain.services.base import Core, audit_read, resolve_organisation
from rights.domain.text import normalise_search_text

# The writes an administrator answers for; reads and refusals stay in the platform's audit search.
ACTIONS = (
    "grant_created", "grant_revoked", "grant_validity_changed",
    "administrator_appointed", "administrator_removed", "administrator_contact_changed",
    "work_relation_started", "work_relation_ended",
    "access_request_submitted", "access_request_approved", "access_request_refused", "access_request_withdrawn",
    "mandate_proposed", "mandate_accepted", "mandate_revoked",
)
PAGE_SIZE = 25
NEWEST = 2**62  # the cursor of the first page
SEARCH_BATCHES = 40  # with a name filter, at most this many batches are read for one page


class AuditLine(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    event: AuditEvent
    who: str  # the actor by name when a person, else the service's subject
    person: str  # whom it concerns, by name ("" when nobody in particular)
    role: str | None = None  # the right concerned (a catalogue code; the screen shows its name)
    measure: str | None = None


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    lines: list[AuditLine]
    next_before: int | None  # the cursor of the next (older) page, None on the last one


async def _name(tx: Tx, person_id: str | None, names: dict[str, str]) -> str:
    if not person_id:
        return ""
    if person_id not in names:
        person = await tx.get_person(person_id)
        names[person_id] = person.display_name if person is not None else ""
    return names[person_id]


async def organisation_audit(core: Core, caller: Caller, org_ref: str, before: int = NEWEST,
                             limit: int = PAGE_SIZE, name: str = "") -> AuditPage:
    """A page of the organisation's audit lines below ``before``; ``name``: only lines whose actor or
    person's name contains it (case and accents aside)."""
    async with core.store.read() as tx:
        try:
            org = await resolve_organisation(tx, org_ref)
        except NotFound:
            if caller.platform_admin:
                raise
            raise Forbidden("not_an_administrator", "organisation") from None  # as for one not administered
        admins = await tx.administrators(org.id)
        me = None
        if not caller.platform_admin:
            me = rules.active_admin(admins, caller.person_id)
            if me is None:
                raise Forbidden("not_an_administrator", "organisation")
        names: dict[str, str] = {}
        by_admin_id = {a.id: a for a in admins}
        wanted = normalise_search_text(name) if name else ""
        lines: list[AuditLine] = []
        cursor, exhausted = before, False
        # With a name to look for, read on (a bounded number of batches) until a page is full.
        for _ in range(SEARCH_BATCHES if wanted else 1):
            events = await tx.audit_events(organisation_id=org.id, before_id=cursor, limit=limit, actions=ACTIONS)
            for event_id, e in events:
                cursor = event_id
                line = await _line(core, tx, me, by_admin_id, names, event_id, e)
                if line is not None and (not wanted or wanted in normalise_search_text(f"{line.who} {line.person}")):
                    lines.append(line)
                if len(lines) == limit:
                    break
            exhausted = len(events) < limit and (not events or cursor == events[-1][0])
            if exhausted or len(lines) == limit:
                break
    await audit_read(core, caller, action="organisation_audit_read", target=f"organisation:{org.id}",
                     organisation_id=org.id, details={"events": len(lines)})
    return AuditPage(lines=lines, next_before=None if exhausted else cursor)


async def _line(core: Core, tx: Tx, me: Administrator | None, by_admin_id: dict[str, Administrator],
                names: dict[str, str], event_id: int, e: AuditEvent) -> AuditLine | None:
    """One event in words: who, for whom, which right; None when it is another application's right."""
    kind, _, ref = (e.target or "").partition(":")
    person_id, role, measure, actor = None, None, None, None
    if kind == "grant":
        grant = await tx.get_grant(ref)
        if grant is not None:
            person_id, role, measure = grant.person_id, grant.role, grant.measure
            actor = grant.revoked_by if e.action == "grant_revoked" else (
                grant.granted_by if e.action == "grant_created" else None)
    elif kind == "access_request":
        req = await tx.get_access_request(ref)
        if req is not None:
            person_id, role, measure = req.person_id, req.role, req.measure
            actor = req.person_id if e.action in ("access_request_submitted", "access_request_withdrawn") \
                else req.decided_by
    elif kind == "work_relation":
        relation = await tx.get_work_relation(ref)
        person_id = relation.person_id if relation is not None else None
    elif kind == "administrator" and ref in by_admin_id:
        person_id = by_admin_id[ref].person_id
    if me is not None and role is not None:
        r = core.catalogue.roles.get(role)
        if r is None or not me.administers(r.application):
            return None  # another application's right: not this administrator's to see
    who = await _name(tx, actor, names) if actor and actor.startswith("per_") else ""
    return AuditLine(id=event_id, event=e, who=who or e.actor, person=await _name(tx, person_id, names),
                     role=role, measure=measure)
