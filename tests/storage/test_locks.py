"""The single-active lock (``rights ldap follow --lock``): one holder at a time on PostgreSQL; the next
takes over when the first lets go; a waiter can be stopped. SQLite has one machine: it always holds."""

from __future__ import annotations

import asyncio

import pytest

from rights.storage.locks import AdvisoryLock, lock_key


def test_lock_keys_are_stable_and_distinct() -> None:
    assert lock_key("rights ldap follow") == lock_key("rights ldap follow")
    assert lock_key("rights ldap follow") != lock_key("something else")
    assert -(2**63) <= lock_key("rights ldap follow") < 2**63


async def test_sqlite_always_holds(sqlite_url: str) -> None:
    lock = AdvisoryLock(sqlite_url, "rights ldap follow")
    assert await lock.acquire(asyncio.Event())
    await lock.release()


@pytest.mark.postgres
async def test_one_holder_at_a_time_on_postgres(pg_url: str) -> None:
    first, second = AdvisoryLock(pg_url, "rights ldap follow"), AdvisoryLock(pg_url, "rights ldap follow")
    other = AdvisoryLock(pg_url, "another single-active job")
    assert await first.acquire(asyncio.Event())
    assert await other.acquire(asyncio.Event()), "a different name is a different lock"
    stop = asyncio.Event()
    waiting = asyncio.create_task(second.acquire(stop, retry_seconds=0.05))
    await asyncio.sleep(0.3)
    assert not waiting.done(), "the second follower must wait while the first holds the lock"
    await first.release()
    assert await asyncio.wait_for(waiting, 5), "the second takes over once the first lets go"
    # A third one, stopped while it waits (SIGTERM during the wait), gives up cleanly.
    third, stop3 = AdvisoryLock(pg_url, "rights ldap follow"), asyncio.Event()
    task = asyncio.create_task(third.acquire(stop3, retry_seconds=0.05))
    await asyncio.sleep(0.2)
    stop3.set()
    assert await asyncio.wait_for(task, 5) is False
    await second.release()
    await other.release()
