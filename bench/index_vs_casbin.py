"""In-process check time of the decision index beside pycasbin's FastEnforcer, at 3M grants (issue 3).

    .venv/bin/python bench/index_vs_casbin.py                       # 3M grants, casbin at 3M too
    .venv/bin/python bench/index_vs_casbin.py --grants 300000       # quicker
    .venv/bin/python bench/index_vs_casbin.py --sqlite /tmp/bench/rights3m.db   # + IndexKeeper.build()

1. Builds the DecisionIndex with ``build_index`` from bench/generate.py's streams (nothing held as a
   list); reports wall time and the process's peak RSS (ru_maxrss) before and after. With ``--sqlite``
   (a file written by ``bench/generate.py --sqlite`` with the same --grants and seed) it also times
   ``IndexKeeper.build()`` streaming from that store, and its peak RSS, in a child process.
2. Loads casbin ``FastEnforcer`` (RBAC with domains, ``cache_key_order=[0, 1]``, i.e. policies indexed by
   (subject, domain)) with one policy (person, organisation, measure, role) per grant that counts now.
   Casbin has no validity windows, freezes or work relations, so "counts now" is decided here, directly
   from the generated values (Grant.active_at, statuses, WorkRelation.active_at), not by the index.
3. Proves both answer the same on 10,000 sampled questions (half about existing grants, half not).
4. Times each call with perf_counter_ns: the index path is person_ix + organisation_ix + check (what the
   server does per question after parsing); casbin is ``enforce(person, org, measure, role)``.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import Dataset  # noqa: E402

from rights.domain.index import Verdict, build_index  # noqa: E402

MODEL = """
[request_definition]
r = sub, dom, obj, act
[policy_definition]
p = sub, dom, obj, act
[role_definition]
g = _, _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
"""


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def peak_mib() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so a child would report its parent's peak
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def counts_now(d: Dataset, at) -> set[tuple[str, str, str, str]]:
    """(person, organisation, measure, role) of every grant that lets its holder act now."""
    roles = d.catalogue.roles
    out = set()
    for g in d.grants():
        p, o = int(g.person_id[5:]), int(g.organisation_id[5:])
        relation_ok = (o == d.second(p)) or (o == d.home(p) and d.relation_state(p) == "active")
        if (g.active_at(at) and not d.org_frozen(o) and not d.person_frozen(p)
                and (relation_ok or not roles[g.role].requires_work_relation)):
            out.add((g.person_id, g.organisation_id, g.measure or "", g.role))
    return out


def questions(d: Dataset, n: int, seed: int) -> list[tuple[str, str, str, str]]:
    """Half about grants that exist (most count, some expired/revoked/frozen), half random misses."""
    rng = random.Random(seed)
    picks = set(rng.sample(range(d.n_grants), n // 2))
    out = [(g.person_id, g.organisation_id, g.measure or "", g.role) for i, g in enumerate(d.grants()) if i in picks]
    while len(out) < n:
        p = rng.randrange(d.n_persons)
        o = d.home(p) if rng.random() < 0.5 else rng.randrange(d.n_orgs)
        role, measure = rng.choice(d.pairs)
        out.append((f"per_g{p:08d}", f"org_g{o:08d}", measure or "", role))
    rng.shuffle(out)
    return out


def pct(xs: list[int], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def timed(call, qs, repeat: int) -> list[int]:
    clock = time.perf_counter_ns
    out = []
    for _ in range(repeat):
        for q in qs:
            t0 = clock()
            call(q)
            out.append(clock() - t0)
    return out


def keeper_build(sqlite: Path) -> None:
    """In a child process: IndexKeeper.build() from the SQLite store, printing seconds and peak RSS."""
    import asyncio

    from rights.domain.keeper import IndexKeeper
    from rights.policies import default_policies_dir, load_catalogue
    from rights.storage import create_store

    async def run() -> None:
        store = create_store(f"sqlite+aiosqlite:///{sqlite.resolve()}")
        keeper = IndexKeeper(store, load_catalogue(default_policies_dir()))
        before, c0 = peak_mib(), time.process_time()
        await keeper.build()
        print(f"KEEPER {keeper.built_in:.2f} {time.process_time() - c0:.2f} {before:.0f} {peak_mib():.0f} "
              f"{keeper.index.size}")
        await store.close()

    asyncio.run(run())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grants", type=int, default=3_000_000)
    ap.add_argument("--casbin-grants", type=int, default=None, help="a smaller N for casbin (default: same)")
    ap.add_argument("--questions", type=int, default=10_000)
    ap.add_argument("--index-repeat", type=int, default=10, help="timed passes over the questions (index)")
    ap.add_argument("--sqlite", type=Path, help="also time IndexKeeper.build() from this SQLite file")
    ap.add_argument("--keeper-child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.keeper_child:
        return keeper_build(args.keeper_child)

    d = Dataset(args.grants)
    at = d.now + timedelta(seconds=1)  # no validity edge is near: windows are whole days from d.now
    print(f"machine: {os.cpu_count()} cpus; python {sys.version.split()[0]}; {args.grants:,} grants, "
          f"{d.n_persons:,} persons, {d.n_orgs:,} organisations")

    # 1. build (and, as its baseline, the generator alone: the part of the build that is not the index's)
    t0, c0 = time.perf_counter(), time.process_time()
    for stream in (d.organisations(), d.persons(), d.work_relations(), d.grants()):
        for _ in stream:
            pass
    gen_s, gen_cpu = time.perf_counter() - t0, time.process_time() - c0
    before_rss, before_peak = rss_mib(), peak_mib()
    t0, c0 = time.perf_counter(), time.process_time()
    index = build_index(d.catalogue, organisations=d.organisations(), persons=d.persons(),
                        work_relations=d.work_relations(), grants=d.grants())
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    gc.collect()
    print(f"generator alone: {gen_s:.1f} s wall, {gen_cpu:.1f} s CPU")
    print(f"build_index from the generator streams: {build_s:.1f} s wall, {build_cpu:.1f} s CPU "
          f"(index part ~ {build_cpu - gen_cpu:.1f} s CPU); RSS {before_rss:.0f} -> {rss_mib():.0f} MiB, "
          f"peak {before_peak:.0f} -> {peak_mib():.0f} MiB (process); sizes {index.size}")
    if args.sqlite:
        out = subprocess.run([sys.executable, __file__, "--keeper-child", str(args.sqlite)],
                             capture_output=True, text=True, check=True).stdout
        secs, cpu, pk0, pk1, size = out.split("KEEPER ", 1)[1].split(" ", 4)
        print(f"IndexKeeper.build() from SQLite {args.sqlite}: {float(secs):.1f} s wall, {float(cpu):.1f} s CPU; "
              f"peak RSS {pk0} -> {pk1} MiB (child process); sizes {size.strip()}")

    # 2. casbin
    import casbin

    cd = d if args.casbin_grants in (None, args.grants) else Dataset(args.casbin_grants)
    t0 = time.perf_counter()
    policies = counts_now(cd, at)
    truth_s = time.perf_counter() - t0
    rss0 = rss_mib()
    t0 = time.perf_counter()
    enforcer = casbin.FastEnforcer(_model(), cache_key_order=[0, 1])
    enforcer.add_policies([list(p) for p in policies])
    load_s = time.perf_counter() - t0
    print(f"casbin {casbin.__name__} FastEnforcer: {len(policies):,} policies (of {cd.n_grants:,} grants; "
          f"computed in {truth_s:.1f} s) loaded in {load_s:.1f} s, +{rss_mib() - rss0:.0f} MiB RSS")

    # 3. same answers
    ts = at.timestamp()
    person_ix, org_ix, check = index.person_ix, index.organisation_ix, index.check

    def ask_index(q: tuple[str, str, str, str]) -> bool:
        return check(person_ix(q[0]), org_ix(q[1]), q[3], q[2] or None, ts).allowed

    ask_casbin = enforcer.enforce
    qs = questions(cd, args.questions, seed=7)
    index_for_cd = index if cd is d else build_index(cd.catalogue, organisations=cd.organisations(),
                                                    persons=cd.persons(), work_relations=cd.work_relations(),
                                                    grants=cd.grants())
    cd_person, cd_org, cd_check = index_for_cd.person_ix, index_for_cd.organisation_ix, index_for_cd.check
    yes = 0
    for q in qs:
        a = cd_check(cd_person(q[0]), cd_org(q[1]), q[3], q[2] or None, ts).allowed
        b = ask_casbin(*q)
        assert a == b, (q, a, b)
        yes += a
    print(f"same answers on {len(qs):,} questions ({yes:,} yes, {len(qs) - yes:,} no)")

    # 4. timing
    gc.collect()
    gc.disable()  # the same for both: no collection lands inside one timed call
    iq = questions(d, args.questions, seed=11) if cd is not d else qs
    overhead = timed(lambda q: None, iq, 1)
    t_index = timed(ask_index, iq, args.index_repeat)
    t_casbin = timed(lambda q: ask_casbin(*q), qs, 1)
    # where the index's time goes: the two id look-ups, check() on integers, one Verdict alone
    ixs = [(person_ix(q[0]), org_ix(q[1]), q[3], q[2] or None) for q in iq]
    parts = {
        "person_ix + organisation_ix": timed(lambda q: (person_ix(q[0]), org_ix(q[1])), iq, 3),
        "check(p, o, role, measure, at) alone": timed(lambda a: check(a[0], a[1], a[2], a[3], ts), ixs, 3),
        "constructing one Verdict": timed(lambda q: Verdict(allowed=True, reason="granted", grant_id=q[0]), iq, 3),
    }
    gc.enable()
    oh = statistics.median(overhead)
    mi, mc = statistics.median(t_index), statistics.median(t_casbin)
    print(f"\ntimer + call overhead (empty lambda): median {oh:.0f} ns (included in the figures below)")
    print("| engine | grants | questions timed | median µs | p99 µs |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| DecisionIndex | {d.n_grants:,} | {len(t_index):,} | {mi / 1000:.2f} | {pct(t_index, 99) / 1000:.2f} |")
    print(f"| casbin FastEnforcer | {cd.n_grants:,} | {len(t_casbin):,} | {mc / 1000:.2f} | "
          f"{pct(t_casbin, 99) / 1000:.2f} |")
    print(f"\nratio casbin / index: median {mc / mi:.0f}x, p99 {pct(t_casbin, 99) / pct(t_index, 99):.0f}x")
    print("\n| part of the index path | median µs | p99 µs |")
    print("| --- | ---: | ---: |")
    for name, xs in parts.items():
        print(f"| {name} | {statistics.median(xs) / 1000:.2f} | {pct(xs, 99) / 1000:.2f} |")


def _model():
    from casbin.model import FastModel

    m = FastModel([0, 1])  # FastEnforcer filters policies by (subject, domain) only with a FastModel
    m.load_model_from_text(MODEL)
    return m


if __name__ == "__main__":
    main()
