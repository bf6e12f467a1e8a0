"""Keeps one process's decision index current: built from the store, then fed from the change log.

The change table is the source of truth. A push from the store (PostgreSQL LISTEN/NOTIFY) or a poll
wakes the keeper; it reads the changes after its revision and re-reads the entities they touched in
one snapshot, so the index never runs ahead of what it can vouch for.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable

from rights.domain.catalogue import Catalogue
from rights.domain.index import DecisionIndex
from rights.domain.model import Change
from rights.domain.ports import Store, Tx

_BATCH = 1_000
ORG_REFRESH_SECONDS = 30.0


class IndexKeeper:
    def __init__(self, store: Store, catalogue: Catalogue, *, poll_interval: float = 0.5) -> None:
        self.store = store
        self.catalogue = catalogue
        self.poll_interval = poll_interval
        self.index = DecisionIndex(catalogue)
        self.built_in: float | None = None
        self._wake = asyncio.Event()
        self._advanced = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], Awaitable[None]] | None = None
        self._lock = asyncio.Lock()
        self.failures = 0
        self._orgs_stale = False
        self._orgs_refreshed = 0.0
        self.last_error: str | None = None

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
            await self._fill(index)
        finally:
            if gc_was_enabled:
                gc.enable()
        self.index = index
        self.built_in = time.perf_counter() - started

    async def _fill(self, index: DecisionIndex) -> None:
        async with self.store.read() as tx:
            index.revision = await tx.latest_revision()
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

    async def start(self) -> None:
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
        self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()
            try:
                await self.catch_up()
                if self._orgs_stale and time.monotonic() - self._orgs_refreshed >= ORG_REFRESH_SECONDS:
                    await self.refresh_organisations()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - a failed round is retried at the next wake-up
                self.failures += 1
                self.last_error = f"{type(exc).__name__}"

    async def catch_up(self) -> int:
        """Apply every committed change after the index's revision; returns how many."""
        async with self._lock:
            applied = 0
            while True:
                async with self.store.read() as tx:
                    batch = await tx.changes(after=self.index.revision, limit=_BATCH)
                    if not batch:
                        break
                    await self._apply(tx, batch)
                self.index.revision = batch[-1].revision
                applied += len(batch)
                if len(batch) < _BATCH:
                    break
        if applied:
            async with self._advanced:
                self._advanced.notify_all()
        return applied

    async def _apply(self, tx: Tx, batch: list[Change]) -> None:
        index = self.index
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
                # per ORG_REFRESH_SECONDS, outside the catch-up (an import writes many batches).
                self._orgs_stale = True
        for org_id in sorted(touched.get("organisation", ())):
            if (org := await tx.get_organisation(org_id)) is not None:
                index.put_organisation(org)
        for person_id in sorted(touched.get("person", ())):
            if (person := await tx.get_person(person_id)) is not None:
                index.put_person(person)
        for relation_id in sorted(touched.get("work_relation", ())):
            if (relation := await tx.get_work_relation(relation_id)) is not None:
                index.put_work_relation(relation)
        for mandate_id in sorted(touched.get("mandate", ())):
            if (mandate := await tx.get_mandate(mandate_id)) is not None:
                await self._ensure_organisation(tx, mandate.holder_id)
                index.put_mandate(mandate)
        for succession_id in sorted(touched.get("succession", ())):
            if (succession := await tx.get_succession(succession_id)) is not None:
                index.put_succession(succession)
        for grant_id in sorted(touched.get("grant", ())):
            if (grant := await tx.get_grant(grant_id)) is not None:
                await self._ensure_organisation(tx, grant.organisation_id)
                if index.person_ix(grant.person_id) is None and (p := await tx.get_person(grant.person_id)):
                    index.put_person(p)
                index.put_grant(grant)

    async def refresh_organisations(self) -> None:
        """Re-read every organisation (names, identifiers, status) after a bulk register import."""
        self._orgs_stale = False
        self._orgs_refreshed = time.monotonic()
        async with self.store.read() as tx:
            async for org in tx.stream_organisations():
                self.index.put_organisation(org)

    async def _ensure_organisation(self, tx: Tx, org_id: str) -> None:
        if self.index.organisation_ix(org_id) is None and (org := await tx.get_organisation(org_id)):
            self.index.put_organisation(org)

    async def wait_for(self, revision: int, timeout: float) -> bool:
        """Wait until the index has applied ``revision`` (True) or the time is up (False)."""
        if self.index.revision >= revision:
            return True
        self.nudge()
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._advanced:
            while self.index.revision < revision:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._advanced.wait(), remaining)
        return True
