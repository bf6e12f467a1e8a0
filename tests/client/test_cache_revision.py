"""The local decision cache keeps the revision's promise (issue 18): an answer at revision R reflects
every change up to R and none after, for readers on the cache's own loop and on other threads alike."""

from __future__ import annotations

import asyncio
import threading

import httpx

from rights.client import AsyncRightsClient, LocalDecisionCache
from rights.domain.ports import PrincipalKind
from tests.client.conftest import BAKKERIJ, SOFIE, Server
from tests.revision_promise import Log, Seen

DWSE = "DWSEOrganisatieverantwoordelijke"
CYCLES = 30


def _ask(cache: LocalDecisionCache, name: str, an: str, org: str, seen: list[Seen]) -> None:
    answer = cache.check(an, org, DWSE, "AWI")
    seen.append(Seen(name, answer.revision, answer.grant_id))


async def test_cache_answers_reflect_exactly_their_revision(server: Server) -> None:
    sofie = {"Authorization": f"Bearer {server.token(PrincipalKind.PERSON, SOFIE)}"}
    async with AsyncRightsClient(server.url, server.service) as rights, \
            httpx.AsyncClient(base_url=server.url, headers=sofie, timeout=30) as admin:
        an = [r.person_id async for r in rights.persons_of(BAKKERIJ, DWSE, "VOP")][0]
        org = (await rights.check(an, BAKKERIJ, DWSE, "VOP")).organisation_id
        assert org is not None
        cache = LocalDecisionCache(rights, page_size=3)  # a write's changes may span pages
        await cache.start(interval=0.001)
        seen: list[Seen] = []
        done = threading.Event()

        def in_thread() -> None:
            while not done.is_set():
                _ask(cache, "thread", an, org, seen)

        async def on_loop() -> None:
            while not done.is_set():
                _ask(cache, "loop", an, org, seen)
                await asyncio.sleep(0)

        threads = [threading.Thread(target=in_thread) for _ in range(2)]
        for t in threads:
            t.start()
        loop_reader = asyncio.create_task(on_loop())
        grant_ids: set[str] = set()
        try:
            for _ in range(CYCLES):
                made = await admin.post("/v1/grants", json={"person": an, "organisation": BAKKERIJ, "role": DWSE,
                                                            "measure": "AWI"})
                assert made.status_code == 201, made.text
                grant_ids.add(gid := made.json()["grant"]["id"])
                assert (await admin.post(f"/v1/grants/{gid}/revoke", json={"reason": "toggle"})).status_code == 200
            latest = (await rights.changes(after=0, limit=1)).latest_revision
            for _ in range(5000):
                if cache.revision >= latest:
                    break
                await asyncio.sleep(0.01)
        finally:
            done.set()
            await loop_reader
            for t in threads:
                t.join(timeout=30)
            await cache.stop()
        changes, after = [], 0
        while page := (await rights.changes(after=after, limit=1000)).items:
            changes += [(c.revision, c.kind, c.entity_id) for c in page]
            after = page[-1].revision
    log = Log(changes, grant_ids)
    assert len(log.revisions) == 2 * CYCLES and cache.revision >= log.revisions[-1]
    assert {s.how for s in seen} == {"thread", "loop"}
    assert any(s.grant_id for s in seen) and not all(s.grant_id for s in seen), "saw the right held and not"
    broken = log.broken(seen)
    assert not broken, f"{len(broken)} of {len(seen)} answers broke the revision promise: {broken[:5]}"
