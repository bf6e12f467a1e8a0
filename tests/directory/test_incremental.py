"""Incremental sync: syncrepl add/modify/delete, restart from the stored cookie, slapd stopped in the
middle and restarted, and the modifyTimestamp fallback when the server has no syncprov."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rights.directory import state as st
from rights.directory.client import DirectoryUnavailable
from rights.directory.mapping import load_mapping
from rights.directory.sync import STREAM, full_sync
from rights.directory.syncrepl import follow, sync_once, syncrepl_session
from rights.domain.services import Services
from tests.api.conftest import national_number
from tests.directory.conftest import KIM, add_person, base_entries, mapping_yaml, populate
from tests.directory.slapd import Slapd
from tests.directory.test_full_sync import facts


async def cookie(services: Services) -> str | None:
    async with services.core.store.read() as tx:
        return (await st.get_state(tx, STREAM)).cookie


async def started_relations(services: Services) -> list[str]:
    async with services.core.store.read() as tx:
        return [c.entity_id for c in await tx.changes(limit=1000) if c.kind == "work_relation_started"]


async def test_refresh_only_add_modify_delete_and_restart_from_cookie(
    slapd: Slapd, mapping, services: Services
) -> None:
    d = populate(slapd)
    first = await syncrepl_session(services.core, mapping, persist=False)
    assert first.received == 6 and await cookie(services)  # 2 organisations, 3 persons, 1 group
    assert len(await started_relations(services)) == 3
    # changes while nothing runs: the next session gets only these, from the stored cookie
    add_person(slapd, "kim", d["wse"], KIM, "Kim", "Maes")
    slapd.modify(d["sofie"], sn="Janssens-Maes")
    slapd.delete(d["an"])
    again = await syncrepl_session(services.core, mapping, persist=False)
    assert again.received == 3, "resumed from the stored cookie: only the three changes came"
    f = await facts(services)
    assert f["kim"] is not None and f["sofie"].family_name == "Janssens-Maes"
    assert [w.ended_at is not None for w in f["an_wr"]] == [True]
    assert len(await started_relations(services)) == 4  # nothing repeated
    nothing = await syncrepl_session(services.core, mapping, persist=False)
    assert nothing.received == 0


async def test_follow_applies_persist_changes_and_survives_a_slapd_restart(
    slapd: Slapd, mapping, services: Services
) -> None:
    d = populate(slapd)
    stop = asyncio.Event()
    commits: list = []
    task = asyncio.create_task(follow(services.core, mapping, stop, on_commit=commits.append))

    async def until(predicate, what: str) -> None:
        for _ in range(400):
            if await predicate():
                return
            await asyncio.sleep(0.025)
        raise AssertionError(f"never happened: {what}")

    async def has(name: str) -> bool:
        return (await facts(services))[name] is not None

    try:
        await until(lambda: has("an"), "initial refresh")
        add_person(slapd, "kim", d["wse"], KIM, "Kim", "Maes")
        await until(lambda: has("kim"), "persist add")
        slapd.stop()  # the directory goes away while follow is running
        async def errored() -> bool:
            async with services.core.store.read() as tx:
                return bool((await st.get_state(tx, STREAM)).status.get("error"))
        await until(errored, "error recorded")
        slapd.start()
        slapd.modify(d["sofie"], sn="Peeters")
        async def renamed() -> bool:
            return (await facts(services))["sofie"].family_name == "Peeters"
        await until(renamed, "change after restart")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert len(await started_relations(services)) == 4  # an, bert, sofie, kim: each once
    async with services.core.store.read() as tx:
        assert (await st.get_state(tx, STREAM)).status["error"] is None  # recovered


async def test_full_sync_with_slapd_stopped_midway_writes_nothing_then_completes(
    slapd: Slapd, tmp_path: Path, services: Services
) -> None:
    d = populate(slapd)
    for i in range(6):
        add_person(slapd, f"p{i}", d["wse"], national_number("900101", i + 1), "P", str(i))
    mapping = load_mapping(mapping_yaml(slapd, tmp_path, page_size="2"))
    pages: list[int] = []

    def kill_after_first_page(done: int) -> None:
        pages.append(done)
        if len(pages) == 2:
            slapd.stop()

    with pytest.raises(DirectoryUnavailable):
        await full_sync(services.core, mapping, on_page=kill_after_first_page)
    assert (await facts(services))["revision"] == 0  # nothing half-applied
    slapd.start()
    report = await full_sync(services.core, mapping)
    assert report.counts["created"] == 2 + 9 + 9 + 1  # everything, once
    assert (await facts(services))["an"] is not None


async def test_server_down_is_a_clear_error(slapd: Slapd, mapping, services: Services) -> None:
    slapd.stop()
    with pytest.raises(DirectoryUnavailable, match="directory unavailable: Can't contact LDAP server"):
        await sync_once(services.core, mapping)


async def test_modify_timestamp_polling_without_syncprov(
    tmp_path: Path, tls_files, sqlite_services: Services
) -> None:
    server = Slapd(tmp_path / "nosync", tls_files, syncprov=False)
    server.start()
    try:
        base_entries(server)
        d = populate(server)
        mapping = load_mapping(mapping_yaml(server, tmp_path))
        services = sqlite_services
        await sync_once(services.core, mapping)  # no cookie yet: full
        first = await poll_report(services, mapping)
        assert first.counts["created"] == 0
        assert (await cookie(services) or "").startswith("ts:")
        add_person(server, "kim", d["wse"], KIM, "Kim", "Maes")
        server.delete(d["an"])
        report = await sync_once(services.core, mapping)
        f = await facts(services)
        assert f["kim"] is not None and [w.ended_at is not None for w in f["an_wr"]] == [True]
        assert report.counts["created"] == 2  # Kim and her work relation
        assert report.counts["ended"] == 2  # An's work relation; An herself left the directory
    finally:
        server.stop()


async def poll_report(services: Services, mapping):
    from rights.directory.syncrepl import poll_once

    return await poll_once(services.core, mapping)
