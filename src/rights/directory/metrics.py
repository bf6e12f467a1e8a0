"""Prometheus metrics of the directory integration, in the process that runs the sync or provisioning
(``rights ldap follow --metrics-port`` exposes them). The API's /readyz reads the same status from the
database, so it is right whichever process did the work."""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge

LAST_SYNC = Gauge("rights_directory_last_sync_timestamp_seconds", "When a directory batch last committed",
                  ["stream"])
ENTRIES = Gauge("rights_directory_entries", "Directory entries in scope, by kind", ["kind"])
SKIPPED = Gauge("rights_directory_skipped_entries", "Entries skipped for bad values in the last batch")
CHANGES = Counter("rights_directory_changes_total", "Changes the directory integration made", ["stream", "op"])
SYNC_ERRORS = Counter("rights_directory_errors_total", "Failed sync or provisioning attempts", ["stream"])
LOGIN = Counter("rights_directory_logins_total", "Operator logins by LDAP bind, by outcome", ["outcome"])


def observe_sync(status: dict, counts: dict[str, int]) -> None:
    LAST_SYNC.labels("in").set(time.time())
    for kind, n in status.get("entries", {}).items():
        ENTRIES.labels(kind).set(n)
    SKIPPED.set(counts.get("skipped", 0))
    for op in ("created", "updated", "ended"):
        CHANGES.labels("in", op).inc(counts.get(op, 0))


def observe_provisioning(counts: dict[str, int]) -> None:
    LAST_SYNC.labels("out").set(time.time())
    for op, n in counts.items():
        CHANGES.labels("out", op).inc(n)
