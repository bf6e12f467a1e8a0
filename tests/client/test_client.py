"""rights.client against a real server: checks, batches, lists, the change feed, problems, the local cache."""

from __future__ import annotations

import itertools

import httpx
import pytest

from rights.client import (
    AsyncRightsClient,
    LocalDecisionCache,
    NotCached,
    RightsClient,
    RightsError,
    question,
)
from rights.domain.ports import PrincipalKind
from tests.client.conftest import AN, BAKKERIJ, SOFIE, Server

BERT, GRIET, CIJFERAAR = "62110402174", "71050823680", "0471230948"  # seeds/demo.yaml

DWSE = "DWSEOrganisatieverantwoordelijke"


async def test_check_batch_lists_and_changes(server: Server) -> None:
    async with AsyncRightsClient(server.url, server.service, timeout=10) as rights:
        yes = await rights.check(AN, f"BE {BAKKERIJ}", DWSE, "VOP", explain=True)
        assert yes.allowed and yes.reason == "granted" and yes.grant_id and yes.revision > 0
        assert yes.explanation is not None and yes.explanation["grant"]["id"] == yes.grant_id
        batch = await rights.check_batch([
            question(AN, BAKKERIJ, DWSE, "VOP"),
            question(AN, "0202239951", DWSE, "VOP"),  # valid enterprise number, unknown here
            question(AN, BAKKERIJ, DWSE, "AWI"),
        ])
        assert [(a.allowed, a.reason) for a in batch.answers] == [
            (True, "granted"), (False, "unknown_organisation"), (False, "no_grant")]
        assert batch.answers[0].organisation_id == yes.organisation_id
        # Every page is followed: one row per page gives the same complete list as one big page.
        one_by_one = [r async for r in rights.organisations_of(AN, page_size=1)]
        assert one_by_one == [r async for r in rights.organisations_of(AN)]
        assert yes.organisation_id in {r.organisation_id for r in one_by_one}
        staff = [r async for r in rights.persons_of(BAKKERIJ, DWSE, "VOP", page_size=1)]
        assert len(staff) == 1 and yes.grant_id in staff[0].grants
        first = await rights.changes(after=0, limit=5)
        assert [c.revision for c in first.items] == [1, 2, 3, 4, 5] and first.next_after == 5
        assert first.latest_revision >= yes.revision


def test_blocking_client_gives_the_same_answers(server: Server) -> None:
    with RightsClient(server.url, lambda: server.service) as rights:
        answer = rights.check(AN, BAKKERIJ, DWSE, "VOP")
        assert answer.allowed
        assert rights.check_batch([question(AN, BAKKERIJ, DWSE, "VOP")]).answers[0].grant_id == answer.grant_id
        assert [r.organisation_id for r in rights.organisations_of(AN, DWSE, page_size=1)] == [answer.organisation_id]
        assert len(list(rights.persons_of(BAKKERIJ))) >= 2
        assert rights.changes(after=0, limit=1).items[0].revision == 1


@pytest.mark.parametrize(("call", "status", "code", "field"), [
    (lambda r: r.check("12345678901", BAKKERIJ, DWSE, "VOP"), 422, None, "person"),
    (lambda r: r.check_batch([question(AN, BAKKERIJ, DWSE)] * 1001), 400, None, "questions"),
    (lambda r: r.check(AN, BAKKERIJ, DWSE, "VOP", at_least_revision=10**9), 409, "revision_in_future",
     "at_least_revision"),
])
async def test_refusals_become_rights_errors_with_the_problem(server: Server, call, status, code, field) -> None:
    async with AsyncRightsClient(server.url, server.service) as rights:
        with pytest.raises(RightsError) as caught:
            await call(rights)
    err = caught.value
    assert err.status == status and err.field is not None and err.field.startswith(field)
    assert err.code == (code or err.problem["code"]) and err.request_id and err.problem["status"] == status


async def test_no_token_and_no_server(server: Server) -> None:
    async with AsyncRightsClient(server.url, "not-a-token") as rights:
        with pytest.raises(RightsError) as caught:
            await rights.check(AN, BAKKERIJ, DWSE, "VOP")
    assert caught.value.status == 401 and caught.value.code == "unauthenticated"
    async with AsyncRightsClient("http://127.0.0.1:9", server.service, timeout=1) as rights:
        with pytest.raises(RightsError) as caught:
            await rights.check(AN, BAKKERIJ, DWSE, "VOP")
    assert caught.value.status == 0 and caught.value.code == "unavailable"


async def _compare(cache: LocalDecisionCache, rights: AsyncRightsClient, questions: list[dict]) -> int:
    """Every question asked locally and of the server at the same revision: same verdict, reason, ids."""
    for start in range(0, len(questions), 1000):
        chunk = questions[start:start + 1000]
        remote = await rights.check_batch(chunk)
        assert remote.revision == cache.revision
        for q, r in zip(chunk, remote.answers, strict=True):
            local = cache.check(q["person"], q["organisation"], q["role"], q.get("measure"))
            assert (local.allowed, local.reason, local.grant_id, local.mandate_id, local.organisation_id) == (
                r.allowed, r.reason, r.grant_id, r.mandate_id, r.organisation_id), q
    return len(questions)


async def test_local_cache_answers_like_the_server_and_follows_writes(server: Server) -> None:
    async with AsyncRightsClient(server.url, server.service) as rights:
        cache = LocalDecisionCache(rights, page_size=7)  # several pages even for the demo data
        await cache.sync()
        feed = [c async for c in _all_changes(rights)]
        assert cache.revision == feed[-1].revision
        grants = [c.data for c in feed if c.kind == "grant_created"]
        orgs = [c.data for c in feed if c.kind == "organisation_created"]
        persons = sorted({g["person_id"] for g in grants})
        pairs = sorted({(g["role"], g["measure"]) for g in grants}, key=str)
        refs = [o["id"] for o in orgs] + [o["identifiers"]["enterprise_number"] for o in orgs[:5]
                                          if o["identifiers"].get("enterprise_number")] + ["0202239951"]
        questions = [question(p, o, r, m) for p, o, (r, m) in itertools.product(persons, refs, pairs)]
        assert await _compare(cache, rights, questions) > 1000
        answers = [cache.check(q["person"], q["organisation"], q["role"], q.get("measure")) for q in questions]
        assert {a.reason for a in answers} >= {"granted", "no_grant", "organisation_frozen", "unknown_organisation"}

        an = [r.person_id async for r in rights.persons_of(BAKKERIJ, DWSE, "VOP")][0]
        with pytest.raises(NotCached):
            cache.check(AN, BAKKERIJ, DWSE, "VOP")  # the feed masks national numbers
        assert (await cache.answer(AN, BAKKERIJ, DWSE, "VOP")).allowed  # ... so it asks the server

        # Bakkerij Peeters gives its accountant (De Cijferaar) a mandate; both main administrators agree.
        proposed = await _as(server, BERT, "POST", "/v1/mandates", json={
            "mandator": BAKKERIJ, "holder": CIJFERAAR, "applications": ["WSELoket"]})
        await _as(server, GRIET, "POST", f"/v1/mandates/{proposed['mandate']['id']}/accept", json={})
        sofie = {"Authorization": f"Bearer {server.token(PrincipalKind.PERSON, SOFIE)}"}
        async with httpx.AsyncClient(base_url=server.url, headers=sofie) as admin:
            made = await admin.post("/v1/grants", json={"person": an, "organisation": BAKKERIJ, "role": DWSE,
                                                        "measure": "AWI", "reason": "client cache test"})
            assert made.status_code == 201, made.text
            grant_id = made.json()["grant"]["id"]
            assert not cache.check(an, BAKKERIJ, DWSE, "AWI").allowed  # not yet synced
            assert await cache.refresh() >= 1
            local = cache.check(an, BAKKERIJ, DWSE, "AWI")
            assert local.allowed and local.grant_id == grant_id and local.revision == made.json()["revision"]
            revoked = await admin.post(f"/v1/grants/{grant_id}/revoke", json={"reason": "test done"})
            assert revoked.status_code == 200, revoked.text
        await cache.start(interval=0.05)  # the background task picks up the revocation by itself
        try:
            for _ in range(100):
                if cache.revision >= revoked.json()["revision"]:
                    break
                await _sleep()
            assert cache.check(an, BAKKERIJ, DWSE, "AWI").reason == "grant_revoked"
        finally:
            await cache.stop()
        assert await _compare(cache, rights, questions)
        reasons = {cache.check(q["person"], q["organisation"], q["role"], q.get("measure")).reason for q in questions}
        assert {"mandate", "grant_revoked"} <= reasons


async def _as(server: Server, person: str, method: str, path: str, **kwargs) -> dict:
    headers = {"Authorization": f"Bearer {server.token(PrincipalKind.PERSON, person)}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
        response = await http.request(method, path, **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


async def _all_changes(rights: AsyncRightsClient):
    after = 0
    while page := (await rights.changes(after=after, limit=1000)).items:
        for c in page:
            yield c
        after = page[-1].revision


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.05)
