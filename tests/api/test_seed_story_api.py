"""The story on the demo seed, through the API, on SQLite and PostgreSQL.

Bloemenwinkel De Zonnebloem has a legal representative (Fatima) and no administrator yet: she makes
herself main local administrator and appoints Lies, who employs Jonas and grants him the VOP right.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from rights.api.app import create_app
from rights.domain.services import build_services
from rights.policies import default_policies_dir, load_catalogue
from rights.seeding import seed_directory
from rights.settings import Settings
from rights.storage import create_store
from tests.api.conftest import Api, national_number

FATIMA = "person:84042209666"
DESK = "service:wse-loket"
VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}


@pytest.fixture
async def seeded_api(api_settings: Settings) -> AsyncIterator[Api]:
    store = create_store(api_settings.database)
    try:
        await seed_directory(build_services(store, load_catalogue(default_policies_dir())),
                             default_policies_dir().parent / "seeds")
    finally:
        await store.close()
    async with AsyncTestClient(app=create_app(api_settings)) as client:
        yield Api(client, api_settings)


async def test_the_seed_story(seeded_api: Api) -> None:
    api = seeded_api
    org = "1002.345.639"
    lookup = (await api.call("GET", "/v1/helpline/lookup", "helpline:op", params={"q": org}, expect=200)).json()
    assert lookup["items"][0]["has_administrator"] is False  # nobody to name yet

    # The legal representative appoints herself main local administrator, then a local administrator.
    await api.call("POST", f"/v1/organisations/{org}/administrators", FATIMA, expect=201,
                   json={"person": "me", "main": True})
    lies_nn, jonas_nn = national_number("910203", 151), national_number("990101", 33)
    lies = (await api.call("POST", "/v1/persons", FATIMA, expect=201, json={
        "national_number": lies_nn, "given_name": "Lies", "family_name": "Verstraeten"})).json()["person"]
    await api.call("POST", f"/v1/organisations/{org}/administrators", FATIMA, expect=201, json={
        "person": lies["id"], "contact": {"email": "lies@zonnebloem.example.be", "disclose": True}})

    # The administrator employs Jonas and grants him the VOP right.
    lies_token = f"person:{lies_nn}"
    jonas = (await api.call("POST", "/v1/persons", lies_token, expect=201, json={
        "national_number": jonas_nn, "given_name": "Jonas", "family_name": "Wouters"})).json()["person"]
    await api.call("POST", f"/v1/organisations/{org}/work-relations", lies_token, expect=201,
                   json={"person": jonas["id"], "user_type": "occasional"})
    grant = (await api.call("POST", "/v1/grants", lies_token, expect=201, json={
        "person": jonas["id"], "organisation": org, **VOP, "reason": "VOP"})).json()["grant"]

    # The desk: yes for the VOP, no for another measure and for another organisation.
    ask = {"person": jonas_nn, "organisation": "BE1002345639", **VOP}
    assert (await api.call("POST", "/v1/check", DESK, json=ask, expect=200)).json()["allowed"] is True
    assert (await api.call("POST", "/v1/check", DESK, json={**ask, "measure": "AWI"}, expect=200)).json()[
        "reason"] == "no_grant"
    assert (await api.call("POST", "/v1/check", DESK, json={**ask, "organisation": "0723.145.688"},
                           expect=200)).json()["reason"] == "no_grant"

    # The helpline finds the administrators from three forms of the number and a misspelt accent.
    for q in ("1002.345.639", "BE 1002345639", "1002 345 639", "bloemenwinkel de zonnèbloem"):
        card = (await api.call("GET", "/v1/helpline/lookup", "helpline:op", params={"q": q},
                               expect=200)).json()["items"][0]
        assert card["organisation"]["name"] == "Bloemenwinkel De Zonnebloem", q
        assert {a["name"] for a in card["administrators"]} == {"Fatima Benali", "Lies Verstraeten"}

    # Revoked: the next check says no.
    await api.call("POST", f"/v1/grants/{grant['id']}/revoke", lies_token, expect=200, json={"reason": "einde"})
    after = (await api.call("POST", "/v1/check", DESK, json=ask, expect=200)).json()
    assert after["allowed"] is False and after["reason"] == "grant_revoked"
