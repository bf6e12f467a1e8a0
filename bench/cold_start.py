"""Cold start of `rights serve` to /readyz 200, with and without the index snapshot (issue 14, item 6).

    .venv/bin/python bench/cold_start.py                      # 100k grants, SQLite, 2 rounds
    .venv/bin/python bench/cold_start.py --grants 300000 --rounds 3
    .venv/bin/python bench/cold_start.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/rights_cold

Writes bench/generate.py's data into a fresh database, then starts `rights serve --workers 1` again and
again, each time until /readyz answers 200 (the lifespan has built or restored the index by then):

* baseline: no RIGHTS_INDEX_SNAPSHOT, the index is streamed from the store;
* "writes": RIGHTS_INDEX_SNAPSHOT set but no file yet, so it streams from the store and writes one;
* "from snapshot": the file exists and is this database's; after the first round the bench adds
  writes (a revoked grant per round) so the snapshot is also stale and caught up from the change log.

Each start is its own process; the table gives seconds to ready and the ratio to the baseline of the
same round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from generate import Dataset, recreate_pg, write  # noqa: E402
from http_check import free_port  # noqa: E402

RIGHTS = Path(sys.executable).with_name("rights")


def ready_after(env: dict[str, str], log: Path) -> float:
    port = free_port()
    t0 = time.perf_counter()
    with log.open("a") as out:
        server = subprocess.Popen([str(RIGHTS), "serve", "--workers", "1", "--port", str(port)],
                                  env=env, stdout=out, stderr=out)
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.perf_counter() - t0 > 900:
                raise SystemExit(f"rights serve did not get ready (see {log})")
            time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=60)


async def revoke_one(url: str, n: int) -> None:
    """A write after the snapshot: the next start must catch it up from the change log."""
    from rights.domain.commands import Revocation
    from rights.domain.ports import Caller, PrincipalKind
    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.storage import create_store

    store = create_store(url)
    try:
        services = build_services(store, load_catalogue(default_policies_dir()))
        async with store.read() as tx:
            grants = tx.stream_grants()
            grant = None
            async for g in grants:
                if g.revoked_at is None:
                    n -= 1
                    if n < 0:
                        grant = g
                        break
        assert grant is not None
        await services.grants.revoke(Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="bench"), grant.id,
                                     Revocation(reason="bench"))
    finally:
        await store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grants", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--postgres", help="a PostgreSQL URL (the database is dropped and recreated)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rights-cold-"))
    url = args.postgres or f"sqlite+aiosqlite:///{tmp / 'rights.db'}"
    if args.postgres:
        asyncio.run(recreate_pg(url))
    t0 = time.perf_counter()
    asyncio.run(write(url, Dataset(args.grants)))
    print(f"wrote {args.grants:,} grants ({'PostgreSQL' if args.postgres else 'SQLite'}) in "
          f"{time.perf_counter() - t0:.0f} s")
    asyncio.run(revoke_one(url, 0))  # the generator writes no change log: a snapshot names the history by it
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATA_DIR=str(tmp), RIGHTS_DATABASE_URL=url, RIGHTS_LOG_FORMAT="json",
               RIGHTS_SEED_WHEN_EMPTY="false")
    snapshot = tmp / "index.snapshot"
    log = tmp / "serve.log"
    print("\n| round | from the store (s) | store + writing the snapshot (s) | from the snapshot (s) | snapshot MiB "
          "| store / snapshot |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for rnd in range(1, args.rounds + 1):
        snapshot.unlink(missing_ok=True)
        store = ready_after(env, log)
        writing = ready_after({**env, "RIGHTS_INDEX_SNAPSHOT": str(snapshot)}, log)
        if not snapshot.exists():
            raise SystemExit(f"no snapshot was written (see {log})")
        asyncio.run(revoke_one(url, rnd * 10))
        restored = ready_after({**env, "RIGHTS_INDEX_SNAPSHOT": str(snapshot)}, log)
        size = snapshot.stat().st_size / 2**20
        print(f"| {rnd} | {store:.1f} | {writing:.1f} | {restored:.1f} | {size:.0f} | {store / restored:.1f}× |")


if __name__ == "__main__":
    main()
