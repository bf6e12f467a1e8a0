"""The service's answers as msgspec Structs, decoded straight from the response bytes.

They mirror the API's answers (docs/api.md, the OpenAPI document at ``/schema``); fields the server adds
later are ignored rather than refused, so a newer server does not break an older client.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class Successor(msgspec.Struct, frozen=True, kw_only=True):
    """An organisation a succeeded (merged, split, renumbered) organisation now answers through."""

    id: str
    name: str
    identifiers: dict[str, Any] = {}
    organisation_code: str | None = None


class CheckAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /v1/check``: the verdict, the grant or mandate behind a yes, and the revision it reflects."""

    allowed: bool
    reason: str
    revision: int
    grant_id: str | None = None
    mandate_id: str | None = None
    organisation_id: str | None = None
    succeeded_by: list[Successor] | None = None
    explanation: dict[str, Any] | None = None


class BatchAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /v1/check/batch``: the answers in the order asked, all present-tense ones at ``revision``."""

    revision: int
    answers: list[CheckAnswer]


class Right(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a list: an organisation (or person) and the grants that allow acting for it."""

    grants: list[str]
    organisation_id: str | None = None
    person_id: str | None = None


class Page(msgspec.Struct, frozen=True, kw_only=True):
    revision: int
    items: list[Right]
    next_cursor: str | None = None


class Change(msgspec.Struct, frozen=True, kw_only=True):
    revision: int
    at: datetime
    kind: str
    entity: str
    entity_id: str
    actor: str | None = None
    data: dict[str, Any] = {}


class ChangePage(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /v1/changes``: changes after ``after`` in revision order."""

    items: list[Change]
    next_after: int
    latest_revision: int


class Measure(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    historic: bool = False


class Role(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    description: str = ""
    measures: list[Measure] = []
    org_types: list[str] = []
    max_validity_days: int | None = None
    default_validity_days: int | None = None
    self_grant: bool = False


class Application(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    department: str
    roles: list[Role]


class OrganisationType(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    target_group: str
    code_identifier: str
    code_prefix: str = ""


class Catalogue(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /v1/catalogue``: applications with their roles and measures, and the organisation types."""

    applications: list[Application]
    organisation_types: list[OrganisationType]

    def role(self, code: str) -> Role | None:
        return next((r for a in self.applications for r in a.roles if r.code == code), None)


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
    reason: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None
    version: int
    active: bool


class GrantWritten(msgspec.Struct, frozen=True, kw_only=True):
    """A write's answer: the grant as it now stands and the revision that committed it."""

    revision: int
    grant: Grant
