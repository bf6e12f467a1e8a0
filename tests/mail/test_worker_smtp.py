"""The worker against a real SMTP server (aiosmtpd on loopback): sends once, retries, gives up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rights.mail.memory import MemoryOutbox
from rights.mail.ports import MailStatus, NewMail
from rights.mail.sender import OutboxWorker, SmtpSender
from tests.mail.conftest import free_port

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def mail(to: str = "hr@dupre.example") -> NewMail:
    return NewMail(kind="helpline_forward", recipient=to, subject="Vraag via 1700", body="Beste beheerder",
                   reply_to="caller@example.be")


async def test_worker_sends_each_mail_once_with_a_stable_message_id(outbox, smtp) -> None:
    inbox, port = smtp
    ids = await outbox.enqueue([mail("a@example.be"), mail("b@example.be")], now=T0)
    clock = Clock()
    worker = OutboxWorker(outbox, SmtpSender("127.0.0.1", port, "noreply@rights.invalid"), now=clock)
    assert await worker.run_once() == 2
    clock.at += timedelta(hours=1)
    assert await worker.run_once() == 0  # sent mails are never sent again
    got = sorted(inbox.messages, key=lambda m: m["To"])
    assert [m["To"] for m in got] == ["a@example.be", "b@example.be"]
    assert sorted(m["Message-ID"] for m in got) == sorted(f"<{i}@rights>" for i in ids)
    assert got[0]["Reply-To"] == "caller@example.be" and got[0]["From"] == "noreply@rights.invalid"


async def test_crash_after_claim_is_sent_once_by_the_next_worker(outbox, smtp) -> None:
    inbox, port = smtp
    await outbox.enqueue([mail()], now=T0)
    await outbox.claim(now=T0, lease=timedelta(minutes=2))  # a worker claimed it and died before SMTP
    clock = Clock()
    worker = OutboxWorker(outbox, SmtpSender("127.0.0.1", port, "noreply@rights.invalid"), now=clock)
    assert await worker.run_once() == 0  # still leased to the dead worker
    clock.at += timedelta(minutes=2)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert len(inbox.messages) == 1


async def test_temporary_refusal_retries_and_permanent_refusal_gives_up(smtp) -> None:
    inbox, port = smtp
    outbox, clock = MemoryOutbox(), Clock()
    worker = OutboxWorker(outbox, SmtpSender("127.0.0.1", port, "noreply@rights.invalid"), now=clock)
    await outbox.enqueue([mail()], now=T0)
    inbox.refuse = "451 4.3.0 try again later"
    assert await worker.run_once() == 0
    [pending] = await outbox.list()
    assert pending.status is MailStatus.PENDING and pending.attempts == 1
    inbox.refuse = None
    clock.at += timedelta(minutes=1)
    assert await worker.run_once() == 1 and len(inbox.messages) == 1
    await outbox.enqueue([mail("nobody@example.be")], now=clock.at)
    inbox.refuse = "550 5.1.1 no such user"
    await worker.run_once()
    assert [m.status for m in await outbox.list()] == [MailStatus.SENT, MailStatus.FAILED]


async def test_unreachable_server_is_a_transient_failure() -> None:
    outbox = MemoryOutbox()
    worker = OutboxWorker(outbox, SmtpSender("127.0.0.1", free_port(), "noreply@rights.invalid", timeout=2))
    await outbox.enqueue([mail()], now=datetime.now(UTC))
    assert await worker.run_once() == 0
    [m] = await outbox.list()
    assert m.status is MailStatus.PENDING and m.last_error
