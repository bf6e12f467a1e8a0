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

from rights.domain.services.base import ORG_PREFIX
from rights.domain.text import normalise_search_text
from rights.imports import report as r
from rights.imports import runs
from rights.imports.bulk import Bulk
from rights.imports.kbo_dump import PREFERENCE, Enterprise, KboDump
from rights.imports.report import BadRowReport
from rights.imports.rows import ImportAbort, kbo_number, valid_date
from rights.storage import SqlStore

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
          "establishments_skipped")  # fmt: skip
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
        main = (by_kind.get("name") or by_kind.get("commercial_name") or by_kind["abbreviation"])[0]
        short = next((n for n in by_kind.get("abbreviation", ()) if n is not main), None)
        self.type = "local_government" if ent.juridical_form in local_forms else "company"
        self.name = main[2][:512]
        self.short_name = None if short is None else short[2][:255]
        self.address = ent.address
        self.names = [n for n in dict.fromkeys(ent.names) if n is not main and n is not short]
        raw = repr((self.type, self.name, self.short_name, self.address, self.names)).encode()
        self.fingerprint = hashlib.blake2b(raw, digest_size=16).hexdigest()

    def search_name(self) -> str:
        return normalise_search_text(" ".join(filter(None, (self.name, self.short_name))))

    def name_rows(self, org_id: str) -> list[tuple]:
        return [
            (org_id, i, kind, lang, name[:512], normalise_search_text(name))
            for i, (kind, lang, name) in enumerate(self.names)
        ]


async def import_kbo(
    store: SqlStore,
    directory: Path,
    *,
    report: Path | None = None,
    batch_size: int = 5000,
    local_forms: Collection[str] = LOCAL_GOVERNMENT_FORMS,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Import (or resume importing) the dump in ``directory``; returns the run's counts."""
    dump = KboDump(directory)
    run = await runs.start(store, SOURCE, dump.dump_id(), report, ACTOR)
    for key in COUNTS:
        run.counts.setdefault(key, 0)
    rep = BadRowReport(report, offset=run.report_offset, reported=run.lines)
    job = _Job(store, dump, run, rep, batch_size, frozenset(local_forms), progress)
    try:
        if run.phase in ("start", "enterprises"):
            await job.enterprises()
        if run.phase == "establishments":
            await job.establishments()
        await job.finish()
    finally:
        rep.close()
    return dict(run.counts)


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

    def _lines(self) -> dict[str, int]:
        d = self.dump
        return {s.name: s.line for s in (d.enterprise, d.denomination, d.address, d.establishment) if s.line}

    async def _commit(self, tx, changes: dict[str, int], **log: object) -> None:  # type: ignore[no-untyped-def]
        run = self.run
        run.add(**changes)
        run.counts["bad_rows"] = self.bad_before + self.rep.count
        run.lines = {**run.lines, **self._lines()}
        if any(changes.get(k) for k in ("created", "updated", "missing", "established")):
            await tx.record(
                kind="register_import_batch", entity="import_run", entity_id=str(run.id),
                data={"source": SOURCE, "phase": run.phase, **log, **changes}, actor=ACTOR,
            )  # fmt: skip
        await runs.checkpoint(tx, run, self.store.clock.now(), self.rep.offset())

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
        async with self.store.write() as tx:
            b = Bulk(tx.connection)
            await b.tune()
            now = b.time(self.store.clock.now())
            existing = {
                row[0]: row
                for row in await b.rows(
                    "SELECT r.source_key, r.organisation_id, r.fingerprint, r.missing_run, o.status"
                    " FROM register_records r JOIN organisations o ON o.id = r.organisation_id"
                    " WHERE r.source = 'kbo' AND r.source_key > :lo AND r.source_key <= :hi",
                    lo=lo, hi=hi,
                )  # fmt: skip
            }
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
                names.extend(want.name_rows(org_id))
                c["updated"] += 1
            c["skipped"] = len(batch) - len(good)
            present = {e.key for e in batch}
            gone = [k for k, rec in existing.items() if k not in present and rec[4] != "ceased"]
            await b.insert("organisations", ORG_COLUMNS, orgs)
            await b.insert("organisation_identifiers", IDENTIFIER_COLUMNS, idents)
            await b.execute_many(UPDATE_ORG, org_updates)
            if renamed:
                await b.execute("DELETE FROM organisation_names WHERE organisation_id IN :ids", ids=renamed)
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
        self._report_progress("enterprises", self.dump.enterprise)

    # --- establishment units -------------------------------------------------------------------

    async def establishments(self) -> None:
        source, after = self.dump.establishment, int(self.run.checkpoint or 0)
        batch: list[tuple[int, str, str]] = []
        for line, row, problem in source.rows():
            if line <= after:
                continue
            number, reason = kbo_number(row[0], "2345678") if row else (None, r.NUMBER)
            owner, owner_reason = kbo_number(row[2]) if problem is None else (None, None)
            if problem is None and number is not None and not valid_date(row[1]):
                problem = r.DATE
            if problem or number is None or owner is None:
                self.rep.bad(source.name, line, problem or reason or owner_reason or r.NUMBER, number or row[0])
                continue
            batch.append((line, number, owner))
            if len(batch) >= self.batch_size:
                await self._establishment_batch(batch)
                batch = []
        if batch:
            await self._establishment_batch(batch)

    async def _establishment_batch(self, batch: list[tuple[int, str, str]]) -> None:
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
            for line, number, owner in batch:
                org_id = owners.get(owner)
                if org_id is None:
                    self.rep.bad(self.dump.establishment.name, line, r.UNKNOWN_ENTERPRISE, number)
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
            self.run.checkpoint = str(batch[-1][0])
            await self._commit(tx, dict(c))
        self._report_progress("establishments", self.dump.establishment)

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
            self.run.counts["ceased"] = len(ceased)
            self.run.extra["ceased_ids"] = ceased[:1000]  # the change log names them when few
            self.run.counts["bad_rows"] = self.bad_before + self.rep.count
            await runs.complete(self.store, tx, self.run, ACTOR, self.rep.offset())

    def _report_progress(self, phase: str, source) -> None:  # type: ignore[no-untyped-def]
        if self.progress is not None:
            self.progress(phase, source.position, source.size, source.line)


__all__ = ["LOCAL_GOVERNMENT_FORMS", "import_kbo"]
