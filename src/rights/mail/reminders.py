"""Recertification reminders into the outbox, in the caller's store transaction (so the e-mails commit
with the items' ``reminded_at`` marker, or neither does)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rights.domain.services.recertification import ReminderMail
from rights.mail.ports import NewMail, Outbox

KIND = "recertification_reminder"


class OutboxReminders:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def queue(self, tx: Any, mails: Sequence[ReminderMail], *, now: datetime) -> list[str]:
        return await self.outbox.enqueue(
            [NewMail(kind=KIND, recipient=m.recipient, subject=m.subject, body=m.body, organisation_id=m.organisation_id)
             for m in mails],
            now=now, tx=tx,
        )
