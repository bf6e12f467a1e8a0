"""Queries the register imports ask before they write: what a dump would cease, and who that touches.

The imports (``rights.imports``) decide; these only read. Kept here because SQL lives in storage.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

_CHUNK = 5000  # bounded IN lists (SQLite allows 32,766 parameters)


@dataclass(frozen=True, slots=True)
class CeaseImpact:
    """One organisation an import would cease, with what still hangs on it."""

    source_key: str
    organisation_id: str
    name: str
    administrators: int  # not removed
    grants: int  # neither revoked nor expired

    @property
    def protected(self) -> bool:
        return bool(self.administrators or self.grants)


async def active_records(conn: AsyncConnection, source: str) -> AsyncIterator[tuple[str, str]]:
    """``(source key, organisation id)`` of every record of ``source`` whose organisation is active, in
    key order, streamed (a national register has millions)."""
    result = await conn.stream(
        text(
            "SELECT r.source_key, r.organisation_id FROM register_records r"
            " JOIN organisations o ON o.id = r.organisation_id"
            " WHERE r.source = :source AND o.status = 'active' ORDER BY r.source_key"
        ).bindparams(source=source)
    )
    async for key, org_id in result:
        yield key, org_id


async def records_of(conn: AsyncConnection, source: str, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """source key -> (organisation id, status) for those of ``keys`` the register has a record of."""
    out: dict[str, tuple[str, str]] = {}
    stmt = text(
        "SELECT r.source_key, r.organisation_id, o.status FROM register_records r"
        " JOIN organisations o ON o.id = r.organisation_id WHERE r.source = :source AND r.source_key IN :keys"
    ).bindparams(bindparam("keys", expanding=True))
    for start in range(0, len(keys), _CHUNK):
        for key, org_id, status in await conn.execute(stmt, {"source": source, "keys": list(keys[start : start + _CHUNK])}):
            out[key] = (org_id, status)
    return out


async def cease_impact(conn: AsyncConnection, records: Sequence[tuple[str, str]], now: datetime) -> list[CeaseImpact]:
    """For ``(source key, organisation id)`` pairs: the organisation's name, its administrators (not
    removed) and its grants (not revoked, not expired). In the order given."""
    stmt = text(
        "SELECT o.id, o.name,"
        " (SELECT count(*) FROM administrators a WHERE a.organisation_id = o.id AND a.removed_at IS NULL),"
        " (SELECT count(*) FROM grants g WHERE g.organisation_id = o.id AND g.revoked_at IS NULL"
        "  AND g.valid_until > :now)"
        " FROM organisations o WHERE o.id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(records), _CHUNK):
        ids = [org_id for _key, org_id in records[start : start + _CHUNK]]
        for row in await conn.execute(stmt, {"ids": ids, "now": now}):
            found[row[0]] = tuple(row)
    return [
        CeaseImpact(key, org_id, found[org_id][1], int(found[org_id][2]), int(found[org_id][3]))
        for key, org_id in records
        if org_id in found
    ]


async def kbo_state(conn: AsyncConnection, keys: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """enterprise number -> (type, name, short name, address, [(kind, language, name) of its own names])
    for those of ``keys`` an organisation has; the names of its units (position 10,000 on) left out."""
    orgs: dict[str, tuple[str, list[Any]]] = {}
    stmt = text(
        "SELECT i.value, o.id, o.type, o.name, o.short_name, o.address FROM organisation_identifiers i"
        " JOIN organisations o ON o.id = i.organisation_id WHERE i.kind = 'enterprise_number' AND i.value IN :keys"
    ).bindparams(bindparam("keys", expanding=True))
    names_stmt = text(
        "SELECT organisation_id, kind, language, name FROM organisation_names"
        " WHERE organisation_id IN :ids AND position < 10000 ORDER BY organisation_id, position"
    ).bindparams(bindparam("ids", expanding=True))
    for start in range(0, len(keys), _CHUNK):
        rows = (await conn.execute(stmt, {"keys": list(keys[start : start + _CHUNK])})).all()
        by_id = {}
        for key, org_id, type_, name, short, address in rows:
            if isinstance(address, str):
                address = json.loads(address)
            by_id[org_id] = [type_, name, short, address, []]
            orgs[key] = (org_id, by_id[org_id])
        if by_id:
            for org_id, kind, language, name in await conn.execute(names_stmt, {"ids": list(by_id)}):
                by_id[org_id][4].append((kind, language or "", name))
    return {key: tuple(state) for key, (_org_id, state) in orgs.items()}


async def unit_owners(conn: AsyncConnection, units: Sequence[str]) -> dict[str, str]:
    """establishment unit number -> the enterprise number of the organisation that has it."""
    stmt = text(
        "SELECT u.value, e.value FROM organisation_identifiers u JOIN organisation_identifiers e"
        " ON e.organisation_id = u.organisation_id AND e.kind = 'enterprise_number'"
        " WHERE u.kind = 'establishment_number' AND u.value IN :units"
    ).bindparams(bindparam("units", expanding=True))
    out: dict[str, str] = {}
    for start in range(0, len(units), _CHUNK):
        out.update(dict((await conn.execute(stmt, {"units": list(units[start : start + _CHUNK])})).all()))
    return out


# organisation_names positions by who writes them: KBO's names of the enterprise below 10,000, its
# units' names from 10,000, the organisation register's and schools' short name at 20,000, and from
# 30,000 the names an organisation had before another register took it over (kept, never rewritten).
KBO_UNIT_NAMES, ENTRY_NAMES, FORMER_NAMES = 10_000, 20_000, 30_000


async def names_from(conn: AsyncConnection, org_ids: Sequence[str], position: int) -> list[tuple[str, int, str]]:
    """``(organisation id, position, name)`` of the names at or after ``position`` of these organisations."""
    stmt = text(
        "SELECT organisation_id, position, name FROM organisation_names WHERE organisation_id IN :ids"
        " AND position >= :position"
    ).bindparams(bindparam("ids", expanding=True))
    out: list[tuple[str, int, str]] = []
    for start in range(0, len(org_ids), _CHUNK):
        rows = await conn.execute(stmt, {"ids": list(org_ids[start : start + _CHUNK]), "position": position})
        out.extend((org, int(pos), name) for org, pos, name in rows)
    return out


async def organisation_names(conn: AsyncConnection, org_ids: Sequence[str]) -> dict[str, str]:
    """organisation id -> its name."""
    stmt = text("SELECT id, name FROM organisations WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    out: dict[str, str] = {}
    for start in range(0, len(org_ids), _CHUNK):
        out.update(dict((await conn.execute(stmt, {"ids": list(org_ids[start : start + _CHUNK])})).all()))
    return out


async def rename_unnamed(conn: AsyncConnection, renames: Sequence[dict[str, Any]]) -> None:
    """Give organisations still named ``old`` (a stand-in) the ``name`` (and folded ``search``) given."""
    if renames:
        await conn.execute(
            text(
                "UPDATE organisations SET name = :name, search_name = :search, version = version + 1,"
                " updated_at = :now WHERE id = :id AND name = :old"
            ),
            list(renames),
        )


async def replace_names(conn: AsyncConnection, org_ids: Sequence[str], start: int, end: int,
                        rows: Sequence[tuple[str, int, str, str, str, str]]) -> None:  # fmt: skip
    """Delete these organisations' names with positions in [start, end) and insert ``rows``
    ``(organisation id, position, kind, language, name, search name)``."""
    delete = text(
        "DELETE FROM organisation_names WHERE organisation_id IN :ids AND position >= :start AND position < :end"
    ).bindparams(bindparam("ids", expanding=True))
    for i in range(0, len(org_ids), _CHUNK):
        await conn.execute(delete, {"ids": list(org_ids[i : i + _CHUNK]), "start": start, "end": end})
    if rows:
        await conn.execute(
            text(
                "INSERT INTO organisation_names (organisation_id, position, kind, language, name, search_name)"
                " VALUES (:org, :position, :kind, :language, :name, :search)"
            ),
            [dict(zip(("org", "position", "kind", "language", "name", "search"), r, strict=True)) for r in rows],
        )


async def count_active(conn: AsyncConnection, source: str) -> int:
    """How many organisations ``source`` keeps a record of are active: the base of the ceasing share."""
    return int(
        (
            await conn.execute(
                text(
                    "SELECT count(*) FROM register_records r JOIN organisations o ON o.id = r.organisation_id"
                    " WHERE r.source = :source AND o.status = 'active'"
                ),
                {"source": source},
            )
        ).scalar_one()
    )


async def last_completed_state(conn: AsyncConnection, source: str) -> dict[str, Any] | None:
    """The saved state of the latest completed import run of ``source`` (its counts and extract)."""
    row = (
        await conn.execute(
            text(
                "SELECT state FROM import_runs WHERE source = :source AND status = 'completed'"
                " ORDER BY id DESC LIMIT 1"
            ),
            {"source": source},
        )
    ).first()
    if row is None:
        return None
    state = row[0]
    if isinstance(state, str):
        state = json.loads(state)
    return dict(state or {})


__all__ = ["CeaseImpact", "active_records", "cease_impact", "count_active", "kbo_state", "last_completed_state",
           "names_from", "organisation_names", "records_of", "rename_unnamed", "replace_names", "unit_owners", "KBO_UNIT_NAMES", "ENTRY_NAMES", "FORMER_NAMES"]  # fmt: skip
