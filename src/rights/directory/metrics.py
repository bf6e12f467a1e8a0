"""Prometheus metrics of the directory integration.

Two kinds: counters of what a process did (changes, errors, logins, forced full refreshes), which only
the process doing the work (``rights ldap follow --metrics-port``) can count; and gauges of the state
(last successful sync, whether incremental sync works, held identity conflicts and administrator
removals), which are read from the database status, so the service's own /metrics shows them too
(``observe_status`` runs before each scrape) whichever process did the work. prometheus-client only:
the API imports this module without python-ldap.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Gauge

LAST_SYNC = Gauge("rights_directory_last_sync_timestamp_seconds", "When a directory batch last committed",
                  ["stream"])
ENTRIES = Gauge("rights_directory_entries", "Directory entries in scope, by kind", ["kind"])
SKIPPED = Gauge("rights_directory_skipped_entries", "Entries skipped for bad values in the last batch")
CHANGES = Counter("rights_directory_changes_total", "Changes the directory integration made", ["stream", "op"])
SYNC_ERRORS = Counter("rights_directory_errors_total", "Failed sync or provisioning attempts", ["stream"])
LOGIN = Counter("rights_directory_logins_total", "Operator logins by LDAP bind, by outcome", ["outcome"])
FULL_REFRESHES = Counter("rights_directory_full_refreshes_total",
                         "Complete refreshes forced by the server refusing the cookie (4096, or 53 newer-than-provider)")
ERROR = Gauge("rights_directory_error", "1 while the last attempt of the stream failed", ["stream"])
INCREMENTAL_OK = Gauge("rights_directory_incremental_ok",
                       "1 when the last incremental sync attempt committed, 0 when it failed")
CONFLICTS = Gauge("rights_directory_identity_conflicts",
                  "Directory persons whose national number changed, held until an operator confirms")
HELD_REMOVALS = Gauge("rights_directory_held_removals",
                      "Administrator removals held because they would leave an organisation without one")


def observe_sync(status: dict, counts: dict[str, int]) -> None:
    LAST_SYNC.labels("in").set(time.time())
    ERROR.labels("in").set(0)
    if (status.get("incremental") or {}).get("ok") is not None:
        INCREMENTAL_OK.set(1 if status["incremental"]["ok"] else 0)
    CONFLICTS.set(len(status.get("identity_conflicts") or []))
    HELD_REMOVALS.set(len(status.get("held_removals") or []))
    for kind, n in status.get("entries", {}).items():
        ENTRIES.labels(kind).set(n)
    SKIPPED.set(counts.get("skipped", 0))
    for op in ("created", "updated", "ended"):
        CHANGES.labels("in", op).inc(counts.get(op, 0))


def observe_provisioning(counts: dict[str, int]) -> None:
    LAST_SYNC.labels("out").set(time.time())
    ERROR.labels("out").set(0)
    for op, n in counts.items():
        CHANGES.labels("out", op).inc(n)


def observe_error(stream: str, status: dict) -> None:
    ERROR.labels(stream).set(1)
    if stream == "in" and status.get("incremental"):
        INCREMENTAL_OK.set(1 if status["incremental"].get("ok") else 0)


def observe_status(report: dict[str, Any] | None) -> None:
    """Set the state gauges from ``directory_status`` (what /readyz and ``rights ldap status`` show)."""
    if not report:
        return
    for name, stream in (("sync", "in"), ("provisioning", "out")):
        part = report.get(name)
        if not isinstance(part, dict):
            continue
        ERROR.labels(stream).set(1 if part.get("error") else 0)
        if part.get("last_success_at"):
            LAST_SYNC.labels(stream).set(datetime.fromisoformat(part["last_success_at"]).timestamp())
    sync = report.get("sync") or {}
    for kind, n in (sync.get("entries") or {}).items():
        ENTRIES.labels(kind).set(n)
    if (sync.get("incremental") or {}).get("ok") is not None:
        INCREMENTAL_OK.set(1 if sync["incremental"]["ok"] else 0)
    CONFLICTS.set(len(sync.get("identity_conflicts") or []))
    HELD_REMOVALS.set(len(sync.get("held_removals") or []))
