"""Persons, their work relations, legal representatives and local administrators."""

from __future__ import annotations

import msgspec

from rights.domain import identifiers as ids
from rights.domain import rules
from rights.domain.commands import (
    Appointment,
    ContactPatch,
    EndWorkRelation,
    NewLegalRepresentative,
    NewPerson,
    NewWorkRelation,
    Removal,
    merged,
)
from rights.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from rights.domain.model import (
    Administrator,
    AuditEvent,
    ContactCard,
    LegalRepresentative,
    Person,
    WorkRelation,
)
from rights.domain.ports import Caller, Tx
from rights.domain.services.base import (
    PERSON_PREFIX,
    Core,
    Written,
    audit_read,
    find_person,
    identifier_error,
    is_active_admin,
    new_id,
    person_summary,
    record,
    require_platform_admin,
    resolve_organisation,
    resolve_person,
    same_name,
    to_data,
)
from rights.domain.services.person_file import PersonFile, person_file


class AdministratorEntry(msgspec.Struct, frozen=True):
    administrator: Administrator
    person: Person


class PeopleService:
    def __init__(self, core: Core) -> None:
        self.core = core

    # --- persons -------------------------------------------------------------------------------

    async def _may_register(self, tx: Tx, caller: Caller) -> bool:
        if caller.platform_admin:
            return True
        return caller.person_id is not None and bool(await tx.administrations_of(caller.person_id))

    async def register(self, caller: Caller, cmd: NewPerson) -> tuple[Written[Person], bool]:
        """Register a person (platform or any local administrator).

        For a number that is already known, the typed names must match the stored ones (as the national
        register would check them); the answer then tells only what the caller typed, plus the person's
        id, unless the caller may already read the person. A mismatch is refused without revealing the
        stored name. Every such look-up is audited, refused or not.
        """
        try:
            number = ids.parse_national_number(cmd.national_number)
        except ids.IdentifierError as exc:
            raise identifier_error(exc, "national_number") from None
        async with self.core.store.write() as tx:
            # Who is asking comes first: a refused caller causes no look-up at all.
            if not await self._may_register(tx, caller):
                raise Forbidden("forbidden")
            existing = await tx.find_person(number.value)
            if existing is not None:
                answer = await self._known(tx, caller, cmd, existing)
            else:
                person = Person(
                    id=new_id(PERSON_PREFIX),
                    national_number=number.value,
                    given_name=cmd.given_name.strip(),
                    family_name=cmd.family_name.strip(),
                    email=cmd.email,
                )
                await tx.add_person(person)
                rev = await record(
                    self.core, tx, caller, kind="person_registered", entity="person", entity_id=person.id,
                    data=person_summary(person),
                )
        if existing is not None:
            if isinstance(answer, DomainError):
                raise answer  # after the transaction, so that the audit event of the look-up is kept
            return answer, False
        await self.core.committed(rev)
        return Written(person, rev), True

    async def _known(
        self, tx: Tx, caller: Caller, cmd: NewPerson, existing: Person
    ) -> Written[Person] | DomainError:
        """A registration of a known number: audited; the typed names must match; the answer holds what
        the caller typed (and the id) unless the caller may already read the person."""
        matched = same_name(cmd.given_name, existing.given_name) and same_name(cmd.family_name, existing.family_name)
        try:
            via, visible = await self.ensure_may_see_person(tx, caller, existing.id), True
        except Forbidden:
            via, visible = None, False
        await tx.audit(AuditEvent(
            at=self.core.now(), actor=caller.subject, actor_kind=caller.kind.value, action="person_lookup",
            organisation_id=via, target=f"person:{existing.id}", request_id=caller.request_id,
            address=caller.address, details={"matched": matched, "visible": visible},
        ))
        if not matched:
            return InvalidInput("person_name_mismatch", "family_name")
        shown = existing if visible else Person(
            id=existing.id, national_number=existing.national_number,
            given_name=cmd.given_name.strip(), family_name=cmd.family_name.strip(),
        )
        return Written(shown, await tx.latest_revision())

    async def get(self, caller: Caller, ref: str) -> Person:
        async with self.core.store.read() as tx:
            person, via = await self.readable_person(tx, caller, ref)
        if caller.person_id != person.id:
            await audit_read(self.core, caller, action="person_read", target=f"person:{person.id}",
                             organisation_id=via)
        return person

    async def readable_person(self, tx: Tx, caller: Caller, ref: str) -> tuple[Person, str | None]:
        """The person, if the caller may read them, and the organisation through which. A caller who may
        not read a person gets the same refusal whether the person exists or not (no existence oracle)."""
        person = await find_person(tx, ref, caller)
        if person is None:
            if caller.platform_admin or ref.strip() == "me":
                raise NotFound("unknown_person", "person")
            raise Forbidden("not_own_data", "person")
        return person, await self.ensure_may_see_person(tx, caller, person.id)

    async def ensure_may_see_person(self, tx: Tx, caller: Caller, person_id: str) -> str | None:
        """A person sees themself; platform staff everyone; an administrator the people of their
        organisations (answers that organisation, for the audit trail)."""
        if caller.platform_admin or caller.person_id == person_id:
            return None
        if caller.person_id is not None:
            mine = {a.organisation_id for a in await tx.administrations_of(caller.person_id)}
            theirs = {w.organisation_id for w in await tx.work_relations(person_id=person_id)}
            if shared := sorted(mine & theirs):
                return shared[0]
        raise Forbidden("not_own_data", "person")

    async def set_frozen(self, caller: Caller, ref: str, frozen: bool, reason: str) -> Written[Person]:
        require_platform_admin(caller)
        async with self.core.store.write() as tx:
            person = await resolve_person(tx, ref, caller)
            updated = msgspec.structs.replace(person, frozen=frozen)
            await tx.save_person(updated)
            rev = await record(
                self.core, tx, caller, kind="person_frozen" if frozen else "person_unfrozen",
                entity="person", entity_id=person.id, data={"frozen": frozen, "reason": reason},
            )
        await self.core.committed(rev)
        return Written(updated, rev)

    # --- work relations ------------------------------------------------------------------------

    async def _ensure_org_admin(self, tx: Tx, caller: Caller, org_id: str) -> None:
        if not caller.platform_admin and await is_active_admin(tx, org_id, caller.person_id) is None:
            raise Forbidden("not_an_administrator", "organisation")

    async def add_work_relation(self, caller: Caller, org_ref: str, cmd: NewWorkRelation) -> Written[WorkRelation]:
        async with self.core.store.write() as tx:
            org = await resolve_organisation(tx, org_ref)
            await self._ensure_org_admin(tx, caller, org.id)
            person = await resolve_person(tx, cmd.person, caller)
            rules.ensure_user_type_allowed(self.core.catalogue.org_type(org.type), cmd.user_type)
            now = self.core.now()
            if any(w.organisation_id == org.id and w.active_at(now) for w in await tx.work_relations(person_id=person.id)):
                raise Conflict("work_relation_exists", "person")
            relation = WorkRelation(
                id=new_id("wr_"), person_id=person.id, organisation_id=org.id, user_type=cmd.user_type, started_at=now
            )
            await tx.add_work_relation(relation)
            rev = await record(
                self.core, tx, caller, kind="work_relation_started", entity="work_relation",
                entity_id=relation.id, data=to_data(relation), organisation_id=org.id,
            )
        await self.core.committed(rev)
        return Written(relation, rev)

    async def end_work_relation(
        self, caller: Caller, org_ref: str, relation_id: str, cmd: EndWorkRelation
    ) -> Written[WorkRelation]:
        async with self.core.store.write() as tx:
            org = await resolve_organisation(tx, org_ref)
            await self._ensure_org_admin(tx, caller, org.id)
            relation = await tx.get_work_relation(relation_id)
            if relation is None or relation.organisation_id != org.id:
                raise NotFound("unknown_work_relation", "work_relation")
            if relation.ended_at is not None:
                raise Conflict("unknown_work_relation", "work_relation")
            ended = msgspec.structs.replace(relation, ended_at=self.core.now())
            await tx.save_work_relation(ended)
            rev = await record(
                self.core, tx, caller, kind="work_relation_ended", entity="work_relation",
                entity_id=relation.id, data={**to_data(ended), "reason": cmd.reason}, organisation_id=org.id,
            )
        await self.core.committed(rev)
        return Written(ended, rev)

    async def work_relations(self, caller: Caller, org_ref: str) -> list[tuple[WorkRelation, Person]]:
        async with self.core.store.read() as tx:
            org = await resolve_organisation(tx, org_ref)
            await self._ensure_org_admin(tx, caller, org.id)
            out = []
            for w in await tx.work_relations(organisation_id=org.id):
                person = await tx.get_person(w.person_id)
                if person is not None:
                    out.append((w, person))
        await audit_read(self.core, caller, action="work_relations_read", target=f"organisation:{org.id}",
                         organisation_id=org.id, details={"persons": len(out)})
        return out

    # --- legal representatives and administrators --------------------------------------------

    async def add_legal_representative(
        self, caller: Caller, org_ref: str, cmd: NewLegalRepresentative
    ) -> Written[LegalRepresentative]:
        require_platform_admin(caller)
        async with self.core.store.write() as tx:
            org = await resolve_organisation(tx, org_ref)
            person = await resolve_person(tx, cmd.person, caller)
            rep = LegalRepresentative(organisation_id=org.id, person_id=person.id)
            await tx.add_legal_representative(rep)
            rev = await record(
                self.core, tx, caller, kind="legal_representative_added", entity="organisation",
                entity_id=org.id, data={"person_id": person.id}, organisation_id=org.id,
            )
        await self.core.committed(rev)
        return Written(rep, rev)

    async def appoint(self, caller: Caller, org_ref: str, cmd: Appointment) -> Written[Administrator]:
        for code in cmd.applications or ():
            self.core.catalogue.application(code)
        async with self.core.store.write() as tx:
            org = await resolve_organisation(tx, org_ref)
            person = await resolve_person(tx, cmd.person, caller)
            admins = await tx.administrators(org.id)
            reps = [r.person_id for r in await tx.legal_representatives(org.id)]
            rules.ensure_may_appoint(
                actor_person_id=caller.person_id, platform_admin=caller.platform_admin, admins=admins,
                legal_representatives=reps, target_person_id=person.id, main=cmd.main,
            )
            admin = Administrator(
                id=new_id("adm_"), organisation_id=org.id, person_id=person.id, main=cmd.main,
                applications=cmd.applications, contact=cmd.contact, appointed_by=caller.person_id or caller.subject,
                appointed_at=self.core.now(),
            )
            await tx.add_administrator(admin)
            rev = await record(
                self.core, tx, caller, kind="administrator_appointed", entity="administrator",
                entity_id=admin.id, data=to_data(admin), organisation_id=org.id,
            )
        await self.core.committed(rev)
        return Written(admin, rev)

    async def remove(self, caller: Caller, org_ref: str, person_ref: str, cmd: Removal) -> Written[Administrator]:
        async with self.core.store.write() as tx:
            org = await resolve_organisation(tx, org_ref)
            person = await resolve_person(tx, person_ref, caller)
            admins = await tx.administrators(org.id)
            target = rules.active_admin(admins, person.id)
            if target is None:
                raise NotFound("not_an_administrator", "person")
            rules.ensure_may_remove(
                actor_person_id=caller.person_id, platform_admin=caller.platform_admin, admins=admins, target=target
            )
            removed = msgspec.structs.replace(
                target, removed_at=self.core.now(), removed_by=caller.person_id or caller.subject,
                removal_reason=cmd.reason,
            )
            await tx.save_administrator(removed)
            rev = await record(
                self.core, tx, caller, kind="administrator_removed", entity="administrator",
                entity_id=target.id, data={"person_id": person.id, "reason": cmd.reason}, organisation_id=org.id,
            )
        await self.core.committed(rev)
        return Written(removed, rev)

    async def person_file(self, caller: Caller, org_ref: str, person_id: str) -> PersonFile:
        """One person in one organisation, for its administrators (services/person_file.py); audited."""
        return await person_file(self.core, caller, org_ref, person_id)

    async def removal_refusals(self, caller: Caller, org_ref: str) -> dict[str, DomainError | None]:
        """Per active administrator (by person id), None when remove() would accept removing them now,
        else its refusal: the same rule, asked before a screen offers "Verwijderen" (nothing is written)."""
        out: dict[str, DomainError | None] = {}
        async with self.core.store.read() as tx:
            org = await resolve_organisation(tx, org_ref)
            admins = await tx.administrators(org.id)
            for target in (a for a in admins if a.active):
                try:
                    rules.ensure_may_remove(actor_person_id=caller.person_id, platform_admin=caller.platform_admin,
                                            admins=admins, target=target)
                except DomainError as exc:
                    out[target.person_id] = exc
                else:
                    out[target.person_id] = None
        return out

    async def update_contact(
        self, caller: Caller, org_ref: str, person_ref: str, patch: ContactPatch
    ) -> Written[Administrator]:
        """An administrator keeps their own contact card (and its disclosure flag); a main one any card."""
        async with self.core.store.write() as tx:
            org = await resolve_organisation(tx, org_ref)
            person = await resolve_person(tx, person_ref, caller)
            admins = await tx.administrators(org.id)
            target = rules.active_admin(admins, person.id)
            if target is None:
                raise NotFound("not_an_administrator", "person")
            actor = rules.active_admin(admins, caller.person_id)
            if not (caller.platform_admin or caller.person_id == person.id or (actor is not None and actor.main)):
                raise Forbidden("not_main_administrator")
            contact = ContactCard(**merged(target.contact, patch))  # type: ignore[arg-type]
            updated = msgspec.structs.replace(target, contact=contact)
            await tx.save_administrator(updated)
            rev = await record(
                self.core, tx, caller, kind="administrator_contact_changed", entity="administrator",
                entity_id=target.id, data={"disclose": contact.disclose}, organisation_id=org.id,
            )
        await self.core.committed(rev)
        return Written(updated, rev)

    async def administrators(self, caller: Caller, org_ref: str) -> list[AdministratorEntry]:
        async with self.core.store.read() as tx:
            org = await resolve_organisation(tx, org_ref)
            return await administrator_entries(tx, org.id)


async def administrator_entries(tx: Tx, org_id: str) -> list[AdministratorEntry]:
    out = []
    for admin in await tx.administrators(org_id):
        person = await tx.get_person(admin.person_id)
        if person is not None:
            out.append(AdministratorEntry(admin, person))
    out.sort(key=lambda e: (not e.administrator.main, e.person.family_name, e.person.given_name))
    return out
