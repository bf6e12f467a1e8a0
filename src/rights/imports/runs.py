"""Import runs: start or resume one, checkpoint it inside each batch's transaction, complete it.

A run is resumed when the latest run of the same source is still ``running`` and was reading the same
dump; a run of another dump is marked ``abandoned`` and a new one starts from the beginning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from rights.domain.model import AuditEvent
from rights.storage import SqlStore, SqlTx
from rights.storage.tables import import_runs

RUNNING, COMPLETED, ABANDONED = "running", "completed", "abandoned"


@dataclass
class Run:
    id: int
    source: str
    phase: str
    checkpoint: str
    counts: dict[str, int]
    lines: dict[str, int]  # per input file: the last line whose effects are committed
    report_offset: int
    resumed: bool
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, **counts: int) -> None:
        for key, n in counts.items():
            self.counts[key] = self.counts.get(key, 0) + n

    def state(self) -> dict[str, Any]:
        return {"counts": self.counts, "lines": self.lines, **self.extra}


async def start(store: SqlStore, source: str, dump_id: str, report: Path | None, actor: str) -> Run:
    t = import_runs
    async with store.write() as tx:
        conn = tx.connection
        latest = (
            (await conn.execute(select(t).where(t.c.source == source).order_by(t.c.id.desc()).limit(1)))
            .mappings()
            .first()
        )
        if latest is not None and latest["status"] == RUNNING:
            if latest["dump_id"] == dump_id:
                state = dict(latest["state"])
                return Run(
                    id=latest["id"], source=source, phase=latest["phase"], checkpoint=latest["checkpoint"],
                    counts=dict(state.pop("counts", {})), lines=dict(state.pop("lines", {})),
                    report_offset=latest["report_offset"], resumed=True, extra=state,
                )  # fmt: skip
            await conn.execute(update(t).where(t.c.id == latest["id"]).values(status=ABANDONED))
        now = store.clock.now()
        run_id = (
            await conn.execute(
                insert(t)
                .values(
                    source=source, dump_id=dump_id, status=RUNNING, phase="start", checkpoint="",
                    state={}, report_path=None if report is None else str(report), report_offset=0,
                    started_at=now, updated_at=now,
                )  # fmt: skip
                .returning(t.c.id)
            )
        ).scalar_one()
        await _audit(store, tx, actor, "register_import_started", run_id, {"dump": dump_id})
    return Run(run_id, source, "start", "", {}, {}, 0, resumed=False)


async def checkpoint(tx: SqlTx, run: Run, now: Any, report_offset: int) -> None:
    """Save the run's progress in the batch's own transaction: committed together or not at all."""
    await tx.connection.execute(
        update(import_runs)
        .where(import_runs.c.id == run.id)
        .values(phase=run.phase, checkpoint=run.checkpoint, state=run.state(), report_offset=report_offset,
                updated_at=now)  # fmt: skip
    )


async def complete(store: SqlStore, tx: SqlTx, run: Run, actor: str, report_offset: int) -> int:
    """Mark the run completed and log it once: the change-log entry of the whole run."""
    now = store.clock.now()
    run.phase = "done"
    await checkpoint(tx, run, now, report_offset)
    await tx.connection.execute(
        update(import_runs).where(import_runs.c.id == run.id).values(status=COMPLETED, finished_at=now)
    )
    data = {"source": run.source, "run": run.id, **run.counts, **run.extra}
    revision = await tx.record(
        kind="register_import_completed", entity="import_run", entity_id=str(run.id), data=data, actor=actor
    )
    await _audit(store, tx, actor, "register_import_completed", run.id, {"revision": revision, **run.counts})
    return revision


async def _audit(store: SqlStore, tx: SqlTx, actor: str, action: str, run_id: int, details: dict) -> None:
    await tx.audit(
        AuditEvent(
            at=store.clock.now(), actor=actor, actor_kind="import", action=action,
            target=f"import_run:{run_id}", details=details,
        )  # fmt: skip
    )


__all__ = ["Run", "checkpoint", "complete", "start"]
