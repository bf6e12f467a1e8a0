"""The core's notices (rights.domain.notifications) as outbox e-mails, queued in the writer's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from rights.domain.notifications import Notice
from rights.mail.ports import NewMail, Outbox


class OutboxNotifier:
    def __init__(self, outbox: Outbox, *, base_url: str = "", on_queued: Callable[[], None] | None = None) -> None:
        self.outbox, self.base_url, self.on_queued = outbox, base_url.rstrip("/"), on_queued

    async def enqueue(self, tx: Any, notices: Sequence[Notice], *, now: datetime) -> int:
        mails = [NewMail(kind=n.kind, recipient=n.recipient, subject=n.subject, body=n.body,
                         organisation_id=n.organisation_id) for n in notices]
        return len(await self.outbox.enqueue(mails, now=now, tx=tx)) if mails else 0

    def wake(self) -> None:
        if self.on_queued is not None:
            self.on_queued()
