"""Issue 10, items 6, 10, 11, 12 and 13: every input gets a 4xx problem naming the field, never a 5xx,
and nothing is written; an unreachable database gets 503; the screens send security headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from rights.api.tokens import mint_dev_token
from rights.domain.ports import PrincipalKind
from tests.api.conftest import Api, World, appoint_and_employ, enterprise_number, national_number
from tests.api.test_bad_input import assert_problem

PLATFORM = "platform:ops"
DESK = "service:desk"
VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}


def org_body(**overrides) -> dict:
    return {"type": "company", "name": "Bakkerij Peeters BV", "identifiers": {}, **overrides}


def when(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


# --- item 6: a national number in the URL is masked in the problem's `instance` ------------------


@pytest.mark.parametrize("written", ["85073003328", "85.07.30-033.28", "85%2E07%2E30-033%2E28"])
async def test_problem_instance_masks_a_national_number(api: Api, world: World, written: str) -> None:
    for path in (f"/v1/persons/{written}", f"/v1/persons/{written}/grants", f"/v1/persons/{written}/claims",
                 f"/v1/no-such-route/{written}"):
        r = await api.call("GET", path, f"person:{world.numbers['sofie']}")
        assert r.status_code in (403, 404), r.text
        body = r.json()
        assert "033" not in body["instance"] and "85073003328" not in r.text and "033.28" not in r.text, body
        assert "85.07.30-***.**" in body["instance"]


async def test_a_validation_message_does_not_quote_a_national_number(api: Api) -> None:
    r = await api.call("POST", "/v1/organisations", PLATFORM, json=org_body(type="85073003328"))
    assert_problem(r, 400, "invalid_request", "type")
    assert "85073003328" not in r.text and "85.07.30-***.**" in r.json()["message_en"]


# --- item 10: integers, nesting, NUL, dates ---------------------------------------------------------


@pytest.mark.parametrize(("path", "who"), [("/v1/audit", PLATFORM), ("/v1/changes", DESK)])
@pytest.mark.parametrize("after", [2**63, 2**64, 10**30])
async def test_after_beyond_a_bigint_is_a_4xx(api: Api, path: str, who: str, after: int) -> None:
    r = await api.call("GET", path, who, params={"after": str(after)})
    assert_problem(r, 400, "invalid_request", "after")
    await api.call("GET", path, who, params={"after": str(2**63 - 1)}, expect=200)


@pytest.mark.parametrize("depth", [250, 1000, 5000])
async def test_deeply_nested_json_is_refused(api: Api, world: World, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    body = f'{{"person": "{world.numbers["an"]}", "organisation": "{world.dupre["id"]}", "role": {nested}}}'
    r = await api.call("POST", "/v1/check", DESK, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "json_too_deep"
    # Written nesting that is deep but within the limit still gets an ordinary answer.
    ok = '{"person": "x", "organisation": "y", "role": ' + "[" * 150 + "]" * 150 + "}"
    r = await api.call("POST", "/v1/check", DESK, content=ok, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["field"] == "role"


@pytest.mark.parametrize(("body", "field"), [
    (org_body(name="Bakkerij\u0000Peeters", identifiers={"enterprise_number": "0207509031"}), "name"),
    (org_body(short_name="\u0000", identifiers={"enterprise_number": "0207509031"}), "short_name"),
    (org_body(identifiers={"enterprise_number": "0207\u0000509031"}), "identifiers.enterprise_number"),
    (org_body(identifiers={"establishment_numbers": ["2147812702", "x\u0000"]}), "identifiers.establishment_numbers[1]"),
    ({**org_body(), "col\u0000our": "red"}, "col\u0000our"),
])
async def test_nul_character_is_refused_on_every_database(api: Api, body: dict, field: str) -> None:
    before = await api.revision()
    r = await api.call("POST", "/v1/organisations", PLATFORM, json=body)
    assert_problem(r, 422, "nul_character", field)
    assert await api.revision() == before


async def test_nul_character_in_a_person_and_a_reason(api: Api, world: World) -> None:
    await appoint_and_employ(api, world)
    before = await api.revision()
    r = await api.call("POST", "/v1/persons", PLATFORM, json={
        "national_number": national_number("900201", 7), "given_name": "Jan\x00", "family_name": "Smet"})
    assert_problem(r, 422, "nul_character", "given_name")
    sofie = f"person:{world.numbers['sofie']}"
    grant = (await api.call("POST", "/v1/grants", sofie, expect=201, json={
        "person": world.an["id"], "organisation": world.dupre["id"], **VOP})).json()["grant"]
    before = await api.revision()
    r = await api.call("POST", f"/v1/grants/{grant['id']}/revoke", sofie, json={"reason": "weg\u0000"})
    assert_problem(r, 422, "nul_character", "reason")
    assert await api.revision() == before


@pytest.fixture
async def firm(api: Api, world: World) -> World:
    """Bert administers Dupré (the mandator, main administrator); Zoë administers Janssens."""
    await appoint_and_employ(api, world)
    await api.call("POST", f"/v1/organisations/{world.other['id']}/administrators", PLATFORM, expect=201,
                   json={"person": world.zoe["id"], "main": True})
    return world


@pytest.mark.parametrize(("dates", "code", "field"), [
    ({"valid_until": "9999-12-31T23:59:59-14:00"}, "invalid_value", "valid_until"),
    ({"valid_from": "0001-01-01T00:00:00+14:00"}, "invalid_value", "valid_from"),
    ({"valid_until": "9999-12-31T23:59:59+00:00"}, "mandate_too_long", "valid_until"),
    ({"valid_from": when(1), "valid_until": when(1 + 6 * 366)}, "mandate_too_long", "valid_until"),
    ({"valid_from": when(6 * 366)}, "mandate_too_long", "valid_from"),
])
async def test_mandate_dates_are_bounded(api: Api, firm: World, dates: dict, code: str, field: str) -> None:
    before = await api.revision()
    r = await api.call("POST", "/v1/mandates", f"person:{firm.numbers['bert']}", json={
        "mandator": firm.dupre["id"], "holder": firm.other["id"], "applications": ["WSELoket"], **dates})
    assert_problem(r, 422, code, field)
    assert await api.revision() == before
    # Within the bound is accepted.
    await api.call("POST", "/v1/mandates", f"person:{firm.numbers['bert']}", expect=201, json={
        "mandator": firm.dupre["id"], "holder": firm.other["id"], "applications": ["WSELoket"],
        "valid_until": when(4 * 365)})


async def test_grant_and_check_dates_that_overflow(api: Api, world: World) -> None:
    await appoint_and_employ(api, world)
    before = await api.revision()
    r = await api.call("POST", "/v1/grants", f"person:{world.numbers['sofie']}", json={
        "person": world.an["id"], "organisation": world.dupre["id"], **VOP,
        "valid_until": "9999-12-31T23:59:59-14:00"})
    assert_problem(r, 422, "invalid_value", "valid_until")
    assert await api.revision() == before
    r = await api.call("POST", "/v1/check", DESK, json={
        "person": world.numbers["an"], "organisation": world.dupre["id"], **VOP, "at": "9999-12-31T23:59:59-14:00"})
    assert_problem(r, 422, "invalid_value", "at")


# --- item 12: duplicate keys, content types, token lifetime -----------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ('{"type": "company", "name": "A", "name": "B", "identifiers": {}}', "name"),
    ('{"type": "company", "name": "says \\":\\" twice", "identifiers": {"a": 1}, "identifiers": {}}', "identifiers"),
    ('[{"type": "company"}, {"name": "A", "type": "school", "name": "B"}]', "name"),
    ('{"type": "company", "name": "A", "identifiers": {"enterprise_number": "0207509031", '
     '"enterprise_number": "0403019261"}}', "enterprise_number"),
])
async def test_duplicate_keys_are_refused(api: Api, body: str, field: str) -> None:
    before = await api.revision()
    r = await api.call("POST", "/v1/organisations", PLATFORM, content=body,
                       headers={"Content-Type": "application/json"})
    assert_problem(r, 422, "duplicate_key", field)
    assert await api.revision() == before


async def test_a_string_that_looks_like_a_key_is_no_duplicate(api: Api) -> None:
    body = org_body(name='Bakkerij "Peeters": brood', identifiers={"enterprise_number": enterprise_number(2345671)})
    r = await api.call("POST", "/v1/organisations", PLATFORM, expect=201, json=body)
    assert r.json()["organisation"]["name"] == 'Bakkerij "Peeters": brood'


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml",
                                          "multipart/form-data; boundary=x", None])
async def test_a_body_that_is_not_json_gets_415(api: Api, content_type: str | None) -> None:
    before = await api.revision()
    headers = {"Content-Type": content_type} if content_type else {}
    r = await api.call("POST", "/v1/organisations", PLATFORM, content=json.dumps(org_body()).encode(),
                       headers=headers)
    assert_problem(r, 415, "unsupported_media_type", None)
    assert await api.revision() == before
    # JSON with a charset, or a +json type, is JSON.
    for n, json_type in enumerate(("application/json; charset=utf-8", "application/merge-patch+json")):
        body = org_body(identifiers={"enterprise_number": enterprise_number(1234560 + n)})
        await api.call("POST", "/v1/organisations", PLATFORM, expect=201, content=json.dumps(body).encode(),
                       headers={"Content-Type": json_type})


async def test_a_token_living_longer_than_the_maximum_is_refused(api: Api) -> None:
    hours = 3600
    for ttl, status in ((12 * hours, 200), (12 * hours + 1, 401), (30 * 24 * hours, 401)):
        token = mint_dev_token(api.settings, PrincipalKind.PLATFORM_ADMIN, "ops", ttl_seconds=ttl)
        r = await api.client.get("/v1/catalogue", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == status, (ttl, r.text)
        if status == 401:
            assert r.json()["code"] == "unauthenticated" and "lifetime" in r.json()["message_en"]


async def test_the_token_maximum_is_a_setting(api_settings) -> None:
    from litestar.testing import AsyncTestClient

    from rights.api.app import create_app

    short = msgspec.structs.replace(api_settings, token_max_lifetime_seconds=3600)
    async with AsyncTestClient(app=create_app(short)) as client:
        for ttl, status in ((3600, 200), (3601, 401)):
            token = mint_dev_token(short, PrincipalKind.PLATFORM_ADMIN, "ops", ttl_seconds=ttl)
            r = await client.get("/v1/catalogue", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == status, r.text


# --- item 11: an unreachable database gets 503, checks go on from the index -------------------------


async def test_writes_get_503_while_the_database_is_unreachable(api: Api, world: World) -> None:
    await appoint_and_employ(api, world)
    sofie = f"person:{world.numbers['sofie']}"
    granted = (await api.call("POST", "/v1/grants", sofie, expect=201, json={
        "person": world.an["id"], "organisation": world.dupre["id"], **VOP})).json()
    store = api.client.app.state.services.core.store
    reachable = store.engine
    if reachable.dialect.name == "postgresql":
        gone = "postgresql+asyncpg://postgres@127.0.0.1:9/nowhere"  # the discard port: nothing listens
    else:
        gone = f"sqlite+aiosqlite:///{api.settings.data_dir}/no/such/dir/rights.db"
    store.engine = create_async_engine(gone, connect_args={"timeout": 2} if "asyncpg" in gone else {})
    try:
        new_org = org_body(identifiers={"enterprise_number": enterprise_number(7654321)})
        r = await api.call("POST", "/v1/organisations", PLATFORM, json=new_org)
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"].isdigit()
        assert r.json()["code"] == "storage_unavailable" and r.json()["status"] == 503
        assert r.headers["content-type"].startswith("application/problem+json")
        r = await api.call("POST", f"/v1/grants/{granted['grant']['id']}/revoke", sofie, json={"reason": "x"})
        assert r.status_code == 503 and r.json()["code"] == "storage_unavailable", r.text
        # Checks are answered from the index meanwhile.
        r = await api.call("POST", "/v1/check", DESK, expect=200, json={
            "person": world.numbers["an"], "organisation": world.dupre["id"], **VOP})
        assert r.json()["allowed"] is True
    finally:
        await store.engine.dispose()
        store.engine = reachable
    await api.call("POST", "/v1/organisations", PLATFORM, expect=201,
                   json=org_body(identifiers={"enterprise_number": enterprise_number(7654321)}))


# --- item 13: security headers on the screens --------------------------------------------------------


@pytest.mark.parametrize("path", ["/helpline/login", "/", "/static/helpline.js", "/v1/catalogue"])
async def test_security_headers(api: Api, path: str) -> None:
    r = await api.client.get(path, follow_redirects=False)
    assert r.status_code < 500
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'" and directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    policy = r.headers["permissions-policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


async def test_killed_connections_never_give_a_500(api: Api, world: World) -> None:
    """pg_terminate_backend on every connection of the service: the next writes succeed or get 503."""
    store = api.client.app.state.services.core.store
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server connections to kill")
    import asyncpg

    dsn = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    finally:
        await admin.close()
    assert killed >= 1
    statuses = []
    for n in range(3):
        body = org_body(identifiers={"enterprise_number": enterprise_number(3456780 + n)})
        r = await api.call("POST", "/v1/organisations", PLATFORM, json=body)
        assert r.status_code in (201, 503), r.text
        statuses.append(r.status_code)
    assert statuses[-1] == 201
