"""Issue 15 item 4: the rate-limit window counter, one conformance suite for the database counter
(SQLite and PostgreSQL) and its in-memory twin; across engines the limit holds under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from tests.conftest import run_in_thread

from rights.api.ratelimit import LookupLimiter
from rights.domain.ports import Caller, PrincipalKind
from rights.storage import create_store
from rights.storage.migrate import upgrade
from rights.storage.ratelimit import MemoryWindowCounter, SqlWindowCounter


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def counter(request: pytest.FixtureRequest) -> AsyncIterator[object]:
    if request.param == "memory":
        yield MemoryWindowCounter()
        return
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    run_in_thread(upgrade, url)
    store = create_store(url)
    try:
        yield SqlWindowCounter(store.engine)
    finally:
        await store.close()


async def test_counts_up_to_the_limit_per_key_and_minute(counter) -> None:
    assert [await counter.hit("k", 100, 3) for _ in range(5)] == [True, True, True, False, False]
    assert await counter.hit("other", 100, 3)  # another caller has its own count
    assert await counter.hit("k", 101, 3)  # a new minute starts afresh
    assert [await counter.hit("k", 101, 3) for _ in range(3)] == [True, True, False]


async def test_refused_hits_are_not_counted(counter) -> None:
    for _ in range(10):
        await counter.hit("k", 100, 2)
    assert not await counter.hit("k", 100, 2)
    assert await counter.hit("k", 100, 3)  # only the two allowed hits were counted


async def test_the_limit_holds_across_engines_under_concurrency(store_url: str) -> None:
    """Two connection pools (as two processes have) hitting one key at once: exactly the limit passes."""
    stores = [create_store(store_url), create_store(store_url)]
    try:
        counters = [SqlWindowCounter(s.engine) for s in stores]
        results = await asyncio.gather(*(counters[i % 2].hit("operator", 7, 5) for i in range(24)))
        assert sum(results) == 5
    finally:
        for s in stores:
            await s.close()


async def test_the_limiter_counts_refusals_and_resets() -> None:
    now = [6000.0]
    limiter = LookupLimiter(2, MemoryWindowCounter(), clock=lambda: now[0])
    op = Caller(kind=PrincipalKind.HELPLINE, subject="helpline:op1")
    assert [await limiter.allow(op) for _ in range(3)] == [True, True, False]
    assert limiter.refused == 1 and limiter.retry_after() == 60
    now[0] += 45
    assert limiter.retry_after() == 15 and not await limiter.allow(op)
    limiter.reset()
    assert await limiter.allow(op)
    now[0] += 15  # the next minute
    assert await limiter.allow(op) and await limiter.allow(op)
