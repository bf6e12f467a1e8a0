"""The directory integration's status, from the database (so any process can report it): the last
sync and provisioning runs, their counts, the last error, whether incremental sync works, and what the
sync holds for an operator (identity conflicts, administrator removals). Used by /readyz, /metrics
and ``rights ldap status``."""

from __future__ import annotations

from typing import Any

from rights.directory import state as st

SHOWN = ("mode", "entries", "last_run", "groups", "drift", "error_at", "incremental", "last_full_refresh",
         "identity_conflicts", "held_removals")


def _healthy(s: st.State) -> bool:
    return not s.status.get("error") and (s.status.get("incremental") or {}).get("ok") is not False


async def directory_status(store: Any) -> dict[str, Any] | None:
    """``None`` when the directory integration never ran (no state rows) or the store is not SQL.

    ``status`` is ``error`` while the last attempt failed *or* incremental sync does not work (a
    ``--full`` run that succeeds does not hide a broken incremental sync); ``at`` and
    ``last_success_at`` are the time of the last batch that committed."""
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
            "last_success_at": s.synced_at.isoformat() if s.synced_at else None,
            "error": s.status.get("error"),
            **{k: v for k, v in s.status.items() if k in SHOWN},
        }
        for s in states
    } | {"status": "ok" if all(_healthy(s) for s in states) else "error"}
