"""Cross-process freshness: a grant written through process A, answered "yes" by process B (issue 3).

    .venv/bin/python bench/freshness.py            # 200 grants and 200 revocations

Creates a fresh PostgreSQL database (dropped at the end), migrates and seeds it with the demo data, and
starts two granian processes (``rights.api.asgi:create``, one worker each) on it. Then, 200 times: Sofie
(an administrator of Bakkerij Peeters) grants An a right through A; the clock starts when A's response
arrives (the write is committed) and stops at the first "yes" from B, which is polled back to back with
POST /v1/check (about one round trip per poll, so the resolution is that round trip). The grant is then
revoked through A and B polled until "no", timed the same way. B learns of writes by LISTEN/NOTIFY
(polling every RIGHTS_INDEX_POLL_SECONDS as the fallback). The baseline, in the same run, is one poll's
round trip on B (a check that is already answered).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from generate import recreate_pg  # noqa: E402

VENV = Path(sys.executable).parent
SOFIE, AN, BAKKERIJ = "90021714288", "85073003328", "0723145688"  # seeds/demo.yaml
ROLE, MEASURE = "DWSEOrganisatieverantwoordelijke", "AWI"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1]


async def measure(a: str, b: str, admin: str, service: str, n: int) -> dict[str, list[float]]:
    question = {"person": AN, "organisation": BAKKERIJ, "role": ROLE, "measure": MEASURE}
    out: dict[str, list[float]] = {"grant": [], "revoke": [], "polls": [], "poll_rtt": []}
    async with (httpx.AsyncClient(base_url=a, headers={"Authorization": f"Bearer {admin}"}) as on_a,
                httpx.AsyncClient(base_url=b, headers={"Authorization": f"Bearer {service}"}) as on_b):

        async def until(allowed: bool) -> tuple[float, int]:
            t0, polls = time.perf_counter(), 0
            while True:
                polls += 1
                r = (await on_b.post("/v1/check", json=question)).json()
                if r["allowed"] is allowed:
                    return (time.perf_counter() - t0) * 1000, polls
                if time.perf_counter() - t0 > 10:
                    raise SystemExit(f"B did not see the write within 10 s: {r}")

        for _ in range(n):
            made = await on_a.post("/v1/grants", json={**question, "person": AN, "reason": "freshness bench"})
            made.raise_for_status()
            ms, polls = await until(True)
            out["grant"].append(ms)
            out["polls"].append(polls)
            gone = await on_a.post(f"/v1/grants/{made.json()['grant']['id']}/revoke", json={"reason": "bench"})
            gone.raise_for_status()
            out["revoke"].append((await until(False))[0])
        for _ in range(200):
            t0 = time.perf_counter()
            await on_b.post("/v1/check", json=question)
            out["poll_rtt"].append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--writes", type=int, default=200)
    ap.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/rights_bench_freshness")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rights-fresh-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATA_DIR=str(tmp), RIGHTS_DATABASE_URL=args.postgres, RIGHTS_LOG_FORMAT="json",
               RIGHTS_LOG_LEVEL="WARNING")
    asyncio.run(recreate_pg(args.postgres))
    rights = str(VENV / "rights")
    subprocess.run([rights, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([rights, "seed"], env=env, check=True, capture_output=True)
    from rights.api.tokens import ensure_dev_key, mint_dev_token
    from rights.domain.ports import PrincipalKind
    from rights.settings import load_settings

    settings = load_settings(env)
    ensure_dev_key(settings.dev_signing_key)  # type: ignore[arg-type]
    admin = mint_dev_token(settings, PrincipalKind.PERSON, SOFIE)
    service = mint_dev_token(settings, PrincipalKind.SERVICE, "bench")
    ports = [free_port(), free_port()]
    servers = [subprocess.Popen([str(VENV / "granian"), "--interface", "asgi", "--factory", "--host", "127.0.0.1",
                                 "--port", str(p), "--workers", "1", "rights.api.asgi:create"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    a, b = (f"http://127.0.0.1:{p}" for p in ports)
    try:
        for url in (a, b):
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{url} did not start")
                time.sleep(0.3)
        r = asyncio.run(measure(a, b, admin, service, args.writes))
    finally:
        for s in servers:
            s.terminate()
        for s in servers:
            s.wait(timeout=30)
        asyncio.run(_drop(args.postgres))
    print(f"{args.writes} grants and {args.writes} revocations through A, polled on B (PostgreSQL, LISTEN/NOTIFY)")
    print("| event | n | p50 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for key, label in (("grant", "grant on A -> yes on B"), ("revoke", "revocation on A -> no on B"),
                       ("poll_rtt", "baseline: one check round trip on B")):
        xs = r[key]
        print(f"| {label} | {len(xs)} | {pct(xs, 50):.2f} | {pct(xs, 99):.2f} | {max(xs):.2f} |")
    print(f"polls until yes: median {statistics.median(r['polls']):.0f}, max {max(r['polls'])}")


async def _drop(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = await asyncpg.connect(parsed.set(drivername="postgresql", database="postgres").render_as_string(False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
