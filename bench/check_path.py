"""The server's own time per request, in process: /v1/check and a 1,000-question batch beside /healthz.

    .venv/bin/python bench/check_path.py --db /tmp/bench/http300k/rights.db       # made by http_check.py --keep
    .venv/bin/python bench/check_path.py --db ... --profile batch                 # pyinstrument, text

No network and no load generator: the app from ``create_app`` is called as an ASGI callable with a
prepared request (the same bytes wrk sends), after its lifespan has built the index. That isolates the
server's CPU time per request from the load generator sharing the 2 cores, so it says what limits the
HTTP figures. The baseline is GET /healthz through the same app, middleware and all, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import Dataset  # noqa: E402
from http_check import questions  # noqa: E402


class Request:
    def __init__(self, method: str, path: str, body: bytes = b"", token: str | None = None) -> None:
        headers = [(b"host", b"bench"), (b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode())]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        self.scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                      "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
                      "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
                      "server": ("127.0.0.1", 8000)}
        self.body = body

    async def __call__(self, app) -> int:  # type: ignore[no-untyped-def]
        status = 0
        done = False

        async def receive():  # type: ignore[no-untyped-def]
            nonlocal done
            if done:
                return {"type": "http.disconnect"}
            done = True
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message):  # type: ignore[no-untyped-def]
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(dict(self.scope, state={}), receive, send)
        return status


async def run(db: Path, grants: int, n: int, profile: str | None) -> None:
    from rights.api.app import create_app
    from rights.api.tokens import ensure_dev_key, mint_dev_token
    from rights.domain.ports import PrincipalKind
    from rights.logging import configure_logging
    from rights.settings import load_settings

    env = {"RIGHTS_DATA_DIR": str(db.parent), "RIGHTS_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
           "RIGHTS_LOG_FORMAT": "json", "RIGHTS_LOG_LEVEL": os.environ.get("RIGHTS_LOG_LEVEL", "INFO")}
    settings = load_settings(env)
    configure_logging(settings.log_level, settings.log_format)
    ensure_dev_key(settings.dev_signing_key)  # type: ignore[arg-type]
    token = mint_dev_token(settings, PrincipalKind.SERVICE, "bench")
    qs = questions(Dataset(grants), 1000)
    app = create_app(settings)
    health = Request("GET", "/healthz")
    checks = [Request("POST", "/v1/check", json.dumps(q).encode(), token) for q in qs]
    batch = Request("POST", "/v1/check/batch", json.dumps({"questions": qs}).encode(), token)
    async with app.lifespan():
        assert await health(app) == 200 and await checks[0](app) == 200 and await batch(app) == 200

        async def timed(requests: list[Request], rounds: int) -> list[float]:
            out = []
            for _ in range(rounds):
                for r in requests:
                    t0 = time.perf_counter_ns()
                    await r(app)
                    out.append((time.perf_counter_ns() - t0) / 1000)
            return out

        if profile:
            from pyinstrument import Profiler

            target = {"batch": ([batch], 50), "check": (checks, 5), "healthz": ([health], 5000)}[profile]
            with Profiler(async_mode="disabled") as prof:
                await timed(*target)
            print(prof.output_text(unicode=False, color=False, show_all=False))
            return
        sys.stderr.flush()
        results = {}
        for _ in range(2):  # two passes, the better (lower median) of each kept
            for name, (reqs, rounds) in {"GET /healthz": ([health], n), "POST /v1/check": (checks, n // 1000),
                                         "POST /v1/check/batch (1,000)": ([batch], 100)}.items():
                xs = await timed(reqs, max(1, rounds))
                if name not in results or statistics.median(xs) < statistics.median(results[name]):
                    results[name] = xs
    base = statistics.median(results["GET /healthz"])
    print("| request (in process, no network) | n | median µs | p99 µs | median / healthz |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, xs in results.items():
        p99 = statistics.quantiles(xs, n=100)[98]
        print(f"| {name} | {len(xs):,} | {statistics.median(xs):,.0f} | {p99:,.0f} | {statistics.median(xs) / base:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--grants", type=int, default=300_000, help="as written into --db (to draw the questions)")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--profile", choices=("batch", "check", "healthz"))
    args = ap.parse_args()
    asyncio.run(run(args.db.resolve(), args.grants, args.n, args.profile))


if __name__ == "__main__":
    main()
