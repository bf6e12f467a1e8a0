"""Two server processes on one PostgreSQL: a grant written through one is answered by the other.

Process B learns of A's write through LISTEN/NOTIFY (the change table stays the source of truth); with
``at_least_revision`` B waits for it instead of answering a stale no. Every answer, on either process,
reflects exactly the revision it reports (issue 18; the same in one process: test_revision_promise.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.readiness import wait_ready
from tests.revision_promise import HELD, Log, Seen
from tests.test_serve import free_port

RIGHTS = Path(sys.executable).with_name("rights")
DESK_BODY = {"person": "85073003328", "organisation": "0723.145.688", "role": "DWSEOrganisatieverantwoordelijke",
             "measure": "AWI"}
SOFIE = "90021714288"

pytestmark = pytest.mark.postgres


def _env(tmp_path: Path, url: str, port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATA_DIR=str(tmp_path), RIGHTS_DATABASE_URL=url, RIGHTS_SEED_WHEN_EMPTY="false",
               RIGHTS_LOG_FORMAT="json", RIGHTS_INDEX_POLL_SECONDS="60")  # NOTIFY must do it
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
    procs, bases, logs = [], [], []
    for i in range(count):
        port = free_port()
        # The log goes to a file: a pipe nobody reads fills up and blocks the server mid-request.
        logs.append(log := tmp_path / f"server-{i}.log")
        with log.open("w") as err:
            procs.append(subprocess.Popen([str(RIGHTS), "serve"], env={**_env(tmp_path, pg_url, port), **env},
                                          stdout=subprocess.DEVNULL, stderr=err))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base, proc, log in zip(bases, procs, logs, strict=True):
            wait_ready(base, proc, log=log)
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


def token(tmp_path: Path, who: str, *scopes: str) -> dict[str, str]:
    extra = [arg for scope in scopes for arg in ("--scope", scope)]
    out = subprocess.run([str(RIGHTS), "token", "--as", who, *extra], env=_env(tmp_path, "postgresql://unused/x"),
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

        # Without waiting: B says yes once the notification has been applied (it polls only every 60 s).
        deadline = time.monotonic() + 30
        while not http.post(f"{b}/v1/check", json=DESK_BODY, headers=desk).json()["allowed"]:
            assert time.monotonic() < deadline, "process B did not see the write through NOTIFY"
            time.sleep(0.01)

        # Revoked through B; A, asked with B's revision, never answers a stale yes.
        grant_id = written.json()["grant"]["id"]
        revoked = http.post(f"{b}/v1/grants/{grant_id}/revoke", headers=sofie, json={"reason": "test"})
        assert revoked.status_code == 200
        answer = http.post(f"{a}/v1/check", headers=desk,
                           json={**DESK_BODY, "at_least_revision": revoked.json()["revision"]}).json()
        assert answer["allowed"] is False and answer["reason"] == "grant_revoked"
        assert answer["revision"] >= revoked.json()["revision"] > revision


CYCLES = 40
AWI_CLAIM = "DWSEOrganisatieverantwoordelijke-AWI:0723145688"


def _reader(name: str, base: str, desk: dict[str, str], an: str, seen: list[Seen], done: threading.Event) -> None:
    """check, batch, organisations-of, persons-of and claims in turn, until the writer is done."""
    list_query = {"role": DESK_BODY["role"], "measure": "AWI"}
    with httpx.Client(base_url=base, headers=desk, timeout=30) as http:
        i = 0
        while not done.is_set():
            kind, i = i % 5, i + 1
            if kind == 0:
                r = http.post("/v1/check", json=DESK_BODY).json()
                seen.append(Seen(f"{name} check", r["revision"], r["grant_id"]))
            elif kind == 1:
                r = http.post("/v1/check/batch", json={"questions": [
                    DESK_BODY, {**DESK_BODY, "measure": "VOP"}, DESK_BODY]}).json()
                seen += [Seen(f"{name} batch", r["revision"], a["grant_id"]) for a in r["answers"][::2]]
            elif kind == 2:
                r = http.get(f"/v1/persons/{an}/organisations", params=list_query).json()
                grants = [g for item in r["items"] for g in item["grants"]]
                seen.append(Seen(f"{name} organisations", r["revision"], grants[0] if grants else None))
            elif kind == 3:
                r = http.get("/v1/organisations/0723145688/persons", params=list_query).json()
                grants = [g for item in r["items"] if item["person_id"] == an for g in item["grants"]]
                seen.append(Seen(f"{name} persons", r["revision"], grants[0] if grants else None))
            else:
                r = http.get(f"/v1/persons/{an}/claims").json()
                seen.append(Seen(f"{name} claims", r["revision"], HELD if AWI_CLAIM in r["claims"] else None))


def test_every_answer_on_either_process_reflects_exactly_its_revision(two_servers) -> None:
    """Writes through A; readers on B and on A itself; each answer against the change log at its revision."""
    (a, b), tmp_path = two_servers
    # the desk lists who may act for an organisation too: it carries the listing scope (issue 10)
    desk = token(tmp_path, "service:desk", "rights:list-persons")
    sofie = token(tmp_path, f"person:{SOFIE}")
    with httpx.Client(base_url=a, headers=sofie, timeout=30) as http:
        an = http.get("/v1/persons/85073003328").json()["id"]
        seen: list[Seen] = []
        done = threading.Event()
        readers = [threading.Thread(target=_reader, args=(f"{name}{i}", base, desk, an, seen, done))
                   for i, (name, base) in enumerate([("B", b), ("B", b), ("B", b), ("A", a)])]
        for reader in readers:
            reader.start()
        grant_ids: set[str] = set()
        try:
            for _ in range(CYCLES):
                written = http.post("/v1/grants", json={**DESK_BODY, "person": an})
                assert written.status_code == 201, written.text
                grant_ids.add(gid := written.json()["grant"]["id"])
                assert http.post(f"/v1/grants/{gid}/revoke", json={"reason": "toggle"}).status_code == 200
        finally:
            done.set()
            for reader in readers:
                reader.join(timeout=60)
        changes, after = [], 0
        while page := http.get("/v1/changes", headers=desk, params={"after": after, "limit": 1000}).json()["items"]:
            changes += [(c["revision"], c["kind"], c["entity_id"]) for c in page]
            after = page[-1]["revision"]
    log = Log(changes, grant_ids)
    assert len(log.revisions) == 2 * CYCLES
    assert {s.how[0] for s in seen} == {"A", "B"}
    assert any(s.grant_id for s in seen) and not all(s.grant_id for s in seen), "saw the right held and not"
    broken = log.broken(seen)
    assert not broken, f"{len(broken)} of {len(seen)} answers broke the revision promise: {broken[:5]}"
