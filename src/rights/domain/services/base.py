"""What every use case shares: the ports, resolving references, and recording a write."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

import msgspec

from rights.domain import identifiers as ids
from rights.domain.catalogue import Catalogue
from rights.domain.errors import Forbidden, InvalidInput, NotFound
from rights.domain.keeper import IndexKeeper
from rights.domain.model import Administrator, AuditEvent, Organisation, Person
from rights.domain.ports import Caller, Clock, Store, SystemClock, Tx

T = TypeVar("T")

ORG_PREFIX = "org_"
PERSON_PREFIX = "per_"


def new_id(prefix: str) -> str:
    """Opaque, unguessable ids: they appear in URLs instead of national register numbers."""
    return prefix + secrets.token_hex(8)


class Written(msgspec.Struct, Generic[T], frozen=True):
    """The outcome of a write and the revision it committed at."""

    value: T
    revision: int


@dataclass
class Core:
    store: Store
    catalogue: Catalogue
    clock: Clock = field(default_factory=SystemClock)
    # The process's decision index, when it keeps one (the HTTP server does).
    keeper: IndexKeeper | None = None

    def now(self) -> datetime:
        return self.clock.now()

    async def committed(self, revision: int) -> None:
        """Read your writes: a write answers only once this process's index has applied it."""
        if self.keeper is not None and self.keeper.revision < revision:
            await self.keeper.catch_up()


def require_platform_admin(caller: Caller) -> None:
    if not caller.platform_admin:
        raise Forbidden("forbidden")


def identifier_error(exc: ids.IdentifierError, field_name: str) -> InvalidInput:
    if isinstance(exc, ids.MergedNisCodeError):
        f = exc.former
        return InvalidInput("nis_code_merged", field_name, reason=exc.reason, former_code=f.code, former_name=f.name,
                            municipality=f.merged_into_name, current=f.merged_into, since=f.since.isoformat())
    code = "invalid_national_number" if exc.kind == "national_number" else "invalid_identifier"
    return InvalidInput(code, field_name, reason=exc.reason)


async def resolve_organisation(tx: Tx, ref: str, field_name: str = "organisation") -> Organisation:
    """An organisation by its opaque id or by any identifier in any common form."""
    org = await find_organisation(tx, ref, field_name)
    if org is None:
        raise NotFound("unknown_organisation", field_name)
    return org


async def find_organisation(tx: Tx, ref: str, field_name: str = "organisation") -> Organisation | None:
    ref = ref.strip()
    if ref.startswith(ORG_PREFIX):
        return await tx.get_organisation(ref)
    try:
        kind, value = ids.parse_organisation_identifier(ref)
    except ids.IdentifierError as exc:
        raise identifier_error(exc, field_name) from None
    found = await tx.find_organisation(kind, value)
    if kind is ids.IdentifierKind.NIS_CODE:
        # A 5-digit NIS code may also be a school's institution number ("44021" -> "044021"): when an
        # organisation carries it as such, the number is ambiguous and is refused naming both candidates,
        # rather than silently picking the municipality (issue 13, item 6). "OV044021" names the school.
        school = await tx.find_organisation(ids.IdentifierKind.INSTITUTION_NUMBER, value.zfill(6))
        if school is not None and found is not None and school.id != found.id:
            raise InvalidInput("ambiguous_identifier", field_name, number=value,
                               municipality=f"{found.name} ({found.id})", school=f"{school.name} ({school.id})")
        found = found or school
    return found


async def find_person(tx: Tx, ref: str, caller: Caller | None = None, field_name: str = "person") -> Person | None:
    """A person by opaque id, by "me" (the caller) or by national register/BIS number."""
    ref = ref.strip()
    if ref == "me":
        if caller is None or caller.person_id is None:
            raise NotFound("unknown_person", field_name)
        return await tx.get_person(caller.person_id)
    if ref.startswith(PERSON_PREFIX):
        return await tx.get_person(ref)
    try:
        number = ids.parse_national_number(ref)
    except ids.IdentifierError as exc:
        raise identifier_error(exc, field_name) from None
    return await tx.find_person(number.value)


async def resolve_person(tx: Tx, ref: str, caller: Caller | None = None, field_name: str = "person") -> Person:
    person = await find_person(tx, ref, caller, field_name)
    if person is None:
        raise NotFound("unknown_person", field_name)
    return person


async def is_active_admin(tx: Tx, org_id: str, person_id: str | None) -> Administrator | None:
    if person_id is None:
        return None
    return next((a for a in await tx.administrators(org_id) if a.person_id == person_id), None)


def person_summary(person: Person) -> dict:
    """What the change log may say about a person: never the full national number."""
    return {
        "id": person.id,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "national_number": ids.mask_national_number(person.national_number),
        "frozen": person.frozen,
    }


async def record(
    core: Core,
    tx: Tx,
    caller: Caller,
    *,
    kind: str,
    entity: str,
    entity_id: str,
    data: dict,
    organisation_id: str | None = None,
    reason: str | None = None,
) -> int:
    """Append to the change log and the audit trail in the write's own transaction.

    A destructive action's reason reaches the audit event: ``reason`` (kept out of the shared change log)
    or else the change's own ``data["reason"]``."""
    reason = reason or data.get("reason")
    revision = await tx.record(kind=kind, entity=entity, entity_id=entity_id, data=data, actor=caller.subject)
    await tx.audit(
        AuditEvent(
            at=core.now(),
            actor=caller.subject,
            actor_kind=caller.kind.value,
            action=kind,
            organisation_id=organisation_id,
            target=f"{entity}:{entity_id}",
            request_id=caller.request_id,
            address=caller.address,
            # A destructive action's reason (revoke, remove, refuse, end) belongs to its audit event too.
            details={"revision": revision, **({"reason": reason} if reason else {})},
        )
    )
    return revision


async def audit_read(
    core: Core,
    caller: Caller,
    *,
    action: str,
    target: str | None = None,
    organisation_id: str | None = None,
    details: dict | None = None,
) -> None:
    """Record who read personal data (or tried to and was refused): an audit event in its own short write
    transaction, so it goes through the same append path (and chain) as every other audit event.
    Never called on the check path; a person reading their own data is not recorded."""
    async with core.store.write() as tx:
        await tx.audit(
            AuditEvent(
                at=core.now(), actor=caller.subject, actor_kind=caller.kind.value, action=action,
                organisation_id=organisation_id, target=target, request_id=caller.request_id,
                address=caller.address, details=details or {},
            )
        )


def same_name(typed: str, stored: str) -> bool:
    """Names compared as the national register would: case, accents' composition and spacing aside."""
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().replace("-", " ").split())
    return norm(typed) == norm(stored)


def to_data(value: msgspec.Struct) -> dict:
    return msgspec.to_builtins(value)
