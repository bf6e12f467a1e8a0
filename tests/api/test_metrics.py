"""Issue 15 item 6: every metric i15-deploy's alert rules use appears on /metrics and moves
(SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from rights.api.app import create_app
from rights.api.tokens import ensure_dev_key
from rights.settings import Settings
from rights.storage import create_store
from tests.api.conftest import Api, appoint_and_employ, build_world

ROLE = "DWSEOrganisatieverantwoordelijke"


@pytest.fixture
def api_settings(store_url: str, tmp_path: Path) -> Settings:
    key = ensure_dev_key(tmp_path / "dev-signing-key.pem")
    return Settings(data_dir=tmp_path, database_url=store_url, dev_signing_key=key, seed_when_empty=False,
                    metrics_cache_seconds=0, helpline_lookups_per_minute=2)


@pytest.fixture
async def app_api(api_settings: Settings) -> AsyncIterator[tuple[Api, object]]:
    app = create_app(api_settings)
    async with AsyncTestClient(app=app) as client:
        yield Api(client, api_settings), app


async def scrape(api: Api) -> dict[tuple[str, frozenset], float]:
    text = (await api.call("GET", "/metrics", expect=200)).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def test_check_metrics_count_outcomes_and_reasons_and_time_them(app_api) -> None:
    api, _ = app_api
    before = await scrape(api)
    assert value(before, "rights_check_seconds_count") == 0
    assert value(before, "rights_index_grants") == 0
    w = await build_world(api)
    await appoint_and_employ(api, w)
    sofie = f"person:{w.numbers['sofie']}"
    written = (await api.call("POST", "/v1/grants", sofie, expect=201, json={
        "person": w.an["id"], "organisation": w.dupre["id"], "role": ROLE, "measure": "VOP"})).json()
    question = {"person": w.numbers["an"], "organisation": w.enterprise, "role": ROLE, "measure": "VOP",
                "at_least_revision": written["revision"]}
    assert (await api.call("POST", "/v1/check", "service:desk", expect=200, json=question)).json()["allowed"]
    denied = (await api.call("POST", "/v1/check", "service:desk", expect=200,
                             json={**question, "person": w.numbers["zoe"]})).json()
    await api.call("POST", "/v1/check", "service:desk", expect=409,
                   json={**question, "at_least_revision": written["revision"] + 1000})
    await api.call("POST", "/v1/check/batch", "service:desk", expect=200,
                   json={"questions": [{k: v for k, v in question.items() if k != "at_least_revision"}]})

    after = await scrape(api)
    assert value(after, "rights_checks_total", outcome="allowed", reason="granted") == 2
    assert value(after, "rights_checks_total", outcome="denied", reason=denied["reason"]) == 1
    assert value(after, "rights_checks_total", outcome="error", reason="revision_in_future") == 1
    assert value(after, "rights_check_seconds_count") == 3  # single checks only; the batch is counted
    assert value(after, "rights_check_seconds_bucket", le="+Inf") == 3
    assert value(after, "rights_check_seconds_sum") > 0
    assert value(after, "rights_index_revision") >= written["revision"]
    assert value(after, "rights_index_grants") == 1


async def test_index_lag_moves_when_the_index_is_behind_the_database(app_api) -> None:
    api, app = app_api
    await build_world(api)
    latest = await api.revision()
    keeper = app.state.services.core.keeper
    for _ in range(200):
        if keeper.revision >= latest:
            break
        await asyncio.sleep(0.05)
    assert value(await scrape(api), "rights_index_lag_revisions") == 0
    # As if three commits had not reached this process yet. Read the collector without an await in
    # between: the keeper's next poll would otherwise catch up before the scrape looks.
    keeper.index.revision = latest - 3
    [lag] = [m for m in app.state.metrics.collect() if m.name == "rights_index_lag_revisions"]
    assert lag.samples[0].value == 3
    for _ in range(200):  # the keeper re-reads what it missed (at its next poll or notification)
        if value(samples := await scrape(api), "rights_index_lag_revisions") == 0:
            break
        await asyncio.sleep(0.05)
    assert value(samples, "rights_index_lag_revisions") == 0


async def test_rate_limit_refusals_are_counted(app_api) -> None:
    api, app = app_api
    app.state.lookup_limiter.clock = lambda: 6000.0  # one minute throughout, whatever the wall clock does
    assert value(await scrape(api), "rights_ratelimit_refusals_total", limit="helpline_lookup") == 0
    for expect in (200, 200, 429, 429):
        await api.call("GET", "/v1/helpline/lookup?q=bakkerij", "helpline:op1", expect=expect)
    assert value(await scrape(api), "rights_ratelimit_refusals_total", limit="helpline_lookup") == 2


async def test_database_figures_outbox_imports_directory_and_audit_head(app_api) -> None:
    api, app = app_api
    from rights.directory import state as st
    from rights.imports import runs
    from rights.mail.ports import NewMail
    from rights.mail.sql import SqlOutbox

    samples = await scrape(api)
    assert value(samples, "rights_outbox_pending") == 0 and value(samples, "rights_outbox_failed") == 0
    assert value(samples, "rights_outbox_oldest_age_seconds") == 0
    assert value(samples, "rights_directory_sync_ok") is None  # no directory integration yet
    assert 0 <= value(samples, "rights_audit_head_age_seconds") < 3600  # published at start-up

    now = datetime.now(UTC)
    store = create_store(api.settings.database)
    try:
        outbox = SqlOutbox(store.engine)
        mail = NewMail(kind="test", recipient="beheer@example.be", subject="s", body="b")
        await outbox.enqueue([mail, mail], now=now - timedelta(minutes=5))
        claimed = await outbox.claim(now=now, lease=timedelta(minutes=1), limit=1)
        await outbox.mark_failed(claimed[0], now=now, error="550", permanent=True, max_attempts=5)
        run = await runs.start(store, "kbo", "dump-1", None, "test")
        await runs.start(store, "ovo", "dump-1", None, "test")
        async with store.write() as tx:
            await runs.complete(store, tx, run, "test", 0)
            await st.save_state(tx, st.State(name="in", synced_at=now - timedelta(minutes=2),
                                             status={"error": None, "last_run": {"skipped": 1},
                                                     "held_removals": [{"key": "a"}, {"key": "b"}]}))
    finally:
        await store.close()

    samples = await scrape(api)
    assert value(samples, "rights_outbox_pending") == 1
    assert value(samples, "rights_outbox_failed") == 1
    assert 290 <= value(samples, "rights_outbox_oldest_age_seconds") < 3600
    assert value(samples, "rights_import_runs_total", source="kbo", outcome="completed") == 1
    assert value(samples, "rights_import_runs_total", source="ovo", outcome="running") == 1
    assert value(samples, "rights_directory_sync_ok") == 1
    assert 110 <= value(samples, "rights_directory_sync_lag_seconds") < 3600
    assert value(samples, "rights_held_removals") == 2

    store = create_store(api.settings.database)
    try:
        async with store.write() as tx:
            previous = await st.get_state(tx, "in")
            await st.save_state(tx, msgspec.structs.replace(previous, status={"error": "unreachable"}))
    finally:
        await store.close()

    async def head() -> datetime:
        return now - timedelta(seconds=30)

    app.state.metrics.audit_head = head  # the audit chain's hook (i10-chain)
    samples = await scrape(api)
    assert value(samples, "rights_directory_sync_ok") == 0
    assert value(samples, "rights_audit_head_age_seconds") >= 30


async def test_database_figures_are_cached_between_scrapes(store_url: str, tmp_path: Path) -> None:
    key = ensure_dev_key(tmp_path / "dev-signing-key.pem")
    settings = Settings(data_dir=tmp_path, database_url=store_url, dev_signing_key=key, seed_when_empty=False,
                        metrics_cache_seconds=300)
    app = create_app(settings)
    async with AsyncTestClient(app=app) as client:
        api = Api(client, settings)
        assert value(await scrape(api), "rights_outbox_pending") == 0
        from rights.mail.ports import NewMail
        from rights.mail.sql import SqlOutbox

        store = create_store(store_url)
        try:
            await SqlOutbox(store.engine).enqueue([NewMail(kind="t", recipient="a@example.be", subject="s",
                                                           body="b")], now=datetime.now(UTC))
        finally:
            await store.close()
        assert value(await scrape(api), "rights_outbox_pending") == 0  # still the cached figure
