"""One suite for every outbox (memory twin, SQLite, PostgreSQL): claim, lease, retry, no double claim."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from rights.mail.ports import MailStatus, NewMail

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def mails(n: int) -> list[NewMail]:
    return [NewMail(kind="helpline_forward", recipient=f"admin{i}@example.be", subject=f"s{i}", body="b",
                    reply_to="caller@example.be", organisation_id="org_1") for i in range(n)]


async def test_queued_mail_is_claimed_once_and_marked_sent(outbox) -> None:
    [mail_id] = await outbox.enqueue(mails(1), now=T0)
    [claimed] = await outbox.claim(now=T0, lease=LEASE)
    assert (claimed.id, claimed.status, claimed.attempts) == (mail_id, MailStatus.SENDING, 1)
    assert claimed.reply_to == "caller@example.be" and claimed.message_id == f"<{mail_id}@rights>"
    assert await outbox.claim(now=T0 + timedelta(seconds=1), lease=LEASE) == []  # leased: nobody else
    assert await outbox.mark_sent(claimed, now=T0) is True
    assert await outbox.claim(now=T0 + timedelta(hours=1), lease=LEASE) == []  # sent: never again
    assert (await outbox.get(mail_id)).status is MailStatus.SENT


async def test_a_crashed_claim_is_taken_over_after_the_lease_and_the_old_claim_cannot_mark(outbox) -> None:
    await outbox.enqueue(mails(1), now=T0)
    [first] = await outbox.claim(now=T0, lease=LEASE)  # this worker dies without marking
    [second] = await outbox.claim(now=T0 + LEASE, lease=LEASE)
    assert second.id == first.id and second.attempts == 2 and second.claim_token != first.claim_token
    assert await outbox.mark_sent(first, now=T0 + LEASE) is False  # the lost claim changes nothing
    assert await outbox.mark_sent(second, now=T0 + LEASE) is True
    assert [m.status for m in await outbox.list()] == [MailStatus.SENT]


async def test_transient_failure_retries_after_backoff_then_gives_up(outbox) -> None:
    await outbox.enqueue(mails(1), now=T0)
    [m] = await outbox.claim(now=T0, lease=LEASE)
    await outbox.mark_failed(m, now=T0, error="451 later", permanent=False, max_attempts=2)
    assert await outbox.claim(now=T0 + timedelta(seconds=10), lease=LEASE) == []  # backing off
    [m] = await outbox.claim(now=T0 + timedelta(seconds=30), lease=LEASE)
    await outbox.mark_failed(m, now=T0 + timedelta(seconds=30), error="451 later", permanent=False, max_attempts=2)
    failed = await outbox.list(status=MailStatus.FAILED)
    assert [(f.attempts, f.last_error) for f in failed] == [(2, "451 later")]
    assert await outbox.claim(now=T0 + timedelta(days=1), lease=LEASE) == []


async def test_permanent_failure_is_not_retried(outbox) -> None:
    await outbox.enqueue(mails(1), now=T0)
    [m] = await outbox.claim(now=T0, lease=LEASE)
    await outbox.mark_failed(m, now=T0, error="550 unknown user", permanent=True, max_attempts=8)
    assert (await outbox.list())[0].status is MailStatus.FAILED
    assert await outbox.claim(now=T0 + timedelta(days=1), lease=LEASE) == []


async def test_concurrent_claimers_never_share_a_mail(outbox) -> None:
    await outbox.enqueue(mails(12), now=T0)
    batches = await asyncio.gather(*(outbox.claim(now=T0, lease=LEASE, limit=5) for _ in range(4)))
    ids = [m.id for batch in batches for m in batch]
    assert len(ids) == 12 and len(set(ids)) == 12


async def test_nothing_queued_nothing_claimed(outbox) -> None:
    assert await outbox.enqueue([], now=T0) == []
    assert await outbox.claim(now=T0, lease=LEASE) == []
