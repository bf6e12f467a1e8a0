"""Directory -> rights: apply a batch of entry changes to the replica and reconcile, in one transaction.

Every way in ends here: the full sync (a paged search of everything), a syncrepl refresh or persist
batch, and a ``modifyTimestamp`` poll. The replica (``directory_entries``), the reconciled domain
changes and the cookie that covers them commit together, so a crash or a lost connection leaves either
all of a batch or none of it, and a restart resumes from the last cookie committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress

import ldap
import msgspec

from rights.directory import metrics
from rights.directory import state as st
from rights.directory.client import connect, decode_attributes, entry_uuid, paged_search
from rights.directory.mapping import Mapping
from rights.directory.reconcile import Reconciler, Report
from rights.directory.records import build_snapshot
from rights.domain.services.base import Core

STREAM = "in"
RawEntry = tuple[str, str, dict[str, list[str]]]  # (uuid, dn, attributes)


class Batch(msgspec.Struct, kw_only=True):
    """Entry changes received from the directory and not yet committed."""

    upserts: dict[str, tuple[str, dict[str, list[str]]]] = {}
    deletes: set[str] = set()
    # When set, the batch is a complete picture: replica entries not in it are gone.
    complete: set[str] | None = None
    cookie: str | None = None
    mode: str = "full"

    def upsert(self, uuid: str, dn: str, attrs: dict[str, list[str]]) -> None:
        self.deletes.discard(uuid)
        self.upserts[uuid] = (dn, attrs)

    def delete(self, uuid: str) -> None:
        self.upserts.pop(uuid, None)
        self.deletes.add(uuid)

    @property
    def empty(self) -> bool:
        return not self.upserts and not self.deletes and self.complete is None


async def apply_batch(core: Core, mapping: Mapping, batch: Batch, *, dry_run: bool = False) -> Report:
    store = core.store
    async with (store.read() if dry_run else store.write()) as tx:
        replica = dict(await st.entries(tx))
        gone = set(batch.deletes)
        if batch.complete is not None:
            gone |= set(replica) - batch.complete
        for uuid in gone:
            replica.pop(uuid, None)
        replica.update(batch.upserts)
        snapshot = build_snapshot(mapping, replica)
        previous = await st.get_state(tx, STREAM)
        holds = {h["key"]: h for h in [*previous.status.get("identity_conflicts", []),
                                       *previous.status.get("held_removals", [])]}
        report = await Reconciler(core, tx, snapshot, dry_run=dry_run, holds=holds).run()
        if dry_run:
            return report
        if gone:
            await st.drop_entries(tx, sorted(gone))
        for uuid, (dn, attrs) in batch.upserts.items():
            await st.put_entry(tx, uuid, dn, attrs)
        incremental = previous.status.get("incremental")
        if batch.mode != "full":  # only an incremental batch shows that incremental sync works
            incremental = {"ok": True, "at": core.now().isoformat(), "error": None}
        status = {
            **{k: v for k, v in previous.status.items() if k in ("last_full_refresh",)},
            "mode": batch.mode,
            "incremental": incremental,
            "entries": {"organisations": len(snapshot.orgs), "persons": len(snapshot.persons),
                        "administrator_groups": len(snapshot.groups)},
            "last_run": report.counts,
            "skipped": [f"{dn}: {reason}" for dn, reason in snapshot.skipped][:50],
            "error": None,
            "identity_conflicts": report.identity_conflicts,
            "held_removals": report.held_removals,
        }
        await st.save_state(tx, msgspec.structs.replace(
            previous, cookie=batch.cookie if batch.cookie is not None else previous.cookie,
            synced_at=core.now(), status=status))
    metrics.observe_sync(status, report.counts)
    return report


async def record_error(core: Core, message: str, stream: str = STREAM, *, incremental: bool = False) -> None:
    """Keep the last error on the status (readyz, ``rights ldap status``); the data stays as it was.

    ``incremental``: the attempt was incremental (syncrepl from a cookie, a poll, follow), so the status
    also says incremental sync does not work until an incremental batch commits again."""
    metrics.SYNC_ERRORS.labels(stream).inc()
    async with core.store.write() as tx:
        previous = await st.get_state(tx, stream)
        status = {**previous.status, "error": message, "error_at": core.now().isoformat()}
        if incremental:
            status["incremental"] = {**(previous.status.get("incremental") or {}), "ok": False, "error": message}
        await st.save_state(tx, msgspec.structs.replace(previous, status=status))
    metrics.observe_error(stream, status)


def read_everything(mapping: Mapping, on_page: Callable[[int], None] | None = None) -> list[RawEntry]:
    """Every in-scope entry, by paged search (runs in a worker thread); ``on_page`` sees each page."""
    assert mapping.sync is not None
    cfg, uuid_name = mapping.connection, mapping.sync.uuid_attribute
    conn = connect(cfg)
    try:
        out = []
        pages = paged_search(conn, mapping.sync.base, mapping.union_filter(), mapping.attributes(), cfg.page_size)
        for page in pages:
            if on_page is not None:
                on_page(len(out))
            for dn, attrs in page:
                uuid = entry_uuid(attrs, uuid_name)
                if uuid is not None:
                    out.append((uuid, dn, decode_attributes(attrs, uuid_name)))
        return out
    finally:
        with suppress(ldap.LDAPError):
            conn.unbind_s()


async def full_sync(
    core: Core, mapping: Mapping, *, dry_run: bool = False, on_page: Callable[[int], None] | None = None
) -> Report:
    """Read the whole directory scope first (nothing is written if that fails), then reconcile at once."""
    found = await asyncio.to_thread(read_everything, mapping, on_page)
    batch = Batch(upserts={}, deletes=set(), complete={u for u, _, _ in found}, mode="full")
    for uuid, dn, attrs in found:
        batch.upsert(uuid, dn, attrs)
    return await apply_batch(core, mapping, batch, dry_run=dry_run)
