"""The rights catalogue: applications, their roles, each role's measures and rules.

These Structs are also the schema of the policy files in ``policies/`` (decoded strictly, unknown keys
refused); ``rights.policies`` reads the files and builds a :class:`Catalogue`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

from rights.domain.errors import InvalidInput, NotFound
from rights.domain.identifiers import IdentifierKind
from rights.domain.model import Organisation, OrgType, SuccessionKind, UserType


class Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class Measure(Strict, kw_only=True):
    code: str
    name: str
    # Historic measures (e.g. the VOP, replaced by Individueel Maatwerk) stay checkable.
    historic: bool = False


class Role(Strict, kw_only=True):
    code: str
    name: str
    description: str = ""
    measures: tuple[Measure, ...] = ()
    org_types: tuple[OrgType, ...]
    # Administrators of these organisation types may grant it (defaults to org_types).
    granted_by_org_types: tuple[OrgType, ...] | None = None
    requires_work_relation: bool = True
    # User types a holder's work relation must have; None: any the organisation type allows.
    user_types: tuple[UserType, ...] | None = None
    max_validity_days: int
    default_validity_days: int
    self_grant: bool = False
    # The right to act under mandates: its measures are the codes of the applications it covers.
    executes_mandates: bool = False
    # Set on load: the application the role belongs to.
    application: str = ""

    def measure(self, code: str | None) -> Measure | None:
        """The role's measure with this code; None for a role without measures. Refuses a mismatch."""
        if not self.measures:
            if code:
                raise InvalidInput("unknown_measure", "measure", role=self.code, measure=code)
            return None
        if not code:
            raise InvalidInput("measure_required", "measure", role=self.code)
        for m in self.measures:
            if m.code == code:
                return m
        raise InvalidInput("unknown_measure", "measure", role=self.code, measure=code)

    @property
    def grantors(self) -> tuple[OrgType, ...]:
        return self.granted_by_org_types if self.granted_by_org_types is not None else self.org_types


class Application(Strict, kw_only=True):
    code: str
    name: str
    department: str
    roles: tuple[Role, ...]


class OrgTypePolicy(Strict, kw_only=True):
    type: OrgType
    # Target group (doelgroep) and the identifier that makes the organisation code in token claims.
    target_group: str
    code_identifier: IdentifierKind
    code_prefix: str = ""
    required_identifiers: tuple[IdentifierKind, ...] = ()
    user_types: tuple[UserType, ...]
    guidance_nl: str
    guidance_en: str

    def organisation_code(self, org: Organisation) -> str | None:
        value = getattr(org.identifiers, self.code_identifier.value, None)
        return f"{self.code_prefix}{value}" if value else None


class SuccessionPolicy(Strict, kw_only=True):
    """What a kind of succession (merger, absorption, split, renumbering) may be and may carry (issue 17)."""

    kind: SuccessionKind
    min_predecessors: int = 1
    max_predecessors: int | None = None
    min_successors: int = 1
    max_successors: int | None = 1
    # The successor must be of a predecessor's organisation type (false: any type; rights its type may not
    # hold are then listed, not moved).
    same_type: bool = True
    # A successor may be an organisation that already exists (absorption) or must be new to the service.
    successor_may_exist: bool = True
    # Mandates given by or to a predecessor: "carry" them to the successor, or "list" them for a decision.
    mandates: Literal["carry", "list"] = "carry"
    # A successor must start with an administrator when a predecessor had one.
    keep_administrators: bool = True


class Catalogue:
    """Lookups over a validated set of applications and organisation-type policies."""

    def __init__(self, applications: Iterable[Application], org_types: Iterable[OrgTypePolicy],
                 successions: Iterable[SuccessionPolicy] = ()) -> None:
        self.applications: dict[str, Application] = {}
        self.roles: dict[str, Role] = {}
        for app in applications:
            self.applications[app.code] = app
            for role in app.roles:
                self.roles[role.code] = msgspec.structs.replace(role, application=app.code)
        self.org_types: dict[OrgType, OrgTypePolicy] = {p.type: p for p in org_types}
        self.successions: dict[SuccessionKind, SuccessionPolicy] = {p.kind: p for p in successions}

    def role(self, code: str) -> Role:
        try:
            return self.roles[code]
        except KeyError:
            raise NotFound("unknown_role", "role", role=code) from None

    def application(self, code: str) -> Application:
        try:
            return self.applications[code]
        except KeyError:
            raise NotFound("unknown_application", "application", application=code) from None

    def org_type(self, org_type: OrgType) -> OrgTypePolicy:
        return self.org_types[org_type]

    def roles_for(self, org_type: OrgType) -> list[Role]:
        return [r for r in self.roles.values() if org_type in r.org_types]

    def organisation_code(self, org: Organisation) -> str | None:
        return self.org_type(org.type).organisation_code(org)

    def succession(self, kind: SuccessionKind) -> SuccessionPolicy:
        try:
            return self.successions[kind]
        except KeyError:
            raise InvalidInput("unknown_succession_kind", "kind", kind=kind) from None

    @property
    def mandate_executor(self) -> Role | None:
        """The role whose holders act for mandators (measure = the application they act in)."""
        return next((r for r in self.roles.values() if r.executes_mandates), None)
