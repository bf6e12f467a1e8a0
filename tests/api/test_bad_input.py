"""Bad input gets a 4xx problem naming the field, in Dutch and English, and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import Api, World, appoint_and_employ

VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}
PLATFORM = "platform:ops"


@pytest.fixture
async def staffed(api: Api, world: World) -> World:
    await appoint_and_employ(api, world)
    return world


def assert_problem(r, status: int, code: str, field: str | None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["field"] == field, body
    assert body["type"] == f"urn:rights:problem:{code}"
    assert body["message_nl"] and body["message_en"] and body["message_nl"] != body["message_en"]
    assert body["request_id"] == r.headers["x-request-id"]


ORG_CASES = [
    ({"enterprise_number": "0207.509.032"}, "invalid_identifier", "identifiers.enterprise_number"),  # checksum
    ({"enterprise_number": "12345"}, "invalid_identifier", "identifiers.enterprise_number"),
    ({"enterprise_number": "0207509031", "ovo_code": "OVO12"}, "invalid_identifier", "identifiers.ovo_code"),
    ({"enterprise_number": "0207509031", "nis_code": "99999"}, "invalid_identifier", "identifiers.nis_code"),
    ({"enterprise_number": "0207509031", "establishment_numbers": ["2.147.812.702"]}, "invalid_identifier",
     "identifiers.establishment_numbers[0]"),
    ({}, "missing_identifier", "identifiers.enterprise_number"),
]


@pytest.mark.parametrize(("identifiers", "code", "field"), ORG_CASES)
async def test_bad_organisation_identifiers(api: Api, identifiers, code, field) -> None:
    before = await api.revision()
    r = await api.call("POST", "/v1/organisations", PLATFORM,
                       json={"type": "local_government", "name": "Gemeente X", "identifiers": identifiers})
    assert_problem(r, 422, code, field)
    assert await api.revision() == before


async def test_duplicate_identifier_is_a_conflict(api: Api, world: World) -> None:
    before = await api.revision()
    r = await api.call("POST", "/v1/organisations", PLATFORM, json={
        "type": "company", "name": "Kopie", "identifiers": {"enterprise_number": f"BE{world.enterprise}"}})
    assert_problem(r, 409, "duplicate_identifier", "identifiers")
    assert await api.revision() == before


@pytest.mark.parametrize(("body", "field"), [
    ('{"type": "company", "name": "X", "identifiers": {}, "colour": "red"}', "colour"),
    ('{"type": "shop", "name": "X", "identifiers": {}}', "type"),
    ('{"type": "company", "name": "", "identifiers": {}}', "name"),
    ('{"type": "company", "identifiers": {}}', "name"),
    ('{"type": "company", "name": "X", "identifiers": {"enterprise_number": 207509031}}',
     "identifiers.enterprise_number"),
    ('[1, 2, 3]', None),
    ('{"type": "company", "name": ', None),
])
async def test_json_of_the_wrong_shape(api: Api, body: str, field: str | None) -> None:
    before = await api.revision()
    r = await api.call("POST", "/v1/organisations", PLATFORM, content=body,
                       headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "invalid_request", field)
    assert await api.revision() == before


async def test_oversize_body(api: Api) -> None:
    r = await api.call("POST", "/v1/organisations", PLATFORM, json={
        "type": "company", "name": "X" * 300_000, "identifiers": {}})
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"


async def test_bad_national_number(api: Api, staffed: World) -> None:
    before = await api.revision()
    for bad in ("85073003329", "85133003328", "8507300332", "abc"):
        r = await api.call("POST", "/v1/persons", PLATFORM,
                           json={"national_number": bad, "given_name": "A", "family_name": "B"})
        assert_problem(r, 422, "invalid_national_number", "national_number")
        assert bad not in r.text
    assert await api.revision() == before


def grant_body(w: World, **overrides):
    return {"person": w.an["id"], "organisation": w.dupre["id"], **VOP, **overrides}


def days(n: int) -> str:
    return (datetime.now(UTC) + timedelta(days=n)).isoformat()


GRANT_CASES = [
    ({"role": "NoSuchRole"}, 404, "unknown_role", "role"),
    ({"measure": "NOPE"}, 422, "unknown_measure", "measure"),
    ({"measure": None}, 422, "measure_required", "measure"),
    ({"organisation": "0999.999.999"}, 422, "invalid_identifier", "organisation"),
    ({"organisation": "0403.019.261"}, 404, "unknown_organisation", "organisation"),
    ({"person": "per_doesnotexist"}, 404, "unknown_person", "person"),
    ({"valid_until": days(2000)}, 422, "validity_too_long", "valid_until"),
    ({"valid_from": days(10), "valid_until": days(5)}, 422, "validity_ends_before_start", "valid_until"),
    ({"valid_until": days(-1), "valid_from": days(-30)}, 422, "validity_in_past", "valid_until"),
    ({"role": "LoketLokaleBesturen", "measure": "Toezicht"}, 422, "role_not_for_organisation_type", "role"),
    ({"valid_until": "2027-01-01T00:00:00"}, 422, "invalid_value", "valid_until"),
    ({"valid_until": "next year"}, 400, "invalid_request", "valid_until"),
]


@pytest.mark.parametrize(("overrides", "status", "code", "field"), GRANT_CASES)
async def test_bad_grants(api: Api, staffed: World, overrides, status, code, field) -> None:
    before = await api.revision()
    r = await api.call("POST", "/v1/grants", f"person:{staffed.numbers['sofie']}", json=grant_body(staffed, **overrides))
    assert_problem(r, status, code, field)
    assert await api.revision() == before


async def test_revoking_twice_and_stale_versions(api: Api, staffed: World) -> None:
    sofie = f"person:{staffed.numbers['sofie']}"
    grant = (await api.call("POST", "/v1/grants", sofie, expect=201, json=grant_body(staffed))).json()["grant"]
    changed = (await api.call("PATCH", f"/v1/grants/{grant['id']}/validity", sofie, expect=200,
                              json={"valid_until": days(100), "expected_version": 1})).json()["grant"]
    assert changed["version"] == 2
    before = await api.revision()
    r = await api.call("PATCH", f"/v1/grants/{grant['id']}/validity", sofie,
                       json={"valid_until": days(50), "expected_version": 1})
    assert_problem(r, 409, "version_conflict", "expected_version")
    await api.call("POST", f"/v1/grants/{grant['id']}/revoke", sofie, expect=200, json={"reason": "weg"})
    after_revoke = await api.revision()
    assert after_revoke == before + 1
    r = await api.call("POST", f"/v1/grants/{grant['id']}/revoke", sofie, json={"reason": "nog eens"})
    assert_problem(r, 409, "already_revoked", "grant")
    r = await api.call("POST", f"/v1/grants/{grant['id']}/revoke", sofie, json={})
    assert_problem(r, 400, "invalid_request", "reason")
    assert await api.revision() == after_revoke


async def test_an_internal_error_shows_only_the_request_id(api: Api, staffed: World, monkeypatch) -> None:
    services = api.client.app.state.services

    async def boom(*args, **kwargs):
        raise RuntimeError("secret database detail: password=hunter2")

    monkeypatch.setattr(services.checks, "check", boom)
    r = await api.call("POST", "/v1/check", "service:desk",
                       json={"person": staffed.numbers["an"], "organisation": staffed.dupre["id"], **VOP})
    assert r.status_code == 500
    body = r.json()
    assert body["code"] == "internal_error" and body["request_id"] == r.headers["x-request-id"]
    assert "secret" not in r.text and "hunter2" not in r.text and body["request_id"] in body["message_en"]
