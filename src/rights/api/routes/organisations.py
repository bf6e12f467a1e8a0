"""/v1/organisations: the organisation register, its administrators, legal representatives and staff."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from rights.api.answers import (
    AdministratorList,
    AppointmentOut,
    AppointmentWritten,
    DisclosureOut,
    DisclosureWritten,
    GrantList,
    LegalRepresentativeOut,
    LegalRepresentativeWritten,
    MandateList,
    OrganisationPage,
    OrganisationWritten,
    PersonRights,
    PersonRightsPage,
    RemovalOut,
    RemovalWritten,
    WorkRelationList,
    WorkRelationWritten,
    identifier_warnings,
)
from rights.api.permissions import Permission
from rights.api.routes.deps import Limit, page
from rights.api.schemas import OrganisationOut, entry_out, grant_out, organisation_out, work_relation_out
from rights.domain.commands import (
    Appointment,
    ContactPatch,
    EndWorkRelation,
    NewLegalRepresentative,
    NewOrganisation,
    NewWorkRelation,
    OrganisationUpdate,
    Removal,
    StatusChange,
)
from rights.domain.model import OrgStatus, OrgType
from rights.domain.ports import Caller
from rights.domain.services import Services
from rights.domain.services.base import is_active_admin


class OrganisationController(Controller):
    path = "/v1/organisations"
    tags = ["organisations"]

    @post("/", opt={"permission": Permission.ORGANISATIONS_WRITE})
    async def create(self, data: NewOrganisation, services: Services, caller: Caller) -> OrganisationWritten:
        w = await services.organisations.create(caller, data)
        return OrganisationWritten(revision=w.revision, organisation=organisation_out(w.value, services.core.catalogue),
                                   warnings=identifier_warnings(w.value.identifiers))

    @get("/", opt={"permission": Permission.ORGANISATIONS_READ})
    async def list_organisations(
        self,
        services: Services,
        caller: Caller,
        org_type: OrgType | None = Parameter(query="type", default=None),
        identifier: str | None = Parameter(query="identifier", default=None, max_length=40),
        cursor: str | None = Parameter(query="cursor", default=None, max_length=64),
        limit: Limit = 50,
    ) -> OrganisationPage:
        """List in a stable order (paging by cursor), or find one by any identifier form."""
        cat = services.core.catalogue
        if identifier is not None:
            org = await services.organisations.get(caller, identifier, field="identifier")
            return OrganisationPage(items=[organisation_out(org, cat)], next_cursor=None)
        orgs = await services.organisations.list(caller, org_type=org_type, after=cursor, limit=limit + 1)
        more = len(orgs) > limit
        orgs = orgs[:limit]
        return OrganisationPage(items=[organisation_out(o, cat) for o in orgs], next_cursor=orgs[-1].id if more else None)

    @get("/{org:str}", opt={"permission": Permission.ORGANISATIONS_READ})
    async def read(self, org: str, services: Services, caller: Caller) -> OrganisationOut:
        return organisation_out(await services.organisations.get(caller, org), services.core.catalogue)

    @patch("/{org:str}", opt={"permission": Permission.ORGANISATIONS_WRITE})
    async def update(self, org: str, data: OrganisationUpdate, services: Services, caller: Caller) -> OrganisationWritten:
        w = await services.organisations.update(caller, org, data)
        return OrganisationWritten(revision=w.revision, organisation=organisation_out(w.value, services.core.catalogue),
                                   warnings=identifier_warnings(w.value.identifiers))

    async def _status(self, org: str, status: OrgStatus, data: StatusChange | None, services: Services,
                      caller: Caller) -> OrganisationWritten:
        w = await services.organisations.set_status(caller, org, status, data or StatusChange())
        return OrganisationWritten(revision=w.revision, organisation=organisation_out(w.value, services.core.catalogue))

    @post("/{org:str}/freeze", status_code=200, opt={"permission": Permission.ORGANISATIONS_WRITE})
    async def freeze(self, org: str, services: Services, caller: Caller, data: StatusChange | None = None) -> OrganisationWritten:
        return await self._status(org, OrgStatus.FROZEN, data, services, caller)

    @post("/{org:str}/unfreeze", status_code=200, opt={"permission": Permission.ORGANISATIONS_WRITE})
    async def unfreeze(
        self, org: str, services: Services, caller: Caller, data: StatusChange | None = None
    ) -> OrganisationWritten:
        return await self._status(org, OrgStatus.ACTIVE, data, services, caller)

    @post("/{org:str}/cease", status_code=200, opt={"permission": Permission.ORGANISATIONS_WRITE})
    async def cease(self, org: str, services: Services, caller: Caller, data: StatusChange | None = None) -> OrganisationWritten:
        return await self._status(org, OrgStatus.CEASED, data, services, caller)

    # --- legal representatives and administrators -------------------------------------------

    @post("/{org:str}/legal-representatives", opt={"permission": Permission.ORGANISATIONS_WRITE})
    async def add_legal_representative(
        self, org: str, data: NewLegalRepresentative, services: Services, caller: Caller
    ) -> LegalRepresentativeWritten:
        w = await services.people.add_legal_representative(caller, org, data)
        return LegalRepresentativeWritten(revision=w.revision, legal_representative=LegalRepresentativeOut(
            organisation_id=w.value.organisation_id, person_id=w.value.person_id))

    @get("/{org:str}/administrators", opt={"permission": Permission.PEOPLE_READ})
    async def administrators(self, org: str, services: Services, caller: Caller) -> AdministratorList:
        entries = await services.people.administrators(caller, org)
        show = caller.platform_admin
        if not show and entries:
            async with services.core.store.read() as tx:
                show = await is_active_admin(tx, entries[0].administrator.organisation_id, caller.person_id) is not None
        return AdministratorList(items=[entry_out(e, show_contact=show) for e in entries])

    @post("/{org:str}/administrators", opt={"permission": Permission.PEOPLE_MANAGE})
    async def appoint(self, org: str, data: Appointment, services: Services, caller: Caller) -> AppointmentWritten:
        w = await services.people.appoint(caller, org, data)
        return AppointmentWritten(revision=w.revision, administrator=AppointmentOut(
            id=w.value.id, person_id=w.value.person_id, organisation_id=w.value.organisation_id, main=w.value.main))

    @delete("/{org:str}/administrators/{person:str}", status_code=200, opt={"permission": Permission.PEOPLE_MANAGE})
    async def remove(
        self,
        org: str,
        person: str,
        services: Services,
        caller: Caller,
        reason: str = Parameter(query="reason", default="", max_length=1000),
    ) -> RemovalWritten:
        w = await services.people.remove(caller, org, person, Removal(reason=reason))
        return RemovalWritten(revision=w.revision, administrator=RemovalOut(id=w.value.id, removed_at=w.value.removed_at))

    @patch("/{org:str}/administrators/{person:str}/contact", opt={"permission": Permission.PEOPLE_MANAGE})
    async def contact(
        self, org: str, person: str, data: ContactPatch, services: Services, caller: Caller
    ) -> DisclosureWritten:
        w = await services.people.update_contact(caller, org, person, data)
        return DisclosureWritten(revision=w.revision,
                                 administrator=DisclosureOut(id=w.value.id, disclose=w.value.contact.disclose))

    # --- work relations and grants ----------------------------------------------------------

    @get("/{org:str}/work-relations", opt={"permission": Permission.PEOPLE_MANAGE})
    async def work_relations(self, org: str, services: Services, caller: Caller) -> WorkRelationList:
        rows = await services.people.work_relations(caller, org)
        return WorkRelationList(items=[work_relation_out(w, p) for w, p in rows])

    @post("/{org:str}/work-relations", opt={"permission": Permission.PEOPLE_MANAGE})
    async def add_work_relation(
        self, org: str, data: NewWorkRelation, services: Services, caller: Caller
    ) -> WorkRelationWritten:
        w = await services.people.add_work_relation(caller, org, data)
        return WorkRelationWritten(revision=w.revision, work_relation=work_relation_out(w.value))

    @post("/{org:str}/work-relations/{relation:str}/end", status_code=200, opt={"permission": Permission.PEOPLE_MANAGE})
    async def end_work_relation(
        self, org: str, relation: str, services: Services, caller: Caller, data: EndWorkRelation | None = None
    ) -> WorkRelationWritten:
        w = await services.people.end_work_relation(caller, org, relation, data or EndWorkRelation())
        return WorkRelationWritten(revision=w.revision, work_relation=work_relation_out(w.value))

    @get("/{org:str}/persons", opt={"permission": Permission.RIGHTS_LIST})
    async def persons(
        self,
        org: str,
        services: Services,
        caller: Caller,
        role: str | None = Parameter(query="role", default=None, max_length=100),
        measure: str | None = Parameter(query="measure", default=None, max_length=100),
        cursor: str | None = Parameter(query="cursor", default=None, max_length=100),
        limit: int = Parameter(query="limit", ge=1, le=1000, default=100),
    ) -> PersonRightsPage:
        """Who may act for this organisation now (on this role and measure): complete, by person id."""
        _, rows, revision = await services.checks.persons_of(caller, org, role=role, measure=measure)
        chunk, next_cursor = page(rows, cursor, limit)
        return PersonRightsPage(revision=revision, next_cursor=next_cursor,
                                items=[PersonRights(person_id=i, grants=g) for i, g in chunk])

    @get("/{org:str}/mandates", opt={"permission": Permission.MANDATES_MANAGE})
    async def mandates(self, org: str, services: Services, caller: Caller) -> MandateList:
        return MandateList(items=list(await services.mandates.of_organisation(caller, org)))

    @get("/{org:str}/grants", opt={"permission": Permission.GRANTS_READ})
    async def grants(self, org: str, services: Services, caller: Caller) -> GrantList:
        now = services.core.now()
        return GrantList(items=[grant_out(g, now) for g in await services.grants.of_organisation(caller, org)])
