"""`rights serve` beside the bare Litestar app, one worker each, same server, same run (issue 14, item 1).

    .venv/bin/python bench/server.py                        # 10k grants, 2 rounds of 8 s per figure
    .venv/bin/python bench/server.py --grants 300000 --rounds 3 --seconds 10

Servers (each alone while wrk drives it; loopback only):

* `rights serve --workers 1` (granian) on bench/generate.py's data in SQLite;
* the bare app (bench/bare_app.py: the same request shape, no middleware) under granian, one worker;
* both again under uvicorn, one worker, to show which server measures best.

wrk ``-t1 -c32 -dNs`` drives POST /v1/check (1,000 different questions in rotation, a service token)
and GET /healthz. The table gives requests/s and the ratio to the bare app under the same server in
the same round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from generate import Dataset, write  # noqa: E402
from http_check import free_port, lua, questions, wrk  # noqa: E402

VENV = Path(sys.executable).parent
BENCH = Path(__file__).parent


@contextmanager
def running(cmd: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    with log.open("a") as out:
        server = subprocess.Popen(cmd, env=env, stdout=out, stderr=out, cwd=BENCH)
    try:
        t0 = time.perf_counter()
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.perf_counter() - t0 > 300:
                raise SystemExit(f"{cmd[0]} did not start (see {log})")
            time.sleep(0.2)
        time.sleep(1)  # let the index settle (the keeper's first catch-up)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def servers(env: dict[str, str], port: int) -> dict[tuple[str, str], list[str]]:
    bare = "bare_app:create"
    return {
        ("granian", "rights"): [str(VENV / "rights"), "serve", "--workers", "1", "--port", str(port)],
        ("granian", "bare"): [str(VENV / "granian"), "--interface", "asgi", "--factory", "--workers", "1",
                              "--host", "127.0.0.1", "--port", str(port), bare],
        ("uvicorn", "rights"): [str(VENV / "uvicorn"), "--factory", "--workers", "1", "--no-access-log",
                                "--host", "127.0.0.1", "--port", str(port), "rights.api.asgi:create"],
        ("uvicorn", "bare"): [str(VENV / "uvicorn"), "--factory", "--workers", "1", "--no-access-log",
                              "--host", "127.0.0.1", "--port", str(port), bare],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grants", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--servers", default="granian,uvicorn")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rights-server-"))
    db = tmp / "rights.db"
    d = Dataset(args.grants)
    asyncio.run(write(f"sqlite+aiosqlite:///{db}", d))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATA_DIR=str(tmp), RIGHTS_DATABASE_URL=f"sqlite+aiosqlite:///{db}", RIGHTS_LOG_FORMAT="json",
               RIGHTS_SEED_WHEN_EMPTY="false")
    from rights.api.tokens import ensure_dev_key, mint_dev_token
    from rights.domain.ports import PrincipalKind
    from rights.settings import load_settings

    settings = load_settings(env)
    ensure_dev_key(settings.dev_signing_key)  # type: ignore[arg-type]
    token = mint_dev_token(settings, PrincipalKind.SERVICE, "bench")
    qs = questions(d, 1000)
    rights_script = lua(tmp / "rights.lua", token, [json.dumps(q) for q in qs])
    bare_script = lua(tmp / "bare.lua", token, [json.dumps(q) for q in qs])
    log = tmp / "servers.log"
    print(f"{args.grants:,} grants; wrk -t1 -c32 -d{args.seconds}s; logs in {log}\n")
    print("| round | server | endpoint | rights req/s | bare req/s | rights / bare | rights p99 ms | bare p99 ms |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for rnd in range(1, args.rounds + 1):
        for server in args.servers.split(","):
            got: dict[tuple[str, str], dict[str, float]] = {}
            for app in ("rights", "bare"):
                port = free_port()
                with running(servers(env, port)[(server, app)], env, port, log) as base:
                    script = rights_script if app == "rights" else bare_script
                    if app == "rights":
                        probe = httpx.post(f"{base}/v1/check", json=qs[0],
                                           headers={"Authorization": f"Bearer {token}"})
                        probe.raise_for_status()
                    got[(app, "POST /v1/check")] = wrk(base, 32, args.seconds, script, threads=1)
                    got[(app, "GET /healthz")] = wrk(f"{base}/healthz", 32, args.seconds, None, threads=1)
            for endpoint in ("POST /v1/check", "GET /healthz"):
                r, b = got[("rights", endpoint)], got[("bare", endpoint)]
                print(f"| {rnd} | {server} | {endpoint} | {r['rps']:,.0f} | {b['rps']:,.0f} | "
                      f"{r['rps'] / b['rps']:.0%} | {r['p99']:.2f} | {b['p99']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
