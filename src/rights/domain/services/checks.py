"""The questions other services ask: may P act for O with R on M; for whom may P act; P's claims."""

from __future__ import annotations

from datetime import datetime

import msgspec

from rights.domain.commands import CheckQuestion
from rights.domain.decisions import Decision, decide
from rights.domain.errors import Forbidden, NotFound
from rights.domain.model import Grant, Organisation
from rights.domain.ports import Caller, PrincipalKind, Tx
from rights.domain.services.base import Core, find_organisation, find_person, resolve_person


class Answer(msgspec.Struct, frozen=True):
    decision: Decision
    revision: int
    organisation: Organisation | None = None


class OrganisationRight(msgspec.Struct, frozen=True):
    organisation: Organisation
    grants: tuple[Grant, ...]


class CheckService:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def check(self, caller: Caller, q: CheckQuestion) -> Answer:
        at = q.at or self.core.now()
        async with self.core.store.read() as tx:
            revision = await tx.latest_revision()
            org = await find_organisation(tx, q.organisation)
            person = await find_person(tx, q.person, caller)
            role = self.core.catalogue.roles.get(q.role)
            grants: list[Grant] = []
            relations = []
            if org is not None and person is not None and role is not None:
                grants = await tx.grants(person_id=person.id, organisation_id=org.id, role=role.code)
                relations = await tx.work_relations(person_id=person.id, organisation_id=org.id)
            decision = decide(
                org=org, person=person, role=role, measure=q.measure, grants=grants,
                work_relations=relations, at=at,
            )
        return Answer(decision, revision, org)

    def _ensure_may_list(self, caller: Caller, person_id: str) -> None:
        if caller.kind in (PrincipalKind.SERVICE, PrincipalKind.PLATFORM_ADMIN) or caller.person_id == person_id:
            return
        raise Forbidden("not_own_data", "person")

    async def _active_rights(self, tx: Tx, person_id: str, at: datetime) -> list[OrganisationRight]:
        person = await tx.get_person(person_id)
        if person is None or person.frozen:
            return []
        relations = await tx.work_relations(person_id=person_id)
        by_org: dict[str, list[Grant]] = {}
        for g in await tx.grants(person_id=person_id):
            by_org.setdefault(g.organisation_id, []).append(g)
        out = []
        for org_id, grants in sorted(by_org.items()):
            org = await tx.get_organisation(org_id)
            allowed = tuple(
                g
                for g in grants
                if org is not None
                and (role := self.core.catalogue.roles.get(g.role)) is not None
                and decide(
                    org=org, person=person, role=role, measure=g.measure, grants=[g],
                    work_relations=relations, at=at,
                ).allowed
            )
            if org is not None and allowed:
                out.append(OrganisationRight(org, allowed))
        return out

    async def organisations_of(
        self, caller: Caller, person_ref: str, *, role: str | None, measure: str | None
    ) -> tuple[list[OrganisationRight], int]:
        """The organisations this person may act for now (optionally with this role and measure)."""
        async with self.core.store.read() as tx:
            revision = await tx.latest_revision()
            person = await resolve_person(tx, person_ref, caller)
            self._ensure_may_list(caller, person.id)
            if role is not None and role not in self.core.catalogue.roles:
                raise NotFound("unknown_role", "role", role=role)
            rights = await self._active_rights(tx, person.id, self.core.now())
        out = []
        for entry in rights:
            grants = tuple(
                g for g in entry.grants if (role is None or g.role == role) and (measure is None or g.measure == measure)
            )
            if grants:
                out.append(OrganisationRight(entry.organisation, grants))
        return out, revision

    async def claims(self, caller: Caller, person_ref: str, *, application: str | None) -> tuple[list[str], int]:
        """Active rights as ACM/IDM claims: ``RoleCode[-context]:orgcode``."""
        if application is not None:
            self.core.catalogue.application(application)
        async with self.core.store.read() as tx:
            revision = await tx.latest_revision()
            person = await resolve_person(tx, person_ref, caller)
            self._ensure_may_list(caller, person.id)
            rights = await self._active_rights(tx, person.id, self.core.now())
        claims: set[str] = set()
        for entry in rights:
            code = self.core.catalogue.organisation_code(entry.organisation)
            if code is None:
                continue
            for g in entry.grants:
                if application is not None and self.core.catalogue.role(g.role).application != application:
                    continue
                claims.add(f"{g.role}-{g.measure}:{code}" if g.measure else f"{g.role}:{code}")
        return sorted(claims), revision
