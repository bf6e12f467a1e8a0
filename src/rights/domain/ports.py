"""The narrow interfaces the core needs from the outside world.

The storage adapter (``rights.storage``) implements :class:`Store`; tests and the demo use SQLite,
production PostgreSQL, and one conformance suite runs against both.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import msgspec

from rights.domain.identifiers import IdentifierKind
from rights.domain.model import (
    Administrator,
    AuditEvent,
    Change,
    Grant,
    LegalRepresentative,
    Mandate,
    Organisation,
    OrgType,
    Person,
    WorkRelation,
)

if TYPE_CHECKING:
    from rights.domain.lookup import NameHit


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class PrincipalKind(enum.StrEnum):
    PERSON = "person"
    HELPLINE = "helpline"
    SERVICE = "service"
    PLATFORM_ADMIN = "platform_admin"


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Who is asking, as the edge authenticated them. ``subject`` is safe to log (never a full NRN)."""

    kind: PrincipalKind
    subject: str
    person_id: str | None = None
    request_id: str | None = None
    address: str | None = None

    @property
    def platform_admin(self) -> bool:
        return self.kind is PrincipalKind.PLATFORM_ADMIN


class Tx(Protocol):
    """One unit of work. Inside ``Store.write()`` every method sees and changes one transaction."""

    # organisations
    async def get_organisation(self, org_id: str) -> Organisation | None: ...
    async def find_organisation(self, kind: IdentifierKind, value: str) -> Organisation | None: ...
    async def list_organisations(
        self, *, org_type: OrgType | None = None, after: str | None = None, limit: int = 50
    ) -> list[Organisation]: ...
    async def search_organisations(self, text: str, *, limit: int = 20) -> list[Organisation]: ...
    # helpline search (rights.domain.lookup ranks): names equal to, starting with or containing every
    # normalised term, at most ``limit`` per probe, closest probes first, stopping once ``enough``
    # organisations are found; and which words occur in some name at all
    async def search_names(
        self, terms: Sequence[str], *, limit: int = 50, enough: int | None = None, contains: bool = True
    ) -> list[NameHit]: ...
    async def get_organisations(self, org_ids: Collection[str]) -> list[Organisation]: ...
    async def known_words(self, words: Collection[str]) -> set[str]: ...
    async def add_organisation(self, org: Organisation) -> None: ...
    async def save_organisation(self, org: Organisation) -> None: ...

    # persons
    async def get_person(self, person_id: str) -> Person | None: ...
    async def find_person(self, national_number: str) -> Person | None: ...
    async def add_person(self, person: Person) -> None: ...
    async def save_person(self, person: Person) -> None: ...

    # work relations and legal representatives
    async def work_relations(
        self, *, person_id: str | None = None, organisation_id: str | None = None
    ) -> list[WorkRelation]: ...
    async def get_work_relation(self, relation_id: str) -> WorkRelation | None: ...
    async def add_work_relation(self, relation: WorkRelation) -> None: ...
    async def save_work_relation(self, relation: WorkRelation) -> None: ...
    async def legal_representatives(self, organisation_id: str) -> list[LegalRepresentative]: ...
    async def add_legal_representative(self, rep: LegalRepresentative) -> None: ...

    # administrators
    async def administrators(
        self, organisation_id: str, *, include_removed: bool = False
    ) -> list[Administrator]: ...
    async def administrations_of(self, person_id: str) -> list[Administrator]: ...
    async def add_administrator(self, admin: Administrator) -> None: ...
    async def save_administrator(self, admin: Administrator) -> None: ...

    # grants
    async def get_grant(self, grant_id: str) -> Grant | None: ...
    async def grants(
        self,
        *,
        person_id: str | None = None,
        organisation_id: str | None = None,
        role: str | None = None,
        measure: str | None = None,
    ) -> list[Grant]: ...
    async def add_grant(self, grant: Grant) -> None: ...
    async def save_grant(self, grant: Grant, *, expected_version: int) -> None: ...

    # mandates
    async def get_mandate(self, mandate_id: str) -> Mandate | None: ...
    async def mandates(self, *, organisation_id: str | None = None) -> list[Mandate]: ...
    async def add_mandate(self, mandate: Mandate) -> None: ...
    async def save_mandate(self, mandate: Mandate, *, expected_version: int) -> None: ...

    # streamed reads (constant memory), for building the decision index
    def stream_organisations(self) -> AsyncIterator[Organisation]: ...
    def stream_persons(self) -> AsyncIterator[Person]: ...
    def stream_work_relations(self) -> AsyncIterator[WorkRelation]: ...
    def stream_grants(self) -> AsyncIterator[Grant]: ...
    def stream_mandates(self) -> AsyncIterator[Mandate]: ...

    # change log and audit
    async def record(self, *, kind: str, entity: str, entity_id: str, data: dict, actor: str | None) -> int: ...
    async def changes(
        self, *, entity: str | None = None, entity_id: str | None = None, after: int = 0, limit: int = 100
    ) -> list[Change]: ...
    async def latest_revision(self) -> int: ...
    async def audit(self, event: AuditEvent) -> None: ...
    async def audit_events(
        self, *, organisation_id: str | None = None, after_id: int = 0, limit: int = 100
    ) -> list[tuple[int, AuditEvent]]: ...


class Store(Protocol):
    def write(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction, serialised with every other write so revisions commit in order."""
        ...

    def read(self) -> AbstractAsyncContextManager[Tx]: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...

    async def subscribe(self, on_change: Callable[[], None]) -> Callable[[], Awaitable[None]] | None:
        """Call ``on_change`` soon after any process commits a write; returns a function that stops it,
        or None when the store cannot push (then callers poll)."""
        ...


__all__: Sequence[str] = ("Caller", "Clock", "PrincipalKind", "Store", "SystemClock", "Tx")
