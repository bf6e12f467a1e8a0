"""`rights ldap follow --lock` (the Kubernetes follower Deployment's command) waits while another follower
holds the lock, without touching the directory, and stops cleanly on SIGTERM while it waits."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rights.storage.locks import AdvisoryLock
from rights.storage.migrate import upgrade
from tests.conftest import run_in_thread
from tests.deploy.helpers import DEPLOY

RIGHTS = Path(sys.executable).with_name("rights")

pytestmark = pytest.mark.postgres


def test_a_second_follower_waits_for_the_lock(pg_url: str, tmp_path: Path) -> None:
    run_in_thread(upgrade, pg_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATABASE_URL=pg_url, RIGHTS_DATA_DIR=str(tmp_path), RIGHTS_LOG_FORMAT="json",
               RIGHTS_LDAP_MAPPING=str(DEPLOY / "kubernetes" / "base" / "ldap-mapping.yaml"))

    async def hold_then_follow() -> tuple[int, str, float]:
        holder = AdvisoryLock(pg_url, "rights ldap follow")
        assert await holder.acquire(asyncio.Event())
        try:
            proc = subprocess.Popen([str(RIGHTS), "ldap", "follow", "--lock"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            await asyncio.sleep(4)
            assert proc.poll() is None, proc.communicate()[0]
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            out = await asyncio.to_thread(lambda: proc.communicate(timeout=30)[0])
            return proc.returncode, out, time.monotonic() - started
        finally:
            await holder.release()

    code, out, _ = run_in_thread(hold_then_follow)
    assert code == 0, out
    # It never reached the (unreachable, example) directory: it was waiting for the lock.
    assert "Traceback" not in out and "directory unavailable" not in out.lower(), out
