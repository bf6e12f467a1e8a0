"""Successions and the organisations they name (mixed into SqlTx; see rights.domain.succession)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import delete, insert, select, update

from rights.domain.errors import Conflict
from rights.domain.model import Succession, SuccessionKind, SuccessionSource, SuccessionStatus
from rights.storage.tables import succession_organisations as links
from rights.storage.tables import successions

_FIELDS = ("id", "effective_at", "reason", "entered_by", "entered_at", "assignments", "plan",
           "applied_at", "applied_by", "version")


def _values(s: Succession) -> dict[str, Any]:
    return {name: getattr(s, name) for name in _FIELDS} | {
        "kind": s.kind.value, "source": s.source.value, "status": s.status.value}


class SuccessionQueries:
    async def _with_sides(self, rows: list[Any]) -> list[Succession]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        sides: dict[str, dict[str, list[tuple[int, str]]]] = {i: {"predecessor": [], "successor": []} for i in ids}
        stmt = select(links).where(links.c.succession_id.in_(ids))
        for link in await self._all(stmt):  # type: ignore[attr-defined]
            sides[link["succession_id"]][link["side"]].append((link["position"], link["organisation_id"]))
        return [
            Succession(
                **{name: r[name] for name in _FIELDS if name not in ("assignments",)},
                assignments=dict(r["assignments"] or {}),
                kind=SuccessionKind(r["kind"]), source=SuccessionSource(r["source"]),
                status=SuccessionStatus(r["status"]),
                predecessor_ids=tuple(o for _, o in sorted(sides[r["id"]]["predecessor"])),
                successor_ids=tuple(o for _, o in sorted(sides[r["id"]]["successor"])),
            )
            for r in rows
        ]

    async def add_succession(self, s: Succession) -> None:
        await self._exec(insert(successions).values(_values(s)))  # type: ignore[attr-defined]
        rows = [{"succession_id": s.id, "organisation_id": o, "side": side, "position": k}
                for side, ids in (("predecessor", s.predecessor_ids), ("successor", s.successor_ids))
                for k, o in enumerate(ids)]
        await self._exec(insert(links), rows)  # type: ignore[attr-defined]

    async def get_succession(self, succession_id: str) -> Succession | None:
        found = await self._with_sides(await self._all(  # type: ignore[attr-defined]
            select(successions).where(successions.c.id == succession_id)))
        return found[0] if found else None

    async def successions(self, *, organisation_id: str | None = None, status: SuccessionStatus | None = None
                          ) -> list[Succession]:
        """Successions naming the organisation on either side (all without a filter), oldest date first."""
        stmt = select(successions).order_by(successions.c.effective_at, successions.c.id)
        if organisation_id is not None:
            stmt = stmt.where(successions.c.id.in_(
                select(links.c.succession_id).where(links.c.organisation_id == organisation_id)))
        if status is not None:
            stmt = stmt.where(successions.c.status == SuccessionStatus(status).value)
        return await self._with_sides(await self._all(stmt))  # type: ignore[attr-defined]

    async def save_succession(self, s: Succession, *, expected_version: int) -> None:
        """Status, assignments and plan; the organisations named are replaced while it is proposed."""
        stmt = (update(successions)
                .where(successions.c.id == s.id, successions.c.version == expected_version)
                .values(_values(s)))
        if (await self._exec(stmt)).rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("version_conflict", "expected_version")
        await self._exec(delete(links).where(links.c.succession_id == s.id))  # type: ignore[attr-defined]
        await self._exec(insert(links), [  # type: ignore[attr-defined]
            {"succession_id": s.id, "organisation_id": o, "side": side, "position": k}
            for side, ids in (("predecessor", s.predecessor_ids), ("successor", s.successor_ids))
            for k, o in enumerate(ids)])

    async def stream_successions(self) -> AsyncIterator[Succession]:
        stmt = select(successions).where(successions.c.status == SuccessionStatus.APPLIED.value)
        for s in await self._with_sides(await self._all(stmt)):  # type: ignore[attr-defined]
            yield s
