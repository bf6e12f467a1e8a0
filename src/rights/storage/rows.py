"""Rows <-> domain Structs, built explicitly in both directions (never an ORM object past the adapter)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from rights.domain.identifiers import IdentifierKind
from rights.domain.model import (
    Address,
    Administrator,
    AuditEvent,
    Change,
    ContactCard,
    Grant,
    Organisation,
    OrgIdentifiers,
    OrgStatus,
    OrgType,
    Person,
    UserType,
    WorkRelation,
)
from rights.domain.text import normalise_search_text

Row = Mapping[str, Any]

# OrgIdentifiers fields holding at most one value
_SINGLE_KINDS = (
    IdentifierKind.ENTERPRISE_NUMBER,
    IdentifierKind.OVO_CODE,
    IdentifierKind.NIS_CODE,
    IdentifierKind.INSTITUTION_NUMBER,
)


# --- organisations -----------------------------------------------------------------------------


def organisation_values(org: Organisation) -> dict[str, Any]:
    """Column values except created_at/updated_at, which the store sets."""
    return {
        "id": org.id,
        "type": org.type.value,
        "name": org.name,
        "short_name": org.short_name,
        "search_name": normalise_search_text(" ".join(filter(None, (org.name, org.short_name)))),
        "status": org.status.value,
        "address": None if org.address is None else msgspec.to_builtins(org.address),
        "parent_id": org.parent_id,
        "version": org.version,
    }


def identifier_rows(org_id: str, identifiers: OrgIdentifiers) -> list[dict[str, Any]]:
    rows = [
        {"organisation_id": org_id, "kind": kind.value, "value": value, "position": 0}
        for kind in _SINGLE_KINDS
        if (value := getattr(identifiers, kind.value))
    ]
    rows += [
        {
            "organisation_id": org_id,
            "kind": IdentifierKind.ESTABLISHMENT_NUMBER.value,
            "value": value,
            "position": position,
        }
        for position, value in enumerate(identifiers.establishment_numbers)
    ]
    return rows


def identifiers_from_rows(rows: Iterable[Row]) -> OrgIdentifiers:
    """``rows`` of one organisation, ordered by position."""
    singles: dict[str, str] = {}
    establishments: list[str] = []
    for row in rows:
        if row["kind"] == IdentifierKind.ESTABLISHMENT_NUMBER.value:
            establishments.append(row["value"])
        else:
            singles[row["kind"]] = row["value"]
    return OrgIdentifiers(establishment_numbers=tuple(establishments), **singles)


def organisation_from_row(row: Row, identifiers: OrgIdentifiers) -> Organisation:
    address = row["address"]
    return Organisation(
        id=row["id"],
        type=OrgType(row["type"]),
        name=row["name"],
        status=OrgStatus(row["status"]),
        identifiers=identifiers,
        address=None if address is None else msgspec.convert(address, Address),
        parent_id=row["parent_id"],
        short_name=row["short_name"],
        version=row["version"],
    )


# --- people ------------------------------------------------------------------------------------


def person_values(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "national_number": person.national_number,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
        "frozen": person.frozen,
    }


def person_from_row(row: Row) -> Person:
    return Person(
        id=row["id"],
        national_number=row["national_number"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        email=row["email"],
        frozen=bool(row["frozen"]),
    )


def work_relation_values(rel: WorkRelation) -> dict[str, Any]:
    return {
        "id": rel.id,
        "person_id": rel.person_id,
        "organisation_id": rel.organisation_id,
        "user_type": rel.user_type.value,
        "started_at": rel.started_at,
        "ended_at": rel.ended_at,
        "blocked": rel.blocked,
    }


def work_relation_from_row(row: Row) -> WorkRelation:
    return WorkRelation(
        id=row["id"],
        person_id=row["person_id"],
        organisation_id=row["organisation_id"],
        user_type=UserType(row["user_type"]),
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        blocked=bool(row["blocked"]),
    )


def administrator_values(admin: Administrator) -> dict[str, Any]:
    return {
        "id": admin.id,
        "organisation_id": admin.organisation_id,
        "person_id": admin.person_id,
        "main": admin.main,
        "applications": None if admin.applications is None else list(admin.applications),
        "contact_email": admin.contact.email,
        "contact_phone": admin.contact.phone,
        "contact_disclose": admin.contact.disclose,
        "appointed_by": admin.appointed_by,
        "appointed_at": admin.appointed_at,
        "removed_at": admin.removed_at,
        "removed_by": admin.removed_by,
        "removal_reason": admin.removal_reason,
    }


def administrator_from_row(row: Row) -> Administrator:
    applications: Sequence[str] | None = row["applications"]
    return Administrator(
        id=row["id"],
        organisation_id=row["organisation_id"],
        person_id=row["person_id"],
        main=bool(row["main"]),
        applications=None if applications is None else tuple(applications),
        contact=ContactCard(
            email=row["contact_email"], phone=row["contact_phone"], disclose=bool(row["contact_disclose"])
        ),
        appointed_by=row["appointed_by"],
        appointed_at=row["appointed_at"],
        removed_at=row["removed_at"],
        removed_by=row["removed_by"],
        removal_reason=row["removal_reason"],
    )


# --- grants, changes, audit --------------------------------------------------------------------

_GRANT_FIELDS = Grant.__struct_fields__


def grant_values(grant: Grant) -> dict[str, Any]:
    return {name: getattr(grant, name) for name in _GRANT_FIELDS}


def grant_from_row(row: Row) -> Grant:
    return Grant(**{name: row[name] for name in _GRANT_FIELDS})


def change_from_row(row: Row) -> Change:
    return Change(
        revision=row["revision"],
        at=row["at"],
        kind=row["kind"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        actor=row["actor"],
        data=row["data"],
    )


_AUDIT_FIELDS = AuditEvent.__struct_fields__


def audit_values(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _AUDIT_FIELDS}


def audit_from_row(row: Row) -> tuple[int, AuditEvent]:
    return row["id"], AuditEvent(**{name: row[name] for name in _AUDIT_FIELDS})
