"""Safeguards before a register import writes: a stale or out-of-order extract, and mass ceasing.

A national register feed can take rights away: ceasing an organisation makes every check on it answer
``organisation_ceased``. So before a full KBO import writes anything it works out what it would cease
(a light pass over enterprise.csv against the stored records) and holds, writing nothing, when that is
more than a share of the active organisations (``RIGHTS_IMPORT_MAX_CEASE_PERCENT``, 0.5 % by default)
or touches any organisation that still has an administrator or an active grant. The operator reads
the list and confirms its exact size (``--confirm-cease N``); a different dump gives a different
count, so a confirmation never carries over to a dump it was not given for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rights.imports.kbo_dump import Meta
from rights.imports.rows import ImportAbort, ImportHeld
from rights.storage import SqlStore
from rights.storage import registers as reg

DEFAULT_MAX_CEASE_PERCENT = 0.5


@dataclass
class CeasePlan:
    impacts: list[reg.CeaseImpact]
    active: int  # active organisations the source keeps a record of

    @property
    def count(self) -> int:
        return len(self.impacts)

    @property
    def protected(self) -> list[reg.CeaseImpact]:
        return [i for i in self.impacts if i.protected]

    def percent(self) -> float:
        return 100.0 * self.count / self.active if self.active else 0.0

    def hold_reason(self, max_percent: float, confirm: int | None) -> str | None:
        """Why this ceasing needs a confirmation, or None when it may go ahead."""
        if not self.impacts or confirm == self.count:
            return None
        reasons = []
        if self.percent() > max_percent:
            reasons.append(f"{self.count} of {self.active} active organisations ({self.percent():.2f} %) is more"
                           f" than the {max_percent:g} % allowed")  # fmt: skip
        if self.protected:
            reasons.append(f"{len(self.protected)} of them still have administrators or active grants")
        if not reasons:
            return None
        held = "; ".join(reasons)
        if confirm is not None:
            held += f"; --confirm-cease {confirm} does not match the {self.count} this dump would cease"
        return (f"nothing written: this import would cease {self.count} organisations: {held}. Check the"
                f" dump (truncated? wrong file?); if the ceasing is right, run again with --confirm-cease {self.count}")  # fmt: skip

    def lines(self) -> list[str]:
        return [
            f"would cease {i.source_key} {i.name!r}: {i.administrators} administrators, {i.grants} active grants"
            for i in self.impacts
        ]

    def check(self, max_percent: float, confirm: int | None) -> None:
        reason = self.hold_reason(max_percent, confirm)
        if reason is not None:
            raise ImportHeld(reason, self.lines())


async def plan_ceasing(store: SqlStore, source: str, present: Iterator[str]) -> CeasePlan:
    """What a full import would cease: the active records of ``source`` whose key ``present`` (sorted,
    the dump's keys) lacks. A streamed merge, in constant memory apart from the list itself."""
    missing: list[tuple[str, str]] = []
    active = 0
    current = next(present, None)
    if current is None:
        raise ImportAbort("the dump holds no enterprises (empty or cut-off enterprise.csv): refusing to cease"
                          " every organisation")  # fmt: skip
    async with store.read() as tx:
        async for key, org_id in reg.active_records(tx.connection, source):
            active += 1
            while current is not None and current < key:
                current = next(present, None)
            if current != key:
                missing.append((key, org_id))
        for _ in present:  # read to the end: a file unsorted further on is refused now, not mid-import
            pass
        impacts = await reg.cease_impact(tx.connection, missing, store.clock.now())
    return CeasePlan(impacts, active)


async def check_extract(store: SqlStore, source: str, meta: Meta, *, force: bool) -> None:
    """Refuse an extract not newer than the last one imported, and an update that skips one."""
    async with store.read() as tx:
        state = await reg.last_completed_state(tx.connection, source)
    last = (state or {}).get("extract")
    if not last:
        if meta.type == "update" and not force:
            raise ImportHeld(f"update extract {meta.number}: no full extract was imported before it; import the"
                             " latest full dump first (or --force)")  # fmt: skip
        return
    last_number, last_snapshot = int(last["number"]), str(last["snapshot"])
    if meta.type == "update" and meta.number > last_number + 1:
        raise ImportAbort(f"update extract {meta.number} leaves a gap: the last extract imported is {last_number};"
                          f" apply {last_number + 1} first (or import a newer full dump)")  # fmt: skip
    stale = meta.number <= last_number if meta.type == "update" else meta.snapshot.isoformat() <= last_snapshot
    if stale and not force:
        raise ImportHeld(f"stale extract, nothing written: {meta.describe()} is not newer than the last one imported"
                         f" ({last.get('type', 'full')} extract {last_number} of {last_snapshot}); run again with"
                         " --force to import it anyway")  # fmt: skip


def extract_state(meta: Meta) -> dict[str, object]:
    return {"number": meta.number, "snapshot": meta.snapshot.isoformat(), "type": meta.type}


__all__ = ["DEFAULT_MAX_CEASE_PERCENT", "CeasePlan", "check_extract", "extract_state", "plan_ceasing"]
