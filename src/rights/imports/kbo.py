"""``rights import kbo DIR``: load a KBO open-data dump into organisations, batch by batch.

Per batch of enterprises (a contiguous range of enterprise numbers, since the files are sorted):
read what the previous import stored for that range (``register_records``: organisation and a
fingerprint of the imported fields), write only what differs, note entries of the range that the
dump no longer has (``missing_run``), checkpoint the run, commit. Only after the establishment pass
completes are the missing ones marked ``ceased`` — never deleted — in the transaction that completes
the run, so an interrupted import never ceases anything, and a rerun resumes after the last commit.

The change log gets one entry per batch that changed something and one per completed run (with the
counts), not one per organisation: at 1.9M rows per-row entries would dominate the import; an
organisation's import history is its run plus its ``updated_at`` and ``version``.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from rights.domain.services.base import ORG_PREFIX
from rights.domain.text import normalise_search_text
from rights.imports import guard, runs
from rights.imports import report as r
from rights.imports.bulk import Bulk
from rights.imports.kbo_dump import PREFERENCE, Enterprise, KboDump, Meta
from rights.imports.report import BadRowReport
from rights.imports.rows import Archive, ImportAbort, ImportHeld
from rights.storage import SqlStore
from rights.storage import registers as reg

SOURCE, ACTOR = "kbo", "import:kbo"
KBO_TYPES = ("company", "local_government")  # the organisation types the KBO import decides

# KBO JuridicalForm codes of local governments; see docs/imports.md for sources and caveats.
LOCAL_GOVERNMENT_FORMS = frozenset({
    "400",  # province
    "411",  # city / municipality
    "412",  # public centre for social welfare (OCMW / CPAS)
    "413", "155",  # local police zone
    "414",  # intercommunale
    "415",  # project association (projectvereniging)
    "416",  # service association (dienstverlenende vereniging)
    "417",  # mandated association (opdrachthoudende vereniging)
    "418",  # autonomous municipal company (autonoom gemeentebedrijf)
    "419",  # autonomous provincial company
    "420",  # association of OCMWs (welzijnsvereniging)
    "421", "422",  # pre-zone, emergency zone (hulpverleningszone)
    "126",  # OCMW (older code)
    "129",  # polder / watering
})  # fmt: skip

COUNTS = ("created", "updated", "unchanged", "ceased", "skipped", "bad_rows", "missing", "established",
          "establishments_skipped", "unit_names")  # fmt: skip
# organisation_names positions from here on hold the names of an enterprise's establishment units: the
# enterprise pass rewrites the positions below it, the establishment pass adds these.
UNIT_NAMES_FROM = reg.KBO_UNIT_NAMES
Progress = Callable[[str, int, int, int], None]  # (phase, bytes done, bytes total, rows done)

ORG_COLUMNS = ("id", "type", "name", "short_name", "search_name", "status", "address", "parent_id",
               "version", "created_at", "updated_at")  # fmt: skip
NAME_COLUMNS = ("organisation_id", "position", "kind", "language", "name", "search_name")
RECORD_COLUMNS = ("source", "source_key", "organisation_id", "fingerprint", "missing_run")
IDENTIFIER_COLUMNS = ("organisation_id", "kind", "value", "position")

UPDATE_ORG = """UPDATE organisations SET
  type = :type,
  name = :name, short_name = :short_name, search_name = :search_name, address = :address,
  status = CASE WHEN status = 'ceased' THEN 'active' ELSE status END,
  version = version + 1, updated_at = :now
WHERE id = :id AND type IN ('company', 'local_government')"""  # other types have their own register


def _ids() -> Iterator[str]:
    """Organisation ids for one run: the usual ``org_`` + 16 hex digits, a random half and a counter.

    Ascending within a run, so a million new rows append to the indexes instead of landing at random
    pages (three times faster on SQLite); the random half keeps runs apart. KBO organisations are
    public, so neighbouring ids being guessable discloses nothing.
    """
    prefix = ORG_PREFIX + secrets.token_hex(4)
    return (f"{prefix}{n:08x}" for n in itertools.count())


class Desired:
    """What the register says an enterprise's organisation is, and its fingerprint."""

    __slots__ = ("type", "name", "short_name", "address", "names", "fingerprint")

    def __init__(self, ent: Enterprise, local_forms: Collection[str]) -> None:
        def rank(n: tuple[str, str, str]) -> int:
            return PREFERENCE[n[1]]

        by_kind: dict[str, list[tuple[str, str, str]]] = {}
        for n in dict.fromkeys(ent.names):  # drops exact duplicates, keeps order
            by_kind.setdefault(n[0], []).append(n)
        for group in by_kind.values():
            group.sort(key=rank)
        main = (by_kind.get("name") or by_kind.get("commercial_name") or by_kind.get("abbreviation") or [None])[0]
        short = next((n for n in by_kind.get("abbreviation", ()) if n is not main), None)
        self.type = "local_government" if ent.juridical_form in local_forms else "company"
        # No name of its own (its names sit on its units): the number until the unit pass names it.
        self.name = placeholder(ent.key) if main is None else main[2][:512]
        self.short_name = None if short is None else short[2][:255]
        self.address = ent.address
        # The short name also gets a row of its own, so that typing just "BL" finds it exactly.
        self.names = [n for n in dict.fromkeys(ent.names) if n is not main]
        raw = repr((self.type, self.name, self.short_name, self.address, self.names)).encode()
        self.fingerprint = hashlib.blake2b(raw, digest_size=16).hexdigest()

    def search_name(self) -> str:
        return normalise_search_text(" ".join(filter(None, (self.name, self.short_name))))

    def name_rows(self, org_id: str, *, with_main: bool = False) -> list[tuple]:
        """Rows of organisation_names; ``with_main`` also lists the main name, for an organisation another
        register has taken over (its own name is then that register's, and KBO's must still find it)."""
        names = [("name", "", self.name), *self.names] if with_main else self.names
        return [
            (org_id, i, kind, lang, name[:512], normalise_search_text(name))
            for i, (kind, lang, name) in enumerate(names)
        ]


def placeholder(key: str) -> str:
    """The name of an enterprise that has none of its own: its number, dotted."""
    return f"{key[:4]}.{key[4:7]}.{key[7:]}"


async def import_kbo(
    store: SqlStore,
    directory: Path,
    *,
    report: Path | None = None,
    batch_size: int = 5000,
    local_forms: Collection[str] = LOCAL_GOVERNMENT_FORMS,
    progress: Progress | None = None,
    force: bool = False,
    confirm_cease: int | None = None,
    max_cease_percent: float = guard.DEFAULT_MAX_CEASE_PERCENT,
    archive: Archive | None = None,
    meta: Meta | None = None,
) -> dict[str, int]:
    """Import (or resume importing) the full dump at ``directory`` (a folder or the published zip).

    Before writing anything: ``meta.csv`` must say it is a full extract newer than the last one
    imported (``force`` imports an older one), and what it would cease must pass ``guard`` (a count
    held back needs ``confirm_cease`` equal to it). Returns the run's counts.
    """
    dump = KboDump(directory, archive=archive, meta=meta)
    try:
        await guard.check_extract(store, SOURCE, dump.meta, force=force)
        plan = await guard.plan_ceasing(store, SOURCE, dump.enterprise_keys())
        plan.check(max_cease_percent, confirm_cease)
        run = await runs.start(store, SOURCE, dump.dump_id(), report, ACTOR)
        for key in COUNTS:
            run.counts.setdefault(key, 0)
        run.extra["extract"] = guard.extract_state(dump.meta)
        rep = BadRowReport(report, offset=run.report_offset, reported=run.lines)
        job = _Job(store, dump, run, rep, batch_size, frozenset(local_forms), progress)
        job.may_cease = {i.organisation_id for i in plan.impacts}
        try:
            if run.phase in ("start", "enterprises"):
                await job.enterprises()
            if run.phase == "establishments":
                await job.establishments()
            await job.finish()
        except ImportAbort:
            rep.truncate(job.committed_offset)  # nothing half-read is left in the report
            raise
        finally:
            rep.close()
    finally:
        dump.archive.close()
    return dict(run.counts)


async def import_kbo_extracts(store: SqlStore, paths: list[Path], **options: Any) -> dict[str, int]:
    """Import one or more extracts (full or update, folders or zips) in the order of their extract numbers."""
    from rights.imports.kbo_update import KboUpdate, import_kbo_update

    opened = []
    for path in paths:
        archive = Archive(path)
        opened.append((Meta.read(archive), path, archive))
    opened.sort(key=lambda m: m[0].number)
    totals: Counter[str] = Counter()
    try:
        for meta, path, archive in opened:
            if meta.type == "full":
                counts = await import_kbo(store, path, archive=archive, meta=meta, **options)
            else:
                update = KboUpdate(path, archive=archive, meta=meta)
                counts = await import_kbo_update(store, update, **options)
            totals.update(counts)
    finally:
        for _meta, _path, archive in opened:
            archive.close()
    return dict(totals)


async def dry_run_kbo(
    store: SqlStore,
    directory: Path,
    *,
    batch_size: int = 5000,
    local_forms: Collection[str] = LOCAL_GOVERNMENT_FORMS,
    force: bool = False,
) -> tuple[dict[str, int], list[str]]:
    """What ``import_kbo`` (or, for an update extract, ``import_kbo_update``) would do, writing nothing:
    the counts (created / updated / unchanged as ``new`` / ``changed`` / ``unchanged``, ``ceased`` and the
    administrators and active grants the ceasing would affect) and one line per organisation it would
    cease."""
    from rights.imports.kbo_update import KboUpdate, dry_run_kbo_update

    archive = Archive(directory)
    meta = Meta.read(archive)
    if meta.type == "update":
        try:
            update = KboUpdate(directory, archive=archive, meta=meta)
            return await dry_run_kbo_update(store, update, batch_size=batch_size, local_forms=local_forms, force=force)
        finally:
            archive.close()
    dump = KboDump(directory, archive=archive, meta=meta)
    try:
        await guard.check_extract(store, SOURCE, dump.meta, force=force)
        plan = await guard.plan_ceasing(store, SOURCE, dump.enterprise_keys())
        run = runs.Run(0, SOURCE, "dry_run", "", dict.fromkeys(COUNTS, 0), {}, 0, resumed=False)
        rep = BadRowReport(None)
        job = _Job(store, dump, run, rep, batch_size, frozenset(local_forms), None)
        job.dry = True
        await job.enterprises()
    finally:
        dump.archive.close()
    return dry_counts(run.counts, plan, rep.count), plan.lines()


def dry_counts(counts: dict[str, int], plan: guard.CeasePlan, bad_rows: int) -> dict[str, int]:
    return {"new": counts["created"], "changed": counts["updated"], "ceased": plan.count,
            "unchanged": counts["unchanged"], "skipped": counts["skipped"], "bad_rows": bad_rows,
            "ceased_with_administrators_or_grants": len(plan.protected),
            "administrators_affected": sum(i.administrators for i in plan.impacts),
            "grants_affected": sum(i.grants for i in plan.impacts)}  # fmt: skip


class _Job:
    def __init__(self, store, dump, run, rep, batch_size, local_forms, progress) -> None:  # type: ignore[no-untyped-def]
        self.store: SqlStore = store
        self.dump: KboDump = dump
        self.run: runs.Run = run
        self.rep: BadRowReport = rep
        self.batch_size = batch_size
        self.local_forms = local_forms
        self.progress = progress
        self.bad_before = run.counts.get("bad_rows", 0)
        self.ids = _ids()
        self.dry = False  # a dry run reads and counts but writes nothing
        self.partial = False  # an update extract: enterprises absent from it are unchanged, not gone
        self.may_cease: set[str] = set()  # what the guard let through: finish() ceases nothing else
        self.committed_offset = run.report_offset

    def _lines(self) -> dict[str, int]:
        d = self.dump
        if d is None:  # an update extract
            return {}
        return {s.name: s.line for s in (d.enterprise, d.denomination, d.address, d.establishment) if s.line}

    async def _commit(self, tx, changes: dict[str, int], **log: object) -> None:  # type: ignore[no-untyped-def]
        run = self.run
        run.add(**changes)
        run.counts["bad_rows"] = self.bad_before + self.rep.count
        if self.dry:
            return
        run.lines = {**run.lines, **self._lines()}
        if any(changes.get(k) for k in ("created", "updated", "missing", "established")):
            await tx.record(
                kind="register_import_batch", entity="import_run", entity_id=str(run.id),
                data={"source": SOURCE, "phase": run.phase, **log, **changes}, actor=ACTOR,
            )  # fmt: skip
        self.committed_offset = self.rep.offset()
        await runs.checkpoint(tx, run, self.store.clock.now(), self.committed_offset)

    # --- enterprises ---------------------------------------------------------------------------

    async def enterprises(self) -> None:
        self.run.phase = "enterprises"
        resume_after = self.run.checkpoint
        lo, batch, seen = resume_after, [], 0
        for ent in self.dump.enterprises(self.rep.bad):
            seen += 1
            if ent.key <= resume_after:
                continue
            batch.append(ent)
            if len(batch) >= self.batch_size:
                await self._enterprise_batch(lo, batch)
                lo, batch = batch[-1].key, []
        if batch:
            await self._enterprise_batch(lo, batch)
            lo = batch[-1].key
        if seen == 0:
            raise ImportAbort("enterprise.csv holds no enterprises: refusing to cease every organisation")
        if self.dry:
            return
        async with self.store.write() as tx:
            # Entries after the dump's last enterprise are gone too.
            missing = await Bulk(tx.connection).execute(
                "UPDATE register_records SET missing_run = :run WHERE source = 'kbo' AND source_key > :lo"
                " AND (missing_run IS NULL OR missing_run <> :run) AND organisation_id IN"
                " (SELECT id FROM organisations WHERE status <> 'ceased')",
                run=self.run.id, lo=lo,
            )
            self.run.phase, self.run.checkpoint = "establishments", "0"
            await self._commit(tx, {"missing": missing})

    async def _enterprise_batch(self, lo: str, batch: list[Enterprise]) -> None:
        hi = batch[-1].key
        async with self.store.read() if self.dry else self.store.write() as tx:
            b = Bulk(tx.connection)
            if not self.dry:
                await b.tune()
            now = b.time(self.store.clock.now())
            records_sql = (
                "SELECT r.source_key, r.organisation_id, r.fingerprint, r.missing_run, o.status, o.type"
                " FROM register_records r JOIN organisations o ON o.id = r.organisation_id WHERE r.source = 'kbo' AND "
            )  # fmt: skip
            if self.partial:  # an update extract: a few scattered enterprises, not a range of the register
                rows = await b.rows(records_sql + "r.source_key IN :keys", keys=[e.key for e in batch])
            else:
                rows = await b.rows(records_sql + "r.source_key > :lo AND r.source_key <= :hi", lo=lo, hi=hi)
            existing = {row[0]: row for row in rows}
            good = [e for e in batch if e.problem is None]
            new_keys = [e.key for e in good if e.key not in existing]
            adoptable = {}
            if new_keys:
                adoptable = {
                    row[0]: row
                    for row in await b.rows(
                        "SELECT i.value, o.id, o.type FROM organisation_identifiers i"
                        " JOIN organisations o ON o.id = i.organisation_id"
                        " WHERE i.kind = 'enterprise_number' AND i.value IN :keys",
                        keys=new_keys,
                    )
                }
            c: Counter[str] = Counter()
            orgs, idents, names, records = [], [], [], []
            org_updates, record_updates, renamed = [], [], []
            for ent in good:
                want = Desired(ent, self.local_forms)
                rec = existing.get(ent.key)
                if rec is not None:
                    org_id = rec[1]
                    if rec[2] == want.fingerprint and rec[4] != "ceased":
                        if rec[3] is not None:  # seen again after an interrupted run thought it gone
                            record_updates.append({"key": ent.key, "fp": want.fingerprint})
                        c["unchanged"] += 1
                        continue
                    record_updates.append({"key": ent.key, "fp": want.fingerprint})
                elif (found := adoptable.get(ent.key)) is not None:
                    org_id = found[1]
                    if found[2] not in KBO_TYPES:  # a Flemish entity or school: its own register decides
                        c["unchanged"] += 1
                        continue
                    records.append((SOURCE, ent.key, org_id, want.fingerprint, None))
                else:
                    org_id = next(self.ids)
                    address = b.json(want.address)
                    orgs.append((org_id, want.type, want.name, want.short_name, want.search_name(), "active",
                                 address, None, 1, now, now))  # fmt: skip
                    idents.append((org_id, "enterprise_number", ent.key, 0))
                    names.extend(want.name_rows(org_id))
                    records.append((SOURCE, ent.key, org_id, want.fingerprint, None))
                    c["created"] += 1
                    continue
                org_updates.append({
                    "id": org_id, "type": want.type, "name": want.name, "short_name": want.short_name,
                    "search_name": want.search_name(), "address": b.json(want.address), "now": now,
                })  # fmt: skip
                renamed.append(org_id)
                names.extend(want.name_rows(org_id, with_main=rec is not None and rec[5] not in KBO_TYPES))
                c["updated"] += 1
            c["skipped"] = len(batch) - len(good)
            present = {e.key for e in batch}
            gone = [] if self.partial else [k for k, rec in existing.items() if k not in present and rec[4] != "ceased"]
            if self.dry:
                self.run.add(**c)
                return
            await b.insert("organisations", ORG_COLUMNS, orgs)
            await b.insert("organisation_identifiers", IDENTIFIER_COLUMNS, idents)
            await b.execute_many(UPDATE_ORG, org_updates)
            if renamed:
                await b.execute("DELETE FROM organisation_names WHERE organisation_id IN :ids AND position < :units",
                                ids=renamed, units=UNIT_NAMES_FROM)  # fmt: skip
            await b.insert("organisation_names", NAME_COLUMNS, names)
            await b.insert("register_records", RECORD_COLUMNS, records)
            await b.execute_many(
                "UPDATE register_records SET fingerprint = :fp, missing_run = NULL"
                " WHERE source = 'kbo' AND source_key = :key",
                record_updates,
            )
            if gone:
                await b.execute(
                    "UPDATE register_records SET missing_run = :run WHERE source = 'kbo' AND source_key IN :keys",
                    run=self.run.id, keys=gone,
                )
            c["missing"] = len(gone)
            self.run.checkpoint = hi
            await self._commit(tx, dict(c), first=batch[0].key, last=hi)
        self._report_progress("enterprises", self.dump.enterprise if self.dump else None)

    # --- establishment units -------------------------------------------------------------------

    async def establishments(self) -> None:
        after = int(self.run.checkpoint or 0)
        batch: list[tuple[int, str, str, list[tuple[str, str, str]]]] = []
        for line, number, owner, names in self.dump.unit_names(self.rep.bad):
            if line <= after:
                continue
            batch.append((line, number, owner, names))
            if len(batch) >= self.batch_size:
                await self._establishment_batch(batch)
                batch = []
        if batch:
            await self._establishment_batch(batch)

    async def _establishment_batch(self, batch: list[tuple[int, str, str, list[tuple[str, str, str]]]]) -> None:
        async with self.store.write() as tx:
            b = Bulk(tx.connection)
            await b.tune()
            owners = dict(
                await b.rows(
                    "SELECT value, organisation_id FROM organisation_identifiers"
                    " WHERE kind = 'enterprise_number' AND value IN :keys",
                    keys=sorted({e[2] for e in batch}),
                )
            )
            existing = dict(
                await b.rows(
                    "SELECT value, organisation_id FROM organisation_identifiers"
                    " WHERE kind = 'establishment_number' AND value IN :keys",
                    keys=[e[1] for e in batch],
                )
            )
            c: Counter[str] = Counter()
            inserts, moves = [], []
            for line, number, owner, _names in batch:
                org_id = owners.get(owner)
                if org_id is None:
                    file = "establishment_insert.csv" if self.dump is None else self.dump.establishment.name
                    self.rep.bad(file, line, r.UNKNOWN_ENTERPRISE, number)
                    c["establishments_skipped"] += 1
                elif number not in existing:
                    inserts.append((org_id, "establishment_number", number, 0))
                    existing[number] = org_id  # a number listed twice is inserted once
                    c["established"] += 1
                elif existing[number] != org_id:  # transferred to another enterprise
                    moves.append({"org": org_id, "value": number})
                    c["established"] += 1
            await b.insert("organisation_identifiers", IDENTIFIER_COLUMNS, inserts)
            await b.execute_many(
                "UPDATE organisation_identifiers SET organisation_id = :org"
                " WHERE kind = 'establishment_number' AND value = :value",
                moves,
            )
            c["unit_names"] = await self._unit_names(b, [(owners[e[2]], e[2], e[3]) for e in batch
                                                         if e[3] and e[2] in owners])  # fmt: skip
            self.run.checkpoint = str(batch[-1][0])
            await self._commit(tx, dict(c))
        self._report_progress("establishments", self.dump.establishment if self.dump else None)

    async def _unit_names(self, b: Bulk, named: list[tuple[str, str, list[tuple[str, str, str]]]]) -> int:
        """Add the units' names (commercial names, mostly) to their enterprise's names; an enterprise
        with no name of its own takes its first unit's. Names already there are not added again."""
        if not named:
            return 0
        org_ids = sorted({org for org, _key, _names in named})
        have: dict[str, set[str]] = {}
        top: dict[str, int] = {}
        for org, position, name in await reg.names_from(b.conn, org_ids, 0):
            have.setdefault(org, set()).add(name)
            if UNIT_NAMES_FROM <= position < reg.ENTRY_NAMES:
                top[org] = max(top.get(org, UNIT_NAMES_FROM - 1), position)
        current = await reg.organisation_names(b.conn, org_ids)
        rows, renames, now = [], [], b.time(self.store.clock.now())
        for org, key, names in named:
            for _kind, language, name in sorted(names, key=lambda n: PREFERENCE[n[1]]):
                name = name[:512]
                if current.get(org) == placeholder(key):
                    current[org] = name
                    renames.append({"id": org, "name": name, "search": normalise_search_text(name),
                                    "old": placeholder(key), "now": now})  # fmt: skip
                if name in have.setdefault(org, set()) or name == current.get(org):
                    continue
                have[org].add(name)
                top[org] = top.get(org, UNIT_NAMES_FROM - 1) + 1
                rows.append((org, top[org], "unit_name", language, name, normalise_search_text(name)))
        await b.insert("organisation_names", NAME_COLUMNS, rows)
        await reg.rename_unnamed(b.conn, renames)
        return len(rows)

    # --- completion ----------------------------------------------------------------------------

    async def finish(self) -> None:
        async with self.store.write() as tx:
            b = Bulk(tx.connection)
            now = b.time(self.store.clock.now())
            ceased = [
                row[0]
                for row in await b.rows(
                    "SELECT r.organisation_id FROM register_records r"
                    " JOIN organisations o ON o.id = r.organisation_id"
                    " WHERE r.source = 'kbo' AND r.missing_run = :run AND o.status = 'active'",
                    run=self.run.id,
                )
            ]
            await b.execute(
                "UPDATE organisations SET status = 'ceased', version = version + 1, updated_at = :now"
                " WHERE status = 'active' AND id IN (SELECT organisation_id FROM register_records"
                " WHERE source = 'kbo' AND missing_run = :run)",
                now=now, run=self.run.id,
            )  # fmt: skip
            beyond = set(ceased) - self.may_cease
            if beyond:  # the database changed since the plan was made: hold rather than cease unasked
                raise ImportHeld(f"held before ceasing: {len(beyond)} organisations are missing that the check before"
                                 " the import did not list; run the import again to see and confirm them")  # fmt: skip
            self.run.counts["ceased"] = len(ceased)
            self.run.extra["ceased_ids"] = ceased[:1000]  # the change log names them when few
            self.run.counts["bad_rows"] = self.bad_before + self.rep.count
            await runs.complete(self.store, tx, self.run, ACTOR, self.rep.offset())

    def _report_progress(self, phase: str, source) -> None:  # type: ignore[no-untyped-def]
        if self.progress is not None and self.dump is not None:
            self.progress(phase, source.position, source.size, source.line)


__all__ = ["LOCAL_GOVERNMENT_FORMS", "dry_run_kbo", "import_kbo"]
