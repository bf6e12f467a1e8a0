"""Sending the outbox through SMTP: a sender (smtplib, in a thread) and the worker loop.

The worker claims a few due mails under a lease, sends each, and marks it sent as soon as SMTP accepted
it; a 5xx answer fails the mail for good, anything else (4xx, connection refused, time-out) retries with
backoff up to ``max_attempts``. Addresses are never logged, only outbox ids.
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

import structlog

from rights.mail.ports import Mail, Outbox

log = structlog.get_logger("rights.mail")


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmtpSender:
    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def message(self, mail: Mail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = mail.recipient
        msg["Subject"] = mail.subject
        msg["Message-ID"] = mail.message_id  # stable: a resend after a crash is the same message
        msg["Date"] = formatdate(mail.created_at.timestamp(), localtime=False)
        if mail.reply_to:
            msg["Reply-To"] = mail.reply_to
        msg.set_content(mail.body)
        return msg

    def _send_sync(self, mail: Mail) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(self.message(mail))
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError("recipient refused", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"smtp {exc.smtp_code}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(type(exc).__name__, permanent=False) from exc

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._send_sync, mail)


class OutboxWorker:
    def __init__(
        self,
        outbox: Outbox,
        sender: SmtpSender,
        *,
        lease: timedelta = timedelta(minutes=2),
        batch: int = 10,
        max_attempts: int = 8,
        poll_seconds: float = 2.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.outbox, self.sender, self.lease, self.batch = outbox, sender, lease, batch
        self.max_attempts, self.poll_seconds, self.now = max_attempts, poll_seconds, now
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def run_once(self) -> int:
        """Send what is due now; returns how many were sent. Repeats until nothing is due."""
        sent = 0
        while claimed := await self.outbox.claim(now=self.now(), lease=self.lease, limit=self.batch):
            for mail in claimed:
                try:
                    await self.sender.send(mail)
                except SendError as exc:
                    await self.outbox.mark_failed(mail, now=self.now(), error=str(exc), permanent=exc.permanent,
                                                  max_attempts=self.max_attempts)
                    log.warning("mail_send_failed", mail=mail.id, attempts=mail.attempts, error=str(exc),
                                permanent=exc.permanent)
                    continue
                if await self.outbox.mark_sent(mail, now=self.now()):
                    sent += 1
                    log.info("mail_sent", mail=mail.id, kind=mail.kind)
                else:
                    log.warning("mail_claim_lost", mail=mail.id)
            if len(claimed) < self.batch:
                break
        return sent

    def wake(self) -> None:
        """Something was queued: send it without waiting for the next poll."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 - the worker outlives a database hiccup
                log.exception("mail_worker_error")
            self._wake.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="outbox-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
