"""Directory entries -> what they mean for rights, validated by the domain's identifier rules.

An entry with a bad value (a national register number or OVO code that fails its check, a missing
required attribute) becomes a report line and its UUID is *held*: reconciliation neither updates nor
ends anything that entry justified, so one typo in the directory cannot take away someone's access.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping as MappingT

import ldap.dn
import msgspec

from rights.directory.filters import parse_filter
from rights.directory.mapping import Mapping, OrgRef
from rights.domain import identifiers as ids
from rights.domain.model import OrgType, UserType

Entries = MappingT[str, tuple[str, dict[str, list[str]]]]  # uuid -> (dn, attributes)
IdRef = tuple[str, str]  # (identifier kind, normalised value)

_NORMALISE = {
    ids.IdentifierKind.ENTERPRISE_NUMBER: ids.normalise_enterprise_number,
    ids.IdentifierKind.OVO_CODE: ids.normalise_ovo_code,
    ids.IdentifierKind.NIS_CODE: ids.normalise_nis_code,
    ids.IdentifierKind.INSTITUTION_NUMBER: ids.normalise_institution_number,
}


class OrgRecord(msgspec.Struct, frozen=True, kw_only=True):
    uuid: str
    dn: str
    type: OrgType
    name: str
    short_name: str | None
    identifiers: dict[str, str]  # kind -> value
    key: IdRef  # the identifier others refer to it by
    parent_uuid: str | None = None


class PersonRecord(msgspec.Struct, frozen=True, kw_only=True):
    uuid: str
    dn: str
    national_number: str
    given_name: str
    family_name: str
    email: str | None
    organisations: tuple[IdRef, ...]
    user_type: UserType


class GroupRecord(msgspec.Struct, frozen=True, kw_only=True):
    uuid: str
    dn: str
    organisation: IdRef
    members: tuple[str, ...]  # normalised DNs
    main: bool


class Snapshot(msgspec.Struct, kw_only=True):
    orgs: dict[str, OrgRecord] = {}
    persons: dict[str, PersonRecord] = {}
    groups: dict[str, GroupRecord] = {}
    skipped: list[tuple[str, str]] = []  # (dn, reason)
    held: set[str] = set()


class BadEntry(ValueError):
    pass


def digest(value: msgspec.Struct | dict) -> str:
    return hashlib.sha256(msgspec.json.encode(value, order="sorted")).hexdigest()[:32]


def norm_dn(dn: str) -> str:
    """A DN in one canonical spelling (case, spaces) so member values compare with entry DNs."""
    try:
        return ldap.dn.dn2str(
            [[(a.lower(), v.lower(), f) for a, v, f in rdn] for rdn in ldap.dn.str2dn(dn)]
        )
    except ldap.DECODING_ERROR:
        return dn.strip().lower()


def _get(attrs: dict[str, list[str]], name: str | None) -> list[str]:
    if not name:
        return []
    return next((v for k, v in attrs.items() if k.lower() == name.lower()), [])


def _one(attrs: dict[str, list[str]], name: str, required: bool = True) -> str | None:
    values = [v.strip() for v in _get(attrs, name) if v.strip()]
    if not values and required:
        raise BadEntry(f"missing required attribute {name}")
    return values[0] if values else None


def _identifier(kind: str, text: str, attr: str) -> str:
    try:
        return _NORMALISE[ids.IdentifierKind(kind)](text)
    except ids.IdentifierError as exc:
        raise BadEntry(f"invalid {kind} in {attr} ({exc.reason})") from None


def _parent_org(dn: str, org_by_dn: dict[str, OrgRecord]) -> OrgRecord | None:
    parts = ldap.dn.explode_dn(norm_dn(dn))
    for i in range(1, len(parts)):
        found = org_by_dn.get(",".join(parts[i:]))
        if found is not None:
            return found
    return None


def _org_refs(ref: OrgRef, dn: str, attrs: dict[str, list[str]], org_by_dn: dict[str, OrgRecord]) -> list[IdRef]:
    if ref.parent:
        parent = _parent_org(dn, org_by_dn)
        if parent is None:
            raise BadEntry("no organisation entry above it")
        return [parent.key]
    out = []
    for value in _get(attrs, ref.attribute):
        if ref.pattern:
            m = re.search(ref.pattern, value)
            if m is None:
                continue
            value = m.group("key")
        out.append((ref.identifier.value, _identifier(ref.identifier.value, value, ref.attribute or "")))
    if not out:
        raise BadEntry(f"no organisation in {ref.attribute}")
    return out


def build_snapshot(mapping: Mapping, entries: Entries) -> Snapshot:
    snap = Snapshot(orgs={}, persons={}, groups={}, skipped=[], held=set())
    org_filters = [(o, parse_filter(o.filter)) for o in mapping.organisations]
    for uuid, (dn, attrs) in sorted(entries.items(), key=lambda e: e[1][0]):
        for block, flt in org_filters:
            if not (_under(dn, block.base) and flt.matches(attrs)):
                continue
            try:
                idents = {k.value: _identifier(k.value, _one(attrs, a) or "", a) for k, a in block.identifiers.items()}
                if not idents:
                    raise BadEntry("the mapping gives organisations no identifier")
                name = _one(attrs, block.name) or ""
                key = next(iter(idents.items()))
                snap.orgs[uuid] = OrgRecord(
                    uuid=uuid, dn=dn, type=block.type, name=name, short_name=_one(attrs, block.short_name, False)
                    if block.short_name else None, identifiers=idents, key=key,
                )
            except BadEntry as exc:
                _skip(snap, uuid, dn, str(exc))
            break
    org_by_dn = {norm_dn(o.dn): o for o in snap.orgs.values()}
    for uuid, org in list(snap.orgs.items()):
        parent = _parent_org(org.dn, org_by_dn)
        if parent is not None:
            snap.orgs[uuid] = msgspec.structs.replace(org, parent_uuid=parent.uuid)
    p = mapping.persons
    pflt = parse_filter(p.filter) if p else None
    group_filters = [(g, parse_filter(g.filter)) for g in mapping.administrators]
    for uuid, (dn, attrs) in sorted(entries.items(), key=lambda e: e[1][0]):
        if uuid in snap.orgs:
            continue
        try:
            if p and pflt and _under(dn, p.base) and pflt.matches(attrs):
                snap.persons[uuid] = _person(p, uuid, dn, attrs, org_by_dn)
                continue
            for g, gflt in group_filters:
                if _under(dn, g.base) and gflt.matches(attrs):
                    refs = _org_refs(g.organisation, dn, attrs, org_by_dn)
                    members = tuple(sorted({norm_dn(m) for m in _get(attrs, g.member_attribute)}))
                    snap.groups[uuid] = GroupRecord(uuid=uuid, dn=dn, organisation=refs[0], members=members, main=g.main)
                    break
        except BadEntry as exc:
            _skip(snap, uuid, dn, str(exc))
    return snap


def _person(p, uuid: str, dn: str, attrs: dict[str, list[str]], org_by_dn: dict[str, OrgRecord]) -> PersonRecord:
    text = _one(attrs, p.national_number) or ""
    try:
        number = ids.parse_national_number(text).value
    except ids.IdentifierError as exc:
        raise BadEntry(f"invalid national register number in {p.national_number} ({exc.reason})") from None
    user_type = p.user_type
    if p.user_type_attribute:
        value = _one(attrs, p.user_type_attribute, False)
        if value is not None:
            if value.lower() not in {k.lower(): v for k, v in p.user_types.items()}:
                raise BadEntry(f"unknown user type '{value}' in {p.user_type_attribute}")
            user_type = {k.lower(): v for k, v in p.user_types.items()}[value.lower()]
    return PersonRecord(
        uuid=uuid, dn=dn, national_number=number, given_name=_one(attrs, p.given_name, False) or "",
        family_name=_one(attrs, p.family_name) or "", email=_one(attrs, p.email, False) if p.email else None,
        organisations=tuple(dict.fromkeys(_org_refs(p.organisation, dn, attrs, org_by_dn))), user_type=user_type,
    )


def _skip(snap: Snapshot, uuid: str, dn: str, reason: str) -> None:
    snap.skipped.append((dn, reason))
    snap.held.add(uuid)


def _under(dn: str, base: str) -> bool:
    d, b = norm_dn(dn), norm_dn(base)
    return d == b or d.endswith("," + b)
