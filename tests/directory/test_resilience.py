"""Issue 11 items 5 and 6 on a real slapd: ``follow`` survives ``kill -9`` and a restart with an older
state (53 "consumer state is newer than provider"), the server's e-syncRefreshRequired (4096) is
answered with a complete refresh, and the status (``rights ldap status``, /readyz, /metrics) tells the
truth at every step. Waits are bounded; nothing here measures speed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rights.cli import main
from rights.directory import state as st
from rights.directory.client import DirectoryUnavailable
from rights.directory.mapping import load_mapping
from rights.directory.status import directory_status
from rights.directory.sync import STREAM, full_sync
from rights.directory.syncrepl import follow, sync_once
from rights.domain.services import Services
from rights.storage.migrate import upgrade_sync
from tests.api.conftest import Api, national_number
from tests.directory.conftest import KIM, SUFFIX, add_person, base_entries, mapping_yaml, populate
from tests.directory.slapd import Slapd
from tests.directory.test_full_sync import facts
from tests.directory.test_incremental import started_relations

BOUND = 60.0  # seconds: a generous bound on "recovers by itself", not a speed requirement


async def until(predicate, what: str, bound: float = BOUND):
    loop = asyncio.get_running_loop()
    end = loop.time() + bound
    while loop.time() < end:
        if value := await predicate():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened within {bound} s: {what}")


async def readyz(api: Api) -> dict:
    return (await api.call("GET", "/readyz", expect=200)).json()["directory"]


def gauge(text: str, name: str) -> float:
    line = next(x for x in text.splitlines() if x.startswith(name + " ") or x.startswith(name + "{"))
    return float(line.rsplit(" ", 1)[1])


def older_copy(slapd: Slapd, dest: Path) -> None:
    """A copy of slapd's data as it is now (a backup); later writes make the live one newer."""
    slapd.stop()
    slapd.copy_data(dest)
    slapd.start()


async def test_follow_recovers_from_kill_9_and_an_older_restart_with_true_status(
    slapd: Slapd, mapping, services: Services, api: Api, tmp_path: Path
) -> None:
    d = populate(slapd)
    older_copy(slapd, tmp_path / "backup")
    stop = asyncio.Event()
    task = asyncio.create_task(follow(services.core, mapping, stop))

    async def has(name: str):
        return (await facts(services))[name] is not None

    try:
        await until(lambda: has("an"), "initial refresh")
        status = await readyz(api)
        assert status["status"] == "ok" and status["sync"]["incremental"]["ok"] is True
        assert status["sync"]["error"] is None and status["sync"]["last_success_at"]

        add_person(slapd, "kim", d["wse"], KIM, "Kim", "Maes")  # our cookie is now newer than the backup
        await until(lambda: has("kim"), "persist add")

        slapd.kill()  # kill -9, then the data directory comes back from the older backup
        slapd.restore_data(tmp_path / "backup")

        async def down():
            s = await readyz(api)
            return s if s["status"] == "error" else None

        s = await until(down, "the outage on the status")
        assert "Can't contact LDAP server" in s["sync"]["error"]
        assert s["sync"]["incremental"]["ok"] is False
        scrape = (await api.call("GET", "/metrics", expect=200)).text
        assert gauge(scrape, "rights_directory_incremental_ok") == 0
        assert gauge(scrape, 'rights_directory_error{stream="in"}') == 1
        assert not task.done(), "follow must not exit on a directory error"

        slapd.start()  # answers 53 "consumer state is newer than provider!" to our cookie

        async def recovered():
            s = await readyz(api)
            return s if s["status"] == "ok" and s["sync"].get("last_full_refresh") else None

        s = await until(recovered, "recovery by a complete refresh")
        assert "newer than provider" in s["sync"]["last_full_refresh"]["reason"]
        assert s["sync"]["error"] is None and s["sync"]["incremental"]["ok"] is True
        f = await facts(services)
        assert [w.ended_at is not None for w in f["kim_wr"]] == [True], "Kim is not in the restored directory"
        scrape = (await api.call("GET", "/metrics", expect=200)).text
        assert gauge(scrape, "rights_directory_incremental_ok") == 1
        assert gauge(scrape, 'rights_directory_error{stream="in"}') == 0

        slapd.modify(d["sofie"], sn="Peeters")  # and the persist stream works again

        async def renamed():
            return (await facts(services))["sofie"].family_name == "Peeters"

        await until(renamed, "a change after the recovery")
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert task.exception() is None
    # nothing lost, nothing applied twice: each relation started once, Kim's ended once
    assert sorted(await started_relations(services)) == sorted(set(await started_relations(services)))
    assert len(await started_relations(services)) == 4
    ended = [c for c in (await facts(services))["changes"] if c.kind == "work_relation_ended"]
    assert len(ended) == 1


async def test_sync_recovers_from_e_sync_refresh_required(
    tmp_path: Path, tls_files, services: Services
) -> None:
    """The server no longer covers our cookie (its session log holds one change, and every entry changed
    since): it answers e-syncRefreshRequired (4096); the sync refreshes from nothing and carries on."""
    server = Slapd(tmp_path / "hint", tls_files,
                   syncprov_conf="overlay syncprov\nsyncprov-reloadhint TRUE\nsyncprov-sessionlog 1\n")
    server.start()
    try:
        base_entries(server)
        d = populate(server)
        mapping = load_mapping(mapping_yaml(server, tmp_path))
        await sync_once(services.core, mapping)
        # slapd 2.5 only finds the cookie stale once the changes fall in a later second than its CSN
        await asyncio.sleep(1.1)
        server.delete(d["an"])  # two deletes overflow the session log of one
        server.delete(d["sofie"])
        add_person(server, "kim", d["wse"], KIM, "Kim", "Maes")
        for dn in server.search(SUFFIX, attrs=["1.1"]):
            server.modify(dn, description="touched")  # no entry is as old as our cookie any more
        report = await sync_once(services.core, mapping)
        async with services.core.store.read() as tx:
            status = (await st.get_state(tx, STREAM)).status
        assert "e-syncRefreshRequired" in status["last_full_refresh"]["reason"]
        assert status["error"] is None and status["incremental"]["ok"] is True
        f = await facts(services)
        assert f["kim"] is not None and [w.ended_at is not None for w in f["an_wr"] + f["sofie_wr"]] == [True, True]
        assert report.counts["created"] == 2 and len(await started_relations(services)) == 4
        again = await sync_once(services.core, mapping)  # and from the new cookie, incremental again
        assert again.counts["created"] == again.counts["ended"] == 0
    finally:
        server.stop()


async def test_a_full_run_does_not_mark_a_failing_incremental_sync_ok(
    slapd: Slapd, mapping, services: Services, tmp_path: Path
) -> None:
    populate(slapd)
    await sync_once(services.core, mapping)
    older_copy(slapd, tmp_path / "backup")
    slapd.stop()
    with pytest.raises(DirectoryUnavailable, match="Can't contact LDAP server"):
        await sync_once(services.core, mapping)
    status = await directory_status(services.core.store)
    assert status["status"] == "error" and status["sync"]["incremental"]["ok"] is False
    slapd.start()
    await full_sync(services.core, mapping)  # a --full run works ...
    status = await directory_status(services.core.store)
    assert status["sync"]["error"] is None
    assert status["sync"]["incremental"]["ok"] is False, "... but says nothing about incremental sync"
    assert status["status"] == "error"
    await sync_once(services.core, mapping)  # the next incremental run does
    status = await directory_status(services.core.store)
    assert status["status"] == "ok" and status["sync"]["incremental"]["ok"] is True


def test_cli_sync_and_follow_recover_without_a_traceback(slapd: Slapd, tmp_path: Path) -> None:
    """The commands themselves: ``rights ldap sync`` after an older restart, then ``rights ldap follow``
    as its own process through kill -9 and a restart; it keeps running and stops cleanly on SIGTERM."""
    d = populate(slapd)
    db = f"sqlite+aiosqlite:///{tmp_path}/rights.db"
    upgrade_sync(db)
    env = {"RIGHTS_DATABASE_URL": db, "RIGHTS_DATA_DIR": str(tmp_path),
           "RIGHTS_LDAP_MAPPING": str(mapping_yaml(slapd, tmp_path))}
    runner = CliRunner()
    older_copy(slapd, tmp_path / "backup")
    assert runner.invoke(main, ["ldap", "sync"], env=env).exit_code == 0
    add_person(slapd, "kim", d["wse"], KIM, "Kim", "Maes")
    assert runner.invoke(main, ["ldap", "sync"], env=env).exit_code == 0
    slapd.kill()
    slapd.restore_data(tmp_path / "backup")
    slapd.start()
    done = runner.invoke(main, ["ldap", "sync"], env=env)  # 53 from slapd: a complete refresh instead
    assert done.exit_code == 0, done.output
    assert "1 ended" in done.output or "2 ended" in done.output  # Kim's work relation (and Kim left)
    status = runner.invoke(main, ["ldap", "status"], env=env)
    assert '"status": "ok"' in status.output and "newer than provider" in status.output

    proc = subprocess.Popen([str(Path(sys.executable).parent / "rights"), "ldap", "follow"], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def state() -> dict:
            return __import__("json").loads(runner.invoke(main, ["ldap", "status"], env=env).output)

        def wait(predicate, what: str) -> None:
            for _ in range(int(BOUND / 0.1)):
                assert proc.poll() is None, proc.communicate()
                if predicate(state()):
                    return
                __import__("time").sleep(0.1)
            raise AssertionError(f"never happened: {what}")

        first = state()["sync"]["last_full_refresh"]["at"]
        slapd.stop()
        slapd.copy_data(tmp_path / "backup2")
        slapd.start()
        add_person(slapd, "lien", d["wse"], national_number("900101", 7), "Lien", "Maes")
        wait(lambda s: s["sync"]["last_run"]["created"] == 2, "Lien and her work relation")
        slapd.kill()
        wait(lambda s: s["status"] == "error", "the outage on the status")
        slapd.restore_data(tmp_path / "backup2")
        slapd.start()
        wait(lambda s: s["status"] == "ok" and s["sync"]["last_full_refresh"]["at"] != first, "recovery")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err


def test_backoff_is_exponential_capped_and_jittered() -> None:
    from rights.directory.client import Backoff

    backoff = Backoff(0.5, 4.0)
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True)), delays
    assert len({round(d, 9) for d in delays}) > 1  # jitter: not one fixed schedule
    backoff.reset()
    assert 0.25 <= backoff.next_delay() <= 0.5


@pytest.mark.postgres
async def test_follow_survives_a_database_outage(slapd: Slapd, mapping, pg_url: str, clock) -> None:
    """The database goes away under a running ``follow`` (connections cut, new ones refused): follow keeps
    running, and the directory change made meanwhile arrives once the database is back (the cookie was
    not advanced past what was never committed, so nothing is lost or applied twice)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.storage import create_store
    from rights.storage.migrate import upgrade

    await upgrade(pg_url)
    store = create_store(pg_url)
    services = build_services(store, load_catalogue(default_policies_dir()), clock)
    url = make_url(pg_url)
    name = url.database
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    d = populate(slapd)
    stop = asyncio.Event()
    task = asyncio.create_task(follow(services.core, mapping, stop))
    try:
        await until(lambda: _has(services, "an"), "initial refresh")
        await admin_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        add_person(slapd, "kim", d["wse"], KIM, "Kim", "Maes")  # arrives while the database is down
        await asyncio.sleep(1.0)
        assert not task.done(), "follow must not exit on a database error"
        await admin_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await until(lambda: _has(services, "kim"), "the change made during the outage")
        s = await until(lambda: _ok_status(services), "a true status after the outage")
        assert s["incremental"]["ok"] is True
    finally:
        await admin_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        stop.set()
        await asyncio.wait_for(task, 30)
        await store.close()
    assert task.exception() is None
    relations = await started_relations(services)
    assert sorted(relations) == sorted(set(relations)), "nothing applied twice"


async def _has(services: Services, name: str) -> bool:
    try:
        return (await facts(services))[name] is not None
    except Exception:  # the database is still coming back
        return False


async def _ok_status(services: Services):
    try:
        s = await directory_status(services.core.store)
    except Exception:  # the database is still coming back
        return None
    return s["sync"] if s and s["status"] == "ok" and s["sync"]["error"] is None else None
