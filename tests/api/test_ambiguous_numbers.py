"""Issue 13, item 6: a 5-digit number that is both a NIS code and a school's institution number is ambiguous.

Decided: it is ambiguous when an organisation carries it as institution number ("44021" -> "044021") while
another carries it as NIS code; then a lookup answers 422 ``ambiguous_identifier`` naming both candidates.
With only one of the two registered, that one is found. Registering such a school answers a warning.
"""

from __future__ import annotations

from tests.api.conftest import Api

PLATFORM = "platform:ops"
GENT = {"type": "local_government", "name": "Stad Gent", "identifiers": {"enterprise_number": "0207.451.227",
                                                                         "nis_code": "44021"}}
SCHOOL = {"type": "education_institution", "name": "Basisschool De Gentse Kring",
          "identifiers": {"institution_number": "44021"}}


async def test_a_school_whose_number_is_a_nis_code_is_registered_with_a_warning(api: Api) -> None:
    r = await api.call("POST", "/v1/organisations", PLATFORM, json=SCHOOL, expect=201)
    [warning] = r.json()["warnings"]
    assert warning["code"] == "institution_number_is_nis_code"
    assert warning["field"] == "identifiers.institution_number"
    assert "Gent" in warning["message_nl"] and "OV044021" in warning["message_nl"]
    assert "Gent" in warning["message_en"] and "OV044021" in warning["message_en"]


async def test_an_ordinary_registration_has_no_warning(api: Api) -> None:
    r = await api.call("POST", "/v1/organisations", PLATFORM, json=GENT, expect=201)
    assert r.json()["warnings"] == []
    school = {**SCHOOL, "identifiers": {"institution_number": "031468"}}
    assert (await api.call("POST", "/v1/organisations", PLATFORM, json=school, expect=201)).json()["warnings"] == []


async def test_the_ambiguous_number_answers_both_candidates(api: Api) -> None:
    gent = (await api.call("POST", "/v1/organisations", PLATFORM, json=GENT, expect=201)).json()["organisation"]
    school = (await api.call("POST", "/v1/organisations", PLATFORM, json=SCHOOL, expect=201)).json()["organisation"]
    r = await api.call("GET", "/v1/organisations/44021", PLATFORM)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "ambiguous_identifier" and problem["field"] == "organisation"
    for message in (problem["message_nl"], problem["message_en"]):
        assert gent["id"] in message and school["id"] in message
    # each stays reachable by an unambiguous form
    assert (await api.call("GET", "/v1/organisations/OV044021", PLATFORM, expect=200)).json()["id"] == school["id"]
    assert (await api.call("GET", f"/v1/organisations/{gent['id']}", PLATFORM, expect=200)).json()["id"] == gent["id"]


async def test_with_only_the_school_the_number_finds_the_school(api: Api) -> None:
    school = (await api.call("POST", "/v1/organisations", PLATFORM, json=SCHOOL, expect=201)).json()["organisation"]
    assert (await api.call("GET", "/v1/organisations/44021", PLATFORM, expect=200)).json()["id"] == school["id"]


async def test_with_only_the_municipality_the_number_finds_the_municipality(api: Api) -> None:
    gent = (await api.call("POST", "/v1/organisations", PLATFORM, json=GENT, expect=201)).json()["organisation"]
    assert (await api.call("GET", "/v1/organisations/44021", PLATFORM, expect=200)).json()["id"] == gent["id"]


async def test_the_check_refuses_the_ambiguous_number_too(api: Api) -> None:
    """/v1/check answers from the decision index: it must not pick the municipality either."""
    gent = (await api.call("POST", "/v1/organisations", PLATFORM, json=GENT, expect=201)).json()["organisation"]
    school = (await api.call("POST", "/v1/organisations", PLATFORM, json=SCHOOL, expect=201)).json()["organisation"]
    revision = await api.revision()
    question = {"person": "85073003328", "organisation": "44021", "role": "DWSEOrganisatieverantwoordelijke",
                "measure": "VOP"}
    r = await api.call("POST", "/v1/check", "service:wse", json=question,
                       params={"at_least_revision": revision})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "ambiguous_identifier" and r.json()["field"] == "organisation"
    assert gent["id"] in r.json()["message_en"] and school["id"] in r.json()["message_en"]
    r = await api.call("POST", "/v1/check/batch", "service:wse", json={"questions": [question]},
                       params={"at_least_revision": revision})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "questions[0].organisation"
