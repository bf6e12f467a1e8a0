"""``/metrics``: the figures an operator alerts on (docs/operations.md, "Metrics"), next to the generic
request metrics of Litestar's Prometheus middleware and the process collector.

The check path is the hot path, so nothing on it touches prometheus_client: :class:`CheckStats` counts in
plain ints (a dict increment and a bisect per check) and :class:`RuntimeMetrics`, a custom collector,
turns the counts into metric families at scrape time. Figures that need the database are read by the
scrape (one short read transaction, cached ``cache_seconds``), never per request.
"""

from __future__ import annotations

import asyncio
import math
import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from litestar import Request, Response, get
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from rights.api.permissions import Permission
from rights.domain.keeper import IndexKeeper
from rights.domain.ports import Store

log = structlog.get_logger("rights.metrics")

# Seconds; an index answer takes microseconds, a wait for ``at_least_revision`` up to 2 s.
CHECK_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class CheckStats:
    """Checks by outcome and reason, and the latency of single checks, in plain ints."""

    __slots__ = ("by_outcome", "buckets", "seconds_sum")

    def __init__(self) -> None:
        self.by_outcome: dict[tuple[str, str], int] = {}
        self.buckets = [0] * (len(CHECK_BUCKETS) + 1)  # the last one is +Inf
        self.seconds_sum = 0.0

    def count(self, outcome: str, reason: str) -> None:
        key = (outcome, reason)
        self.by_outcome[key] = self.by_outcome.get(key, 0) + 1

    def observe(self, seconds: float) -> None:
        self.buckets[bisect_left(CHECK_BUCKETS, seconds)] += 1
        self.seconds_sum += seconds


class Refusing(Protocol):
    refused: int


AuditHead = Callable[[], Awaitable[datetime | None]]


class RuntimeMetrics:
    """The service's own metrics (a prometheus_client collector on a registry of its own per app)."""

    def __init__(self, store: Store, keeper: IndexKeeper | None, *, cache_seconds: float = 10.0,
                 limiters: Mapping[str, Refusing] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.store, self.keeper, self.cache_seconds, self.clock = store, keeper, cache_seconds, clock
        self.checks = CheckStats()
        self.limiters: dict[str, Refusing] = dict(limiters or {})
        # Set by the audit chain (i10-chain): when the chain's published head was written, None before
        # the first head. Unset or None: rights_audit_head_age_seconds is not exposed.
        self.audit_head: AuditHead | None = None
        self._figures: Any = None
        self._head_at: datetime | None = None
        self._read_at = -math.inf
        self._lock = asyncio.Lock()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    async def refresh(self) -> None:
        """Re-read the database figures when the cached ones are older than ``cache_seconds``."""
        async with self._lock:
            if time.monotonic() - self._read_at < self.cache_seconds:
                return
            try:
                self._figures = await self._read()
                self._head_at = await self.audit_head() if self.audit_head is not None else None
            except Exception as exc:  # noqa: BLE001 - a scrape reports what it has; readyz reports the database
                log.warning("metrics_refresh_failed", error=type(exc).__name__)
            self._read_at = time.monotonic()

    async def _read(self) -> Any:
        from rights.storage.figures import read_figures  # SQL stays in rights.storage

        async with self.store.read() as tx:
            figures = await read_figures(tx.connection)  # type: ignore[attr-defined]
        from rights.directory.metrics import observe_status  # the directory's own gauges (docs/ldap.md)
        from rights.directory.status import directory_status

        observe_status(await directory_status(self.store))
        return figures

    def collect(self) -> Iterator[Metric]:
        yield from self._check_families()
        now = self.clock()
        if self.keeper is not None:
            index = self.keeper.index
            yield _gauge("rights_index_revision", "Revision of the change log this process's index has applied",
                         index.revision)
            yield _gauge("rights_index_grants", "Grants in this process's decision index", index.size["grants"])
        refusals = CounterMetricFamily("rights_ratelimit_refusals", "Requests refused by a rate limit",
                                       labels=["limit"])
        for name, limiter in sorted(self.limiters.items()):
            refusals.add_metric([name], limiter.refused)
        yield refusals
        if self._head_at is not None:
            yield _gauge("rights_audit_head_age_seconds", "Age of the audit chain's published head",
                         max(0.0, now - self._head_at.timestamp()))
        f = self._figures
        if f is None:
            return
        if self.keeper is not None:
            yield _gauge("rights_index_lag_revisions", "Revisions committed to the database that this "
                         "process's index has not applied yet", max(0, f.latest_revision - self.keeper.revision))
        yield _gauge("rights_outbox_pending", "E-mails not sent yet (pending or being sent)", f.outbox_pending)
        yield _gauge("rights_outbox_failed", "E-mails given up on", f.outbox_failed)
        oldest = f.outbox_oldest_unsent
        yield _gauge("rights_outbox_oldest_age_seconds", "Age of the oldest e-mail not sent yet (0: none)",
                     max(0.0, now - oldest.replace(tzinfo=oldest.tzinfo or UTC).timestamp()) if oldest else 0.0)
        runs = CounterMetricFamily("rights_import_runs", "Register import runs by source and outcome "
                                   "(running, completed), as recorded in the database", labels=["source", "outcome"])
        for (source, outcome), n in sorted(f.import_runs.items()):
            runs.add_metric([source, outcome], n)
        yield runs
        sync = next((s for s in f.directory if s.name == "in"), None)
        if sync is not None:
            yield _gauge("rights_directory_sync_ok", "1 when the last directory sync succeeded, 0 when it failed",
                         0 if sync.status.get("error") else 1)
            if sync.synced_at is not None:
                at = sync.synced_at.replace(tzinfo=sync.synced_at.tzinfo or UTC)
                yield _gauge("rights_directory_sync_lag_seconds", "Seconds since the directory sync last committed",
                             max(0.0, now - at.timestamp()))
            yield _gauge("rights_held_removals", "Removals the directory sync holds back instead of applying",
                         _held(sync.status))

    def _check_families(self) -> Iterator[Metric]:
        stats = self.checks
        checks = CounterMetricFamily("rights_checks", "Checks answered, by outcome (allowed, denied, error) "
                                     "and reason", labels=["outcome", "reason"])
        for (outcome, reason), n in sorted(stats.by_outcome.items()):
            checks.add_metric([outcome, reason], n)
        yield checks
        cumulative, buckets = 0, []
        for bound, n in zip((*CHECK_BUCKETS, math.inf), stats.buckets, strict=True):
            cumulative += n
            buckets.append(("+Inf" if bound == math.inf else repr(bound), cumulative))
        histogram = HistogramMetricFamily("rights_check_seconds", "Time to answer one POST /v1/check")
        histogram.add_metric([], buckets, sum_value=stats.seconds_sum)
        yield histogram


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _held(status: dict[str, Any]) -> int:
    """The administrator removals the sync holds until another administrator exists or an operator
    confirms (docs/ldap.md)."""
    return len(status.get("held_removals") or [])


@get("/metrics", opt={"permission": Permission.PUBLIC}, include_in_schema=False)
async def metrics_endpoint(request: Request) -> Response[bytes]:
    runtime: RuntimeMetrics = request.app.state.metrics
    await runtime.refresh()
    body = generate_latest(REGISTRY) + generate_latest(runtime.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
