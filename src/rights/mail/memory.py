"""The in-memory outbox: the same behaviour as the SQL one, for unit tests and the storeless demo."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from typing import Any

import msgspec

from rights.mail.ports import Mail, MailStatus, NewMail, backoff, new_mail_id


class MemoryOutbox:
    def __init__(self) -> None:
        self._rows: dict[str, Mail] = {}
        self._lock = asyncio.Lock()

    async def enqueue(self, mails: list[NewMail], *, now: datetime, tx: Any = None) -> list[str]:
        ids = []
        async with self._lock:
            for m in mails:
                mail = Mail(id=new_mail_id(), status=MailStatus.PENDING, attempts=0, created_at=now,
                            next_attempt_at=now, **msgspec.structs.asdict(m))
                self._rows[mail.id] = mail
                ids.append(mail.id)
        return ids

    async def claim(self, *, now: datetime, lease: timedelta, limit: int = 10) -> list[Mail]:
        async with self._lock:
            due = [
                m for m in sorted(self._rows.values(), key=lambda m: (m.next_attempt_at, m.id))
                if (m.status is MailStatus.PENDING and m.next_attempt_at <= now)
                or (m.status is MailStatus.SENDING and m.lease_until is not None and m.lease_until <= now)
            ][:limit]
            claimed = []
            for m in due:
                m = msgspec.structs.replace(m, status=MailStatus.SENDING, attempts=m.attempts + 1,
                                            claim_token=secrets.token_hex(16), lease_until=now + lease)
                self._rows[m.id] = m
                claimed.append(m)
            return claimed

    def _held(self, mail: Mail) -> Mail | None:
        row = self._rows.get(mail.id)
        if row is None or row.status is not MailStatus.SENDING or row.claim_token != mail.claim_token:
            return None
        return row

    async def mark_sent(self, mail: Mail, *, now: datetime) -> bool:
        async with self._lock:
            if (row := self._held(mail)) is None:
                return False
            self._rows[row.id] = msgspec.structs.replace(
                row, status=MailStatus.SENT, sent_at=now, claim_token=None, lease_until=None)
            return True

    async def mark_failed(self, mail: Mail, *, now: datetime, error: str, permanent: bool, max_attempts: int) -> None:
        async with self._lock:
            if (row := self._held(mail)) is None:
                return
            give_up = permanent or row.attempts >= max_attempts
            self._rows[row.id] = msgspec.structs.replace(
                row, status=MailStatus.FAILED if give_up else MailStatus.PENDING, claim_token=None,
                lease_until=None, last_error=error[:500], next_attempt_at=now + backoff(row.attempts))

    async def get(self, mail_id: str) -> Mail | None:
        return self._rows.get(mail_id)

    async def list(self, *, status: MailStatus | None = None) -> list[Mail]:
        return [m for m in sorted(self._rows.values(), key=lambda m: (m.created_at, m.id))
                if status is None or m.status is status]
