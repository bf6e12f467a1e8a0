"""Loading a small register (organisation register, schools) once its rows are read into ``Entry`` values.

Tens of thousands of rows, so simpler than the KBO path: batches of 1,000 with the same fingerprints
in ``register_records`` (unchanged entries are not rewritten), an organisation already known under one
of the entry's identifiers is taken over rather than duplicated, and parents are linked after all
entries are in. One change-log entry per batch that changed something and one per run.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from rights.domain.services.base import ORG_PREFIX, new_id
from rights.domain.text import normalise_search_text
from rights.imports import report as r
from rights.imports import runs
from rights.imports.bulk import Bulk
from rights.imports.report import BadRowReport
from rights.storage import SqlStore
from rights.storage import registers as reg

BATCH = 1000
UPDATE = """UPDATE organisations SET type = :type, name = :name, short_name = :short_name,
  search_name = :search_name, address = :address, status = :status, version = version + 1, updated_at = :now
WHERE id = :id"""


@dataclass
class Entry:
    key: str
    line: int
    type: str
    name: str
    short_name: str | None
    identifiers: dict[str, str | None]  # kind -> normalised value
    active: bool = True
    address: dict[str, str] | None = None
    parent_key: str | None = None

    def fingerprint(self) -> str:
        # "names-2": the short name got a name row of its own (issue 11); a new marker rewrites every
        # entry once, so entries imported before get it too
        raw = repr(("names-2", self.type, self.name, self.short_name, sorted(self.identifiers.items()), self.active,
                    self.address))  # fmt: skip
        return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


async def import_entries(
    store: SqlStore, source: str, dump_id: str, entries: list[Entry], rep: BadRowReport, *, parent_kind: str
) -> dict[str, int]:
    actor = f"import:{source}"
    run = await runs.start(store, source, dump_id, rep.path, actor)
    run.counts = dict.fromkeys(("created", "updated", "unchanged", "ceased", "skipped", "bad_rows", "parents"), 0)
    for start in range(0, len(entries), BATCH):
        async with store.write() as tx:
            b = Bulk(tx.connection)
            await b.tune()
            c = await _batch(b, source, entries[start : start + BATCH], rep, store)
            run.add(**c)
            if c["created"] or c["updated"]:
                await tx.record(kind="register_import_batch", entity="import_run", entity_id=str(run.id),
                                data={"source": source, **c}, actor=actor)  # fmt: skip
            await runs.checkpoint(tx, run, store.clock.now(), rep.offset())
    async with store.write() as tx:
        run.counts["parents"] = await _link_parents(Bulk(tx.connection), source, entries, rep, parent_kind, store)
        run.counts["bad_rows"] = rep.count
        await runs.complete(store, tx, run, actor, rep.offset())
    return run.counts


async def _batch(b: Bulk, source: str, batch: list[Entry], rep: BadRowReport, store: SqlStore) -> Counter[str]:
    now = b.time(store.clock.now())
    known = {row[0]: row for row in await b.rows(
        "SELECT r.source_key, r.organisation_id, r.fingerprint FROM register_records r"
        " WHERE r.source = :source AND r.source_key IN :keys", source=source, keys=[e.key for e in batch])}  # fmt: skip
    holders: dict[tuple[str, str], tuple[str, str, str]] = {}  # (kind, value) -> (organisation, its type, name)
    for kind in sorted({k for e in batch for k, v in e.identifiers.items() if v}):
        values = sorted({e.identifiers[kind] for e in batch if e.identifiers.get(kind)})
        for value, org_id, org_type, org_name in await b.rows(
            "SELECT i.value, i.organisation_id, o.type, o.name FROM organisation_identifiers i JOIN organisations o"
            " ON o.id = i.organisation_id WHERE i.kind = :kind AND i.value IN :values", kind=kind, values=values,
        ):  # fmt: skip
            holders[(kind, value)] = (org_id, org_type, org_name)
    c: Counter[str] = Counter(created=0, updated=0, unchanged=0, ceased=0)
    orgs, idents, records, updates, record_updates, replaced = [], [], [], [], [], []
    own_names: list[tuple[str, int, str, str, str, str]] = []  # the entry's short name, a row of its own
    former: dict[str, str] = {}  # organisation taken over -> the name it had (e.g. its Dutch KBO name)
    for e in batch:
        fingerprint = e.fingerprint()
        rec = known.get(e.key)
        if rec is not None and rec[2] == fingerprint:
            c["unchanged"] += 1
            continue
        org_id = rec[1] if rec is not None else next(
            (holders[(k, v)][0] for k, v in e.identifiers.items() if v and (k, v) in holders), None)  # fmt: skip
        taken = [(k, v) for k, v in e.identifiers.items() if v and (k, v) in holders and holders[(k, v)][0] != org_id]
        if taken:  # another organisation holds one of its identifiers: skip rather than merge two
            rep.bad(rep_name(e), e.line, "duplicate_identifier", e.key)
            c["skipped"] += 1
            continue
        status = "active" if e.active else "ceased"
        search = normalise_search_text(" ".join(filter(None, (e.name, e.short_name))))
        if org_id is None:
            org_id = new_id(ORG_PREFIX)
            orgs.append((org_id, e.type, e.name, e.short_name, search, status, b.json(e.address), None, 1, now, now))
            c["created"] += 1
        else:
            holder = next((holders[(k, v)] for k, v in e.identifiers.items() if v and (k, v) in holders), None)
            if rec is None and holder is not None and holder[2] != e.name:
                former[org_id] = holder[2]  # taken over: its old name must still find it
            updates.append({"id": org_id, "type": e.type, "name": e.name, "short_name": e.short_name,
                            "search_name": search, "address": b.json(e.address), "status": status, "now": now})  # fmt: skip
            replaced.append(org_id)
            c["updated"] += 1
        c["ceased"] += not e.active
        if e.short_name:  # its own row, so that typing just the abbreviation ("BL") finds it exactly
            own_names.append((org_id, reg.ENTRY_NAMES, "abbreviation", "", e.short_name,
                              normalise_search_text(e.short_name)))  # fmt: skip
        idents.extend((org_id, k, v, 0) for k, v in e.identifiers.items() if v)
        if rec is None:
            records.append((source, e.key, org_id, fingerprint, None))
        else:
            record_updates.append({"fp": fingerprint, "source": source, "key": e.key})
    await b.execute_many(UPDATE, updates)
    if replaced:  # establishment numbers stay: they come from KBO
        kinds = sorted({k for e in batch for k in e.identifiers})
        await b.execute("DELETE FROM organisation_identifiers WHERE organisation_id IN :ids AND kind IN :kinds",
                        ids=replaced, kinds=kinds)  # fmt: skip
    await b.insert("organisations", ("id", "type", "name", "short_name", "search_name", "status", "address",
                                     "parent_id", "version", "created_at", "updated_at"), orgs)  # fmt: skip
    await b.insert("organisation_identifiers", ("organisation_id", "kind", "value", "position"), idents)
    await b.insert("register_records", ("source", "source_key", "organisation_id", "fingerprint", "missing_run"),
                   records)  # fmt: skip
    written = [o[0] for o in orgs] + [u["id"] for u in updates]
    await reg.replace_names(b.conn, written, reg.ENTRY_NAMES, reg.FORMER_NAMES, own_names)
    if former:
        kept = await reg.names_from(b.conn, sorted(former), reg.FORMER_NAMES)
        have = {(org, name) for org, _pos, name in kept}
        top = {org: pos for org, pos, _name in sorted(kept, key=lambda k: k[1])}
        rows = [(org, top.get(org, reg.FORMER_NAMES - 1) + 1, "former_name", "", name, normalise_search_text(name))
                for org, name in former.items() if (org, name) not in have]  # fmt: skip
        await reg.replace_names(b.conn, [], 0, 0, rows)
    await b.execute_many("UPDATE register_records SET fingerprint = :fp WHERE source = :source AND source_key = :key",
                         record_updates)  # fmt: skip
    return c


def rep_name(e: Entry) -> str:
    return "organisations" if e.type == "flemish_entity" else "schools"


async def _link_parents(b: Bulk, source: str, entries: list[Entry], rep: BadRowReport, parent_kind: str,
                        store: SqlStore) -> int:  # fmt: skip
    wanted = [e for e in entries if e.parent_key]
    if not wanted:
        return 0
    own = dict(await b.rows("SELECT source_key, organisation_id FROM register_records WHERE source = :source",
                            source=source))  # fmt: skip
    keys, parents = sorted({e.parent_key for e in wanted}), {}
    for i in range(0, len(keys), 5000):  # bounded IN lists (SQLite allows 32,766 parameters)
        parents.update(await b.rows("SELECT value, organisation_id FROM organisation_identifiers"
                                    " WHERE kind = :kind AND value IN :values", kind=parent_kind,
                                    values=keys[i : i + 5000]))  # fmt: skip
    now, params = b.time(store.clock.now()), []
    for e in wanted:
        parent, child = parents.get(e.parent_key), own.get(e.key)
        if parent is None:
            rep.bad(rep_name(e), e.line, r.UNKNOWN_PARENT, e.key)
        elif child is not None and child != parent:
            params.append({"id": child, "parent": parent, "now": now})
    linked = 0
    for p in params:  # only where it differs: a rerun changes nothing
        linked += await b.execute(
            "UPDATE organisations SET parent_id = :parent, version = version + 1, updated_at = :now"
            " WHERE id = :id AND (parent_id IS NULL OR parent_id <> :parent)", **p)  # fmt: skip
    return linked


__all__ = ["Entry", "import_entries"]
