"""The write path's cost of the hash chains (issue 10 item 9): one grant write, as the store sees it.

    .venv/bin/python bench/chain_write.py [--pg URL] [-n 2000]

Each write is one ``store.write()`` transaction doing the appends a grant write makes (the part the chains
change): one to the change log (``record``) and one to the audit trail (``audit``), with a payload of a
grant's size. Runs on a fresh SQLite file
and, with ``--pg``, a fresh PostgreSQL database (dropped at the end). Prints the median and p95 per
write. Compare with the same script run on a tree without the chains (``git stash`` or an older
commit), in the same session: the figures drift between runs on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from rights.domain.model import AuditEvent
from rights.storage import SqlStore, create_store, default_sqlite_url
from rights.storage.migrate import upgrade


async def writes(store: SqlStore, n: int) -> list[float]:
    out = []
    cpu0 = time.process_time()
    for i in range(n):
        t0 = time.perf_counter()
        async with store.write() as tx:
            rev = await tx.record(kind="grant_created", entity="grant", entity_id=f"gr_bench{i}",
                                  data={"role": "R", "measure": None, "person_id": "per_x", "i": i}, actor="bench")
            await tx.audit(AuditEvent(at=datetime.now(UTC), actor="bench", actor_kind="person",
                                      action="grant_created", organisation_id="org_x", target=f"grant:gr_bench{i}",
                                      request_id="r", address="127.0.0.1", details={"revision": rev}))
        out.append((time.perf_counter() - t0) * 1000)
    print(f"  this process's CPU: {(time.process_time() - cpu0) * 1000 / n:.3f} ms per write")
    return out


def report(name: str, xs: list[float]) -> None:
    xs = xs[len(xs) // 10:]  # drop the warm-up tenth
    p95 = statistics.quantiles(xs, n=20)[18]
    print(f"{name}: median {statistics.median(xs):.3f} ms, p95 {p95:.3f} ms per write ({len(xs)} writes)")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", default=None)
    ap.add_argument("-n", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        url = default_sqlite_url(Path(d))
        await upgrade(url)
        store = create_store(url)
        report("sqlite", await writes(store, args.n))
        await store.close()
    if args.pg:
        name = f"rights_bench_{secrets.token_hex(4)}"
        server = make_url(args.pg).set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(server)
        await conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(args.pg).set(drivername="postgresql+asyncpg", database=name).render_as_string(
                hide_password=False)
            await upgrade(url)
            store = create_store(url)
            report("postgresql", await writes(store, args.n))
            await store.close()
        finally:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
