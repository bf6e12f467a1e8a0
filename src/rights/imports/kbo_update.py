"""``rights import kbo UPDATE.zip``: apply a KBO update extract (``ExtractType=update`` in meta.csv).

An update extract holds, per file, ``<file>_delete.csv`` (the keys whose rows are withdrawn) and
``<file>_insert.csv`` (their rows as they are now), the changes since the previous extract: for a key in
a delete file every row of that key goes, then the insert file's rows of that key come. So an
enterprise's new state is the insert rows of each file that mentions it, and what is stored for the
files that do not. Update extracts are applied in extract-number order; a gap is refused
(guard.check_extract), since the changes of the missing extract would be lost.

Only an enterprise withdrawn from ``enterprise_delete.csv`` and not inserted again is ceased, at the end
of the run, after the same guard as a full import. Update extracts are small (the month's or the day's
changes), so their rows are read into memory.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from rights.imports import guard, runs
from rights.imports import kbo as k
from rights.imports import report as r
from rights.imports.bulk import Bulk
from rights.imports.kbo_dump import (
    ADDRESS,
    DENOMINATION,
    ENTERPRISE,
    ESTABLISHMENT,
    Enterprise,
    Meta,
    _address,
    _denomination,
)  # fmt: skip
from rights.imports.report import BadRowReport
from rights.imports.rows import Archive, ImportAbort, Source, kbo_number, valid_date
from rights.storage import SqlStore
from rights.storage import registers as reg

FILES = {"enterprise": ENTERPRISE, "denomination": DENOMINATION, "address": ADDRESS, "establishment": ESTABLISHMENT}
ANY_ENTITY = "012345678"


class KboUpdate:
    def __init__(self, path: Path, *, archive: Archive | None = None, meta: Meta | None = None) -> None:
        self.path = path
        self.archive = archive or Archive(path)
        self.meta = meta or Meta.read(self.archive)
        if self.meta.type != "update":
            raise ImportAbort(f"{path.name} is a full extract: import it as one")
        self.deletes = {n: Source(path / f"{n}_delete.csv", None, archive=self.archive) for n in FILES}
        self.inserts = {n: Source(path / f"{n}_insert.csv", h, archive=self.archive) for n, h in FILES.items()}

    def dump_id(self) -> str:
        return f"update/{self.meta.number}/{self.meta.timestamp}"


async def import_kbo_update(
    store: SqlStore,
    update: KboUpdate,
    *,
    report: Path | None = None,
    batch_size: int = 5000,
    local_forms: Collection[str] = k.LOCAL_GOVERNMENT_FORMS,
    progress: Any = None,
    force: bool = False,
    confirm_cease: int | None = None,
    max_cease_percent: float = guard.DEFAULT_MAX_CEASE_PERCENT,
) -> dict[str, int]:
    counts, _lines = await _apply(store, update, report, batch_size, frozenset(local_forms), progress, force,
                                  confirm_cease, max_cease_percent, dry_run=False)  # fmt: skip
    return counts


async def dry_run_kbo_update(store: SqlStore, update: KboUpdate, *, batch_size: int = 5000,
                             local_forms: Collection[str] = k.LOCAL_GOVERNMENT_FORMS,
                             force: bool = False) -> tuple[dict[str, int], list[str]]:  # fmt: skip
    """What applying ``update`` would do, writing nothing (see kbo.dry_run_kbo)."""
    return await _apply(store, update, None, batch_size, frozenset(local_forms), None, force, None, 100.0, dry_run=True)


async def _apply(store: SqlStore, update: KboUpdate, report: Path | None, batch_size: int, local_forms: frozenset[str],
                 progress: Any, force: bool, confirm_cease: int | None, max_cease_percent: float, *,
                 dry_run: bool) -> tuple[dict[str, int], list[str]]:  # fmt: skip
    await guard.check_extract(store, k.SOURCE, update.meta, force=force)
    rep = BadRowReport(report)
    try:
        changes = _read(update, rep)
        withdrawn = sorted(changes.enterprise_deletes - set(changes.enterprises))
        async with store.read() as tx:
            known = await reg.records_of(tx.connection, k.SOURCE, withdrawn)
            active = await reg.count_active(tx.connection, k.SOURCE)
            to_cease = [(key, known[key][0]) for key in withdrawn if key in known and known[key][1] == "active"]
            plan = guard.CeasePlan(await reg.cease_impact(tx.connection, to_cease, store.clock.now()), active)
        if dry_run:
            run = runs.Run(0, k.SOURCE, "dry_run", "", dict.fromkeys(k.COUNTS, 0), {}, 0, resumed=False)
            job = k._Job(store, None, run, rep, batch_size, local_forms, None)
            job.partial = job.dry = True
            enterprises = await _enterprises(store, changes, local_forms)
            for start in range(0, len(enterprises), batch_size):
                await job._enterprise_batch("", enterprises[start : start + batch_size])
            return k.dry_counts(run.counts, plan, rep.count), plan.lines()
        plan.check(max_cease_percent, confirm_cease)
        run = await runs.start(store, k.SOURCE, update.dump_id(), report, k.ACTOR)
        run.counts = dict.fromkeys(k.COUNTS, 0)
        run.phase, run.checkpoint = "update", ""
        run.extra["extract"] = guard.extract_state(update.meta)
        job = k._Job(store, None, run, rep, batch_size, local_forms, progress)
        job.partial = True
        enterprises = await _enterprises(store, changes, local_forms)
        for start in range(0, len(enterprises), batch_size):
            batch = enterprises[start : start + batch_size]
            await job._enterprise_batch("", batch)
        units = await _units(store, changes)
        for start in range(0, len(units), batch_size):
            await job._establishment_batch(units[start : start + batch_size])
        async with store.write() as tx:
            b = Bulk(tx.connection)
            ids = [org_id for _key, org_id in to_cease]
            if ids:
                await b.execute(
                    "UPDATE organisations SET status = 'ceased', version = version + 1, updated_at = :now"
                    " WHERE status = 'active' AND id IN :ids",
                    now=b.time(store.clock.now()), ids=ids,
                )  # fmt: skip
            run.counts["ceased"] = len(ids)
            run.extra["ceased_ids"] = ids[:1000]
            run.counts["bad_rows"] = rep.count
            await runs.complete(store, tx, run, k.ACTOR, rep.offset())
    finally:
        rep.close()
    return dict(run.counts), []


class _Changes:
    def __init__(self) -> None:
        self.enterprise_deletes: set[str] = set()
        self.entity_deletes: dict[str, set[str]] = {"denomination": set(), "address": set()}
        self.enterprises: dict[str, Enterprise] = {}  # from enterprise_insert.csv
        self.names: dict[str, list[tuple[str, str, str]]] = {}
        self.addresses: dict[str, dict[str, str] | None] = {}
        self.units: dict[str, tuple[int, str]] = {}  # unit number -> (line, enterprise number)


def _read(update: KboUpdate, rep: BadRowReport) -> _Changes:
    c = _Changes()
    for name, source in update.deletes.items():
        first = "01" if name == "enterprise" else "2345678" if name == "establishment" else ANY_ENTITY
        for line, row, problem in source.rows():
            key, reason = kbo_number(row[0], first) if row else (None, r.NUMBER)
            if key is None or problem:
                rep.bad(source.name, line, problem or reason or r.NUMBER, key or (row[0] if row else None))
            elif name == "enterprise":
                c.enterprise_deletes.add(key)
            elif name in c.entity_deletes:
                c.entity_deletes[name].add(key)
    ins = update.inserts
    for line, row, problem in ins["enterprise"].rows():
        key, reason = kbo_number(row[0]) if row else (None, r.NUMBER)
        if problem is None and key is not None and not valid_date(row[6]):
            problem = r.DATE
        if key is None or problem:
            rep.bad(ins["enterprise"].name, line, problem or reason or r.NUMBER, key or (row[0] if row else None))
            if key is not None:
                c.enterprise_deletes.discard(key)  # a bad row is still present: never a reason to cease
            continue
        c.enterprises[key] = Enterprise(key, line, row[4])
    for line, row, problem in ins["denomination"].rows():
        key, reason = kbo_number(row[0], ANY_ENTITY) if row else (None, r.NUMBER)
        value, reason = (None, problem or reason) if key is None or problem else _denomination(row)
        if value is None:
            rep.bad(ins["denomination"].name, line, reason or r.NUMBER, key or (row[0] if row else None))
            continue
        c.names.setdefault(key, []).append(value)  # type: ignore[arg-type]
    for line, row, problem in ins["address"].rows():
        key, reason = kbo_number(row[0], ANY_ENTITY) if row else (None, r.NUMBER)
        value, reason = (None, problem or reason) if key is None or problem else _address(row)
        if reason is not None or key is None:
            rep.bad(ins["address"].name, line, reason or r.NUMBER, key or (row[0] if row else None))
        elif value is not None:
            c.addresses[key] = value
    for line, row, problem in ins["establishment"].rows():
        number, reason = kbo_number(row[0], "2345678") if row else (None, r.NUMBER)
        owner, owner_reason = kbo_number(row[2]) if problem is None else (None, None)
        if problem is None and number is not None and not valid_date(row[1]):
            problem = r.DATE
        if problem or number is None or owner is None:
            rep.bad(ins["establishment"].name, line, problem or reason or owner_reason or r.NUMBER, number or row[0])
            continue
        c.units[number] = (line, owner)
    return c


async def _enterprises(store: SqlStore, c: _Changes, local_forms: frozenset[str]) -> list[Enterprise]:
    """Every enterprise the update touches, as it is now: changed files from the update, the rest as stored."""
    touched = set(c.enterprises) | {
        key for keys in (*c.entity_deletes.values(), c.names, c.addresses) for key in keys if key[0] in "01"
    }
    touched -= c.enterprise_deletes - set(c.enterprises)
    async with store.read() as tx:
        stored = {key: _Stored(*row) for key, row in (await reg.kbo_state(tx.connection, sorted(touched))).items()}
    out = []
    for key in sorted(touched):
        ent = c.enterprises.get(key)
        old = stored.get(key)
        if ent is None:
            if old is None:
                continue  # names or an address of an enterprise we do not have: nothing to attach them to
            # the stored type stands: any code the local-government list holds keeps it local
            ent = Enterprise(key, 0, next(iter(local_forms)) if old.type == "local_government" else "")
        names_changed = key in c.entity_deletes["denomination"] or key in c.names
        ent.names = c.names.get(key, []) if names_changed or old is None else old.names
        address_changed = key in c.entity_deletes["address"] or key in c.addresses
        ent.address = c.addresses.get(key) if address_changed or old is None else old.address
        out.append(ent)
    return out


class _Stored:
    """An enterprise as the last import left it, in the shape of the rows it came from."""

    def __init__(self, type_: str, name: str, short_name: str | None, address: dict[str, str] | None,
                 names: list[tuple[str, str, str]]) -> None:  # fmt: skip
        self.type, self.address = type_, address
        self.names = list(names)
        if short_name and ("abbreviation", "", short_name) not in self.names and all(
            n[2] != short_name for n in self.names
        ):
            self.names.insert(0, ("abbreviation", "", short_name))
        if not name.replace(".", "").isdigit():  # not the number standing in for a missing name
            self.names.insert(0, ("name", "nl", name))


async def _units(store: SqlStore, c: _Changes) -> list[tuple[int, str, str, list[tuple[str, str, str]]]]:
    """Units inserted, and units whose names changed (their enterprise as stored)."""
    renamed = sorted(key for key in c.names if key[0] not in "01" and key not in c.units)
    async with store.read() as tx:
        owners = await reg.unit_owners(tx.connection, renamed)
    units = {number: (line, owner) for number, (line, owner) in c.units.items()}
    units.update({number: (0, owners[number]) for number in renamed if number in owners})
    return [(line, number, owner, c.names.get(number, [])) for number, (line, owner) in sorted(units.items())]


__all__ = ["KboUpdate", "dry_run_kbo_update", "import_kbo_update"]
