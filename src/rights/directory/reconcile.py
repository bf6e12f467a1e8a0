"""Make rights agree with a directory snapshot: create, update, and end what the sync itself created.

Trusted system caller: the sync writes as ``directory:sync`` (a platform principal) straight through the
store, with a change-log entry and an audit event for every write. That is how designations from an
administrators group bypass "only a main administrator appoints": the directory is the authority for
the designations *it* created, and nothing else. What the sync did not create (links with
``owned = False``: a person or work relation that already existed) is never changed or ended.
Nothing is deleted: work relations get ``ended_at``, designations ``removed_at`` plus the reason.
"""

from __future__ import annotations

import msgspec
import structlog

from rights.directory import state as st
from rights.directory.records import GroupRecord, OrgRecord, PersonRecord, Snapshot, digest, norm_dn
from rights.domain import rules
from rights.domain.errors import Conflict, DomainError
from rights.domain.identifiers import IdentifierKind, mask_national_number
from rights.domain.model import Administrator, AuditEvent, Organisation, OrgIdentifiers, Person, WorkRelation
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services.base import (
    ORG_PREFIX,
    PERSON_PREFIX,
    Core,
    new_id,
    person_summary,
    record,
    to_data,
)

log = structlog.get_logger("rights.directory")
SYSTEM = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="directory:sync")
KIND_LABEL = {"org": "organisation", "person": "person", "wr": "work relation", "adm": "administrator"}


class Action(msgspec.Struct, frozen=True):
    op: str  # + created, ~ updated, - ended, ! skipped, = held for an operator
    kind: str
    dn: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.op} {KIND_LABEL.get(self.kind, self.kind):<14} {self.dn}" + (f"  ({self.detail})" if self.detail else "")


class Report(msgspec.Struct, kw_only=True):
    actions: list[Action] = []
    unchanged: int = 0
    dry_run: bool = False
    # held for an operator (docs/ldap.md, runbook): never with a full national number
    identity_conflicts: list[dict] = []
    held_removals: list[dict] = []

    def count(self, op: str) -> int:
        return sum(1 for a in self.actions if a.op == op)

    @property
    def counts(self) -> dict[str, int]:
        return {"created": self.count("+"), "updated": self.count("~"), "ended": self.count("-"),
                "skipped": self.count("!"), "held": self.count("="), "unchanged": self.unchanged}

    def text(self) -> str:
        head = "dry run: nothing was written\n" if self.dry_run else ""
        c = self.counts
        tail = ", ".join(f"{v} {k}" for k, v in c.items())
        return head + "".join(a.line() + "\n" for a in self.actions) + tail + "\n"


def person_digest(p: PersonRecord) -> str:
    return digest({"n": p.national_number, "g": p.given_name, "f": p.family_name, "e": p.email})


class Reconciler:
    def __init__(self, core: Core, tx, snapshot: Snapshot, *, dry_run: bool = False,
                 holds: dict[str, dict] | None = None) -> None:
        """``holds``: what the previous batch held (by key), so each hold is audited once, when it starts."""
        self.core, self.tx, self.snap, self.dry = core, tx, snapshot, dry_run
        self.holds = holds or {}
        self.report = Report(actions=[], dry_run=dry_run, identity_conflicts=[], held_removals=[])
        self.now = core.now()
        self.links: dict[str, st.Link] = {}
        self.org_ids: dict[str, str] = {}  # org uuid -> org id
        self.person_ids: dict[str, str] = {}  # person uuid -> person id
        self.by_key = {org.key: org for org in snapshot.orgs.values()}
        self.org_cache: dict[tuple[str, str], Organisation | None] = {}

    async def run(self) -> Report:
        self.links = await st.links(self.tx)
        for line in self.snap.skipped:
            self.report.actions.append(Action("!", "entry", *line))
        desired: set[str] = set()
        for org in sorted(self.snap.orgs.values(), key=lambda o: o.dn.count(",")):
            desired.add(f"org:{org.uuid}")
            await self._guard(self._org, org)
        for person in self.snap.persons.values():
            desired.add(f"person:{person.uuid}")
            await self._guard(self._person, person)
        for person in self.snap.persons.values():
            if person.uuid in self.snap.held:  # an identity conflict: nothing of this entry moves
                continue
            for ref in person.organisations:
                key = f"wr:{person.uuid}:{ref[0]}={ref[1]}"
                desired.add(key)
                await self._guard(self._work_relation, person, ref, key)
        by_dn = {norm_dn(p.dn): p.uuid for p in self.snap.persons.values()}
        held_dns = {norm_dn(dn) for dn, _ in self.snap.skipped}
        for group in self.snap.groups.values():
            for member in group.members:
                uuid = by_dn.get(member)
                if uuid is None:
                    if member in held_dns:  # a skipped person: keep what they hold
                        desired |= {k for k, link in self.links.items() if k.startswith(f"adm:{group.uuid}:")
                                    and norm_dn(link.dn) == member}
                    else:
                        self._act("!", "adm", member, f"member of {group.dn} is not a synced person")
                    continue
                key = f"adm:{group.uuid}:{uuid}"
                desired.add(key)
                if uuid not in self.snap.held:
                    await self._guard(self._administrator, group, uuid, key)
        order = {"adm": 0, "wr": 1, "person": 2, "org": 3}
        gone = [link for k, link in self.links.items() if link.gone_at is None and k not in desired
                and link.entry_uuid not in self.snap.held and not self._held_person(link)]
        for link in sorted(gone, key=lambda link: order.get(link.kind, 9)):
            await self._guard(self._end, link)
        return self.report

    def _held_person(self, link: st.Link) -> bool:
        return link.kind in ("wr", "adm") and link.key.split(":")[2 if link.kind == "adm" else 1] in self.snap.held

    async def _guard(self, fn, *args) -> None:
        """A refusal for one entry is a report line; the rest of the sync goes on."""
        try:
            await fn(*args)
        except DomainError as exc:
            dn = getattr(args[0], "dn", "")
            self._act("!", getattr(fn, "__name__", "").strip("_"), dn, exc.message_en)

    def _act(self, op: str, kind: str, dn: str, detail: str = "") -> None:
        self.report.actions.append(Action(op, kind, dn, detail))

    async def _link(self, key: str, kind: str, entity_id: str, uuid: str, dn: str, dig: str, owned: bool) -> None:
        link = st.Link(key=key, kind=kind, entity_id=entity_id, entry_uuid=uuid, dn=dn, digest=dig, owned=owned)
        self.links[key] = link
        if not self.dry:
            await st.save_link(self.tx, link, self.now)

    async def _record(self, kind: str, entity: str, entity_id: str, data: dict, org_id: str | None = None) -> None:
        if not self.dry:
            await record(self.core, self.tx, SYSTEM, kind=kind, entity=entity, entity_id=entity_id, data=data,
                         organisation_id=org_id)

    def _current(self, key: str) -> st.Link | None:
        link = self.links.get(key)
        return link if link is not None and link.gone_at is None else None

    # --- organisations and persons -------------------------------------------------------------

    async def _org(self, org: OrgRecord) -> None:
        key, dig = f"org:{org.uuid}", digest(org)
        link = self._current(key)
        parent_id = self.org_ids.get(org.parent_uuid or "")
        for kind in self.core.catalogue.org_type(org.type).required_identifiers:
            if kind.value not in org.identifiers:
                return self._act("!", "org", org.dn, f"the mapping gives no {kind.value}")
        if link is None:
            existing = await self.tx.find_organisation(IdentifierKind(org.key[0]), org.key[1])
            if existing is not None:  # made by hand or by another import: refer to it, never change it
                self.org_ids[org.uuid] = existing.id
                return await self._link(key, "org", existing.id, org.uuid, org.dn, dig, False)
            new = Organisation(id=new_id(ORG_PREFIX), type=org.type, name=org.name, short_name=org.short_name,
                               identifiers=_identifiers(None, org), parent_id=parent_id)
            if not self.dry:
                await self.tx.add_organisation(new)
            await self._record("organisation_created", "organisation", new.id, to_data(new) | _src(org.dn), new.id)
            self.org_ids[org.uuid] = new.id
            self._act("+", "org", org.dn, f"{org.key[1]} {org.name}")
            return await self._link(key, "org", new.id, org.uuid, org.dn, dig, True)
        self.org_ids[org.uuid] = link.entity_id
        if link.digest == dig and link.dn == org.dn:
            self.report.unchanged += 1
            return None
        if link.owned:
            current = await self.tx.get_organisation(link.entity_id)
            if current is not None:
                updated = msgspec.structs.replace(
                    current, name=org.name, short_name=org.short_name, parent_id=parent_id,
                    identifiers=_identifiers(current, org), version=current.version + 1)
                if not self.dry:
                    await self.tx.save_organisation(updated)
                await self._record("organisation_updated", "organisation", current.id, to_data(updated) | _src(org.dn),
                                   current.id)
                self._act("~", "org", org.dn, _moved(link.dn, org.dn) or f"{org.key[1]} {org.name}")
        await self._link(key, "org", link.entity_id, org.uuid, org.dn, dig, link.owned)
        return None

    async def _person(self, p: PersonRecord) -> None:
        key = f"person:{p.uuid}"
        dig = person_digest(p)
        link = self._current(key)
        if link is None:
            existing = await self.tx.find_person(p.national_number)
            if existing is not None:
                self.person_ids[p.uuid] = existing.id
                return await self._link(key, "person", existing.id, p.uuid, p.dn, dig, False)
            new = Person(id=new_id(PERSON_PREFIX), national_number=p.national_number, given_name=p.given_name,
                         family_name=p.family_name, email=p.email)
            if not self.dry:
                await self.tx.add_person(new)
            await self._record("person_registered", "person", new.id, person_summary(new) | _src(p.dn))
            self.person_ids[p.uuid] = new.id
            self._act("+", "person", p.dn, f"{p.given_name} {p.family_name}".strip())
            return await self._link(key, "person", new.id, p.uuid, p.dn, dig, True)
        self.person_ids[p.uuid] = link.entity_id
        if link.digest == dig and link.dn == p.dn:
            self.report.unchanged += 1
            return None
        current = await self.tx.get_person(link.entity_id)
        if current is not None and current.national_number != p.national_number:
            return await self._identity_conflict(p, current)
        if link.owned and link.digest != dig:
            if current is not None:
                updated = msgspec.structs.replace(current, national_number=p.national_number,
                                                  given_name=p.given_name, family_name=p.family_name, email=p.email)
                if not self.dry:
                    await self.tx.save_person(updated)
                await self._record("person_updated", "person", current.id, person_summary(updated) | _src(p.dn))
                self._act("~", "person", p.dn, f"{p.given_name} {p.family_name}".strip())
        elif link.dn != p.dn:
            self._act("~", "person", p.dn, _moved(link.dn, p.dn))
        await self._link(key, "person", link.entity_id, p.uuid, p.dn, dig, link.owned)
        return None

    async def _identity_conflict(self, p: PersonRecord, current: Person) -> None:
        """A directory person's national number changed: an identity must not move. Hold the entry
        (the person keeps their number, relations and designations) until an operator confirms."""
        self.snap.held.add(p.uuid)
        taken = await self.tx.find_person(p.national_number)
        hold = {"key": p.uuid, "dn": p.dn, "person_id": current.id,
                "was": mask_national_number(current.national_number), "now": mask_national_number(p.national_number),
                "new_number_taken_by": taken.id if taken is not None else None,
                "since": self.holds.get(p.uuid, {}).get("since") or self.now.isoformat()}
        self.report.identity_conflicts.append(hold)
        self._act("=", "person", p.dn, f"held: national number changed from {hold['was']} to {hold['now']};"
                  f" confirm with `rights ldap confirm-identity {p.uuid}`")
        if p.uuid not in self.holds:
            await self._hold_event("directory_identity_conflict", hold, None, f"person:{current.id}")

    async def _hold_event(self, action: str, hold: dict, org_id: str | None, target: str) -> None:
        """A new hold: one log line and one audit event (the holds stay on the status until resolved)."""
        if self.dry:
            return
        log.warning(action, **{k: v for k, v in hold.items() if k != "since"})
        await self.tx.audit(AuditEvent(at=self.now, actor=SYSTEM.subject, actor_kind=SYSTEM.kind.value,
                                       action=action, organisation_id=org_id, target=target,
                                       details={k: v for k, v in hold.items() if k != "since"}))

    # --- work relations and administrators -----------------------------------------------------

    async def _work_relation(self, p: PersonRecord, ref: tuple[str, str], key: str) -> None:
        person_id = self.person_ids.get(p.uuid)
        org = await self._org_by_ref(ref)
        if person_id is None or org is None:
            return self._act("!", "wr", p.dn, f"unknown organisation {ref[1]}")
        dig = digest({"org": org.id, "t": p.user_type.value})
        link = self._current(key)
        if link is not None and link.digest == dig:
            self.report.unchanged += 1
            return await self._link(key, "wr", link.entity_id, p.uuid, p.dn, dig, link.owned) if link.dn != p.dn else None
        rules.ensure_user_type_allowed(self.core.catalogue.org_type(org.type), p.user_type)
        if link is not None and link.owned:
            current = await self.tx.get_work_relation(link.entity_id)
            if current is not None and current.ended_at is None:
                updated = msgspec.structs.replace(current, user_type=p.user_type)
                if not self.dry:
                    await self.tx.save_work_relation(updated)
                await self._record("work_relation_updated", "work_relation", current.id,
                                   to_data(updated) | _src(p.dn), org.id)
                self._act("~", "wr", p.dn, f"{ref[1]} as {p.user_type.value}")
            return await self._link(key, "wr", link.entity_id, p.uuid, p.dn, dig, True)
        if link is not None:
            return await self._link(key, "wr", link.entity_id, p.uuid, p.dn, dig, False)
        relations = await self.tx.work_relations(person_id=person_id, organisation_id=org.id)
        active = [w for w in relations if w.active_at(self.now)]
        if active:
            return await self._link(key, "wr", active[0].id, p.uuid, p.dn, dig, False)
        new = WorkRelation(id=new_id("wr_"), person_id=person_id, organisation_id=org.id, user_type=p.user_type,
                           started_at=self.now)
        if not self.dry:
            await self.tx.add_work_relation(new)
        await self._record("work_relation_started", "work_relation", new.id, to_data(new) | _src(p.dn), org.id)
        self._act("+", "wr", p.dn, f"{ref[1]} as {p.user_type.value}")
        return await self._link(key, "wr", new.id, p.uuid, p.dn, dig, True)

    async def _administrator(self, g: GroupRecord, person_uuid: str, key: str) -> None:
        person_id = self.person_ids.get(person_uuid)
        org = await self._org_by_ref(g.organisation)
        if person_id is None or org is None:
            return self._act("!", "adm", g.dn, f"unknown organisation {g.organisation[1]}")
        dn = self.snap.persons[person_uuid].dn
        dig = digest({"org": org.id, "main": g.main})
        link = self._current(key)
        if link is not None and link.digest == dig:
            self.report.unchanged += 1
            return None
        if link is not None and link.owned:
            admin = next((a for a in await self.tx.administrators(org.id) if a.id == link.entity_id), None)
            if admin is not None:
                updated = msgspec.structs.replace(admin, main=g.main)
                if not self.dry:
                    await self.tx.save_administrator(updated)
                await self._record("administrator_updated", "administrator", admin.id,
                                   to_data(updated) | _src(g.dn), org.id)
                self._act("~", "adm", dn, f"{g.organisation[1]} main={g.main}")
            return await self._link(key, "adm", link.entity_id, g.uuid, dn, dig, True)
        existing = rules.active_admin(await self.tx.administrators(org.id), person_id)
        if existing is not None:  # appointed by hand: leave it alone
            return await self._link(key, "adm", existing.id, g.uuid, dn, dig, False)
        admin = Administrator(id=new_id("adm_"), organisation_id=org.id, person_id=person_id, main=g.main,
                              appointed_by=SYSTEM.subject, appointed_at=self.now)
        if not self.dry:
            await self.tx.add_administrator(admin)
        await self._record("administrator_appointed", "administrator", admin.id, to_data(admin) | _src(g.dn), org.id)
        self._act("+", "adm", dn, f"{g.organisation[1]} via {g.dn}")
        return await self._link(key, "adm", admin.id, g.uuid, dn, dig, True)

    async def _org_by_ref(self, ref: tuple[str, str]) -> Organisation | None:
        if ref not in self.org_cache:
            org = self.by_key.get(ref)
            found = None
            if org is not None and org.uuid in self.org_ids:
                found = await self.tx.get_organisation(self.org_ids[org.uuid])
                if found is None and self.dry:  # created by this dry run: not in the database
                    found = Organisation(id=self.org_ids[org.uuid], type=org.type, name=org.name)
            self.org_cache[ref] = found or await self.tx.find_organisation(IdentifierKind(ref[0]), ref[1])
        return self.org_cache[ref]

    # --- ending --------------------------------------------------------------------------------

    async def _end(self, link: st.Link) -> None:
        reason = self._reason(link)
        if link.owned and link.kind == "wr":
            current = await self.tx.get_work_relation(link.entity_id)
            if current is not None and current.ended_at is None:
                ended = msgspec.structs.replace(current, ended_at=self.now)
                if not self.dry:
                    await self.tx.save_work_relation(ended)
                await self._record("work_relation_ended", "work_relation", current.id,
                                   to_data(ended) | {"reason": reason}, current.organisation_id)
                self._act("-", "wr", link.dn, reason)
        elif link.owned and link.kind == "adm":
            admin = await self._admin(link)
            if admin is not None and admin.removed_at is None:
                admins = await self.tx.administrators(admin.organisation_id)
                try:  # the domain's own rule: never the last administrator, nor the last main one
                    rules.ensure_may_remove(actor_person_id=None, platform_admin=True, admins=admins, target=admin)
                except Conflict as exc:
                    return await self._hold_removal(link, admin, reason, exc.code)
                removed = msgspec.structs.replace(admin, removed_at=self.now, removed_by=SYSTEM.subject,
                                                  removal_reason=reason)
                if not self.dry:
                    await self.tx.save_administrator(removed)
                await self._record("administrator_removed", "administrator", admin.id,
                                   {"person_id": admin.person_id, "reason": reason}, admin.organisation_id)
                self._act("-", "adm", link.dn, reason)
        elif link.owned and link.kind in ("org", "person"):
            # Organisations and persons stay (grants and history hang on them); the log says they left.
            entity = "organisation" if link.kind == "org" else "person"
            await self._record(f"{entity}_left_directory", entity, link.entity_id, {"dn": link.dn, "reason": reason},
                               link.entity_id if link.kind == "org" else None)
            self._act("-", link.kind, link.dn, reason)
        if not self.dry:
            await st.save_link(self.tx, msgspec.structs.replace(link, gone_at=self.now), self.now)

    async def _hold_removal(self, link: st.Link, admin: Administrator, reason: str, code: str) -> None:
        org = await self.tx.get_organisation(admin.organisation_id)
        name = org.name if org is not None else admin.organisation_id
        hold = {"key": link.key, "dn": link.dn, "organisation_id": admin.organisation_id, "organisation": name,
                "administrator_id": admin.id, "reason": reason, "held_because": code,
                "since": self.holds.get(link.key, {}).get("since") or self.now.isoformat()}
        self.report.held_removals.append(hold)
        what = "main administrator" if code == "last_main_administrator" else "administrator"
        self._act("=", "adm", link.dn, f"held: {reason}, but {name} would have no {what} left;"
                  f" confirm with `rights ldap confirm-removal {link.key}`")
        if link.key not in self.holds:
            await self._hold_event("directory_removal_held", hold, admin.organisation_id, f"administrator:{admin.id}")

    async def _admin(self, link: st.Link) -> Administrator | None:
        """The active designation behind an ``adm:`` link (found through its person's designations)."""
        person_link = self.links.get(f"person:{link.key.split(':')[2]}")
        if person_link is None:
            return None
        return next((a for a in await self.tx.administrations_of(person_link.entity_id) if a.id == link.entity_id), None)

    def _reason(self, link: st.Link) -> str:
        if link.kind == "adm":
            group_uuid, person_uuid = link.key.split(":")[1:3]
            if person_uuid not in self.snap.persons:
                return f"directory: entry {link.dn} removed"
            group = self.snap.groups.get(group_uuid)
            return f"directory: no longer in group {group.dn}" if group else "directory: administrators group removed"
        if link.kind == "wr":
            person = self.snap.persons.get(link.entry_uuid)
            if person is None:
                return f"directory: entry {link.dn} removed"
            return f"directory: no longer in organisation {link.key.split('=', 1)[1]}"
        return "directory: entry removed or out of scope"


def _identifiers(current: Organisation | None, org: OrgRecord) -> OrgIdentifiers:
    base = current.identifiers if current is not None else OrgIdentifiers()
    return msgspec.structs.replace(base, **org.identifiers)


def _src(dn: str) -> dict:
    return {"source": "directory", "dn": dn}


def _moved(old: str, new: str) -> str:
    return f"moved/renamed from {old}" if norm_dn(old) != norm_dn(new) else ""
