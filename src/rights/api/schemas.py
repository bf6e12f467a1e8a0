"""Wire types for responses, built explicitly from domain values (never ORM rows on the wire).

A full national register number leaves only towards the person it belongs to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from rights.domain import identifiers as ids
from rights.domain.catalogue import Catalogue
from rights.domain.model import Address, Administrator, Change, Grant, Organisation, Person, WorkRelation
from rights.domain.ports import Caller
from rights.domain.services import AdministratorEntry


class Out(msgspec.Struct, kw_only=True, omit_defaults=False):
    pass


class IdentifiersOut(Out):
    enterprise_number: str | None
    establishment_numbers: list[str]
    ovo_code: str | None
    nis_code: str | None
    institution_number: str | None


class OrganisationOut(Out):
    id: str
    type: str
    name: str
    short_name: str | None
    status: str
    identifiers: IdentifiersOut
    organisation_code: str | None
    target_group: str
    address: Address | None
    parent_id: str | None
    version: int


class PersonOut(Out):
    id: str
    given_name: str
    family_name: str
    email: str | None
    frozen: bool
    national_number: str  # masked unless the caller is this person


class ContactOut(Out):
    email: str | None
    phone: str | None
    disclose: bool


class AdministratorOut(Out):
    id: str
    organisation_id: str
    person_id: str
    name: str
    main: bool
    applications: list[str] | None
    contact: ContactOut | None
    appointed_at: datetime | None
    removed_at: datetime | None


class WorkRelationOut(Out):
    id: str
    organisation_id: str
    person_id: str
    person_name: str | None
    user_type: str
    started_at: datetime
    ended_at: datetime | None
    blocked: bool


class GrantOut(Out):
    id: str
    person_id: str
    organisation_id: str
    role: str
    measure: str | None
    valid_from: datetime
    valid_until: datetime
    granted_by: str
    granted_at: datetime
    reason: str
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    version: int
    active: bool


class ChangeOut(Out):
    revision: int
    at: datetime
    kind: str
    entity: str
    entity_id: str
    actor: str | None
    data: dict[str, Any]


def organisation_out(org: Organisation, catalogue: Catalogue) -> OrganisationOut:
    i = org.identifiers
    policy = catalogue.org_type(org.type)
    return OrganisationOut(
        id=org.id,
        type=org.type.value,
        name=org.name,
        short_name=org.short_name,
        status=org.status.value,
        identifiers=IdentifiersOut(
            enterprise_number=ids.format_enterprise_number(i.enterprise_number) if i.enterprise_number else None,
            establishment_numbers=[ids.format_establishment_number(n) for n in i.establishment_numbers],
            ovo_code=i.ovo_code,
            nis_code=i.nis_code,
            institution_number=i.institution_number,
        ),
        organisation_code=policy.organisation_code(org),
        target_group=policy.target_group,
        address=org.address,
        parent_id=org.parent_id,
        version=org.version,
    )


def person_out(person: Person, caller: Caller) -> PersonOut:
    own = caller.person_id == person.id
    return PersonOut(
        id=person.id,
        given_name=person.given_name,
        family_name=person.family_name,
        email=person.email,
        frozen=person.frozen,
        national_number=ids.parse_national_number(person.national_number).formatted
        if own
        else ids.mask_national_number(person.national_number),
    )


def administrator_out(admin: Administrator, name: str, *, show_contact: bool) -> AdministratorOut:
    c = admin.contact
    return AdministratorOut(
        id=admin.id,
        organisation_id=admin.organisation_id,
        person_id=admin.person_id,
        name=name,
        main=admin.main,
        applications=list(admin.applications) if admin.applications is not None else None,
        contact=ContactOut(email=c.email, phone=c.phone, disclose=c.disclose)
        if show_contact or c.disclose
        else None,
        appointed_at=admin.appointed_at,
        removed_at=admin.removed_at,
    )


def entry_out(entry: AdministratorEntry, *, show_contact: bool) -> AdministratorOut:
    return administrator_out(entry.administrator, entry.person.display_name, show_contact=show_contact)


def work_relation_out(w: WorkRelation, person: Person | None = None) -> WorkRelationOut:
    return WorkRelationOut(
        id=w.id,
        organisation_id=w.organisation_id,
        person_id=w.person_id,
        person_name=person.display_name if person else None,
        user_type=w.user_type.value,
        started_at=w.started_at,
        ended_at=w.ended_at,
        blocked=w.blocked,
    )


def grant_out(g: Grant, now: datetime) -> GrantOut:
    return GrantOut(
        id=g.id,
        person_id=g.person_id,
        organisation_id=g.organisation_id,
        role=g.role,
        measure=g.measure,
        valid_from=g.valid_from,
        valid_until=g.valid_until,
        granted_by=g.granted_by,
        granted_at=g.granted_at,
        reason=g.reason,
        revoked_at=g.revoked_at,
        revoked_by=g.revoked_by,
        revoke_reason=g.revoke_reason,
        version=g.version,
        active=g.active_at(now),
    )


def change_out(c: Change) -> ChangeOut:
    return ChangeOut(
        revision=c.revision, at=c.at, kind=c.kind, entity=c.entity, entity_id=c.entity_id, actor=c.actor, data=c.data
    )
