"""What the /beheer screens show, gathered through the use cases (which do the authorisation).

Only the caller's own relations are read straight from the store (their organisations and roles); every
organisation's people, grants and administrators come from the services, which refuse a caller who
does not administer that organisation — so editing an organisation id in the URL is refused there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rights.domain import identifiers, rules
from rights.domain.catalogue import Role
from rights.domain.errors import Forbidden
from rights.domain.model import Administrator, Grant, Organisation, Person
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.text import normalise_search_text

PAGE_SIZE = 20


@dataclass(frozen=True)
class RightOption:
    """One choosable (role, measure) pair; ``value`` is what the form posts."""

    role: Role
    measure: str | None
    measure_name: str | None
    historic: bool

    @property
    def value(self) -> str:
        return f"{self.role.code}|{self.measure or ''}"


def day(value: datetime) -> str:
    return value.strftime("%d/%m/%Y")


def active(grant: Grant, now: datetime) -> bool:
    return grant.revoked_at is None and grant.valid_until > now


async def my_organisations(services: Services, caller: Caller) -> list[dict[str, Any]]:
    """The organisations the caller administers, works for or holds a right in, with their roles there."""
    if caller.person_id is None:
        return []
    now = services.core.now()
    roles: dict[str, set[str]] = {}
    async with services.core.store.read() as tx:
        for a in await tx.administrations_of(caller.person_id):
            if a.active:
                roles.setdefault(a.organisation_id, set()).add("role_main" if a.main else "role_admin")
        for w in await tx.work_relations(person_id=caller.person_id):
            if w.active_at(now):
                roles.setdefault(w.organisation_id, set()).add("role_staff")
        for g in await tx.grants(person_id=caller.person_id):
            if active(g, now):
                roles.setdefault(g.organisation_id, set())
        orgs = await tx.get_organisations(list(roles))
    order = ("role_main", "role_admin", "role_staff")
    return sorted(
        ({"id": o.id, "name": o.name, "roles": [r for r in order if r in roles[o.id]],
          "admin": bool(roles[o.id] & {"role_main", "role_admin"})} for o in orgs),
        key=lambda o: o["name"].lower(),
    )


async def my_administration(services: Services, caller: Caller, org_id: str) -> tuple[Organisation, Administrator]:
    """The organisation and the caller's active administrator record in it; refused otherwise."""
    async with services.core.store.read() as tx:
        org = await tx.get_organisation(org_id)
        admin = rules.active_admin(await tx.administrators(org_id), caller.person_id) if org else None
    if org is None or admin is None:
        raise Forbidden("not_an_administrator", "organisation")
    return org, admin


@dataclass(frozen=True)
class PeopleFilter:
    """The people list's filter (query parameters): name contains, holds role / measure, only with rights."""

    name: str = ""
    role: str = ""
    measure: str = ""
    with_rights: bool = False

    @property
    def active(self) -> bool:
        return bool(self.name or self.role or self.measure or self.with_rights)

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for the pager's links), without empty ones."""
        out = {"name": self.name, "role": self.role, "measure": self.measure,
               "with_rights": "1" if self.with_rights else ""}
        return {k: v for k, v in out.items() if v}

    def keeps(self, person: Person, grants: list[Grant]) -> bool:
        if self.name and normalise_search_text(self.name) not in normalise_search_text(person.display_name):
            return False
        held = [g for g in grants if (not self.role or g.role == self.role)
                and (not self.measure or g.measure == self.measure)]
        return bool(held) if (self.role or self.measure or self.with_rights) else True


async def people_page(services: Services, caller: Caller, org_id: str, page: int,
                      filters: PeopleFilter | None = None) -> dict[str, Any]:
    """People with an active work relation and their active rights, PAGE_SIZE per page (after the filter)."""
    now = services.core.now()
    relations = await services.people.work_relations(caller, org_id)
    grants = await services.grants.of_organisation(caller, org_id)
    by_person: dict[str, list[Grant]] = {}
    for g in grants:
        if active(g, now):
            by_person.setdefault(g.person_id, []).append(g)
    people = sorted({p.id: (w, p) for w, p in relations if w.active_at(now)}.values(),
                    key=lambda wp: (wp[1].family_name.lower(), wp[1].given_name.lower()))
    if filters is not None and filters.active:
        people = [(w, p) for w, p in people if filters.keeps(p, by_person.get(p.id, []))]
    pages = max(1, -(-len(people) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = people[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    # "Intrekken" only where the revocation's own rule would accept it (a preview; nothing is written).
    revocable = await services.grants.revocable(caller, [g for _, p in shown for g in by_person.get(p.id, [])])
    rows = [{"person": p, "user_type": w.user_type.value, "masked": identifiers.mask_national_number(p.national_number),
             "grants": [grant_view(services, g) | {"may_revoke": g.id in revocable}
                        for g in sorted(by_person.get(p.id, []), key=lambda g: g.role)]}
            for w, p in shown]
    return {"rows": rows, "page": page, "pages": pages, "people": [p for _, p in people]}


def grant_view(services: Services, g: Grant) -> dict[str, Any]:
    role = services.core.catalogue.roles.get(g.role)
    measure = role.measure(g.measure) if role is not None and g.measure and role.measures else None
    app = services.core.catalogue.applications.get(role.application) if role else None
    return {"id": g.id, "role": role.name if role else g.role, "measure": measure.name if measure else g.measure,
            "application": app.name if app else "", "valid_from": day(g.valid_from),
            "valid_until": day(g.valid_until), "person_id": g.person_id, "organisation_id": g.organisation_id}


def right_options(services: Services, org: Organisation, admin: Administrator) -> dict[str, list[RightOption]]:
    """Per application name: what this administrator may grant in this organisation (catalogue rules)."""
    catalogue = services.core.catalogue
    out: dict[str, list[RightOption]] = {}
    for role in catalogue.roles_for(org.type):
        if org.type not in role.grantors or not admin.administers(role.application):
            continue
        app = catalogue.application(role.application).name
        if not role.measures:
            out.setdefault(app, []).append(RightOption(role, None, None, False))
        for m in role.measures:
            out.setdefault(app, []).append(RightOption(role, m.code, m.name, m.historic))
    return dict(sorted(out.items()))


def filter_roles(services: Services, org: Organisation) -> dict[str, Any]:
    """The people filter's choices: the roles of this organisation type, and all their measures."""
    roles = sorted(services.core.catalogue.roles_for(org.type), key=lambda r: r.name.lower())
    measures = {m.code: m.name for r in roles for m in r.measures}
    return {"roles": [(r.code, r.name) for r in roles],
            "measures": sorted(measures.items(), key=lambda cm: cm[1].lower())}


def find_option(options: dict[str, list[RightOption]], value: str) -> RightOption | None:
    return next((o for opts in options.values() for o in opts if o.value == value), None)


def person_in(people: list[Person], person_id: str) -> Person | None:
    return next((p for p in people if p.id == person_id), None)
