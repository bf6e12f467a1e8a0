"""What the helpline operator's screen does besides the lookup: show one organisation's card and
forward a caller's request to its administrators by e-mail.

Showing a card is a disclosure and is audited (``helpline_disclosure``); a forward queues one outbox
e-mail per administrator with a work e-mail address in the same transaction as its audit event
(``helpline_forward``), so either both happen or neither. The addresses never leave this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec

from rights.domain.errors import NotFound
from rights.domain.model import AuditEvent
from rights.domain.ports import Caller
from rights.domain.services.base import Core
from rights.domain.services.helpline import HelplineCard, contact_of
from rights.domain.services.people import administrator_entries
from rights.domain.services.successions import successors_at
from rights.mail.ports import NewMail, Outbox

_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]+\.[^@\s<>\"]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ./()-]{6,30}$")


class ForwardRequest(msgspec.Struct, frozen=True, kw_only=True):
    caller_name: str
    caller_email: str
    message: str
    caller_phone: str = ""

    def errors(self) -> dict[str, str]:
        """Field -> text key (rights.web.i18n) for each field that is not acceptable."""
        out = {}
        if not 2 <= len(self.caller_name.strip()) <= 200:
            out["caller_name"] = "err_name"
        if len(self.caller_email) > 320 or not _EMAIL.match(self.caller_email.strip()):
            out["caller_email"] = "err_email"
        if self.caller_phone.strip() and not _PHONE.match(self.caller_phone.strip()):
            out["caller_phone"] = "err_phone"
        if not 5 <= len(self.message.strip()) <= 2000:
            out["message"] = "err_message"
        return out


class Card(msgspec.Struct, frozen=True, kw_only=True):
    card: HelplineCard
    reachable: int  # administrators a forward would reach (a work e-mail address is known)


class Desk:
    def __init__(self, core: Core, outbox: Outbox, on_queued: Callable[[], None] | None = None) -> None:
        self.core, self.outbox, self.on_queued = core, outbox, on_queued

    def _event(self, caller: Caller, action: str, org_id: str, details: dict) -> AuditEvent:
        return AuditEvent(
            at=self.core.now(), actor=caller.subject, actor_kind=caller.kind.value, action=action,
            organisation_id=org_id, target=f"organisation:{org_id}", request_id=caller.request_id,
            address=caller.address, details=details,
        )

    async def card(self, caller: Caller, org_id: str) -> Card:
        async with self.core.store.write() as tx:
            org = await tx.get_organisation(org_id)
            if org is None:
                raise NotFound("unknown_organisation", "organisation")
            entries = await administrator_entries(tx, org.id)
            contacts = tuple(contact_of(e, self.core.catalogue) for e in entries)
            policy = self.core.catalogue.org_type(org.type)
            parent = await tx.get_organisation(org.parent_id) if org.parent_id else None
            successor_ids = await successors_at(tx, org.id, self.core.now())
            card = HelplineCard(organisation=org, administrators=contacts, guidance_nl=policy.guidance_nl,
                                guidance_en=policy.guidance_en, parent=parent, match="identifier",
                                succeeded_by=tuple(await tx.get_organisations(successor_ids)) if successor_ids else ())
            await tx.audit(self._event(caller, "helpline_disclosure", org.id, {
                "administrators": len(contacts),
                "contacts_disclosed": sum(1 for c in contacts if c.email or c.phone),
            }))
        return Card(card=card, reachable=sum(1 for e in entries if e.administrator.contact.email))

    async def forward(self, caller: Caller, org_id: str, request: ForwardRequest) -> int:
        """Queue the request for every administrator with a work e-mail; how many it reaches (0: none)."""
        async with self.core.store.write() as tx:
            org = await tx.get_organisation(org_id)
            if org is None:
                raise NotFound("unknown_organisation", "organisation")
            recipients = sorted({e.administrator.contact.email for e in await administrator_entries(tx, org.id)
                                 if e.administrator.contact.email})
            mails = [
                NewMail(kind="helpline_forward", recipient=r, subject=_subject(org.name), body=_body(org.name, request),
                        reply_to=request.caller_email.strip(), organisation_id=org.id)
                for r in recipients
            ]
            ids = await self.outbox.enqueue(mails, now=self.core.now(), tx=tx)
            await tx.audit(self._event(caller, "helpline_forward", org.id, {"recipients": len(ids), "mails": ids}))
        if ids and self.on_queued is not None:
            self.on_queued()
        return len(ids)


def _subject(org_name: str) -> str:
    return f"Vraag via de helpdesk 1700 voor {org_name} / Request via the 1700 helpline"[:255]


def _body(org_name: str, r: ForwardRequest) -> str:
    phone = r.caller_phone.strip() or "-"
    return (
        f"Beste lokale beheerder van {org_name},\n\n"
        "Iemand belde de Vlaamse helpdesk 1700 omdat die niet wist wie de lokale beheerder van uw organisatie is.\n"
        "Wij gaven uw e-mailadres niet door. Antwoord de aanvrager rechtstreeks (antwoorden gaat naar de aanvrager).\n\n"
        f"Naam: {r.caller_name.strip()}\nE-mail: {r.caller_email.strip()}\nTelefoon: {phone}\n\n"
        f"Vraag:\n{r.message.strip()}\n\n"
        "-- \n"
        f"Dear local administrator of {org_name}: someone called the 1700 helpline. Your address was not given out;\n"
        "reply to this e-mail to answer the caller directly.\n"
    )
