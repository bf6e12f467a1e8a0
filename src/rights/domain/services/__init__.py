"""Use cases, composed from the ports. Build them with :func:`build_services`."""

from __future__ import annotations

from dataclasses import dataclass

from rights.domain.catalogue import Catalogue
from rights.domain.errors import Forbidden
from rights.domain.keeper import IndexKeeper
from rights.domain.model import AuditEvent, ChainHead
from rights.domain.ports import Caller, Clock, PrincipalKind, Store, SystemClock
from rights.domain.services.base import ORG_PREFIX, Core, Written, find_organisation
from rights.domain.services.checks import Answer, CheckService, OrganisationRight
from rights.domain.services.grants import GrantService
from rights.domain.services.helpline import HelplineCard, HelplineService
from rights.domain.services.mandates import MandateService
from rights.domain.services.organisations import OrganisationService
from rights.domain.services.people import AdministratorEntry, PeopleService
from rights.domain.services.recertification import RecertificationService
from rights.domain.services.requests import RequestService
from rights.domain.services.successions import SuccessionService


@dataclass(frozen=True)
class Services:
    core: Core
    organisations: OrganisationService
    people: PeopleService
    grants: GrantService
    checks: CheckService
    helpline: HelplineService
    mandates: MandateService
    requests: RequestService
    recertification: RecertificationService
    successions: SuccessionService

    async def audit_events(
        self, caller: Caller, *, organisation_id: str | None, after_id: int, limit: int
    ) -> list[tuple[int, AuditEvent]]:
        if not caller.platform_admin:
            raise Forbidden("forbidden")
        async with self.core.store.read() as tx:
            if organisation_id is not None and not organisation_id.strip().startswith(ORG_PREFIX):
                # Any identifier form (422 when invalid); a valid one nobody holds has no events.
                org = await find_organisation(tx, organisation_id, "organisation")
                if org is None:
                    return []
                organisation_id = org.id
            return await tx.audit_events(organisation_id=organisation_id, after_id=after_id, limit=limit)

    async def audit_head(self, caller: Caller) -> tuple[ChainHead, ChainHead]:
        """The heads of the hash-chained change log and audit trail, for an outside party to witness."""
        if not (caller.platform_admin or caller.kind is PrincipalKind.SERVICE):
            raise Forbidden("forbidden")
        async with self.core.store.read() as tx:
            return await tx.chain_heads()

    async def changes(self, *, after: int, limit: int):
        """The ordered change feed other services keep their caches with."""
        async with self.core.store.read() as tx:
            return await tx.changes(after=after, limit=limit), await tx.latest_revision()


def build_services(
    store: Store, catalogue: Catalogue, clock: Clock | None = None, *, keeper: IndexKeeper | None = None
) -> Services:
    core = Core(store=store, catalogue=catalogue, clock=clock or SystemClock(), keeper=keeper)
    return Services(
        core=core,
        organisations=OrganisationService(core),
        people=PeopleService(core),
        grants=GrantService(core),
        checks=CheckService(core, keeper),
        helpline=HelplineService(core),
        mandates=MandateService(core),
        requests=RequestService(core),
        recertification=RecertificationService(core),
        successions=SuccessionService(core),
    )


__all__ = [
    "AdministratorEntry",
    "Answer",
    "HelplineCard",
    "OrganisationRight",
    "Services",
    "Written",
    "build_services",
]
