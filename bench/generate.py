"""Synthetic but valid data at any scale for the decision-index benchmarks (issue 3; not a test).

    .venv/bin/python bench/generate.py --grants 3000000 --sqlite /tmp/bench/rights3m.db
    .venv/bin/python bench/generate.py --grants 100000 --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/rights_bench

Shape, for N grants: N/10 organisations (99 % companies with valid enterprise numbers, 1 % Flemish
entities with OVO codes; 1 in 200 frozen), 2N/5 persons with valid national register numbers (1 in 500
frozen), each employed by one organisation (1 in 10 also by a second, as external staff; 3 % of the
relations ended, 2 % blocked), and 2 or 3 grants per person with distinct (role, measure) pairs drawn
from the catalogue's roles for companies. Validity: 85 % in their window now (some of them on a
ended or blocked work relation), 8 % expired, 4 % revoked, 3 % not yet valid. Deterministic by seed.

Each entity kind is a generator of model Structs (``Dataset.organisations()`` ...), so a 3M-grant
build never holds the input as one list. ``write()`` bulk-inserts the same data (SQLAlchemy Core
executemany, 5,000 rows a statement) into a freshly migrated SQLite file or PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rights.domain.catalogue import Catalogue
from rights.domain.model import (
    Grant,
    Organisation,
    OrgIdentifiers,
    OrgStatus,
    OrgType,
    Person,
    UserType,
    WorkRelation,
)
from rights.policies import default_policies_dir, load_catalogue

DAY = timedelta(days=1)
GIVEN = ("An", "Bert", "Sofie", "Koen", "Griet", "Lotte", "Stijn", "Inès", "Jérôme", "Zoë", "Pieter-Jan", "Olena")
FAMILY = ("Peeters", "Janssens", "Maes", "Claes", "Dupré", "Mertens", "Willems", "D'hondt", "Lambert", "Goossens")
WORDS = ("Bakkerij", "Garage", "Brouwerij", "Transport", "Drukkerij", "Schrijnwerkerij", "Boekhoudkantoor", "Atelier")


def enterprise_number(i: int) -> str:
    base = f"{2_000_000 + i:08d}"  # leading 0, second digit not 0: a valid 10-digit number
    return f"{base}{97 - int(base) % 97:02d}"


def national_number(i: int) -> str:
    """Unique and valid: a birth date in 1940-1999 and a serial, mod-97 check."""
    day = datetime(1940, 1, 1) + DAY * (i % 21_900)
    base = f"{day:%y%m%d}{1 + i // 21_900:03d}"
    return f"{base}{97 - int(base) % 97:02d}"


class Dataset:
    def __init__(self, grants: int, *, seed: int = 1, now: datetime | None = None,
                 catalogue: Catalogue | None = None) -> None:
        self.n_grants = grants
        self.n_persons = max(1, grants * 2 // 5)
        self.n_orgs = max(1, grants // 10)
        self.seed = seed
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self.catalogue = catalogue or load_catalogue(default_policies_dir())
        self.pairs = sorted(
            (r.code, m.code if m else None)
            for r in self.catalogue.roles.values() if OrgType.COMPANY in r.org_types and not r.executes_mandates
            for m in ([x for x in r.measures if not x.historic] or [None])
        )  # fmt: skip
        # A small pool of instants, so millions of grants share datetime objects (as rows from a DB do not,
        # but the index converts them to floats at once either way).
        self._past = [self.now - DAY * d for d in range(1, 731)]
        self._future = [self.now + DAY * d for d in range(1, 731)]

    # --- who is where --------------------------------------------------------------------------------

    def home(self, p: int) -> int:
        return p * 7919 % self.n_orgs

    def second(self, p: int) -> int | None:
        return (p * 104_729 + 13) % self.n_orgs if p % 10 == 0 and self.n_orgs > 1 else None

    def org_frozen(self, o: int) -> bool:
        return o % 200 == 7

    def person_frozen(self, p: int) -> bool:
        return p % 500 == 3

    def relation_state(self, p: int) -> str:
        r = p * 31 % 100
        return "ended" if r < 3 else "blocked" if r < 5 else "active"

    # --- the entities, streamed ----------------------------------------------------------------------

    def organisations(self) -> Iterator[Organisation]:
        for o in range(self.n_orgs):
            status = OrgStatus.FROZEN if self.org_frozen(o) else OrgStatus.ACTIVE
            name = f"{WORDS[o % len(WORDS)]} {FAMILY[o // 8 % len(FAMILY)]} {o}"
            if o % 100 == 50:
                yield Organisation(id=f"org_g{o:08d}", type=OrgType.FLEMISH_ENTITY, name=f"Agentschap {o}",
                                   status=status, identifiers=OrgIdentifiers(ovo_code=f"OVO{o % 1_000_000:06d}"))
            else:
                yield Organisation(id=f"org_g{o:08d}", type=OrgType.COMPANY, name=name, status=status,
                                   identifiers=OrgIdentifiers(enterprise_number=enterprise_number(o)))

    def persons(self) -> Iterator[Person]:
        for p in range(self.n_persons):
            yield Person(id=f"per_g{p:08d}", national_number=national_number(p), given_name=GIVEN[p % 12],
                         family_name=FAMILY[p // 12 % 10], frozen=self.person_frozen(p))

    def work_relations(self) -> Iterator[WorkRelation]:
        started = self.now - DAY * 900
        for p in range(self.n_persons):
            state = self.relation_state(p)
            yield WorkRelation(
                id=f"wr_g{p:08d}", person_id=f"per_g{p:08d}", organisation_id=f"org_g{self.home(p):08d}",
                user_type=UserType.PERMANENT, started_at=started,
                ended_at=self.now - DAY * 30 if state == "ended" else None, blocked=state == "blocked",
            )
            if (o2 := self.second(p)) is not None:
                yield WorkRelation(id=f"wr_h{p:08d}", person_id=f"per_g{p:08d}", organisation_id=f"org_g{o2:08d}",
                                   user_type=UserType.EXTERNAL, started_at=started)

    def grants(self) -> Iterator[Grant]:
        rng = random.Random(self.seed)
        past, future = self._past, self._future
        n = 0
        for p in range(self.n_persons):
            k = 2 + p % 2
            if n + k > self.n_grants or p == self.n_persons - 1:
                k = max(0, self.n_grants - n)
            pid = f"per_g{p:08d}"
            o1, o2 = self.home(p), self.second(p)
            for j, (role, measure) in enumerate(rng.sample(self.pairs, min(k, len(self.pairs)))):
                o = o2 if (j == 2 and o2 is not None) else o1
                r = rng.random()
                revoked = None
                if r < 0.85:  # active now (with the 3 % whose work relation ended, see relation_state)
                    start, until = rng.choice(past), rng.choice(future)
                elif r < 0.93:
                    start, until = past[rng.randrange(365, 730)], past[rng.randrange(0, 365)]
                elif r < 0.97:
                    start, until = rng.choice(past), rng.choice(future)
                    revoked = past[rng.randrange(0, 30)]
                    start = min(start, revoked - DAY)
                else:
                    start, until = future[rng.randrange(0, 300)], future[rng.randrange(300, 730)]
                yield Grant(id=f"gr_g{n:09d}", person_id=pid, organisation_id=f"org_g{o:08d}", role=role,
                            measure=measure, valid_from=start, valid_until=until, granted_by="bench",
                            granted_at=start, reason="", revoked_at=revoked,
                            revoked_by="bench" if revoked else None)
                n += 1


# --- bulk writing ------------------------------------------------------------------------------------


async def write(url: str, data: Dataset, *, chunk: int = 5_000) -> float:
    """Migrate a fresh database and bulk-insert the dataset; returns seconds spent inserting."""
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import create_async_engine

    from rights.storage import rows, tables
    from rights.storage.migrate import upgrade

    await upgrade(url)
    engine = create_async_engine(url)
    now = data.now
    streams = [
        (tables.organisations, (rows.organisation_values(o) | {"created_at": now, "updated_at": now}
                                for o in data.organisations())),
        (tables.organisation_identifiers, (r for o in data.organisations()
                                           for r in rows.identifier_rows(o.id, o.identifiers))),
        (tables.persons, (rows.person_values(p) for p in data.persons())),
        (tables.work_relations, (rows.work_relation_values(w) for w in data.work_relations())),
        (tables.grants, (rows.grant_values(g) for g in data.grants())),
    ]
    started = time.perf_counter()
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table, values in streams:
                batch: list[dict] = []
                for v in values:
                    batch.append(v)
                    if len(batch) >= chunk:
                        await conn.execute(insert(table), batch)
                        batch = []
                if batch:
                    await conn.execute(insert(table), batch)
    finally:
        await engine.dispose()
    return time.perf_counter() - started


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grants", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sqlite", type=Path, help="SQLite file to (re)create")
    ap.add_argument("--postgres", help="PostgreSQL URL of a database this script may drop and recreate")
    args = ap.parse_args()
    data = Dataset(args.grants, seed=args.seed)
    if args.sqlite:
        for p in args.sqlite.parent.glob(args.sqlite.name + "*"):
            p.unlink()
        args.sqlite.parent.mkdir(parents=True, exist_ok=True)
        seconds = asyncio.run(write(f"sqlite+aiosqlite:///{args.sqlite.resolve()}", data))
        print(f"wrote {args.grants:,} grants to {args.sqlite} in {seconds:.1f} s")
    if args.postgres:
        asyncio.run(recreate_pg(args.postgres))
        seconds = asyncio.run(write(args.postgres, data))
        print(f"wrote {args.grants:,} grants to {args.postgres} in {seconds:.1f} s")
    if not (args.sqlite or args.postgres):
        started = time.perf_counter()
        counts = {k: sum(1 for _ in getattr(data, k)()) for k in
                  ("organisations", "persons", "work_relations", "grants")}
        print(counts, f"generated in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
