"""From a fresh data directory, `rights serve` migrates, seeds, and its printed token works in its printed curl."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.readiness import wait_ready

RIGHTS = Path(sys.executable).with_name("rights")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATA_DIR=str(tmp_path / "var"), RIGHTS_PORT=str(port), RIGHTS_LOG_FORMAT="json")
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen([str(RIGHTS), "serve"], env=env, stdout=stdout, stderr=stderr)
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc, log=err)
        yield port, out.read_text(), proc, err
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_printed_token_works_in_printed_curl(served) -> None:
    port, printed, proc, err = served
    assert f"http://127.0.0.1:{port}/schema" in printed
    assert f"http://127.0.0.1:{port}/docs" in printed  # the readable reference, served offline
    exports = dict(re.findall(r"export (\w+_TOKEN)=(\S+)", printed))
    assert set(exports) == {"BERT_TOKEN", "SOFIE_TOKEN", "AN_TOKEN", "HELPLINE_TOKEN", "DESK_TOKEN", "PLATFORM_TOKEN"}
    curls = [line.strip() for line in printed.splitlines() if line.strip().startswith("curl ")]
    assert len(curls) == 2
    env = {**os.environ, **exports}
    check = subprocess.run(["bash", "-c", curls[0]], env=env, capture_output=True, text=True, timeout=30)
    assert '"allowed":true' in check.stdout and '"reason":"granted"' in check.stdout, check.stdout
    lookup = subprocess.run(["bash", "-c", curls[1]], env=env, capture_output=True, text=True, timeout=30)
    assert "Bakkerij Peeters BV" in lookup.stdout and "Sofie Vermeulen" in lookup.stdout
    # The demo tokens are real: a person's own claims, and a refusal for the wrong principal.
    me = httpx.get(f"http://127.0.0.1:{port}/v1/persons/me/claims",
                   headers={"Authorization": f"Bearer {exports['AN_TOKEN']}"})
    assert "DWSEOrganisatieverantwoordelijke-VOP:0723145688" in me.json()["claims"]
    denied = httpx.post(f"http://127.0.0.1:{port}/v1/grants", json={},
                        headers={"Authorization": f"Bearer {exports['DESK_TOKEN']}"})
    assert denied.status_code == 403
    # The server's own log lines are JSON and carry no token or full national number.
    proc.terminate()
    proc.wait(timeout=15)
    logs = err.read_text()
    assert '"event": "request"' in logs
    assert exports["DESK_TOKEN"] not in logs and "85073003328" not in logs


def test_workers_are_separate_processes_that_end_with_rights_serve(tmp_path: Path) -> None:
    """`--workers 2` runs two granian worker processes; a SIGKILLed `rights serve` takes them along."""
    import signal

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATA_DIR=str(tmp_path / "var"), RIGHTS_PORT=str(port), RIGHTS_LOG_FORMAT="json")
    with (tmp_path / "log.txt").open("w") as log:
        proc = subprocess.Popen([str(RIGHTS), "serve", "--workers", "2"], env=env, stdout=log, stderr=log)
    workers: list[int] = []
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc, log=tmp_path / "log.txt")
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        workers = [int(pid) for pid in children]
        assert len(workers) == 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 30
        while any(map(alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in workers if alive(pid)], "workers outlived rights serve"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for pid in workers:
            if alive(pid):
                os.kill(pid, 9)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for whoever adopted it is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_the_default_worker_count_keeps_sqlite_to_one(tmp_path: Path) -> None:
    """On SQLite another worker would see a write only at its next poll: the README's revoke-then-check
    must not depend on which worker answers. PostgreSQL pushes commits, so it gets one worker per core."""
    from rights.api.server import worker_count
    from rights.settings import Settings

    sqlite = Settings(data_dir=tmp_path)
    assert worker_count(sqlite) == 1
    assert worker_count(Settings(data_dir=tmp_path, workers=3)) == 3  # asked for: honoured
    pg = Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://db/rights")
    assert worker_count(pg) == len(os.sched_getaffinity(0))
