"""The directory integration's status, from the database (so any process can report it): the last
sync and provisioning runs, their counts and the last error. Used by /readyz and ``rights ldap status``."""

from __future__ import annotations

from typing import Any

from rights.directory import state as st


async def directory_status(store: Any) -> dict[str, Any] | None:
    """``None`` when the directory integration never ran (no state rows) or the store is not SQL."""
    async with store.read() as tx:
        if getattr(tx, "connection", None) is None:
            return None
        states = await st.all_states(tx)
    if not states:
        return None
    names = {"in": "sync", "out": "provisioning"}
    return {
        names.get(s.name, s.name): {
            "at": s.synced_at.isoformat() if s.synced_at else None,
            "error": s.status.get("error"),
            **{k: v for k, v in s.status.items() if k in ("mode", "entries", "last_run", "groups", "drift")},
        }
        for s in states
    } | {"status": "error" if any(s.status.get("error") for s in states) else "ok"}
