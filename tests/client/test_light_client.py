"""rights-client on its own: retries on 429 and 503 honour Retry-After, a write's revision is carried into
later checks, batch answers carry their real revision, and installing it pulls in nothing of the server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from rights_client import AsyncRightsClient, Catalogue, Retry, RightsClient, RightsError, question

from rights.domain.ports import PrincipalKind
from tests.client.conftest import AN, BAKKERIJ, SOFIE, Server
from tests.live_rights import serve_the_readme_way

ROOT = Path(__file__).resolve().parents[2]
DWSE = "DWSEOrganisatieverantwoordelijke"
YES = {"allowed": True, "reason": "granted", "grant_id": "gr_1", "mandate_id": None, "organisation_id": "org_1",
       "revision": 7}


class Recorder:
    """A fake service answering from a script of responses, recording each request's body."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses, self.bodies = list(responses), []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content) if request.content else None)
        return self.responses.pop(0)


NO_WAIT = Retry(attempts=3, backoff=0.0)


def test_retries_429_and_503_then_answers() -> None:
    fake = Recorder(httpx.Response(503, headers={"Retry-After": "0"}, json={"code": "storage_unavailable"}),
                    httpx.Response(429, headers={"Retry-After": "0"}, json={"code": "too_many_requests"}),
                    httpx.Response(200, json=YES))
    with RightsClient("http://rights.test", "t", retry=NO_WAIT, transport=httpx.MockTransport(fake)) as rights:
        assert rights.check(AN, BAKKERIJ, DWSE, "VOP").allowed
    assert len(fake.bodies) == 3


async def test_async_client_gives_up_after_its_attempts_with_the_problem() -> None:
    fake = Recorder(*[httpx.Response(503, json={"code": "storage_unavailable", "status": 503})] * 3)
    async with AsyncRightsClient("http://rights.test", "t", retry=NO_WAIT,
                                 transport=httpx.MockTransport(fake)) as rights:
        with pytest.raises(RightsError) as caught:
            await rights.check(AN, BAKKERIJ, DWSE, "VOP")
    assert caught.value.status == 503 and caught.value.code == "storage_unavailable" and len(fake.bodies) == 3


def test_other_refusals_are_not_retried() -> None:
    fake = Recorder(httpx.Response(422, json={"code": "invalid_identifier", "field": "organisation"}))
    with RightsClient("http://rights.test", "t", retry=NO_WAIT, transport=httpx.MockTransport(fake)) as rights:
        with pytest.raises(RightsError) as caught:
            rights.check(AN, "0723.145.689", DWSE, "VOP")
    assert caught.value.field == "organisation" and len(fake.bodies) == 1


def test_writes_are_retried_on_429_but_never_on_503() -> None:
    """A 503 may come after the database committed: retrying a grant could make it twice."""
    fake = Recorder(httpx.Response(503, json={"code": "storage_unavailable", "status": 503}))
    with RightsClient("http://rights.test", "t", retry=NO_WAIT, transport=httpx.MockTransport(fake)) as rights:
        with pytest.raises(RightsError) as caught:
            rights.grant(AN, BAKKERIJ, DWSE, "VOP", reason="x")
    assert caught.value.status == 503 and len(fake.bodies) == 1
    fake = Recorder(httpx.Response(429, headers={"Retry-After": "0"}, json={"code": "too_many_requests"}),
                    httpx.Response(503, json={"code": "storage_unavailable", "status": 503}))
    with RightsClient("http://rights.test", "t", retry=NO_WAIT, transport=httpx.MockTransport(fake)) as rights:
        with pytest.raises(RightsError):
            rights.revoke("gr_1", "uit dienst")
    assert len(fake.bodies) == 2 and fake.bodies[0] == {"reason": "uit dienst"}


def test_wait_honours_retry_after_in_seconds_and_as_a_date_within_the_cap() -> None:
    retry = Retry(backoff=0.1, max_delay=30)
    assert retry.delay(0, httpx.Response(429, headers={"Retry-After": "7"})) == 7
    assert Retry(max_delay=2).delay(0, httpx.Response(429, headers={"Retry-After": "120"})) == 2
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    assert 15 < retry.delay(0, httpx.Response(503, headers={"Retry-After": later})) <= 20
    for n in range(4):  # no Retry-After: exponential backoff with jitter
        assert 0.1 * 2**n * 0.5 <= retry.delay(n, httpx.Response(503)) <= 0.1 * 2**n


def test_a_writes_revision_is_carried_into_later_checks() -> None:
    grant = {"id": "gr_9", "person_id": "per_1", "organisation_id": "org_1", "role": DWSE, "measure": "VOP",
             "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z", "granted_by": "per_2",
             "granted_at": "2026-01-01T00:00:00Z", "reason": "", "revoked_at": "2026-06-01T00:00:00Z",
             "revoked_by": "per_2", "revoke_reason": "uit dienst", "version": 2, "active": False}
    fake = Recorder(httpx.Response(200, json=YES), httpx.Response(200, json={"revision": 42, "grant": grant}),
                    httpx.Response(200, json={**YES, "revision": 42}),
                    httpx.Response(200, json={"revision": 42, "answers": [{**YES, "revision": 42}]}),
                    httpx.Response(200, json={**YES, "revision": 50}))
    with RightsClient("http://rights.test", "t", transport=httpx.MockTransport(fake)) as rights:
        rights.check(AN, BAKKERIJ, DWSE, "VOP")
        assert rights.revoke("gr_9", "uit dienst").grant.revoke_reason == "uit dienst"
        assert rights.written_revision == 42
        rights.check(AN, BAKKERIJ, DWSE, "VOP")
        rights.check_batch([question(AN, BAKKERIJ, DWSE, "VOP")])
        rights.check(AN, BAKKERIJ, DWSE, "VOP", at_least_revision=50)  # an explicit one wins
    assert "at_least_revision" not in fake.bodies[0]
    assert [b.get("at_least_revision") for b in fake.bodies[2:]] == [42, 42, 50]


def test_blocking_client_catalogue_batch_revision_and_write_then_check(server: Server) -> None:
    with RightsClient(server.url, server.service) as rights:
        catalogue = rights.catalogue()
        assert isinstance(catalogue, Catalogue) and catalogue.role(DWSE) is not None
        assert {m.code for m in catalogue.role(DWSE).measures} >= {"VOP", "AWI"}
        batch = rights.check_batch([question(AN, BAKKERIJ, DWSE, "VOP"), question(AN, BAKKERIJ, DWSE, "AWI")])
        assert batch.revision > 0 and [a.revision for a in batch.answers] == [batch.revision] * 2
        an = next(iter(rights.persons_of(BAKKERIJ, DWSE, "VOP"))).person_id
    with RightsClient(server.url, server.token(PrincipalKind.PERSON, SOFIE)) as sofie, \
            RightsClient(server.url, server.service) as desk:
        made = sofie.grant(an, BAKKERIJ, DWSE, "AWI", reason="light client test")
        desk.note_write(made.revision)  # the desk was told of the write: its next check includes it
        after = desk.check(an, BAKKERIJ, DWSE, "AWI")
        assert after.allowed and after.grant_id == made.grant.id and after.revision >= made.revision
        gone = sofie.revoke(made.grant.id, "test done")
        assert sofie.written_revision == gone.revision > made.revision
        desk.note_write(gone.revision)
        assert desk.check(an, BAKKERIJ, DWSE, "AWI").reason == "grant_revoked"


def test_fresh_venv_install_pulls_neither_the_server_nor_python_ldap(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(py), "-m", "pip", "install", "-q", str(ROOT / "clients" / "python")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run([str(py), "-m", "pip", "list", "--format=json"], env=env, capture_output=True,
                            text=True, check=True)
    names = {p["name"].lower().replace("_", "-") for p in json.loads(listed.stdout)}
    assert {"rights-client", "httpx", "msgspec"} <= names
    assert not names & {"litestar", "python-ldap", "sqlalchemy", "rights"}, names
    probe = ("import importlib.util as u, rights_client; "
             "print([m for m in ('litestar', 'ldap', 'rights', 'sqlalchemy') if u.find_spec(m)])")
    out = subprocess.run([str(py), "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
    # And the documented examples work from that venv alone, against a server started the README's way.
    docs = re.findall(r"^```python\n(.*?)^```", (ROOT / "docs" / "client.md").read_text(encoding="utf-8"),
                      re.S | re.M)
    with serve_the_readme_way(tmp_path / "server") as served:
        for n, code in enumerate(docs):
            alone = {k: v for k, v in served.env().items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
            done = subprocess.run([str(py), "-c", code], env=alone, cwd=tmp_path, capture_output=True, text=True,
                                  timeout=120)
            assert done.returncode == 0, f"docs/client.md example {n + 1} in the fresh venv:\n{done.stderr}"
