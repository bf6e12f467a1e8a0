"""Helpline lookup latency at national scale, on SQLite and PostgreSQL (issue 4; not a test).

    .venv/bin/python bench/lookup.py --enterprises 1900000 --load \
        --sqlite /tmp/bench/lookup.db --postgres postgresql://postgres@127.0.0.1:5432/rights_bench_lookup

``--load`` generates a synthetic KBO dump (rights.imports.generate) and imports it with the real
importer into a fresh SQLite file and a fresh PostgreSQL database (dropped and recreated); without it
the databases are used as they are. A fixed mix of 1,000 queries is drawn from the loaded data
(deterministically: every k-th enterprise), then each query runs through ``rights.domain.lookup.find``
in its own read transaction, as the helpline does. The baseline, measured in the same run over the same
store, is a primary-key read of one organisation (``tx.get_organisation``) in its own transaction.
Figures are p50/p99 per query class and database, in ms and as a ratio to the baseline's p50.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import unicodedata
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text

from rights.domain import lookup
from rights.storage import create_store
from rights.storage.migrate import upgrade

CLASSES = {  # class -> how many of the 1,000 queries
    "id_plain": 100, "id_dotted": 100, "id_vat": 60, "id_old_9_digits": 40, "establishment": 50,
    "number_typo": 50, "name_exact": 150, "name_accent_free": 150, "name_typo": 200, "name_partial": 100,
}  # fmt: skip
WARMUP = 200


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    match rng.randrange(4):
        case 0:
            return word[:i] + rng.choice("aeiourstn") + word[i + 1 :]
        case 1:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        case 2:
            return word[:i] + word[i + 1 :]
        case _:
            return word[:i] + rng.choice("aeiourstn") + word[i:]


def _mistype_number(rng: random.Random, n: str) -> str:
    i = rng.randrange(1, 9)
    if rng.random() < 0.5:
        n = n[:i] + n[i + 1] + n[i] + n[i + 2 :]
    else:
        n = n[:i] + str((int(n[i]) + rng.randrange(1, 10)) % 10) + n[i + 1 :]
    return f"{n[:4]}.{n[4:7]}.{n[7:]}"


def _query(cls: str, rng: random.Random, name: str, number: str, units: list[str]) -> str:
    words = name.split()
    match cls:
        case "id_plain":
            return number
        case "id_dotted":
            return f"{number[:4]}.{number[4:7]}.{number[7:]}"
        case "id_vat":
            return f"BE {number}"
        case "id_old_9_digits":
            return number[1:] if number[0] == "0" else number
        case "establishment":
            u = rng.choice(units)
            return f"{u[0]}.{u[1:4]}.{u[4:7]}.{u[7:]}"
        case "number_typo":
            return _mistype_number(rng, number)
        case "name_exact":
            return name
        case "name_accent_free":
            return _strip_accents(name).lower()
        case "name_typo":  # one typo, or two in different words, in words of five letters or more
            long_words = [i for i, w in enumerate(words) if len(w) >= 5] or [0]
            hit = set(rng.sample(long_words, min(len(long_words), rng.choice((1, 1, 2)))))
            return " ".join(_typo(rng, w) if i in hit and len(w) >= 4 else w for i, w in enumerate(words))
        case _:  # name_partial: what an operator has typed so far
            typed = " ".join(words[:2])
            return typed[: max(4, len(typed) - 3)]


async def build_mix(url: str, seed: int) -> list[tuple[str, str]]:
    """1,000 (class, query) pairs drawn deterministically from what is loaded."""
    store = create_store(url)
    try:
        async with store.read() as tx:
            conn = tx.connection
            total = (await conn.execute(text("SELECT count(*) FROM organisations"))).scalar_one()
            step = max(1, total // 1200)
            rows = (await conn.execute(text(
                "SELECT o.id, o.name, i.value FROM organisations o JOIN organisation_identifiers i "
                "ON i.organisation_id = o.id AND i.kind = 'enterprise_number' ORDER BY i.value"
            ))).all()[::step]  # fmt: skip
            units = (await conn.execute(text(
                "SELECT value FROM organisation_identifiers WHERE kind = 'establishment_number' ORDER BY value"
            ))).scalars().all()  # fmt: skip
    finally:
        await store.close()
    rng = random.Random(seed)
    units = list(units[:: max(1, len(units) // 100)])
    mix: list[tuple[str, str]] = []
    for cls, count in CLASSES.items():
        for _ in range(count):
            _, name, number = rng.choice(rows)
            mix.append((cls, _query(cls, rng, name, number, units)))
    return mix


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await call()
    return (time.perf_counter() - start) * 1000


def pct(xs: list[float], p: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(p) - 1] if len(xs) > 1 else xs[0]


async def measure(url: str, mix: list[tuple[str, str]], passes: int) -> dict[str, list[float]]:
    """Per class, each query's time; with ``passes`` > 1 each query's fastest pass (see --passes)."""
    store = create_store(url)
    try:
        async with store.read() as tx:
            ids = (await tx.connection.execute(text("SELECT id FROM organisations ORDER BY id"))).scalars().all()
        ids = ids[:: max(1, len(ids) // 1000)][:1000]

        async def find(q: str) -> None:
            async with store.read() as tx:
                await lookup.find(tx, q, limit=10)

        async def get(org_id: str) -> None:
            async with store.read() as tx:
                await tx.get_organisation(org_id)

        for _, q in mix[:: max(1, len(mix) // WARMUP)]:
            await find(q)
        base: list[list[float]] = [[] for _ in ids]
        runs: list[list[float]] = [[] for _ in mix]
        for _ in range(passes):  # whole passes interleaved, so a burst of load hits one pass, not one query
            for i, org_id in enumerate(ids):
                base[i].append(await timed(lambda o=org_id: get(o)))
            for i, (_, q) in enumerate(mix):
                runs[i].append(await timed(lambda q=q: find(q)))
        out: dict[str, list[float]] = {"baseline_pk_read": [min(ts) for ts in base]}
        for (cls, _), ts in zip(mix, runs, strict=True):
            out.setdefault(cls, []).append(min(ts))
        out["identifier (all)"] = [t for c in CLASSES if not c.startswith("name") for t in out[c]]
        out["name (all)"] = [t for c in CLASSES if c.startswith("name") for t in out[c]]
        return out
    finally:
        await store.close()


async def load(url: str, dump: Path) -> float:
    from rights.imports.kbo import import_kbo

    await upgrade(url)
    store = create_store(url)
    try:
        start = time.perf_counter()
        await import_kbo(store, dump, report=dump / "bad-rows.jsonl")
        took = time.perf_counter() - start
        if store.engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum would give later
            async with store.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("ANALYZE"))
        return took
    finally:
        await store.close()


async def recreate_pg(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = await asyncpg.connect(parsed.set(drivername="postgresql", database="postgres").render_as_string(False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await conn.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sqlite", type=Path, help="SQLite database file")
    ap.add_argument("--postgres", help="PostgreSQL URL of a database this benchmark may drop")
    ap.add_argument("--enterprises", type=int, default=1_900_000)
    ap.add_argument("--load", action="store_true", help="generate and import first (fresh databases)")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument(
        "--passes", type=int, default=1,
        help="run the mix N times and keep each query's fastest (filters other processes' noise on a shared machine)",
    )
    args = ap.parse_args()
    urls = {}
    if args.sqlite:
        urls["sqlite"] = f"sqlite+aiosqlite:///{args.sqlite}"
    if args.postgres:
        urls["postgres"] = args.postgres
    if args.load:
        from rights.imports.generate import generate_kbo

        with tempfile.TemporaryDirectory() as tmp:
            generate_kbo(Path(tmp), args.enterprises, seed=1)
            for db, url in urls.items():
                if db == "sqlite":
                    for p in args.sqlite.parent.glob(args.sqlite.name + "*"):
                        p.unlink()
                else:
                    await recreate_pg(url)
                print(f"loaded {args.enterprises:,} enterprises into {db} in {await load(url, Path(tmp)):.0f} s")
    print("\n| database | class | n | p50 ms | p99 ms | max ms | p50 / baseline p50 | p99 / baseline p50 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for db, url in urls.items():
        mix = await build_mix(url, args.seed)
        result = await measure(url, mix, args.passes)
        base = pct(result["baseline_pk_read"], 50)
        for cls, xs in result.items():
            p50, p99 = pct(xs, 50), pct(xs, 99)
            print(f"| {db} | {cls} | {len(xs)} | {p50:.2f} | {p99:.2f} | {max(xs):.1f} | {p50 / base:.1f} | {p99 / base:.1f} |")


if __name__ == "__main__":
    asyncio.run(main())
