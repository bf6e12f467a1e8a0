"""Every principal is refused what it may not do; tokens that are not good enough are refused outright."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar, get
from litestar.exceptions import ImproperlyConfiguredException

from rights.api.permissions import Permission
from rights.api.security import authorize, ensure_every_route_declares_permission
from tests.api.conftest import Api, World, appoint_and_employ

VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}


@pytest.fixture
async def staffed(api: Api, world: World) -> World:
    await appoint_and_employ(api, world)
    return world


def person(w: World, key: str) -> str:
    return f"person:{w.numbers[key]}"


async def test_another_organisations_administrator_is_refused(api: Api, staffed: World) -> None:
    w = staffed
    # Sofie administers Dupré, not Janssens: she can neither employ nor grant there.
    r = await api.call("POST", f"/v1/organisations/{w.other['id']}/work-relations", person(w, "sofie"),
                       expect=403, json={"person": w.an["id"], "user_type": "permanent"})
    assert r.json()["code"] == "not_an_administrator"
    r = await api.call("POST", "/v1/grants", person(w, "sofie"), expect=403,
                       json={"person": w.an["id"], "organisation": w.other["id"], **VOP})
    assert r.json()["code"] == "not_an_administrator" and r.json()["field"] == "organisation"
    r = await api.call("GET", f"/v1/organisations/{w.other['id']}/grants", person(w, "sofie"), expect=403)
    assert r.json()["code"] == "not_an_administrator"


async def test_a_person_cannot_read_someone_elses_rights(api: Api, staffed: World) -> None:
    w = staffed
    for path in (f"/v1/persons/{w.sofie['id']}/claims", f"/v1/persons/{w.sofie['id']}/organisations",
                 f"/v1/persons/{w.sofie['id']}/grants", f"/v1/persons/{w.sofie['id']}"):
        r = await api.call("GET", path, person(w, "an"), expect=403)
        assert r.json()["code"] == "not_own_data", path
    own = (await api.call("GET", "/v1/persons/me", person(w, "an"), expect=200)).json()
    assert own["national_number"] == "85.07.30-033.28"  # whole, to its holder only
    seen_by_admin = (await api.call("GET", f"/v1/persons/{w.an['id']}", person(w, "sofie"), expect=200)).json()
    assert seen_by_admin["national_number"] == "85.07.30-***.**"


async def test_a_service_client_cannot_write(api: Api, staffed: World) -> None:
    w = staffed
    desk = "service:wse-loket"
    before = await api.revision()
    await api.call("POST", "/v1/grants", desk, expect=403,
                   json={"person": w.an["id"], "organisation": w.dupre["id"], **VOP})
    await api.call("POST", "/v1/organisations", desk, expect=403,
                   json={"type": "company", "name": "X", "identifiers": {"enterprise_number": "0403019261"}})
    await api.call("POST", f"/v1/organisations/{w.dupre['id']}/administrators", desk, expect=403,
                   json={"person": w.an["id"]})
    await api.call("GET", "/v1/helpline/lookup", desk, params={"q": "dupre"}, expect=403)
    assert await api.revision() == before


async def test_a_helpline_operator_cannot_grant_or_appoint(api: Api, staffed: World) -> None:
    w = staffed
    op = "helpline:operator-1"
    before = await api.revision()
    r = await api.call("POST", "/v1/grants", op, expect=403,
                       json={"person": w.an["id"], "organisation": w.dupre["id"], **VOP})
    assert r.json()["code"] == "forbidden"
    await api.call("POST", f"/v1/organisations/{w.dupre['id']}/administrators", op, expect=403,
                   json={"person": w.an["id"]})
    await api.call("POST", "/v1/check", op, expect=403, json={"person": w.numbers["an"],
                                                             "organisation": w.dupre["id"], **VOP})
    await api.call("GET", "/v1/audit", op, expect=403)
    assert await api.revision() == before


async def test_platform_staff_do_not_grant_rights(api: Api, staffed: World) -> None:
    w = staffed
    r = await api.call("POST", "/v1/grants", "platform:ops", expect=403,
                       json={"person": w.an["id"], "organisation": w.dupre["id"], **VOP})
    assert r.json()["code"] == "not_an_administrator"


async def test_a_person_cannot_use_platform_routes(api: Api, staffed: World) -> None:
    w = staffed
    await api.call("POST", f"/v1/organisations/{w.dupre['id']}/freeze", person(w, "bert"), expect=403)
    await api.call("GET", "/v1/audit", person(w, "bert"), expect=403)
    await api.call("POST", "/v1/check", person(w, "bert"), expect=403,
                   json={"person": w.numbers["an"], "organisation": w.dupre["id"], **VOP})


def _token(api: Api, key, **claims) -> str:
    now = int(time.time())
    base = {"iss": api.settings.dev_issuer, "aud": api.settings.oidc_audience, "sub": "wse-loket",
            "scope": api.settings.check_scope, "iat": now, "exp": now + 600}
    return jwt.encode({**base, **claims}, key, algorithm="EdDSA")


async def test_tokens_that_must_be_refused(api: Api, staffed: World) -> None:
    from rights.api.tokens import _load_private

    good_key = _load_private(api.settings.dev_signing_key)
    body = {"person": staffed.numbers["an"], "organisation": staffed.dupre["id"], **VOP}
    ok = _token(api, good_key)
    r = await api.client.post("/v1/check", json=body, headers={"Authorization": f"Bearer {ok}"})
    assert r.status_code == 200
    bad = {
        "expired": _token(api, good_key, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
        "wrongly signed": _token(api, Ed25519PrivateKey.generate()),
        "wrong audience": _token(api, good_key, aud="someone-else"),
        "wrong issuer": _token(api, good_key, iss="https://evil.example"),
        "not a jwt": "abc.def.ghi",
        "alg none": jwt.encode({"sub": "x", "aud": "rights", "iss": api.settings.dev_issuer,
                                "exp": int(time.time()) + 60, "iat": int(time.time())}, None, algorithm="none"),
    }
    for label, token in bad.items():
        r = await api.client.post("/v1/check", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, label
        assert r.json()["code"] == "unauthenticated" and r.headers["www-authenticate"].startswith("Bearer")
        assert token not in r.text
    r = await api.client.post("/v1/check", json=body)
    assert r.status_code == 401
    # A person token whose subject is not a national number is refused too.
    r = await api.client.get("/v1/persons/me", headers={"Authorization": f"Bearer {_token(api, good_key, scope='')}"})
    assert r.status_code == 401


def test_a_route_without_a_permission_is_refused_at_start_up() -> None:
    @get("/undeclared")
    async def undeclared() -> str:
        return "open door"

    @get("/declared", opt={"permission": Permission.PUBLIC})
    async def declared() -> str:
        return "ok"

    ensure_every_route_declares_permission(Litestar([declared], guards=[authorize], openapi_config=None))
    with pytest.raises(ImproperlyConfiguredException, match="undeclared"):
        ensure_every_route_declares_permission(Litestar([declared, undeclared], guards=[authorize], openapi_config=None))
