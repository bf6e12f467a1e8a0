"""Keeps one process's decision index current: built from the store, then fed from the change log.

The change table is the source of truth. A push from the store (PostgreSQL LISTEN/NOTIFY) or a poll
wakes the keeper; it reads the changes after its revision and re-reads the entities they touched in
one snapshot, so the index never runs ahead of what it can vouch for. Only then does it change the
index, and it does so together with the revision in one synchronous step (``DecisionIndex.apply``):
an answer reports revision R exactly when it reflects every change up to R and none after (issue 18).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from rights.domain import snapshot as snap
from rights.domain.catalogue import Catalogue
from rights.domain.index import DecisionIndex, IndexUpdate
from rights.domain.model import Change
from rights.domain.ports import Store, Tx

_BATCH = 1_000
ORG_REFRESH_SECONDS = 30.0


class _LoopBound:
    """asyncio's Lock, Condition and Event belong to the loop that first waits on them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lock = asyncio.Lock()
        self.advanced = asyncio.Condition()
        self.wake = asyncio.Event()


class IndexKeeper:
    def __init__(self, store: Store, catalogue: Catalogue, *, poll_interval: float = 0.5,
                 snapshot: Path | None = None) -> None:
        self.store = store
        self.snapshot = snapshot  # where the index's snapshot lives (RIGHTS_INDEX_SNAPSHOT); None: none
        self.started_from: str | None = None  # "snapshot" or why the store was read instead
        self.catalogue = catalogue
        self.poll_interval = poll_interval
        self.index = DecisionIndex(catalogue)
        self.built_in: float | None = None
        self._loop_bound: _LoopBound | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], Awaitable[None]] | None = None
        self.failures = 0
        self._orgs_stale = False
        self._orgs_refreshed = 0.0
        self.last_error: str | None = None

    def _primitives(self) -> _LoopBound:
        """The keeper's lock, condition and wake-up event for the running loop.

        A keeper built on one loop and later driven from another (a test client's portal, a CLI's
        ``asyncio.run``) would otherwise fail with "bound to a different event loop" at the first
        contended ``catch_up``. Only one loop drives a keeper at a time; a new loop gets new ones.
        """
        loop = asyncio.get_running_loop()
        bound = self._loop_bound
        if bound is None or bound.loop is not loop:
            bound = self._loop_bound = _LoopBound(loop)
        return bound

    @property
    def revision(self) -> int:
        return self.index.revision

    async def build(self) -> None:
        """Stream everything into a fresh index within one read snapshot, then swap it in."""
        started = time.perf_counter()
        index = DecisionIndex(self.catalogue)
        # Millions of long-lived objects: the cyclic GC would walk them again and again while building.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            header = await self._fill(index)
        finally:
            if gc_was_enabled:
                gc.enable()
        self.index = index
        self.built_in = time.perf_counter() - started
        if header is not None and self.snapshot is not None:
            with contextlib.suppress(OSError):  # a snapshot is an optimisation: the index stands without it
                snap.write(self.snapshot, header, index)

    async def _fill(self, index: DecisionIndex) -> snap.Header | None:
        """Fill ``index`` from one read snapshot; the snapshot file's header for it (if one is wanted)."""
        async with self.store.read() as tx:
            index.revision = await tx.latest_revision()
            header = None
            if self.snapshot is not None and index.revision > 0:
                header = snap.Header(format=snap.FORMAT, layout=snap.LAYOUT, database=await tx.change_hash(1) or "",
                                     revision=index.revision,
                                     revision_hash=await tx.change_hash(index.revision) or "",
                                     catalogue=snap.catalogue_hash(self.catalogue))
            async for org in tx.stream_organisations():
                index.put_organisation(org)
            async for person in tx.stream_persons():
                index.put_person(person)
            async for relation in tx.stream_work_relations():
                index.put_work_relation(relation)
            async for grant in tx.stream_grants():
                index.put_grant(grant)
            async for mandate in tx.stream_mandates():
                index.put_mandate(mandate)
            async for succession in tx.stream_successions():
                index.put_succession(succession)
        return header

    async def restore(self) -> bool:
        """Fill the index from the snapshot file and catch it up from the change log (True), or say why
        not in ``started_from`` and leave the index alone (False). A snapshot of another database or
        another catalogue, ahead of this database, or with a single bad byte is never used."""
        if self.snapshot is None:
            self.started_from = "no snapshot configured"
            return False
        if not self.snapshot.exists():
            self.started_from = "no snapshot file"
            return False
        started = time.perf_counter()
        try:
            header = snap.read_header(self.snapshot)
        except snap.SnapshotError:
            self.started_from = "corrupt"
            return False
        async with self.store.read() as tx:
            reason = snap.why_not(header, database=await tx.change_hash(1),
                                  revision_hash=await tx.change_hash(header.revision),
                                  catalogue=snap.catalogue_hash(self.catalogue))
        if reason is not None:
            self.started_from = reason
            return False
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            index = snap.load(self.snapshot, header, self.catalogue)  # the checksum is verified first
        except snap.SnapshotError:
            self.started_from = "corrupt"
            return False
        finally:
            if gc_was_enabled:
                gc.enable()
        self.index = index
        await self.catch_up()
        self.started_from = "snapshot"
        self.built_in = time.perf_counter() - started
        return True

    async def start(self) -> None:
        if not await self.restore():  # a sound snapshot, caught up; otherwise the store (and a new snapshot)
            await self.build()
        self._unsubscribe = await self.store.subscribe(self.nudge)
        if self._unsubscribe is not None:
            # The store pushes every commit; polling is only the safety net then.
            self.poll_interval = max(self.poll_interval, 2.0)
        self._task = asyncio.create_task(self._run(), name="rights-index-keeper")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            await self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def nudge(self) -> None:
        """Something was committed: catch up now rather than at the next poll."""
        if (bound := self._loop_bound) is not None:
            bound.wake.set()

    async def _run(self) -> None:
        while True:
            wake = self._primitives().wake
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.poll_interval)
            wake.clear()
            try:
                await self.catch_up()  # also refreshes organisations when an import left them stale
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - a failed round is retried at the next wake-up
                self.failures += 1
                self.last_error = f"{type(exc).__name__}"

    async def catch_up(self) -> int:
        """Apply every committed change after the index's revision; returns how many.

        Everything is read first, in one snapshot (the changes and the entities they touched, as they
        stand at the snapshot's last change), and then applied with that revision in one synchronous
        step (:meth:`DecisionIndex.apply`), so no answer ever sees one without the other.
        """
        async with self._primitives().lock:
            async with self.store.read() as tx:
                batch: list[Change] = []
                while True:  # every page of the same snapshot: entities are read as they stand at its end
                    page = await tx.changes(after=batch[-1].revision if batch else self.index.revision,
                                            limit=_BATCH)
                    batch += page
                    if len(page) < _BATCH:
                        break
                if not batch and not self._refresh_due():
                    return 0
                update = await self._read(tx, batch, self.index.revision)
                if refresh := self._refresh_due():
                    update.organisations = [org async for org in tx.stream_organisations()]
            if refresh:
                self._orgs_stale = False
                self._orgs_refreshed = time.monotonic()
            self.index.apply(update)
        if batch:
            advanced = self._primitives().advanced
            async with advanced:
                advanced.notify_all()
        return len(batch)

    async def _read(self, tx: Tx, batch: list[Change], revision: int) -> IndexUpdate:
        """The entities ``batch`` touched, as ``tx`` sees them; nothing is put in the index here."""
        index = self.index
        update = IndexUpdate(revision=batch[-1].revision if batch else revision)
        touched: dict[str, set[str]] = {}
        for change in batch:
            touched.setdefault(change.entity, set()).add(change.entity_id)
            # Bulk changes (register imports) name the organisations they touched, or everything.
            if "organisation_ids" in change.data:
                touched.setdefault("organisation", set()).update(change.data["organisation_ids"])
                # an applied succession names everything it moved (rights.domain.services.successions)
                for entity in ("grant", "work_relation", "mandate"):
                    touched.setdefault(entity, set()).update(change.data.get(f"{entity}_ids", ()))
            elif change.entity in ("import", "import_run"):
                # A register import touched organisations in bulk: refresh them all, but at most once
                # per ORG_REFRESH_SECONDS (an import writes many batches).
                self._orgs_stale = True
        orgs = touched.get("organisation", set())
        for org_id in sorted(orgs):
            if (org := await tx.get_organisation(org_id)) is not None:
                update.organisations.append(org)
        persons = touched.get("person", set())
        for person_id in sorted(persons):
            if (person := await tx.get_person(person_id)) is not None:
                update.persons.append(person)
        for relation_id in sorted(touched.get("work_relation", ())):
            if (relation := await tx.get_work_relation(relation_id)) is not None:
                update.work_relations.append(relation)

        async def ensure_organisation(org_id: str) -> None:
            if org_id not in orgs and index.organisation_ix(org_id) is None:
                orgs.add(org_id)
                if (org := await tx.get_organisation(org_id)) is not None:
                    update.organisations.append(org)

        for mandate_id in sorted(touched.get("mandate", ())):
            if (mandate := await tx.get_mandate(mandate_id)) is not None:
                await ensure_organisation(mandate.holder_id)
                update.mandates.append(mandate)
        for succession_id in sorted(touched.get("succession", ())):
            if (succession := await tx.get_succession(succession_id)) is not None:
                update.successions.append(succession)
        for grant_id in sorted(touched.get("grant", ())):
            if (grant := await tx.get_grant(grant_id)) is not None:
                await ensure_organisation(grant.organisation_id)
                if grant.person_id not in persons and index.person_ix(grant.person_id) is None:
                    persons.add(grant.person_id)
                    if (p := await tx.get_person(grant.person_id)) is not None:
                        update.persons.append(p)
                update.grants.append(grant)
        return update

    def _refresh_due(self) -> bool:
        return self._orgs_stale and time.monotonic() - self._orgs_refreshed >= ORG_REFRESH_SECONDS

    async def refresh_organisations(self) -> None:
        """Re-read every organisation (names, identifiers, status) after a bulk register import, together
        with any change committed since (one snapshot, one step)."""
        self._orgs_stale = True
        self._orgs_refreshed = 0.0
        await self.catch_up()

    async def wait_for(self, revision: int, timeout: float) -> bool:
        """Wait until the index has applied ``revision`` (True) or the time is up (False)."""
        if self.index.revision >= revision:
            return True
        self.nudge()
        deadline = asyncio.get_running_loop().time() + timeout
        advanced = self._primitives().advanced
        async with advanced:
            while self.index.revision < revision:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(advanced.wait(), remaining)
        return True
