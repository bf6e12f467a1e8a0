"""The directory's own tables (links, replica, state, published groups), read and written inside the
caller's store transaction so they commit or roll back together with the domain changes they cover."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rights.storage.tables import directory_entries, directory_groups, directory_links, directory_state


class Link(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    kind: str
    entity_id: str
    entry_uuid: str
    dn: str
    digest: str
    owned: bool
    gone_at: datetime | None = None


class State(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    cookie: str | None = None
    revision: int = 0
    synced_at: datetime | None = None
    status: dict = {}


def _conn(tx: Any) -> AsyncConnection:
    conn = getattr(tx, "connection", None)
    if conn is None:
        raise TypeError("the directory needs the SQL store (rights.storage)")
    return conn


async def links(tx: Any) -> dict[str, Link]:
    found = (await _conn(tx).execute(select(directory_links))).mappings().all()
    return {r["key"]: Link(**{k: r[k] for k in Link.__struct_fields__}) for r in found}


async def save_link(tx: Any, link: Link, now: datetime) -> None:
    conn = _conn(tx)
    values = msgspec.structs.asdict(link) | {"updated_at": now}
    done = await conn.execute(update(directory_links).where(directory_links.c.key == link.key).values(values))
    if done.rowcount == 0:
        await conn.execute(insert(directory_links).values(values))


async def person_dns(tx: Any) -> dict[str, str]:
    """person id -> DN, for every person the directory holds (whether or not the sync created them)."""
    t = directory_links
    stmt = select(t.c.entity_id, t.c.dn).where(t.c.kind == "person", t.c.gone_at.is_(None))
    return {r[0]: r[1] for r in (await _conn(tx).execute(stmt)).all()}


async def entries(tx: Any) -> dict[str, tuple[str, dict[str, list[str]]]]:
    found = (await _conn(tx).execute(select(directory_entries))).mappings().all()
    return {r["entry_uuid"]: (r["dn"], r["attributes"]) for r in found}


async def put_entry(tx: Any, uuid: str, dn: str, attrs: dict[str, list[str]]) -> None:
    conn = _conn(tx)
    t = directory_entries
    done = await conn.execute(update(t).where(t.c.entry_uuid == uuid).values(dn=dn, attributes=attrs))
    if done.rowcount == 0:
        await conn.execute(insert(t).values(entry_uuid=uuid, dn=dn, attributes=attrs))


async def drop_entries(tx: Any, uuids: list[str] | None = None) -> None:
    stmt = delete(directory_entries)
    if uuids is not None:
        stmt = stmt.where(directory_entries.c.entry_uuid.in_(uuids))
    await _conn(tx).execute(stmt)


async def get_state(tx: Any, name: str) -> State:
    row = (await _conn(tx).execute(select(directory_state).where(directory_state.c.name == name))).mappings().first()
    return State(name=name) if row is None else State(**dict(row))


async def all_states(tx: Any) -> list[State]:
    found = (await _conn(tx).execute(select(directory_state).order_by(directory_state.c.name))).mappings().all()
    return [State(**dict(r)) for r in found]


async def save_state(tx: Any, state: State) -> None:
    conn = _conn(tx)
    values = msgspec.structs.asdict(state)
    t = directory_state
    if (await conn.execute(update(t).where(t.c.name == state.name).values(values))).rowcount == 0:
        await conn.execute(insert(t).values(values))


async def published_groups(tx: Any) -> dict[str, list[str]]:
    found = (await _conn(tx).execute(select(directory_groups))).mappings().all()
    return {r["dn"]: list(r["members"]) for r in found}


async def publish_group(tx: Any, dn: str, members: list[str] | None, now: datetime) -> None:
    """Remember what was published for ``dn``; ``None`` when the entry was deleted."""
    conn = _conn(tx)
    await conn.execute(delete(directory_groups).where(directory_groups.c.dn == dn))
    if members is not None:
        await conn.execute(insert(directory_groups).values(dn=dn, members=members, published_at=now))
