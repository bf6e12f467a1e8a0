"""Organisations: create, update, freeze and read (platform administrators write; everyone reads)."""

from __future__ import annotations

import msgspec

from rights.domain import identifiers as ids
from rights.domain.commands import IdentifiersInput, NewOrganisation, OrganisationUpdate, StatusChange, merged
from rights.domain.errors import Conflict, InvalidInput, NotFound
from rights.domain.model import Address, Organisation, OrgIdentifiers, OrgStatus, OrgType
from rights.domain.ports import Caller
from rights.domain.services.base import (
    ORG_PREFIX,
    Core,
    Written,
    find_organisation,
    identifier_error,
    new_id,
    record,
    require_platform_admin,
    resolve_organisation,
    to_data,
)
from rights.domain.services.org_audit import NEWEST, AuditPage, organisation_audit

_NORMALISERS = {
    "enterprise_number": ids.normalise_enterprise_number,
    "ovo_code": ids.normalise_ovo_code,
    "nis_code": ids.normalise_nis_code,
    "institution_number": ids.normalise_institution_number,
}


def normalise_identifiers(raw: IdentifiersInput, kept_nis_code: str | None = None) -> OrgIdentifiers:
    """Validate every identifier by its rule; the error names the field that failed.

    A new NIS code must be current; an organisation registered before its municipality merged away keeps
    the former code it carries (``kept_nis_code``) when another of its identifiers changes."""
    values: dict[str, object] = {}
    for name, normalise in _NORMALISERS.items():
        text = getattr(raw, name)
        if text is None or not text.strip():
            values[name] = None
            continue
        try:
            values[name] = normalise(text)
        except ids.MergedNisCodeError as exc:
            if exc.former.code != kept_nis_code:
                raise identifier_error(exc, f"identifiers.{name}") from None
            values[name] = kept_nis_code
        except ids.IdentifierError as exc:
            raise identifier_error(exc, f"identifiers.{name}") from None
    units = []
    for i, text in enumerate(raw.establishment_numbers):
        try:
            units.append(ids.normalise_establishment_number(text))
        except ids.IdentifierError as exc:
            raise identifier_error(exc, f"identifiers.establishment_numbers[{i}]") from None
    return OrgIdentifiers(establishment_numbers=tuple(dict.fromkeys(units)), **values)  # type: ignore[arg-type]


class OrganisationService:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def audit_page(self, caller: Caller, org_ref: str, before: int = NEWEST, name: str = "") -> AuditPage:
        """Who changed what in the organisation, newest first, for its administrators (org_audit.py)."""
        return await organisation_audit(self.core, caller, org_ref, before, name=name)

    def _check_required(self, org_type: OrgType, identifiers: OrgIdentifiers) -> None:
        for kind in self.core.catalogue.org_type(org_type).required_identifiers:
            if not getattr(identifiers, kind.value):
                raise InvalidInput("missing_identifier", f"identifiers.{kind.value}", kind=kind.value)

    async def create(self, caller: Caller, cmd: NewOrganisation) -> Written[Organisation]:
        require_platform_admin(caller)
        identifiers = normalise_identifiers(cmd.identifiers)
        self._check_required(cmd.type, identifiers)
        async with self.core.store.write() as tx:
            parent_id = None
            if cmd.parent:
                parent = await find_organisation(tx, cmd.parent, "parent")
                if parent is None:
                    raise NotFound("unknown_parent", "parent")
                parent_id = parent.id
            org = Organisation(
                id=new_id(ORG_PREFIX),
                type=cmd.type,
                name=cmd.name.strip(),
                short_name=cmd.short_name,
                status=cmd.status,
                identifiers=identifiers,
                address=cmd.address,
                parent_id=parent_id,
            )
            await tx.add_organisation(org)
            rev = await record(
                self.core, tx, caller, kind="organisation_created", entity="organisation",
                entity_id=org.id, data=to_data(org), organisation_id=org.id,
            )
        await self.core.committed(rev)
        return Written(org, rev)

    async def update(self, caller: Caller, ref: str, cmd: OrganisationUpdate) -> Written[Organisation]:
        require_platform_admin(caller)
        async with self.core.store.write() as tx:
            org = await resolve_organisation(tx, ref)
            if cmd.expected_version is not None and cmd.expected_version != org.version:
                raise Conflict("version_conflict", "expected_version", actual=org.version)
            changes: dict[str, object] = {}
            if cmd.name is not msgspec.UNSET:
                changes["name"] = cmd.name.strip()
            if cmd.short_name is not msgspec.UNSET:
                changes["short_name"] = cmd.short_name
            if cmd.address is not msgspec.UNSET:
                # A merge patch: the members sent change, the others stay; null removes the address.
                changes["address"] = None if cmd.address is None else Address(**merged(  # type: ignore[arg-type]
                    org.address or Address(), cmd.address,
                    **{f.name: f.default for f in msgspec.structs.fields(Address)},
                ))
            if cmd.identifiers is not msgspec.UNSET:
                current = IdentifiersInput(**msgspec.structs.asdict(org.identifiers))
                identifiers = normalise_identifiers(
                    IdentifiersInput(**merged(current, cmd.identifiers, establishment_numbers=())),  # type: ignore[arg-type]
                    kept_nis_code=org.identifiers.nis_code,
                )
                self._check_required(org.type, identifiers)
                changes["identifiers"] = identifiers
            if cmd.parent is not msgspec.UNSET:
                changes["parent_id"] = None
                if cmd.parent:
                    parent = await find_organisation(tx, cmd.parent, "parent")
                    if parent is None or parent.id == org.id:
                        raise NotFound("unknown_parent", "parent")
                    changes["parent_id"] = parent.id
            updated = msgspec.structs.replace(org, version=org.version + 1, **changes)
            await tx.save_organisation(updated)
            rev = await record(
                self.core, tx, caller, kind="organisation_updated", entity="organisation",
                entity_id=org.id, data=to_data(updated), organisation_id=org.id,
            )
        await self.core.committed(rev)
        return Written(updated, rev)

    async def set_status(
        self, caller: Caller, ref: str, status: OrgStatus, cmd: StatusChange
    ) -> Written[Organisation]:
        """Freeze, unfreeze or cease: every check for a frozen organisation answers no, nothing is deleted."""
        require_platform_admin(caller)
        async with self.core.store.write() as tx:
            org = await resolve_organisation(tx, ref)
            if org.status is status:
                raise Conflict("status_unchanged", "status")
            updated = msgspec.structs.replace(org, status=status, version=org.version + 1)
            await tx.save_organisation(updated)
            rev = await record(
                self.core, tx, caller, kind=f"organisation_{status.value}", entity="organisation",
                entity_id=org.id, data={"status": status.value, "reason": cmd.reason}, organisation_id=org.id,
            )
        await self.core.committed(rev)
        return Written(updated, rev)

    async def get(self, caller: Caller, ref: str, *, field: str = "organisation") -> Organisation:
        """``field``: the name the caller sent the reference under, which a refusal names."""
        async with self.core.store.read() as tx:
            return await resolve_organisation(tx, ref, field)

    async def list(
        self, caller: Caller, *, org_type: OrgType | None, after: str | None, limit: int
    ) -> list[Organisation]:
        async with self.core.store.read() as tx:
            return await tx.list_organisations(org_type=org_type, after=after, limit=limit)
