"""/v1/persons: registering people, and what a person may do (the desk's view after login)."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from rights.api.answers import (
    ClaimsOut,
    GrantList,
    OrganisationRights,
    OrganisationRightsPage,
    PersonRegistered,
    PersonWritten,
)
from rights.api.permissions import Permission
from rights.api.routes.deps import page
from rights.api.schemas import PersonOut, grant_out, person_out
from rights.domain.commands import NewPerson, StatusChange
from rights.domain.ports import Caller
from rights.domain.services import Services


class PersonController(Controller):
    path = "/v1/persons"
    tags = ["persons"]

    @post("/", opt={"permission": Permission.PEOPLE_MANAGE}, responses={
        200: ResponseSpec(PersonRegistered, description="Already registered: the existing person, unchanged.")})
    async def register(self, data: NewPerson, services: Services, caller: Caller) -> Response[PersonRegistered]:
        written, created = await services.people.register(caller, data)
        body = PersonRegistered(revision=written.revision, created=created, person=person_out(written.value, caller))
        return Response(body, status_code=201 if created else 200)

    @get("/{person:str}", opt={"permission": Permission.PEOPLE_READ})
    async def read(self, person: str, services: Services, caller: Caller) -> PersonOut:
        return person_out(await services.people.get(caller, person), caller)

    @post("/{person:str}/freeze", status_code=200, opt={"permission": Permission.ORGANISATIONS_WRITE})
    async def freeze(self, person: str, services: Services, caller: Caller, data: StatusChange | None = None) -> PersonWritten:
        w = await services.people.set_frozen(caller, person, True, (data or StatusChange()).reason)
        return PersonWritten(revision=w.revision, person=person_out(w.value, caller))

    @post("/{person:str}/unfreeze", status_code=200, opt={"permission": Permission.ORGANISATIONS_WRITE})
    async def unfreeze(self, person: str, services: Services, caller: Caller, data: StatusChange | None = None) -> PersonWritten:
        w = await services.people.set_frozen(caller, person, False, (data or StatusChange()).reason)
        return PersonWritten(revision=w.revision, person=person_out(w.value, caller))

    @get("/{person:str}/grants", opt={"permission": Permission.GRANTS_READ})
    async def grants(self, person: str, services: Services, caller: Caller) -> GrantList:
        now = services.core.now()
        return GrantList(items=[grant_out(g, now) for g in await services.grants.of_person(caller, person)])

    @get("/{person:str}/organisations", opt={"permission": Permission.RIGHTS_LIST})
    async def organisations(
        self,
        person: str,
        services: Services,
        caller: Caller,
        role: str | None = Parameter(query="role", default=None, max_length=100),
        measure: str | None = Parameter(query="measure", default=None, max_length=100),
        cursor: str | None = Parameter(query="cursor", default=None, max_length=100),
        limit: int = Parameter(query="limit", ge=1, le=1000, default=100),
    ) -> OrganisationRightsPage:
        """The organisations this person may act for now (what the desk shows after login): complete,
        ordered by organisation id, paged by cursor; under a mandate the grant is ``mandate:<id>``."""
        rows, revision = await services.checks.organisations_of(caller, person, role=role, measure=measure)
        chunk, next_cursor = page(rows, cursor, limit)
        return OrganisationRightsPage(revision=revision, next_cursor=next_cursor,
                                      items=[OrganisationRights(organisation_id=i, grants=g) for i, g in chunk])

    @get("/{person:str}/claims", opt={"permission": Permission.RIGHTS_LIST})
    async def claims(
        self,
        person: str,
        services: Services,
        caller: Caller,
        application: str | None = Parameter(query="application", default=None, max_length=100),
    ) -> ClaimsOut:
        """Active rights in the ACM/IDM claim form ``RoleCode[-context]:orgcode``."""
        claims, revision = await services.checks.claims(caller, person, application=application)
        return ClaimsOut(revision=revision, claims=list(claims))
