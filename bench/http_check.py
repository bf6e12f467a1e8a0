"""POST /v1/check over HTTP beside GET /healthz of the same app, one granian process (issue 3).

    .venv/bin/python bench/http_check.py                  # 300k grants, 2 rounds
    .venv/bin/python bench/http_check.py --grants 3000000 --rounds 3

Writes bench/generate.py's data into a fresh SQLite file, starts ONE granian worker
(``granian --interface asgi --factory rights.api.asgi:create``, settings from the environment, access log
at the default INFO level to /dev/null unless --log-level says otherwise), and drives it with wrk on
loopback (same machine, same 2 cores as the server):

* max load: ``wrk -t2 -c64 -d10s --latency`` against /healthz (baseline) and /v1/check (a service token,
  1,000 different questions in rotation by national number and enterprise number, about half yes);
* "half load": wrk has no rate limit (wrk2 is not installed) and even one wrk connection saturates one
  server process here, so an open-loop Python sender offers exactly half of each endpoint's measured
  maximum (16 keep-alive connections, latency counted from each request's due time, see ``paced``);
* a 1,000-question batch: sequential requests from one Python client; the server time is estimated as
  the batch's round trip minus /healthz's round trip (same client, same connection, same run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from generate import Dataset, enterprise_number, national_number, write  # noqa: E402

VENV = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def org_ref(d: Dataset, o: int) -> str:
    return f"OVO{o % 1_000_000:06d}" if o % 100 == 50 else enterprise_number(o)


def questions(d: Dataset, n: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    picks = set(rng.sample(range(d.n_grants), n // 2))
    out = []
    for i, g in enumerate(d.grants()):
        if i in picks:
            out.append({"person": national_number(int(g.person_id[5:])),
                        "organisation": org_ref(d, int(g.organisation_id[5:])), "role": g.role, "measure": g.measure})
    while len(out) < n:
        p = rng.randrange(d.n_persons)
        role, measure = rng.choice(d.pairs)
        out.append({"person": national_number(p), "organisation": org_ref(d, d.home(p)), "role": role,
                    "measure": measure})
    rng.shuffle(out)
    return out


def lua(path: Path, token: str, bodies: list[str]) -> Path:
    quoted = ",\n".join(json.dumps(b) for b in bodies)
    path.write_text(f"""local bodies = {{
{quoted}
}}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/v1/check", nil, bodies[i])
end
""")
    return path


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, connections: int, seconds: int, script: Path | None, threads: int = 2) -> dict[str, float]:
    cmd = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    lat = {p: float(v) * _UNITS[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": lat["50"], "p99": lat["99"]}


async def batch_times(base: str, token: str, qs: list[dict], n: int) -> tuple[list[float], list[float], int]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"questions": qs[:1000]}).encode()
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        for _ in range(20):  # warm-up
            (await http.post("/v1/check/batch", content=body)).raise_for_status()
            await http.get("/healthz")
        batch, health = [], []
        for _ in range(n):
            t0 = time.perf_counter()
            r = await http.post("/v1/check/batch", content=body)
            batch.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
            t0 = time.perf_counter()
            await http.get("/healthz")
            health.append((time.perf_counter() - t0) * 1000)
        yes = sum(a["allowed"] for a in r.json()["answers"])
    return batch, health, yes


def _post(token: str, body: bytes) -> bytes:
    return (f"POST /v1/check HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def paced(port: int, requests: list[bytes], rate: float, seconds: int, conns: int = 16
                ) -> tuple[int, list[float]]:
    """Open loop at a fixed rate (wrk2 is not installed): request i is due at start + i / rate and its
    latency counts from then, so a slow answer delays nothing but is charged in full (no coordinated
    omission). 16 keep-alive connections carry the requests; the sender costs ~3 % of a core here."""
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (item := await queue.get()) is not None:
            due, raw = item
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit(f"unexpected answer: {head[:80]!r}")
            await reader.readexactly(int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1)))
            latencies.append((time.perf_counter() - due) * 1000)
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(conns)]
    start = time.perf_counter()
    total = int(rate * seconds)
    for i in range(total):
        due = start + i / rate
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((due, requests[i % len(requests)]))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return total, latencies


def p(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grants", type=int, default=300_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--log-level", default="INFO")
    ap.add_argument("--keep", type=Path, help="keep the data here (reused when it exists)")
    ap.add_argument("--app", default="rights.api.asgi:create", help="ASGI factory (to compare a variant)")
    args = ap.parse_args()
    tmp = Path(args.keep or tempfile.mkdtemp(prefix="rights-http-"))
    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / "rights.db"
    d = Dataset(args.grants)
    if not db.exists():
        t0 = time.perf_counter()
        asyncio.run(write(f"sqlite+aiosqlite:///{db}", d))
        print(f"wrote {args.grants:,} grants to {db} in {time.perf_counter() - t0:.0f} s")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATA_DIR=str(tmp), RIGHTS_DATABASE_URL=f"sqlite+aiosqlite:///{db}", RIGHTS_LOG_FORMAT="json",
               RIGHTS_LOG_LEVEL=args.log_level)
    from rights.api.tokens import ensure_dev_key, mint_dev_token
    from rights.domain.ports import PrincipalKind
    from rights.settings import load_settings

    settings = load_settings(env)
    ensure_dev_key(settings.dev_signing_key)  # type: ignore[arg-type]
    token = mint_dev_token(settings, PrincipalKind.SERVICE, "bench")
    qs = questions(d, 1000)
    script = lua(tmp / "post.lua", token, [json.dumps(q) for q in qs])
    server = subprocess.Popen(
        [str(VENV / "granian"), "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", args.app],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.perf_counter()
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.perf_counter() - t0 > 600:
                raise SystemExit("granian did not start")
            time.sleep(0.5)
        print(f"granian ready (index built) after {time.perf_counter() - t0:.1f} s; wrk {shutil.which('wrk')}")
        sample = httpx.post(f"{base}/v1/check", json=qs[0], headers={"Authorization": f"Bearer {token}"}).json()
        print("sample answer:", sample)
        print("\n| round | endpoint | connections | requests/s | p50 ms | p99 ms |")
        print("| ---: | --- | ---: | ---: | ---: | ---: |")
        best: dict[str, dict[str, float]] = {}
        for rnd in range(1, args.rounds + 1):
            for name, url, s in (("GET /healthz", f"{base}/healthz", None), ("POST /v1/check", base, script)):
                r = wrk(url, 64, args.seconds, s)
                print(f"| {rnd} | {name} | 64 | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} |")
                if r["rps"] > best.get(name, {"rps": 0})["rps"]:
                    best[name] = r
        h, c = best["GET /healthz"], best["POST /v1/check"]
        print(f"\nbest of {args.rounds}: check {c['rps']:,.0f} req/s = {c['rps'] / h['rps']:.0%} of healthz "
              f"{h['rps']:,.0f} req/s")
        print("\n| endpoint | offered rate (half of its max) | achieved req/s | p50 ms | p99 ms | max ms |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        reqs = {"GET /healthz": [b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"],
                "POST /v1/check": [_post(token, json.dumps(q).encode()) for q in qs]}
        for name, raw in reqs.items():
            rate = best[name]["rps"] / 2
            done, lat = asyncio.run(paced(port, raw, rate, args.seconds))
            print(f"| {name} | {rate:,.0f}/s | {done / args.seconds:,.0f} | {p(lat, 50):.2f} | {p(lat, 99):.2f} | "
                  f"{max(lat):.2f} |")
        batch, health, yes = asyncio.run(batch_times(base, token, qs, 200))
        mb, mh = statistics.median(batch), statistics.median(health)
        print(f"\n1,000-question batch ({yes} yes), 200 sequential requests: round trip median {mb:.2f} ms, "
              f"p99 {p(batch, 99):.2f} ms; /healthz round trip median {mh:.2f} ms; "
              f"server time ~ {mb - mh:.2f} ms (median difference)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
