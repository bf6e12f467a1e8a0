"""Wire types for responses, built explicitly from domain values (never ORM rows on the wire).

A full national register number leaves only towards the person it belongs to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from rights.domain import identifiers as ids
from rights.domain.catalogue import Catalogue
from rights.domain.model import (
    Address,
    Administrator,
    Change,
    Grant,
    Mandate,
    Organisation,
    Person,
    WorkRelation,
)
from rights.domain.ports import Caller
from rights.domain.services import AdministratorEntry, HelplineCard


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


class PersonRegistered(Out):
    revision: int
    created: bool  # false: the national number was already registered (200, the existing person)
    person: PersonOut


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


def helpline_card_out(card: HelplineCard, catalogue: Catalogue) -> dict[str, Any]:
    return {
        "organisation": organisation_out(card.organisation, catalogue),
        "parent": organisation_out(card.parent, catalogue) if card.parent else None,
        "administrators": [msgspec.to_builtins(a) for a in card.administrators],
        "has_administrator": bool(card.administrators),
        "guidance": {"nl": card.guidance_nl, "en": card.guidance_en},
        "match": card.match,
        "succeeded_by": [organisation_out(o, catalogue) for o in card.succeeded_by],
        "succeeds": [organisation_out(o, catalogue) for o in card.succeeds],
    }


# --- the answers' envelopes: every success response is one of these (issue 13, item 1) -----------------


class GrantWritten(Out):
    revision: int  # the change log's revision of this write: pass it as ``at_least_revision`` to a check
    grant: GrantOut


class GrantHistoryOut(Out):
    grant: GrantOut
    history: list[ChangeOut]


class GrantList(Out):
    items: list[GrantOut]


class ChangePage(Out):
    items: list[ChangeOut]
    next_after: int
    latest_revision: int


class SuccessorOut(Out):
    id: str
    name: str
    identifiers: IdentifiersOut
    organisation_code: str | None


class ExplanationOut(Out):
    grant: GrantOut | None
    mandate: Mandate | None
    reasons: list[str]


class CheckAnswer(Out):
    allowed: bool
    reason: str
    grant_id: str | None
    mandate_id: str | None
    organisation_id: str | None
    succeeded_by: list[SuccessorOut] | None
    revision: int
    explanation: ExplanationOut | msgspec.UnsetType = msgspec.UNSET  # only when asked (``explain``)


class BatchAnswer(Out):
    revision: int
    answers: list[CheckAnswer]


class OrganisationWritten(Out):
    revision: int
    organisation: OrganisationOut


class OrganisationPage(Out):
    items: list[OrganisationOut]
    next_cursor: str | None


class PersonWritten(Out):
    revision: int
    person: PersonOut


class ClaimsOut(Out):
    revision: int
    claims: list[str]


class LegalRepresentativeOut(Out):
    organisation_id: str
    person_id: str


class LegalRepresentativeWritten(Out):
    revision: int
    legal_representative: LegalRepresentativeOut


class AdministratorList(Out):
    items: list[AdministratorOut]


class AppointmentOut(Out):
    id: str
    person_id: str
    organisation_id: str
    main: bool


class AppointmentWritten(Out):
    revision: int
    administrator: AppointmentOut


class RemovalOut(Out):
    id: str
    removed_at: datetime | None


class RemovalWritten(Out):
    revision: int
    administrator: RemovalOut


class DisclosureOut(Out):
    id: str
    disclose: bool


class DisclosureWritten(Out):
    revision: int
    administrator: DisclosureOut


class WorkRelationList(Out):
    items: list[WorkRelationOut]


class WorkRelationWritten(Out):
    revision: int
    work_relation: WorkRelationOut


class MandateList(Out):
    items: list[Mandate]


class MandateWritten(Out):
    revision: int
    mandate: Mandate


class PersonRights(Out):
    person_id: str
    grants: list[str]  # grant ids; under a mandate ``mandate:<id>``


class OrganisationRights(Out):
    organisation_id: str
    grants: list[str]


class PersonRightsPage(Out):
    revision: int
    items: list[PersonRights]
    next_cursor: str | None


class OrganisationRightsPage(Out):
    revision: int
    items: list[OrganisationRights]
    next_cursor: str | None
