"""What callers ask the core to do, as strict msgspec Structs (the API decodes request bodies into these).

Identifiers and national numbers arrive in any common form; the service normalises and validates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from rights.domain.model import (
    Address,
    ContactCard,
    OrgStatus,
    OrgType,
    SuccessionKind,
    SuccessionSource,
    UserType,
)

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Reason = Annotated[str, msgspec.Meta(max_length=1000)]
Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class Command(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class IdentifiersInput(Command, kw_only=True):
    enterprise_number: str | None = None
    establishment_numbers: tuple[str, ...] = ()
    ovo_code: str | None = None
    nis_code: str | None = None
    institution_number: str | None = None


class NewOrganisation(Command, kw_only=True):
    type: OrgType
    name: Name
    identifiers: IdentifiersInput
    short_name: str | None = None
    address: Address | None = None
    # Parent organisation: its id or any of its identifiers.
    parent: str | None = None
    status: OrgStatus = OrgStatus.ACTIVE


# PATCH bodies are JSON Merge Patches (RFC 7396): a member left out keeps its value, ``null`` removes it,
# an object merges member by member, and an array replaces the whole array.
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class IdentifiersPatch(Command, kw_only=True):
    enterprise_number: str | None | Unset = UNSET
    establishment_numbers: tuple[str, ...] | None | Unset = UNSET
    ovo_code: str | None | Unset = UNSET
    nis_code: str | None | Unset = UNSET
    institution_number: str | None | Unset = UNSET


class AddressPatch(Command, kw_only=True):
    street: str | None | Unset = UNSET
    house_number: str | None | Unset = UNSET
    box: str | None | Unset = UNSET
    postal_code: str | None | Unset = UNSET
    municipality: str | None | Unset = UNSET
    country: str | None | Unset = UNSET


class OrganisationUpdate(Command, kw_only=True):
    name: Name | Unset = UNSET
    short_name: str | None | Unset = UNSET
    address: AddressPatch | None | Unset = UNSET
    parent: str | None | Unset = UNSET
    identifiers: IdentifiersPatch | Unset = UNSET
    expected_version: int | None = None


class ContactPatch(Command, kw_only=True):
    """An administrator's contact card, merged: ``{"disclose": false}`` keeps e-mail and phone."""

    email: str | None | Unset = UNSET
    phone: str | None | Unset = UNSET
    disclose: bool | Unset = UNSET


def merged(current: msgspec.Struct, patch: Command, **nulls: object) -> dict[str, object]:
    """The current struct's fields with the patch's members applied (``nulls`` gives what null means)."""
    out = msgspec.structs.asdict(current)
    for name in patch.__struct_fields__:
        value = getattr(patch, name)
        if value is not UNSET:
            out[name] = nulls.get(name) if value is None else value
    return out


class StatusChange(Command, kw_only=True):
    reason: Reason = ""


class NewPerson(Command, kw_only=True):
    national_number: Ref
    given_name: Name
    family_name: Name
    email: str | None = None


class NewWorkRelation(Command, kw_only=True):
    person: Ref
    user_type: UserType


class EndWorkRelation(Command, kw_only=True):
    reason: Reason = ""


class NewLegalRepresentative(Command, kw_only=True):
    person: Ref


class Appointment(Command, kw_only=True):
    person: Ref
    main: bool = False
    applications: tuple[str, ...] | None = None
    contact: ContactCard = ContactCard()


class Removal(Command, kw_only=True):
    reason: Reason = ""


class NewGrant(Command, kw_only=True):
    person: Ref
    organisation: Ref
    role: Ref
    measure: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    reason: Reason = ""


class Revocation(Command, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    expected_version: int | None = None


class ValidityChange(Command, kw_only=True):
    """A merge patch of a grant's validity: what is left out keeps its value."""

    valid_until: datetime | Unset = UNSET
    valid_from: datetime | None = None
    reason: Reason = ""
    expected_version: int | None = None


class CheckQuestion(Command, kw_only=True):
    person: Ref
    organisation: Ref
    role: Ref
    measure: str | None = None
    # Answer as of this moment (audits and appeals); default: now.
    at: datetime | None = None


class NewMandate(Command, kw_only=True):
    """The mandator lets the holder act for it in these applications (optionally only these measures)."""

    mandator: Ref
    holder: Ref
    applications: Annotated[tuple[str, ...], msgspec.Meta(min_length=1, max_length=50)]
    measures: Annotated[tuple[str, ...], msgspec.Meta(max_length=100)] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class MandateDecision(Command, kw_only=True):
    reason: Reason = ""
    expected_version: int | None = None


class NewSuccession(Command, kw_only=True):
    """Predecessor(s) succeeded by successor(s) (ids or any identifier); see rights.domain.succession."""

    kind: SuccessionKind
    source: SuccessionSource = SuccessionSource.DECREE
    predecessors: Annotated[tuple[Ref, ...], msgspec.Meta(min_length=1, max_length=50)]
    successors: Annotated[tuple[Ref, ...], msgspec.Meta(min_length=1, max_length=50)]
    effective_at: datetime
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    # For a split: person (id or national number) -> the successor they go to.
    assignments: dict[Ref, Ref] = {}


class SuccessionApply(Command, kw_only=True):
    """Confirm a succession's plan; ``assignments`` may decide a split's open persons at the same time."""

    assignments: dict[Ref, Ref] = {}
    expected_version: int | None = None


class SuccessionWithdrawal(Command, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
