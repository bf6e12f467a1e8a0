"""Batch checks, freshness, the change feed and complete, paged lists."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, World, appoint_and_employ, national_number

DESK = "service:wse-loket"
LISTER = "lister:crm"  # a service client with the listing scope (issue 10, item 2)
VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}


@pytest.fixture
async def granted(api: Api, world: World) -> tuple[World, dict]:
    await appoint_and_employ(api, world)
    g = (await api.call("POST", "/v1/grants", f"person:{world.numbers['sofie']}", expect=201, json={
        "person": world.an["id"], "organisation": world.dupre["id"], **VOP})).json()
    return world, g


async def test_batch_answers_in_order_with_per_question_reasons(api: Api, granted) -> None:
    w, g = granted
    base = {"person": w.numbers["an"], "organisation": w.enterprise, **VOP}
    questions = [
        base,
        {**base, "measure": "IMW"},
        {**base, "organisation": "0403.019.261"},  # valid number, not a known organisation
        {**base, "person": national_number("010101", 1, born_2000=True)},  # valid, unknown person
        {**base, "role": "NoSuchRole"},
    ] * 200
    r = (await api.call("POST", "/v1/check/batch", DESK, expect=200,
                        json={"questions": questions, "at_least_revision": g["revision"]})).json()
    reasons = [a["reason"] for a in r["answers"]]
    assert reasons[:5] == ["granted", "no_grant", "unknown_organisation", "unknown_person", "unknown_role"]
    assert len(reasons) == 1000 and reasons[995:] == reasons[:5]
    assert r["answers"][0]["grant_id"] == g["grant"]["id"] and r["revision"] >= g["revision"]


async def test_bad_batches_name_the_item(api: Api, granted) -> None:
    w, _ = granted
    ok = {"person": w.numbers["an"], "organisation": w.enterprise, **VOP}
    r = await api.call("POST", "/v1/check/batch", DESK, json={"questions": [ok] * 1001})
    assert r.status_code == 400 and r.json()["field"] == "questions"
    r = await api.call("POST", "/v1/check/batch", DESK, json={"questions": [ok, ok, {**ok, "colour": 1}]})
    assert r.status_code == 400 and r.json()["field"] == "questions[2].colour"
    r = await api.call("POST", "/v1/check/batch", DESK, json={"questions": [ok, {**ok, "organisation": "0207.509.032"}]})
    assert r.status_code == 422 and r.json()["field"] == "questions[1].organisation"
    r = await api.call("POST", "/v1/check/batch", DESK, json={"questions": [ok, {"person": "x"}]})
    assert r.status_code == 400 and r.json()["field"].startswith("questions[1].")


async def test_at_least_revision_beyond_the_latest_is_a_problem_not_a_hang(api: Api, granted) -> None:
    w, g = granted
    body = {"person": w.numbers["an"], "organisation": w.enterprise, **VOP}
    r = await api.call("POST", "/v1/check", DESK, json={**body, "at_least_revision": g["revision"] + 1000})
    assert r.status_code == 409 and r.json()["code"] == "revision_in_future"
    assert r.json()["field"] == "at_least_revision"
    ok = (await api.call("POST", "/v1/check", DESK, expect=200,
                         json={**body, "at_least_revision": g["revision"]})).json()
    assert ok["allowed"] and ok["revision"] >= g["revision"]


async def test_change_feed(api: Api, granted) -> None:
    w, g = granted
    feed = (await api.call("GET", "/v1/changes", DESK, params={"after": 0, "limit": 1000}, expect=200)).json()
    revisions = [c["revision"] for c in feed["items"]]
    assert revisions == list(range(1, len(revisions) + 1)) and feed["latest_revision"] == revisions[-1]
    grant_change = next(c for c in feed["items"] if c["kind"] == "grant_created")
    assert grant_change["entity_id"] == g["grant"]["id"] and grant_change["data"]["measure"] == "VOP"
    # Persons appear in the feed without their national number.
    assert w.numbers["an"] not in str(feed)
    page = (await api.call("GET", "/v1/changes", DESK, params={"after": 3, "limit": 2}, expect=200)).json()
    assert [c["revision"] for c in page["items"]] == [4, 5] and page["next_after"] == 5
    await api.call("GET", "/v1/changes", f"person:{w.numbers['an']}", expect=403)


async def test_lists_are_complete_ordered_and_paged(api: Api, world: World) -> None:
    await appoint_and_employ(api, world)
    sofie = f"person:{world.numbers['sofie']}"
    org = world.dupre["id"]
    people = [world.an["id"]]
    for i in range(6):
        p = (await api.call("POST", "/v1/persons", sofie, expect=201, json={
            "national_number": national_number("760101", 100 + i), "given_name": f"P{i}",
            "family_name": "Test"})).json()["person"]
        await api.call("POST", f"/v1/organisations/{org}/work-relations", sofie, expect=201,
                       json={"person": p["id"], "user_type": "permanent"})
        people.append(p["id"])
    for pid in people:
        await api.call("POST", "/v1/grants", sofie, expect=201, json={"person": pid, "organisation": org, **VOP})
    seen, cursor = [], None
    while True:
        params = {"role": VOP["role"], "measure": "VOP", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await api.call("GET", f"/v1/organisations/{org}/persons", LISTER, params=params, expect=200)).json()
        seen += [i["person_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(people)
    none = (await api.call("GET", f"/v1/organisations/{org}/persons", LISTER,
                           params={"role": VOP["role"], "measure": "AWI"}, expect=200)).json()
    assert none["items"] == [] and none["next_cursor"] is None
