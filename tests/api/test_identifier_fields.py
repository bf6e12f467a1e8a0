"""Issue 13, item 6 (in part): a problem names the field the caller actually sent."""

from __future__ import annotations

from tests.api.conftest import PLATFORM, Api


async def test_a_bad_identifier_query_names_identifier(api: Api) -> None:
    r = await api.call("GET", "/v1/organisations", PLATFORM, params={"identifier": "0723.145.689"}, expect=422)
    assert r.json()["field"] == "identifier"
    r = await api.call("GET", "/v1/organisations", PLATFORM, params={"identifier": "0723.145.688"}, expect=404)
    assert r.json()["field"] == "identifier"

