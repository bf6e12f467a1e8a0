"""Issue 13, item 6 (in part): a problem names the field the caller actually sent."""

from __future__ import annotations

from tests.api.conftest import PLATFORM, Api


async def test_a_bad_identifier_query_names_identifier(api: Api) -> None:
    r = await api.call("GET", "/v1/organisations", PLATFORM, params={"identifier": "0723.145.689"}, expect=422)
    assert r.json()["field"] == "identifier"
    r = await api.call("GET", "/v1/organisations", PLATFORM, params={"identifier": "0723.145.688"}, expect=404)
    assert r.json()["field"] == "identifier"



async def test_the_audit_trail_of_an_organisation_by_any_identifier(api: Api) -> None:
    from tests.api.conftest import build_world, enterprise_number

    w = await build_world(api)
    org = w.dupre["id"]
    await api.call("GET", f"/v1/organisations/{org}/grants", PLATFORM, expect=200)  # an audited read
    by_id = (await api.call("GET", "/v1/audit", PLATFORM, params={"organisation": org}, expect=200)).json()
    assert by_id["items"]
    number = enterprise_number(4567891)
    for form in (number, f"BE {number[:4]}.{number[4:7]}.{number[7:]}"):
        by_number = (await api.call("GET", "/v1/audit", PLATFORM, params={"organisation": form}, expect=200)).json()
        assert by_number == by_id
    bad = await api.call("GET", "/v1/audit", PLATFORM, params={"organisation": number[:-1] + "0"}, expect=422)
    assert bad.json()["field"] == "organisation"


async def test_the_school_code_from_the_claims_finds_the_school(api: Api) -> None:
    """``OV031468``, the orgcode the claims emit for a school, is accepted where an organisation is referenced."""
    school = (await api.call("POST", "/v1/organisations", PLATFORM, expect=201, json={
        "type": "education_institution", "name": "Sint-Jozefscollege",
        "identifiers": {"institution_number": "031468"}})).json()["organisation"]
    assert school["organisation_code"] == "OV031468"
    found = (await api.call("GET", "/v1/organisations/OV031468", PLATFORM, expect=200)).json()
    assert found["id"] == school["id"]
    listed = (await api.call("GET", "/v1/organisations", PLATFORM, params={"identifier": "OV031468"},
                             expect=200)).json()
    assert [o["id"] for o in listed["items"]] == [school["id"]]
    card = (await api.call("GET", "/v1/helpline/lookup", "helpline:1700", params={"q": "OV031468"},
                           expect=200)).json()
    assert [(c["organisation"]["id"], c["match"]) for c in card["items"]] == [(school["id"], "identifier")]
