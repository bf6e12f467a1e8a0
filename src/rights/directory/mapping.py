"""The mapping file: where things live in the directory and which attribute means what (docs/ldap.md).

A YAML file decoded strictly into msgspec Structs (unknown keys are errors), so a typo in an attribute
name stops the command at start-up instead of silently syncing nothing.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import msgspec

from rights.directory.filters import parse_filter
from rights.domain.identifiers import IdentifierKind
from rights.domain.model import OrgType, UserType


class MappingError(ValueError):
    pass


class Tls(enum.StrEnum):
    LDAPS = "ldaps"
    STARTTLS = "starttls"
    PLAIN = "plain"  # only with allow_plain: true (tests, a loopback sidecar)


class Struct(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class Connection(Struct):
    uri: str
    tls: Tls = Tls.STARTTLS
    allow_plain: bool = False
    ca_file: Path | None = None
    bind_dn: str = ""
    # Secrets stay out of the mapping file: the password is read from this file (e.g. a mounted secret).
    bind_password_file: Path | None = None
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    page_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 500
    retry_initial_seconds: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    retry_max_seconds: Annotated[float, msgspec.Meta(gt=0)] = 60.0

    def bind_password(self) -> str:
        if self.bind_password_file is None:
            return ""
        return self.bind_password_file.read_text(encoding="utf-8").strip()


class OrgRef(Struct):
    """How an entry names its organisation: an attribute value (optionally cut out with a regex group
    ``key``) holding an identifier of ``identifier`` kind, or the nearest ancestor organisation entry."""

    parent: bool = False
    attribute: str | None = None
    pattern: str | None = None
    identifier: IdentifierKind = IdentifierKind.OVO_CODE


class Organisations(Struct):
    base: str
    filter: str = "(objectClass=organizationalUnit)"
    type: OrgType = OrgType.FLEMISH_ENTITY
    # rights field -> directory attribute; "identifiers.<kind>" for identifiers
    name: str = "description"
    short_name: str | None = None
    identifiers: dict[IdentifierKind, str] = {}


class Persons(Struct):
    base: str
    filter: str = "(objectClass=inetOrgPerson)"
    national_number: str = "employeeNumber"
    given_name: str = "givenName"
    family_name: str = "sn"
    email: str | None = "mail"
    organisation: OrgRef = OrgRef(parent=True)
    user_type: UserType = UserType.CIVIL_SERVANT
    # optional: an attribute whose values map to user types (e.g. employeeType: {extern: external})
    user_type_attribute: str | None = None
    user_types: dict[str, UserType] = {}


class AdministratorGroups(Struct):
    """Groups whose members are local administrators of the organisation the group names."""

    base: str
    filter: str = "(objectClass=groupOfNames)"
    member_attribute: str = "member"
    organisation: OrgRef = OrgRef(attribute="cn", pattern=r"^beheerders-(?P<key>.+)$")
    main: bool = False


class Operators(Struct):
    """Operator login: the user is found by ``user_filter`` ({username} is escaped) and binds as itself."""

    user_base: str
    user_filter: str = "(uid={username})"
    helpline_group: str | None = None
    platform_admin_group: str | None = None
    member_attribute: str = "member"
    max_failures_per_user: int = 5
    max_failures_per_address: int = 20
    window_seconds: int = 900


class Provisioning(Struct):
    base: str  # the subtree rights owns: every groupOfNames below it is rights' to write


class Sync(Struct):
    base: str  # a common ancestor of every block's base; one syncrepl search covers it
    uuid_attribute: str = "entryUUID"  # Active Directory: objectGUID
    incremental: str = "auto"  # auto | syncrepl | poll
    poll_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0


class Mapping(Struct):
    connection: Connection
    sync: Sync | None = None
    organisations: tuple[Organisations, ...] = ()
    persons: Persons | None = None
    administrators: tuple[AdministratorGroups, ...] = ()
    operators: Operators | None = None
    provisioning: Provisioning | None = None

    def validate(self) -> Mapping:
        c = self.connection
        if c.tls is Tls.PLAIN and not c.allow_plain:
            raise MappingError("connection.tls: plain LDAP needs allow_plain: true (tests only)")
        if c.tls is Tls.LDAPS and not c.uri.lower().startswith("ldaps://"):
            raise MappingError("connection.uri: tls ldaps needs an ldaps:// URI")
        if c.tls is not Tls.LDAPS and c.uri.lower().startswith("ldaps://"):
            raise MappingError("connection.tls: an ldaps:// URI needs tls: ldaps")
        if self.sync and self.sync.incremental not in ("auto", "syncrepl", "poll"):
            raise MappingError("sync.incremental: auto, syncrepl or poll")
        for where, text in self.block_filters():
            try:
                parse_filter(text)
            except ValueError as exc:
                raise MappingError(f"{where}: {exc}") from None
        return self

    def block_filters(self) -> list[tuple[str, str]]:
        out = [(f"organisations[{i}].filter", o.filter) for i, o in enumerate(self.organisations)]
        if self.persons:
            out.append(("persons.filter", self.persons.filter))
        out += [(f"administrators[{i}].filter", a.filter) for i, a in enumerate(self.administrators)]
        return out

    def union_filter(self) -> str:
        parts = [text for _, text in self.block_filters()]
        return parts[0] if len(parts) == 1 else "(|" + "".join(parts) + ")"

    def attributes(self) -> list[str]:
        """Every attribute the sync reads: mapped ones, those the filters test, and the entry's UUID."""
        names: set[str] = {"objectClass"}
        for o in self.organisations:
            names |= {o.name, *o.identifiers.values(), *([o.short_name] if o.short_name else [])}
        if p := self.persons:
            names |= {p.national_number, p.given_name, p.family_name}
            names |= {a for a in (p.email, p.user_type_attribute, p.organisation.attribute) if a}
        for g in self.administrators:
            names.add(g.member_attribute)
            if g.organisation.attribute:
                names.add(g.organisation.attribute)
        for _, text in self.block_filters():
            names |= parse_filter(text).attributes()
        if self.sync:
            names.add(self.sync.uuid_attribute)
        return sorted(names, key=str.lower)


def _dec_hook(type_: type, obj: object) -> object:
    if type_ is Path and isinstance(obj, str):
        return Path(obj)
    raise NotImplementedError


def load_mapping(path: Path) -> Mapping:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MappingError(f"cannot read the mapping file {path}: {exc.strerror}") from None
    try:
        mapping = msgspec.yaml.decode(raw, type=Mapping, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        raise MappingError(f"{path}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise MappingError(f"{path}: not valid YAML ({exc})") from None
    return mapping.validate()
