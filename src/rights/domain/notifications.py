"""E-mail notifications the core sends, and their texts (Dutch first, English below, plain text).

A use case builds :class:`Notice` values from the functions here and hands them to a :class:`Notifier`
inside its own write transaction, so a notice is queued exactly when the change commits (the adapter,
``rights.mail.notifier.OutboxNotifier``, puts them in the outbox with ``tx=``). Each notice has one
recipient: an administrator's address is never shown to a requester nor to another administrator.

Texts never carry a full national register number (``identifiers.mask_national_number``). Other
features (e.g. recertification reminders) add their texts alongside, as functions returning a Notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import msgspec

from rights.domain import identifiers as ids

SIGNATURE = "-- \nGebruikersbeheer / User management\n"


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # e.g. "request_submitted"
    recipient: str
    subject: str
    body: str
    organisation_id: str | None = None


class Notifier(Protocol):
    """Where notices go: queued with the caller's transaction, sent after it commits."""

    base_url: str

    async def enqueue(self, tx: Any, notices: Sequence[Notice], *, now: datetime) -> int:
        """Queue the notices in ``tx`` (they commit or roll back with it); how many were queued."""
        ...

    def wake(self) -> None:
        """Called after the commit: send what was queued without waiting for the next poll."""
        ...


class NullNotifier:
    """Drops every notice (no outbox configured, e.g. the CLI)."""

    base_url = ""

    async def enqueue(self, tx: Any, notices: Sequence[Notice], *, now: datetime) -> int:
        return 0

    def wake(self) -> None:
        return None


def _day(value: datetime) -> str:
    return value.strftime("%d/%m/%Y")


def right_text(app: str, role: str, measure: str | None) -> str:
    return f"{app} — {role}" + (f" — {measure}" if measure else "")


# --- self-registration requests (rights.domain.services.requests) ------------------------------------


def request_submitted(
    *, recipient: str, organisation_id: str, org_name: str, requester: str, national_number: str,
    right: str, motivation: str, contact_email: str | None, link: str,
) -> Notice:
    """To one administrator who can decide the request."""
    masked = ids.mask_national_number(national_number)
    contact = contact_email or "-"
    body = (
        f"Beste lokale beheerder van {org_name},\n\n"
        f"{requester} ({masked}) vraagt een gebruikersrecht aan voor {org_name}:\n"
        f"  {right}\n\n"
        f"Motivering:\n{motivation}\n\n"
        f"E-mailadres van de aanvrager: {contact}\n\n"
        f"Keur de aanvraag goed of weiger ze op het scherm van uw organisatie:\n{link}\n"
        "Deze e-mail ging enkel naar u; de aanvrager kent uw e-mailadres niet.\n\n"
        "----\n\n"
        f"Dear local administrator of {org_name},\n\n"
        f"{requester} ({masked}) requests a user right for {org_name}:\n"
        f"  {right}\n\n"
        f"Motivation: see above. Requester's e-mail address: {contact}\n\n"
        f"Approve or refuse the request on your organisation's screen:\n{link}\n"
        "This e-mail went to you only; the requester does not know your e-mail address.\n\n"
        + SIGNATURE
    )
    subject = f"Aanvraag gebruikersrecht voor {org_name} / Request for a user right"
    return Notice(kind="request_submitted", recipient=recipient, subject=subject[:255], body=body,
                  organisation_id=organisation_id)


def request_approved(
    *, recipient: str, organisation_id: str, org_name: str, requester: str, right: str,
    valid_from: datetime, valid_until: datetime, link: str,
) -> Notice:
    """To the requester: the right was granted."""
    body = (
        f"Beste {requester},\n\n"
        f"Uw aanvraag werd goedgekeurd door een lokale beheerder van {org_name}.\n"
        f"U hebt nu het recht:\n  {right}\n"
        f"geldig van {_day(valid_from)} tot en met {_day(valid_until)}.\n\n"
        f"Uw rechten: {link}\n\n"
        "----\n\n"
        f"Dear {requester},\n\n"
        f"Your request was approved by a local administrator of {org_name}.\n"
        f"You now hold the right:\n  {right}\n"
        f"valid from {_day(valid_from)} until {_day(valid_until)}.\n\n"
        f"Your rights: {link}\n\n"
        + SIGNATURE
    )
    subject = f"Uw aanvraag is goedgekeurd ({org_name}) / Your request was approved"
    return Notice(kind="request_approved", recipient=recipient, subject=subject[:255], body=body,
                  organisation_id=organisation_id)


def request_refused(
    *, recipient: str, organisation_id: str, org_name: str, requester: str, right: str, reason: str, link: str,
) -> Notice:
    """To the requester: refused, with the administrator's reason."""
    body = (
        f"Beste {requester},\n\n"
        f"Uw aanvraag voor het recht\n  {right}\n"
        f"werd geweigerd door een lokale beheerder van {org_name}.\n\n"
        f"Reden:\n{reason}\n\n"
        f"Uw aanvragen: {link}\n\n"
        "----\n\n"
        f"Dear {requester},\n\n"
        f"Your request for the right\n  {right}\n"
        f"was refused by a local administrator of {org_name}.\n\n"
        f"Reason: see above.\n\n"
        f"Your requests: {link}\n\n"
        + SIGNATURE
    )
    subject = f"Uw aanvraag is geweigerd ({org_name}) / Your request was refused"
    return Notice(kind="request_refused", recipient=recipient, subject=subject[:255], body=body,
                  organisation_id=organisation_id)
