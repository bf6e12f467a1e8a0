"""PostgreSQL LISTEN for committed writes, so every process's index wakes up at once.

``record()`` sends ``pg_notify('rights_changes', revision)`` inside the write's transaction; PostgreSQL
delivers it at commit. The change table stays the source of truth: a notification only says "look".
The listener keeps its own connection and reconnects with back-off if it drops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog
from sqlalchemy.engine import URL

log = structlog.get_logger("rights.notify")


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(url: URL, channel: str, on_change: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    """Start listening in the background; returns the coroutine function that stops it."""
    stopped = asyncio.Event()

    async def keep_listening() -> None:
        delay = 0.1
        while not stopped.is_set():
            conn = None
            try:
                conn = await asyncpg.connect(_dsn(url), timeout=10)
                await conn.add_listener(channel, lambda *_: on_change())
                delay = 0.1
                on_change()  # catch up on anything committed while we were not listening
                lost = asyncio.Event()
                conn.add_termination_listener(lambda *_, lost=lost: lost.set())
                await asyncio.wait(
                    [asyncio.create_task(stopped.wait()), asyncio.create_task(lost.wait())],
                    return_when=asyncio.FIRST_COMPLETED,
                )
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("listen_failed", error=type(exc).__name__, retry_in=delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopped.wait(), delay)
                delay = min(delay * 2, 10.0)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)

    task = asyncio.create_task(keep_listening(), name="rights-listen")

    async def stop() -> None:
        stopped.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)

    return stop
