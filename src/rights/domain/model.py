"""The things `rights` knows about, as immutable values.

Entities are msgspec Structs (frozen): the storage adapter builds them from rows and the service
replaces them with ``msgspec.structs.replace`` when something changes. Times are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec


class OrgType(enum.StrEnum):
    COMPANY = "company"
    LOCAL_GOVERNMENT = "local_government"
    FLEMISH_ENTITY = "flemish_entity"
    EDUCATION_INSTITUTION = "education_institution"


class OrgStatus(enum.StrEnum):
    ACTIVE = "active"
    CEASED = "ceased"
    FROZEN = "frozen"


class UserType(enum.StrEnum):
    CIVIL_SERVANT = "civil_servant"
    PERMANENT = "permanent"
    EXTERNAL = "external"
    OCCASIONAL = "occasional"


class Address(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    street: str = ""
    house_number: str = ""
    box: str = ""
    postal_code: str = ""
    municipality: str = ""
    country: str = "BE"


class OrgIdentifiers(msgspec.Struct, frozen=True, kw_only=True):
    """Normalised identifiers (see domain.identifiers); every one is optional, the type says which it needs."""

    enterprise_number: str | None = None
    establishment_numbers: tuple[str, ...] = ()
    ovo_code: str | None = None
    nis_code: str | None = None
    institution_number: str | None = None


class Organisation(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    type: OrgType
    name: str
    status: OrgStatus = OrgStatus.ACTIVE
    identifiers: OrgIdentifiers = OrgIdentifiers()
    address: Address | None = None
    parent_id: str | None = None
    short_name: str | None = None
    version: int = 1


class Person(msgspec.Struct, frozen=True, kw_only=True):
    """A natural person. ``national_number`` is the full number: only its holder ever sees it whole."""

    id: str
    national_number: str
    given_name: str
    family_name: str
    email: str | None = None
    frozen: bool = False

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class WorkRelation(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    person_id: str
    organisation_id: str
    user_type: UserType
    started_at: datetime
    ended_at: datetime | None = None
    blocked: bool = False

    def active_at(self, at: datetime) -> bool:
        return not self.blocked and self.started_at <= at and (self.ended_at is None or at < self.ended_at)


class ContactCard(msgspec.Struct, frozen=True, kw_only=True):
    email: str | None = None
    phone: str | None = None
    # The helpline shows email/phone only when the administrator agreed to it.
    disclose: bool = False


class Administrator(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    organisation_id: str
    person_id: str
    main: bool
    # None: every application; otherwise administration is limited to these application codes.
    applications: tuple[str, ...] | None = None
    contact: ContactCard = ContactCard()
    appointed_by: str | None = None
    appointed_at: datetime | None = None
    removed_at: datetime | None = None
    removed_by: str | None = None
    removal_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.removed_at is None

    def administers(self, application: str) -> bool:
        return self.applications is None or application in self.applications


class LegalRepresentative(msgspec.Struct, frozen=True, kw_only=True):
    """A legal representative (from the enterprise register or a notary deed) may make themself main administrator."""

    organisation_id: str
    person_id: str


class Grant(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    person_id: str
    organisation_id: str
    role: str
    measure: str | None
    valid_from: datetime
    valid_until: datetime
    granted_by: str
    granted_at: datetime
    reason: str = ""
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None
    version: int = 1

    def active_at(self, at: datetime) -> bool:
        if self.revoked_at is not None and self.revoked_at <= at:
            return False
        return self.valid_from <= at < self.valid_until


class Mandate(msgspec.Struct, frozen=True, kw_only=True):
    """The mandator lets the holder act for it (e.g. a client and its accountancy firm).

    It counts once both sides' administrators accepted it, within its validity, until either revokes.
    ``applications`` scopes it; ``measures``, when not empty, narrows it further.
    """

    id: str
    mandator_id: str
    holder_id: str
    applications: tuple[str, ...]
    measures: tuple[str, ...] = ()
    valid_from: datetime
    valid_until: datetime | None = None
    proposed_by: str
    proposed_at: datetime
    mandator_accepted_by: str | None = None
    mandator_accepted_at: datetime | None = None
    holder_accepted_by: str | None = None
    holder_accepted_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None
    version: int = 1

    @property
    def accepted_at(self) -> datetime | None:
        if self.mandator_accepted_at is None or self.holder_accepted_at is None:
            return None
        return max(self.mandator_accepted_at, self.holder_accepted_at)

    def covers(self, application: str, measure: str | None) -> bool:
        return application in self.applications and (not self.measures or measure in self.measures)

    def state_at(self, at: datetime) -> str:
        """'active' or why not: not_accepted, not_yet_valid, expired, revoked."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return "revoked"
        accepted = self.accepted_at
        if accepted is None or accepted > at:
            return "not_accepted"
        if at < self.valid_from:
            return "not_yet_valid"
        if self.valid_until is not None and at >= self.valid_until:
            return "expired"
        return "active"


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of the change log; ``revision`` grows by one with every committed write."""

    revision: int
    at: datetime
    kind: str
    entity: str
    entity_id: str
    actor: str | None
    data: dict


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    actor: str
    actor_kind: str
    action: str
    organisation_id: str | None = None
    target: str | None = None
    request_id: str | None = None
    address: str | None = None
    details: dict = {}


class ChainHead(msgspec.Struct, frozen=True, kw_only=True):
    """The last entry of a hash-chained table (``changes`` or ``audit_events``), for outside witnesses.

    ``position`` is the revision (changes) or id (audit events), 0 for an empty chain; ``at`` is that
    entry's time.
    """

    table: str
    position: int
    hash: str
    at: datetime | None = None


class ChainBreak(msgspec.Struct, frozen=True, kw_only=True):
    """The first entry where a hash chain does not hold; ``position`` None means the recorded head."""

    table: str
    position: int | None
    problem: str

    def __str__(self) -> str:
        if self.position is None:
            return f"{self.table} head: {self.problem}"
        return f"{self.table} {'revision' if self.table == 'changes' else 'id'} {self.position}: {self.problem}"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class AccessRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Self-registration: a person asks an organisation's local administrators for a right (issue 5).

    Approving it creates the grant (``grant_id``) through the same rules as a manual grant; refusing it
    needs a reason. ``contact_email`` is where the outcome is mailed (else the person's own e-mail).
    """

    id: str
    person_id: str
    organisation_id: str
    role: str
    measure: str | None
    motivation: str
    contact_email: str | None = None
    status: RequestStatus = RequestStatus.PENDING
    created_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    grant_id: str | None = None


class SuccessionKind(enum.StrEnum):
    """How organisations succeed one another (issue 17)."""

    MERGER = "merger"  # two or more become one new organisation (the 2025 municipal mergers)
    ABSORPTION = "absorption"  # one or more are taken into an existing organisation
    SPLIT = "split"  # one becomes two or more (a school group split)
    RENUMBERING = "renumbering"  # one is re-established under a new identifier (a new OVO code)


class SuccessionSource(enum.StrEnum):
    DECREE = "decree"
    KBO = "kbo"
    REGISTER = "register"


class SuccessionStatus(enum.StrEnum):
    PROPOSED = "proposed"  # entered or proposed by an import; nothing moved yet
    APPLIED = "applied"  # confirmed: its plan was carried out in one change
    WITHDRAWN = "withdrawn"


class Succession(msgspec.Struct, frozen=True, kw_only=True):
    """Predecessor(s) succeeded by successor(s) from ``effective_at`` on.

    ``assignments`` (person id -> successor id) decide, for a split, where each person's administration,
    work relations and rights go. ``plan`` is the plan as it was carried out, kept readable afterwards.
    """

    id: str
    kind: SuccessionKind
    source: SuccessionSource
    predecessor_ids: tuple[str, ...]
    successor_ids: tuple[str, ...]
    effective_at: datetime
    reason: str = ""
    entered_by: str
    entered_at: datetime
    status: SuccessionStatus = SuccessionStatus.PROPOSED
    assignments: dict[str, str] = {}
    plan: dict | None = None
    applied_at: datetime | None = None
    applied_by: str | None = None
    version: int = 1
