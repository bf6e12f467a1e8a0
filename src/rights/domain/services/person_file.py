"""One person as a local administrator sees them in their organisation (issue 16 item 4): the person's
work relations there, their rights there (within the administrator's applications), their requests there
and the history of all of it from the change log.

Only an active administrator of the organisation reads it (platform staff too); a person who does not
exist and one with no tie to the organisation get the same refusal, so the page is no existence oracle.
Every read is audited (``person_file_read``).
"""

from __future__ import annotations

import msgspec

from rights.domain import rules
from rights.domain.errors import Forbidden, NotFound
from rights.domain.model import AccessRequest, Change, Grant, Organisation, Person, WorkRelation
from rights.domain.ports import Caller
from rights.domain.services.base import Core, audit_read, resolve_organisation

HISTORY_LIMIT = 1_000  # changes per entity; a person's file in one organisation stays far below it


class PersonFile(msgspec.Struct, frozen=True, kw_only=True):
    organisation: Organisation
    person: Person
    work_relations: list[WorkRelation]
    grants: list[Grant]
    requests: list[AccessRequest]
    history: list[tuple[Change, str]]  # newest first, each with who did it (a name, or a service's subject)


async def person_file(core: Core, caller: Caller, org_ref: str, person_id: str) -> PersonFile:
    async with core.store.read() as tx:
        try:
            org = await resolve_organisation(tx, org_ref)
        except NotFound:
            if caller.platform_admin:
                raise
            raise Forbidden("not_an_administrator", "organisation") from None  # as for one not administered
        admin = None
        if not caller.platform_admin:
            admin = rules.active_admin(await tx.administrators(org.id), caller.person_id)
            if admin is None:
                raise Forbidden("not_an_administrator", "organisation")
        person = await tx.get_person(person_id) if person_id.startswith("per_") else None
        relations = [w for w in await tx.work_relations(person_id=person.id) if w.organisation_id == org.id] \
            if person else []
        grants = await tx.grants(person_id=person.id, organisation_id=org.id) if person else []
        requests = await tx.access_requests(person_id=person.id, organisation_id=org.id) if person else []
        if person is None or not (relations or grants or requests):
            # Unknown, or no tie to this organisation: the same refusal either way.
            raise Forbidden("not_own_data", "person")

        def mine(role_code: str) -> bool:
            role = core.catalogue.roles.get(role_code)
            return admin is None or (role is not None and admin.administers(role.application))

        grants = sorted((g for g in grants if mine(g.role)), key=lambda g: g.valid_from, reverse=True)
        requests = sorted((r for r in requests if mine(r.role)), key=lambda r: r.created_at, reverse=True)
        history: list[Change] = []
        for entity, items in (("work_relation", relations), ("grant", grants), ("access_request", requests)):
            for item in items:
                history += await tx.changes(entity=entity, entity_id=item.id, limit=HISTORY_LIMIT)
        history.sort(key=lambda c: c.revision, reverse=True)
        names: dict[str, str] = {}
        who: list[str] = []
        for c in history:
            ref = str(c.data.get("granted_by") or c.data.get("changed_by") or c.data.get("revoked_by")
                      or c.data.get("decided_by") or c.actor or "")
            if ref.startswith("per_") and ref not in names:
                actor = await tx.get_person(ref)
                names[ref] = actor.display_name if actor is not None else ""
            who.append(names.get(ref, ref))
    await audit_read(core, caller, action="person_file_read", target=f"person:{person.id}", organisation_id=org.id,
                     details={"grants": len(grants), "requests": len(requests)})
    return PersonFile(organisation=org, person=person, work_relations=sorted(relations, key=lambda w: w.started_at),
                      grants=grants, requests=requests, history=list(zip(history, who, strict=True)))
