"""/v1/requests: submit, list, approve and refuse over HTTP; bad input is a problem naming the field."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, World, appoint_and_employ

AWI = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "AWI"}
MOTIVATION = "Ik dien de aanvraag voor de aanwervingsincentive in."


@pytest.fixture
async def dupre(api: Api, world: World) -> World:
    await appoint_and_employ(api, world)
    return world


async def test_request_and_approve(api: Api, dupre: World) -> None:
    w = dupre
    an, sofie = f"person:{w.numbers['an']}", f"person:{w.numbers['sofie']}"
    r = await api.call("POST", "/v1/requests", an, expect=201, json={
        "organisation": f"BE{w.enterprise}", **AWI, "motivation": MOTIVATION})
    body = r.json()
    assert body["administrators_notified"] == 1 and body["request"]["status"] == "pending"
    assert "hr@dupre.example" not in r.text  # the administrator's address never reaches the requester
    req = body["request"]["id"]
    listed = (await api.call("GET", "/v1/requests", sofie, params={"organisation": w.dupre["id"]}, expect=200)).json()
    assert [x["id"] for x in listed["requests"]] == [req]
    assert listed["requests"][0]["person"]["national_number"] == "85.07.30-***.**"
    assert w.numbers["an"] not in str(listed)
    # An is no administrator: she can neither list nor approve.
    await api.call("GET", "/v1/requests", an, params={"organisation": w.dupre["id"]}, expect=403)
    await api.call("POST", f"/v1/requests/{req}/approve", an, expect=403)
    done = (await api.call("POST", f"/v1/requests/{req}/approve", sofie, expect=200)).json()["request"]
    assert done["status"] == "approved" and done["grant_id"]
    check = (await api.call("POST", "/v1/check", "service:desk", expect=200, json={
        "person": w.numbers["an"], "organisation": w.dupre["id"], **AWI})).json()
    assert check["allowed"] is True
    again = await api.call("POST", f"/v1/requests/{req}/refuse", sofie, json={"reason": "te laat"})
    assert again.status_code == 409 and again.json()["code"] == "request_already_decided"
    mine = (await api.call("GET", "/v1/requests", an, expect=200)).json()["requests"]
    assert [x["status"] for x in mine] == ["approved"]


@pytest.mark.parametrize(("who", "body", "status", "code", "field"), [
    ("an", {"motivation": "kort"}, 422, "motivation_required", "motivation"),
    ("an", {"motivation": "x" * 2001}, 400, "invalid_request", "motivation"),
    ("an", {"contact_email": "geen adres"}, 422, "invalid_email", "contact_email"),
    ("an", {"role": "WebEdisonBeheerder", "measure": None}, 422, "role_not_for_organisation_type", "role"),
    ("an", {"measure": "NOPE"}, 422, "unknown_measure", "measure"),
    ("an", {"surprise": 1}, 400, "invalid_request", "surprise"),
    ("service", {}, 403, "request_only_by_person", None),
])
async def test_bad_requests_write_nothing(api: Api, dupre: World, who, body, status, code, field) -> None:
    w = dupre
    caller = "service:desk" if who == "service" else f"person:{w.numbers[who]}"
    before = await api.revision()
    r = await api.call("POST", "/v1/requests", caller, json={
        "organisation": w.dupre["id"], **AWI, "motivation": MOTIVATION, **body})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code and r.json().get("field") == field, r.text
    assert await api.revision() == before


async def test_refuse_needs_a_reason(api: Api, dupre: World) -> None:
    w = dupre
    an, bert = f"person:{w.numbers['an']}", f"person:{w.numbers['bert']}"
    req = (await api.call("POST", "/v1/requests", an, expect=201, json={
        "organisation": w.dupre["id"], **AWI, "motivation": MOTIVATION})).json()["request"]["id"]
    before = await api.revision()
    r = await api.call("POST", f"/v1/requests/{req}/refuse", bert, json={"reason": ""})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    assert await api.revision() == before
    done = await api.call("POST", f"/v1/requests/{req}/refuse", bert, expect=200, json={"reason": "Nee."})
    assert done.json()["request"]["decision_reason"] == "Nee."
