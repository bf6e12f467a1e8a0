"""Issue 15 items 4 and 7: several `rights serve` processes on one PostgreSQL, as replicas run.

Reuses the two-process harness of tests/test_two_processes.py (``servers``): the helpline's rate limit
holds across processes; with three processes, writes go to any of them and a check on any other with
the write's ``at_least_revision`` is consistent; SIGKILL of one mid-load loses no acknowledged write.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import national_number
from tests.test_two_processes import DESK_BODY, SOFIE, servers, token

pytestmark = pytest.mark.postgres


def test_the_helpline_limit_holds_across_two_processes(pg_url: str, tmp_path: Path) -> None:
    with servers(pg_url, tmp_path, 2, RIGHTS_HELPLINE_LOOKUPS_PER_MINUTE="4") as (bases, _):
        operator = token(tmp_path, "helpline:op1")
        while time.time() % 60 > 45:  # the limit is per calendar minute: start well inside one
            time.sleep(1)
        with httpx.Client(timeout=10) as http:
            codes = [http.get(f"{bases[i % 2]}/v1/helpline/lookup", params={"q": "bakkerij"},
                              headers=operator).status_code for i in range(6)]
            # Four in all, whichever process answered: per process it would have been four each.
            assert codes == [200, 200, 200, 200, 429, 429]
            refused = http.get(f"{bases[1]}/v1/helpline/lookup", params={"q": "bakkerij"}, headers=operator)
            assert refused.json()["code"] == "too_many_requests" and 0 < int(refused.headers["retry-after"]) <= 60
            other = token(tmp_path, "helpline:op2")  # another operator has a count of their own
            assert http.get(f"{bases[0]}/v1/helpline/lookup", params={"q": "bakkerij"},
                            headers=other).status_code == 200
            metrics = http.get(f"{bases[0]}/metrics").text + http.get(f"{bases[1]}/metrics").text
            assert 'rights_ratelimit_refusals_total{limit="helpline_lookup"}' in metrics


async def _write_until(base: str, headers: dict[str, str], date: str, acknowledged: list[dict],
                       stop: asyncio.Event) -> None:
    """Register people on one process until told to stop or the process dies; keep what it acknowledged."""
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as http:
        for serial in range(1, 998):
            if stop.is_set():
                return
            nn = national_number(date, serial)
            try:
                r = await http.post("/v1/persons", json={"national_number": nn, "given_name": "Load",
                                                         "family_name": f"Test {date}-{serial}"})
            except httpx.HTTPError:
                return  # killed: what it never acknowledged may or may not be there
            assert r.status_code == 201, r.text
            acknowledged.append({"nn": nn, "id": r.json()["person"]["id"], "revision": r.json()["revision"],
                                 "base": base})


def test_three_replicas_on_one_database(pg_url: str, tmp_path: Path) -> None:
    with servers(pg_url, tmp_path, 3) as (bases, procs):
        desk, sofie = token(tmp_path, "service:desk"), token(tmp_path, f"person:{SOFIE}")
        platform = token(tmp_path, "platform:ops")

        # Writes through any process; a check on another one, with the write's revision, sees it.
        with httpx.Client(timeout=10) as http:
            an = http.get(f"{bases[0]}/v1/persons/85073003328", headers=sofie).json()["id"]
            for i in range(3):
                writer, checker, revoker = bases[i], bases[(i + 1) % 3], bases[(i + 2) % 3]
                written = http.post(f"{writer}/v1/grants", headers=sofie, json={
                    "person": an, "organisation": "0723.145.688", "role": DESK_BODY["role"],
                    "measure": DESK_BODY["measure"]})
                assert written.status_code == 201, written.text
                answer = http.post(f"{checker}/v1/check", headers=desk,
                                   json={**DESK_BODY, "at_least_revision": written.json()["revision"]}).json()
                assert answer["allowed"] is True and answer["revision"] >= written.json()["revision"]
                revoked = http.post(f"{revoker}/v1/grants/{written.json()['grant']['id']}/revoke", headers=sofie,
                                    json={"reason": f"round {i}"})
                assert revoked.status_code == 200, revoked.text
                answer = http.post(f"{writer}/v1/check", headers=desk,
                                   json={**DESK_BODY, "at_least_revision": revoked.json()["revision"]}).json()
                assert answer["allowed"] is False and answer["reason"] == "grant_revoked"

        # Load on all three; one is killed (SIGKILL, no goodbye) in the middle of it.
        async def load() -> list[dict]:
            acknowledged: list[dict] = []
            stop = asyncio.Event()
            workers = [asyncio.create_task(_write_until(bases[i % 3], platform, f"75010{i + 1}", acknowledged, stop))
                       for i in range(6)]
            while len(acknowledged) < 30 and not all(w.done() for w in workers):
                await asyncio.sleep(0.05)
            procs[2].send_signal(signal.SIGKILL)
            killed_at = len(acknowledged)
            while len(acknowledged) < killed_at + 30 and not all(w.done() for w in workers):
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.gather(*workers)
            return acknowledged

        acknowledged = asyncio.run(load())
        assert procs[2].wait(timeout=10) == -signal.SIGKILL
        assert any(a["base"] == bases[2] for a in acknowledged), "the killed process took no writes"
        assert len(acknowledged) >= 60

        # Nothing acknowledged is lost, and the survivors answer with the latest acknowledged revision.
        latest = max(a["revision"] for a in acknowledged)
        with httpx.Client(timeout=10) as http:
            for base in bases[:2]:
                assert http.get(f"{base}/readyz").status_code == 200
                answer = http.post(f"{base}/v1/check", headers=desk, json={**DESK_BODY, "at_least_revision": latest})
                assert answer.status_code == 200 and answer.json()["revision"] >= latest
            for i, a in enumerate(acknowledged):
                found = http.get(f"{bases[i % 2]}/v1/persons/{a['nn']}", headers=platform)
                assert found.status_code == 200 and found.json()["id"] == a["id"], a
