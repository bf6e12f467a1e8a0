"""Acting for another organisation under a mandate, answered by the index in the same check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import Api, World, appoint_and_employ

DESK = "service:wse-loket"
VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}


def when(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.fixture
async def firm(api: Api, world: World) -> World:
    """Dupré (the client) and Janssens (the firm): Zoë administers the firm and lets An execute mandates."""
    await appoint_and_employ(api, world)
    other = world.other["id"]
    await api.call("POST", f"/v1/organisations/{other}/administrators", "platform:ops", expect=201,
                   json={"person": world.zoe["id"], "main": True})
    zoe = f"person:{world.numbers['zoe']}"
    await api.call("POST", f"/v1/organisations/{other}/work-relations", zoe, expect=201,
                   json={"person": world.an["id"], "user_type": "external"})
    await api.call("POST", "/v1/grants", zoe, expect=201, json={
        "person": world.an["id"], "organisation": other, "role": "SSMMandaatuitvoerder", "measure": "WSELoket"})
    return world


async def ask(api: Api, w: World, who: str = "an", **extra) -> dict:
    body = {"person": w.numbers[who], "organisation": w.dupre["id"], **VOP, "explain": True, **extra}
    return (await api.call("POST", "/v1/check", DESK, json=body, expect=200)).json()


async def test_mandate_lifecycle(api: Api, firm: World) -> None:
    w = firm
    bert, zoe = f"person:{w.numbers['bert']}", f"person:{w.numbers['zoe']}"
    assert (await ask(api, w))["reason"] == "no_grant"

    proposed = (await api.call("POST", "/v1/mandates", bert, expect=201, json={
        "mandator": w.dupre["id"], "holder": w.other["id"], "applications": ["WSELoket"], "measures": ["VOP"]})).json()
    mandate = proposed["mandate"]
    assert mandate["mandator_accepted_at"] and mandate["holder_accepted_at"] is None

    # Not yet accepted by the holder: no, and the explanation says why.
    before = await ask(api, w)
    assert before["allowed"] is False and "mandate_not_accepted" in before["explanation"]["reasons"]
    # The proposing side cannot accept twice; someone of neither side cannot accept at all.
    r = await api.call("POST", f"/v1/mandates/{mandate['id']}/accept", bert, json={})
    assert r.status_code == 409 and r.json()["code"] == "mandate_already_accepted"
    r = await api.call("POST", f"/v1/mandates/{mandate['id']}/accept", f"person:{w.numbers['an']}", json={})
    assert r.status_code == 403 and r.json()["code"] == "not_a_mandate_party"

    accepted = (await api.call("POST", f"/v1/mandates/{mandate['id']}/accept", zoe, expect=200, json={})).json()
    yes = await ask(api, w, at_least_revision=accepted["revision"])
    assert yes["allowed"] is True and yes["reason"] == "mandate" and yes["mandate_id"] == mandate["id"]
    assert yes["explanation"]["mandate"]["holder_id"] == w.other["id"]
    assert yes["explanation"]["grant"]["role"] == "SSMMandaatuitvoerder"
    accepted_at = datetime.now(UTC)

    # Wrong measure: the mandate covers only the VOP.
    imw = await ask(api, w, measure="IMW")
    assert imw["allowed"] is False and "mandate_not_covering" in imw["explanation"]["reasons"]
    # A person of the holder without the executing right.
    await api.call("POST", f"/v1/organisations/{w.other['id']}/work-relations", zoe, expect=201,
                   json={"person": w.zoe["id"], "user_type": "permanent"})
    no_right = await ask(api, w, who="zoe")
    assert no_right["allowed"] is False and "no_executing_right" in no_right["explanation"]["reasons"]
    # The firm's list for An includes the client under the mandate.
    orgs = (await api.call("GET", f"/v1/persons/{w.an['id']}/organisations", DESK,
                           params={"role": VOP["role"], "measure": "VOP"}, expect=200)).json()
    assert {"organisation_id": w.dupre["id"], "grants": [f"mandate:{mandate['id']}"]} in orgs["items"]

    # Either side revokes; the next check says no, but the history still says yes for that moment.
    revoked = (await api.call("POST", f"/v1/mandates/{mandate['id']}/revoke", zoe, expect=200,
                              json={"reason": "contract beëindigd"})).json()
    after = await ask(api, w, at_least_revision=revoked["revision"])
    assert after["allowed"] is False and "mandate_revoked" in after["explanation"]["reasons"]
    then = await ask(api, w, at=accepted_at.isoformat())
    assert then["allowed"] is True and then["reason"] == "mandate"


async def test_expired_mandate(api: Api, firm: World) -> None:
    w = firm
    bert, zoe = f"person:{w.numbers['bert']}", f"person:{w.numbers['zoe']}"
    m = (await api.call("POST", "/v1/mandates", bert, expect=201, json={
        "mandator": w.dupre["id"], "holder": w.other["id"], "applications": ["WSELoket"],
        "valid_from": when(-30), "valid_until": when(-1)})).json()["mandate"]
    accepted = (await api.call("POST", f"/v1/mandates/{m['id']}/accept", zoe, expect=200, json={})).json()
    answer = await ask(api, w, at_least_revision=accepted["revision"])
    assert answer["allowed"] is False and "mandate_expired" in answer["explanation"]["reasons"]


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"applications": ["NoSuchApp"]}, 404, "unknown_application", "applications[0]"),
    ({"applications": ["WSELoket"], "measures": ["Toezicht"]}, 422, "measure_not_in_applications", "measures[0]"),
    ({"applications": []}, 400, "invalid_request", "applications"),
    ({"applications": ["WSELoket"], "holder": "SELF"}, 422, "mandate_same_organisation", "holder"),
])
async def test_bad_mandates(api: Api, firm: World, body, status, code, field) -> None:
    w = firm
    payload = {"mandator": w.dupre["id"], "holder": w.other["id"], **body}
    if payload["holder"] == "SELF":
        payload["holder"] = w.dupre["id"]
    before = await api.revision()
    r = await api.call("POST", "/v1/mandates", f"person:{w.numbers['bert']}", json=payload)
    assert r.status_code == status and r.json()["code"] == code and r.json()["field"] == field, r.text
    assert await api.revision() == before
