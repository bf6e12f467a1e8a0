"""An import killed midway (SIGKILL, in a real subprocess) is completed by a rerun, as if never interrupted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from rights.imports.generate import generate_kbo
from rights.imports.kbo import import_kbo
from rights.imports.report import read_report
from rights.storage import SqlStore, create_store, default_sqlite_url
from rights.storage.migrate import upgrade
from tests.imports.kbo_dumps import imported, scalar

RIGHTS = str(Path(sys.executable).with_name("rights"))


async def _run_state(store: SqlStore) -> tuple[str, str, str] | None:
    async with store.read() as tx:
        row = (
            await tx.connection.execute(
                text("SELECT status, phase, checkpoint FROM import_runs ORDER BY id DESC LIMIT 1")
            )
        ).first()
    return None if row is None else tuple(row)


async def test_a_killed_import_is_completed_by_a_rerun(store: SqlStore, store_url: str, tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    generate_kbo(dump, 4000, seed=3, bad_rows=True)
    report = tmp_path / "bad.jsonl"
    env = {**os.environ, "RIGHTS_DATABASE_URL": store_url, "RIGHTS_DATA_DIR": str(tmp_path),
           "RIGHTS_SEED_WHEN_EMPTY": "false"}  # fmt: skip
    child = subprocess.Popen(
        [RIGHTS, "import", "kbo", str(dump), "--batch-size", "40", "--report", str(report)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        # kill it once some batches are committed, well before the end
        for _ in range(3000):
            state = await _run_state(store)
            if state is not None and state[1] == "enterprises" and state[2] > "0200100000":
                break
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            await asyncio.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        if child.stderr:
            child.stderr.close()
    status, phase, checkpoint = await _run_state(store)
    assert (status, phase) == ("running", "enterprises")
    partial = await scalar(store, "SELECT count(*) FROM organisations")
    assert 0 < partial < 3990

    counts = await import_kbo(store, dump, report=report, batch_size=40)
    assert (await _run_state(store))[0] == "completed"

    # the same dump, imported in one go elsewhere, gives the same organisations, counts and report
    reference_url = default_sqlite_url(tmp_path / "reference")
    await upgrade(reference_url)
    reference = create_store(reference_url)
    try:
        expected = await import_kbo(reference, dump, report=tmp_path / "reference.jsonl")
        assert counts == expected
        assert await imported(store) == await imported(reference)
        assert await scalar(store, "SELECT count(*) FROM organisation_identifiers") == await scalar(
            reference, "SELECT count(*) FROM organisation_identifiers"
        )
    finally:
        await reference.close()
    assert counts["ceased"] == 0 and counts["created"] > partial
    assert sorted(read_report(report), key=lambda b: (b.file, b.line)) == sorted(
        read_report(tmp_path / "reference.jsonl"), key=lambda b: (b.file, b.line)
    )
    assert await scalar(store, "SELECT max(version) FROM organisations") == 1
