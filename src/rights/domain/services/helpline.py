"""The 1700 helpline: who is the local administrator of this organisation?

Answers the minimum: administrators' names, their work contact only where they agreed, and the guidance
for the organisation's type. Every lookup is audited with what it disclosed.
"""

from __future__ import annotations

import re

import msgspec

from rights.domain import identifiers as ids
from rights.domain import lookup
from rights.domain.catalogue import Catalogue
from rights.domain.model import AuditEvent, Organisation
from rights.domain.ports import Caller
from rights.domain.services.base import Core
from rights.domain.services.people import AdministratorEntry, administrator_entries
from rights.domain.services.successions import successors_at

_LOOKS_LIKE_NATIONAL_NUMBER = re.compile(r"^\s*\d{2}[.\s]?\d{2}[.\s]?\d{2}[-.\s]?\d{3}[.\s]?\d{2}\s*$")


class AdministratorContact(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    main: bool
    email: str | None = None
    phone: str | None = None
    # The names of the applications this administrator handles; None: every application.
    applications: tuple[str, ...] | None = None


class HelplineCard(msgspec.Struct, frozen=True, kw_only=True):
    organisation: Organisation
    administrators: tuple[AdministratorContact, ...]
    guidance_nl: str
    guidance_en: str
    parent: Organisation | None = None
    match: str = "name"  # rights.domain.lookup.MatchKind: how the query found it
    # Successions (issue 17): who answers for this organisation now, or whom it answers for.
    succeeded_by: tuple[Organisation, ...] = ()
    succeeds: tuple[Organisation, ...] = ()


def safe_query(q: str) -> str:
    """The query as it may be audited: a national register number is masked."""
    if _LOOKS_LIKE_NATIONAL_NUMBER.match(q):
        return ids.mask_national_number(q)
    return q


def contact_of(entry: AdministratorEntry, catalogue: Catalogue) -> AdministratorContact:
    """What the helpline may say of an administrator: contact only where disclosed, and their applications."""
    a = entry.administrator
    apps = catalogue.applications
    return AdministratorContact(
        name=entry.person.display_name, main=a.main,
        email=a.contact.email if a.contact.disclose else None,
        phone=a.contact.phone if a.contact.disclose else None,
        applications=None if a.applications is None else tuple(
            apps[c].name if c in apps else c for c in a.applications),
    )


class HelplineService:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def _find(self, tx, q: str, limit: int) -> list[lookup.Match]:
        return await lookup.find(tx, q, limit=limit)

    async def lookup(self, caller: Caller, q: str, *, limit: int = 10) -> list[HelplineCard]:
        q = q.strip()
        cards: list[HelplineCard] = []
        async with self.core.store.write() as tx:
            orgs = await self._find(tx, q, limit) if q else []
            now = self.core.now()
            queue = [(found.organisation, found.kind.value, ()) for found in orgs]
            seen = {org.id for org, _, _ in queue}
            # A predecessor found by its old names or numbers brings its successors along (issue 17).
            for org, match, _ in list(queue):
                successor_ids = await successors_at(tx, org.id, now)
                for successor in await tx.get_organisations([o for o in successor_ids if o not in seen]):
                    queue.append((successor, match, (org,)))
                    seen.add(successor.id)
            for org, match, succeeds in queue:
                successor_ids = await successors_at(tx, org.id, now)
                succeeded_by = tuple(await tx.get_organisations(successor_ids)) if successor_ids else ()
                policy = self.core.catalogue.org_type(org.type)
                contacts = tuple(contact_of(e, self.core.catalogue) for e in await administrator_entries(tx, org.id))
                parent = await tx.get_organisation(org.parent_id) if org.parent_id else None
                cards.append(
                    HelplineCard(
                        organisation=org, administrators=contacts, guidance_nl=policy.guidance_nl,
                        guidance_en=policy.guidance_en, parent=parent, match=match,
                        succeeded_by=succeeded_by, succeeds=succeeds,
                    )
                )
            await tx.audit(
                AuditEvent(
                    at=self.core.now(), actor=caller.subject, actor_kind=caller.kind.value,
                    action="helpline_lookup", request_id=caller.request_id, address=caller.address,
                    details={
                        "query": safe_query(q),
                        "results": [c.organisation.id for c in cards],
                        "disclosed": sum(1 for c in cards for a in c.administrators if a.email or a.phone),
                    },
                )
            )
        return cards
