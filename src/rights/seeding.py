"""Load demo data (``seeds/*.yaml``) through the same use cases and rules as the API.

Idempotent: whatever already exists (same identifier, person, appointment, grant) is left as it is, so
running it twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import msgspec

from rights.domain.commands import (
    Appointment,
    IdentifiersInput,
    NewGrant,
    NewLegalRepresentative,
    NewOrganisation,
    NewPerson,
    NewWorkRelation,
)
from rights.domain.errors import Conflict
from rights.domain.model import Address, ContactCard, OrgStatus, OrgType, UserType
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import Services
from rights.domain.services.base import find_organisation


class _S(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class SeedOrganisation(_S, kw_only=True):
    key: str
    type: OrgType
    name: str
    identifiers: IdentifiersInput
    short_name: str | None = None
    address: Address | None = None
    parent: str | None = None
    status: OrgStatus = OrgStatus.ACTIVE


class SeedPerson(_S, kw_only=True):
    key: str
    national_number: str
    given_name: str
    family_name: str
    email: str | None = None
    frozen: bool = False


class SeedLink(_S, kw_only=True):
    organisation: str
    person: str


class SeedAdministrator(_S, kw_only=True):
    organisation: str
    person: str
    main: bool = False
    applications: tuple[str, ...] | None = None
    contact: ContactCard = ContactCard()
    via: str | None = None


class SeedWorkRelation(_S, kw_only=True):
    organisation: str
    person: str
    user_type: UserType


class SeedGrant(_S, kw_only=True):
    organisation: str
    person: str
    role: str
    granted_by: str
    measure: str | None = None
    days: int | None = None
    reason: str = ""


class Seed(_S, kw_only=True):
    organisations: tuple[SeedOrganisation, ...] = ()
    persons: tuple[SeedPerson, ...] = ()
    legal_representatives: tuple[SeedLink, ...] = ()
    administrators: tuple[SeedAdministrator, ...] = ()
    work_relations: tuple[SeedWorkRelation, ...] = ()
    grants: tuple[SeedGrant, ...] = ()


PLATFORM = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="platform:seed")


def load_seed(path: Path) -> Seed:
    return msgspec.yaml.decode(path.read_bytes(), type=Seed)


async def _skip_conflict(coro) -> bool:
    try:
        await coro
    except Conflict:
        return False
    return True


async def apply_seed(services: Services, seed: Seed) -> dict[str, int]:
    """Apply the seed; returns how many things it created."""
    counts = dict.fromkeys(("organisations", "persons", "administrators", "work_relations", "grants"), 0)
    orgs: dict[str, str] = {}
    store = services.core.store
    for o in seed.organisations:
        ref = next(v for v in (o.identifiers.enterprise_number, o.identifiers.ovo_code,
                               o.identifiers.institution_number) if v)
        async with store.read() as tx:
            existing = await find_organisation(tx, ref)
        if existing is None:
            cmd = NewOrganisation(
                type=o.type, name=o.name, identifiers=o.identifiers, short_name=o.short_name, address=o.address,
                parent=orgs.get(o.parent) if o.parent else None, status=o.status,
            )
            existing = (await services.organisations.create(PLATFORM, cmd)).value
            counts["organisations"] += 1
        orgs[o.key] = existing.id

    persons: dict[str, str] = {}
    for p in seed.persons:
        written, created = await services.people.register(
            PLATFORM, NewPerson(national_number=p.national_number, given_name=p.given_name,
                                family_name=p.family_name, email=p.email)
        )
        persons[p.key] = written.value.id
        counts["persons"] += created
        if p.frozen and not written.value.frozen:
            await services.people.set_frozen(PLATFORM, written.value.id, True, "demo: frozen person")

    def as_person(key: str) -> Caller:
        return Caller(kind=PrincipalKind.PERSON, subject=f"person:seed:{key}", person_id=persons[key])

    for link in seed.legal_representatives:
        await _skip_conflict(services.people.add_legal_representative(
            PLATFORM, orgs[link.organisation], NewLegalRepresentative(person=persons[link.person])))

    first_main: dict[str, str] = {}
    for a in seed.administrators:
        org_id = orgs[a.organisation]
        if a.via == "legal_representative":
            caller = as_person(a.person)
        elif org_id in first_main:
            caller = as_person(first_main[org_id])
        else:
            caller = PLATFORM
        cmd = Appointment(person=persons[a.person], main=a.main, applications=a.applications, contact=a.contact)
        counts["administrators"] += await _skip_conflict(services.people.appoint(caller, org_id, cmd))
        if a.main:
            first_main.setdefault(org_id, a.person)

    for w in seed.work_relations:
        counts["work_relations"] += await _skip_conflict(services.people.add_work_relation(
            PLATFORM, orgs[w.organisation], NewWorkRelation(person=persons[w.person], user_type=w.user_type)))

    now = services.core.now()
    for g in seed.grants:
        role = services.core.catalogue.role(g.role)
        cmd = NewGrant(
            person=persons[g.person], organisation=orgs[g.organisation], role=g.role, measure=g.measure,
            valid_from=now, valid_until=now + timedelta(days=g.days or role.default_validity_days), reason=g.reason,
        )
        counts["grants"] += await _skip_conflict(services.grants.grant(as_person(g.granted_by), cmd))
    return counts


async def seed_directory(services: Services, directory: Path) -> dict[str, int]:
    totals: dict[str, int] = {}
    for path in sorted(directory.glob("*.yaml")):
        for k, v in (await apply_seed(services, load_seed(path))).items():
            totals[k] = totals.get(k, 0) + v
    return totals
