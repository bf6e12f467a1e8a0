"""The outbox port: what the helpline queues and what the worker claims, sends and marks.

Delivery is at-least-once with a narrow window: a row is claimed (status ``sending``, a lease and a
claim token) in one transaction, handed to SMTP, and marked ``sent`` right after SMTP accepted it. A
worker that dies before marking leaves the row to be claimed again once the lease expires; each
e-mail carries a stable Message-ID (``<outbox id@rights>``) so a resend after such a crash is
recognisable as the same message.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up: permanent refusal or too many attempts


class NewMail(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # e.g. "helpline_forward"
    recipient: str
    subject: str
    body: str
    reply_to: str | None = None
    organisation_id: str | None = None


class Mail(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    recipient: str
    subject: str
    body: str
    status: MailStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    reply_to: str | None = None
    organisation_id: str | None = None
    claim_token: str | None = None
    lease_until: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None

    @property
    def message_id(self) -> str:
        return f"<{self.id}@rights>"


def new_mail_id() -> str:
    return "mail_" + secrets.token_hex(8)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class Outbox(Protocol):
    async def enqueue(self, mails: list[NewMail], *, now: datetime, tx: Any = None) -> list[str]:
        """Queue mails; with ``tx`` (a store transaction) they commit or roll back with it."""
        ...

    async def claim(self, *, now: datetime, lease: timedelta, limit: int = 10) -> list[Mail]:
        """Due pending rows and rows whose lease expired, now ``sending`` under a fresh claim token."""
        ...

    async def mark_sent(self, mail: Mail, *, now: datetime) -> bool:
        """False when the claim was lost (lease expired and another worker took it)."""
        ...

    async def mark_failed(self, mail: Mail, *, now: datetime, error: str, permanent: bool, max_attempts: int) -> None:
        """Back to ``pending`` after a backoff, or ``failed`` when permanent or out of attempts."""
        ...

    async def get(self, mail_id: str) -> Mail | None: ...

    async def list(self, *, status: MailStatus | None = None) -> list[Mail]: ...
