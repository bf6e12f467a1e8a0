"""Benchmark: `rights import kbo` of a synthetic dump on SQLite and PostgreSQL (not a test).

    .venv/bin/python bench/import_kbo.py --enterprises 1900000

Generates the dump into a temporary directory, then for each database: a fresh, migrated database,
the import in a child process (wall time, peak RSS of that process), and a baseline measured in the
same run: parsing the same files without writing anything. Prints a Markdown table for
docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import asyncio, resource, sys, time
from pathlib import Path
mode, url, dump = sys.argv[1:4]
t = time.perf_counter()
if mode == "parse":
    from rights.imports.kbo_dump import KboDump
    from rights.imports.report import BadRowReport
    d = KboDump(Path(dump)); rep = BadRowReport(None)
    n = sum(1 for _ in d.enterprises(rep.bad)) + sum(1 for _ in d.establishment.rows())
    counts = {"rows": n}
else:
    from rights.imports.kbo import import_kbo
    from rights.storage import create_store
    async def main():
        s = create_store(url)
        try:
            return await import_kbo(s, Path(dump), batch_size=5000)
        finally:
            await s.close()
    counts = asyncio.run(main())
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, counts)
"""


def child(mode: str, url: str, dump: Path) -> tuple[float, int, str]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, url, str(dump)], check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]  # fmt: skip
    seconds, rss, counts = out.split(" ", 2)
    return float(seconds), int(rss), counts


PG_NAME = f"rights_bench_import_{os.getpid()}"


def pg_database(server: str, *, create: bool) -> str:
    """(Re)create, or drop, the benchmark's own PostgreSQL database."""
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(server)
        await conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        if create:
            await conn.execute(f'CREATE DATABASE "{PG_NAME}"')
        await conn.close()

    asyncio.run(run())
    return server.rsplit("/", 1)[0] + f"/{PG_NAME}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=1_900_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--revision", default="head",
                        help="migrate only to this revision, e.g. 0003: the import without later triggers")
    args = parser.parse_args()
    from rights.imports.generate import generate_kbo
    from rights.storage.migrate import upgrade_sync

    with tempfile.TemporaryDirectory(prefix="kbo-bench-") as tmp:
        dump = Path(tmp) / "dump"
        t = time.perf_counter()
        stats = generate_kbo(dump, args.enterprises, seed=1)
        print(f"generated {stats} in {time.perf_counter() - t:.0f} s", flush=True)
        parse = child("parse", "", dump)
        print(f"baseline parse only: {parse[0]:.1f} s, {parse[1]} MB", flush=True)
        rows = [("parse only (baseline)", *parse)]
        targets = [("SQLite", f"sqlite+aiosqlite:///{tmp}/rights.db")]
        if not args.skip_pg:
            targets.append(("PostgreSQL", pg_database(args.pg, create=True)))
        for label, url in targets:
            upgrade_sync(url, args.revision)
            result = child("import", url, dump)
            print(f"{label}: {result[0]:.1f} s, {result[1]} MB, {result[2]}", flush=True)
            rows.append((f"import, {label}", *result))
        if not args.skip_pg:
            pg_database(args.pg, create=False)
    print(f"\n{args.enterprises:,} enterprises, {stats['establishments']:,} establishment units, schema at "
          f"{args.revision}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")  # fmt: skip
    print("| run | wall time | peak RSS | vs. parse only |\n| --- | ---: | ---: | ---: |")
    for label, seconds, rss, _counts in rows:
        print(f"| {label} | {seconds:.1f} s | {rss} MB | {seconds / parse[0]:.2f}× |")


if __name__ == "__main__":
    main()
