"""Two server processes on one PostgreSQL: a grant written through one is answered by the other.

Process B learns of A's write through LISTEN/NOTIFY (the change table stays the source of truth); with
``at_least_revision`` B waits for it instead of answering a stale no.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.test_serve import free_port

RIGHTS = Path(sys.executable).with_name("rights")
DESK_BODY = {"person": "85073003328", "organisation": "0723.145.688", "role": "DWSEOrganisatieverantwoordelijke",
             "measure": "AWI"}
SOFIE = "90021714288"

pytestmark = pytest.mark.postgres


def _env(tmp_path: Path, url: str, port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATA_DIR=str(tmp_path), RIGHTS_DATABASE_URL=url, RIGHTS_SEED_WHEN_EMPTY="false",
               RIGHTS_LOG_FORMAT="json", RIGHTS_INDEX_POLL_SECONDS="5")  # slow polling: NOTIFY must do it
    if port:
        env["RIGHTS_PORT"] = str(port)
    return env


@contextmanager
def servers(pg_url: str, tmp_path: Path, count: int, **env: str) -> Iterator[tuple[list[str], list[subprocess.Popen]]]:
    """``count`` `rights serve` processes on one migrated, seeded PostgreSQL database (shared with
    tests/test_replicas.py); ``env`` adds settings (``RIGHTS_…``) for all of them."""
    from rights.api.tokens import ensure_dev_key

    ensure_dev_key(tmp_path / "dev-signing-key.pem")
    for cmd in (["db", "upgrade"], ["seed"]):
        subprocess.run([str(RIGHTS), *cmd], env=_env(tmp_path, pg_url), check=True, capture_output=True, timeout=120)
    procs, bases = [], []
    for _ in range(count):
        port = free_port()
        procs.append(subprocess.Popen([str(RIGHTS), "serve"], env={**_env(tmp_path, pg_url, port), **env},
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base, proc in zip(bases, procs, strict=True):
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, proc.stderr.read()
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        yield bases, procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


@pytest.fixture
def two_servers(pg_url: str, tmp_path: Path):
    with servers(pg_url, tmp_path, 2) as (bases, _):
        yield bases, tmp_path


def token(tmp_path: Path, who: str) -> dict[str, str]:
    out = subprocess.run([str(RIGHTS), "token", "--as", who], env=_env(tmp_path, "postgresql://unused/x"),
                         check=True, capture_output=True, text=True)
    return {"Authorization": f"Bearer {out.stdout.strip()}"}


def test_a_write_on_one_process_is_answered_by_the_other(two_servers) -> None:
    (a, b), tmp_path = two_servers
    desk, sofie = token(tmp_path, "service:desk"), token(tmp_path, f"person:{SOFIE}")
    with httpx.Client(timeout=10) as http:
        assert http.post(f"{b}/v1/check", json=DESK_BODY, headers=desk).json()["allowed"] is False
        an = http.get(f"{a}/v1/persons/85073003328", headers=sofie).json()["id"]
        written = http.post(f"{a}/v1/grants", headers=sofie, json={
            "person": an, "organisation": "0723.145.688", "role": "DWSEOrganisatieverantwoordelijke",
            "measure": "AWI"})
        assert written.status_code == 201, written.text
        revision = written.json()["revision"]

        # Without waiting: B says yes as soon as the notification has been applied (well before its 5 s poll).
        started = time.monotonic()
        while not http.post(f"{b}/v1/check", json=DESK_BODY, headers=desk).json()["allowed"]:
            assert time.monotonic() - started < 4, "process B did not see the write through NOTIFY"
            time.sleep(0.01)

        # Revoked through B; A, asked with B's revision, never answers a stale yes.
        grant_id = written.json()["grant"]["id"]
        revoked = http.post(f"{b}/v1/grants/{grant_id}/revoke", headers=sofie, json={"reason": "test"})
        assert revoked.status_code == 200
        answer = http.post(f"{a}/v1/check", headers=desk,
                           json={**DESK_BODY, "at_least_revision": revoked.json()["revision"]}).json()
        assert answer["allowed"] is False and answer["reason"] == "grant_revoked"
        assert answer["revision"] >= revoked.json()["revision"] > revision
