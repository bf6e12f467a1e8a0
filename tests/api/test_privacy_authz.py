"""Issue 10, items 1-5, 7 and 8: the privacy and authorisation holes found by probing, each reproduced.

One scene on both databases: Bert (main administrator) and Sofie (administrator) of Dupré, An employed
there with the VOP right, Lena an administrator of Dupré limited to another application, Zoë the main
administrator of another company, and a person the service has never seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from rights.storage import create_store
from tests.api.conftest import PLATFORM, Api, World, appoint_and_employ, build_world, national_number

VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}
DESK = "service:wse-loket"
HELPLINE = "helpline:1700"
STRANGER = national_number("990101", 5)  # a valid number nobody registered


@dataclass
class Scene:
    w: World
    grant: dict[str, Any]
    lena: dict[str, Any]

    def who(self, key: str) -> str:
        numbers = {**self.w.numbers, "lena": LENA, "stranger": STRANGER}
        return f"person:{numbers[key]}"


LENA = national_number("910203", 77)


@pytest.fixture
async def scene(api: Api) -> Scene:
    w = await build_world(api)
    await appoint_and_employ(api, w)
    bert = f"person:{w.numbers['bert']}"
    lena = (await api.call("POST", "/v1/persons", PLATFORM, expect=201, json={
        "national_number": LENA, "given_name": "Lena", "family_name": "Wouters"})).json()["person"]
    await api.call("POST", f"/v1/organisations/{w.dupre['id']}/administrators", bert, expect=201,
                   json={"person": lena["id"], "applications": ["KIOSK"]})
    await api.call("POST", f"/v1/organisations/{w.other['id']}/administrators", PLATFORM, expect=201,
                   json={"person": w.zoe["id"], "main": True})
    grant = (await api.call("POST", "/v1/grants", f"person:{w.numbers['sofie']}", expect=201, json={
        "person": w.an["id"], "organisation": w.dupre["id"], **VOP})).json()["grant"]
    return Scene(w, grant, lena)


async def audit(api: Api, action: str) -> list[dict[str, Any]]:
    items = (await api.call("GET", "/v1/audit?limit=500", PLATFORM, expect=200)).json()["items"]
    return [e for e in items if e["action"] == action]


# --- 1. person lookup through creation -------------------------------------------------------------


async def test_registering_a_known_number_discloses_nothing_the_caller_did_not_type(api: Api, scene: Scene) -> None:
    w = scene.w
    body = {"national_number": w.numbers["an"], "given_name": "An", "family_name": "Peeters",
            "email": "typed@elsewhere.example"}
    # Zoë administers another company: she learns the id she needs to employ An, nothing else.
    r = await api.call("POST", "/v1/persons", scene.who("zoe"), expect=200, json=body)
    person = r.json()["person"]
    assert r.json()["created"] is False
    assert person["id"] == w.an["id"]
    assert person["email"] is None and "an@example.be" not in r.text
    assert person["national_number"] == "85.07.30-***.**"
    # Lena is limited to another application, but An works in her organisation: she may read An anyway.
    seen = (await api.call("POST", "/v1/persons", scene.who("lena"), expect=200, json=body)).json()["person"]
    assert seen["email"] == "an@example.be"


async def test_a_name_that_does_not_match_is_refused_without_revealing_the_stored_one(api: Api, scene: Scene) -> None:
    w = scene.w
    before = await api.revision()
    r = await api.call("POST", "/v1/persons", scene.who("zoe"), expect=422, json={
        "national_number": w.numbers["an"], "given_name": "Anna", "family_name": "Jansens"})
    assert r.json()["code"] == "person_name_mismatch" and r.json()["field"] == "family_name"
    assert "Peeters" not in r.text and w.an["id"] not in r.text and "an@example" not in r.text
    assert await api.revision() == before
    # Case, spacing and composed accents aside, the same name matches.
    await api.call("POST", "/v1/persons", scene.who("zoe"), expect=200, json={
        "national_number": w.numbers["an"], "given_name": " an ", "family_name": "PEETERS"})


async def test_every_lookup_through_creation_is_audited_and_refused_callers_look_nothing_up(
    api: Api, scene: Scene
) -> None:
    w = scene.w
    for given in ("An", "Wrong"):
        await api.call("POST", "/v1/persons", scene.who("zoe"), json={
            "national_number": w.numbers["an"], "given_name": given, "family_name": "Peeters"})
    events = await audit(api, "person_lookup")
    assert [e["details"]["matched"] for e in events] == [True, False]
    assert all(e["actor"] == "person:05.06.07-***.**" and e["target"] == f"person:{w.an['id']}" for e in events)
    assert all(e["request_id"] and e["address"] for e in events)
    # An employee administers nothing: refused before any look-up, and that refusal is audited instead.
    await api.call("POST", "/v1/persons", scene.who("an"), expect=403, json={
        "national_number": w.numbers["bert"], "given_name": "Bert", "family_name": "Dupré"})
    assert len(await audit(api, "person_lookup")) == 2


# --- 2. who may act for an organisation ------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [
    ("an", 403), ("stranger", 403), ("zoe", 403), (DESK, 403), (HELPLINE, 403),
    ("bert", 200), ("sofie", 200), ("lena", 200), (PLATFORM, 200), ("lister:crm", 200),
])
async def test_only_administrators_platform_staff_and_listing_clients_see_who_may_act(
    api: Api, scene: Scene, who: str, status: int
) -> None:
    path = f"/v1/organisations/{scene.w.dupre['id']}/persons"
    r = await api.call("GET", path, who if ":" in who else scene.who(who), expect=status)
    if status == 200:
        items = r.json()["items"]
        if who == "lena":  # limited to KIOSK: the VOP grant is not hers to see
            assert items == []
        else:
            assert items == [{"person_id": scene.w.an["id"], "grants": [scene.grant["id"]]}]


async def test_a_limited_administrator_may_not_filter_on_a_role_outside_her_applications(api: Api, scene: Scene) -> None:
    path = f"/v1/organisations/{scene.w.dupre['id']}/persons?role={VOP['role']}"
    r = await api.call("GET", path, scene.who("lena"), expect=403)
    assert r.json()["code"] == "application_not_administered"


# --- 3. no existence oracle ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/grants", "/claims", "/organisations"])
@pytest.mark.parametrize("who", ["zoe", "an", "stranger", HELPLINE])
async def test_a_caller_who_may_not_read_a_person_gets_the_same_answer_whether_they_exist_or_not(
    api: Api, scene: Scene, suffix: str, who: str
) -> None:
    caller = who if ":" in who else scene.who(who)
    known, unknown = scene.w.numbers["bert"], national_number("771122", 401)
    a = await api.call("GET", f"/v1/persons/{known}{suffix}", caller)
    b = await api.call("GET", f"/v1/persons/{unknown}{suffix}", caller)

    def same(r: Any) -> tuple[int, Any, Any]:
        body = r.json()
        return r.status_code, body.get("code"), body.get("message_en")

    assert same(a) == same(b)
    assert a.status_code == 403


async def test_those_who_may_read_still_learn_that_a_number_is_unknown(api: Api, scene: Scene) -> None:
    unknown = national_number("771122", 401)
    await api.call("GET", f"/v1/persons/{unknown}", PLATFORM, expect=404)
    await api.call("GET", f"/v1/persons/{unknown}/claims", DESK, expect=404)
    await api.call("GET", f"/v1/persons/{scene.w.numbers['an']}", scene.who("bert"), expect=200)


# --- 4. validity follows the rules of granting -----------------------------------------------------


def _until(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.mark.parametrize("who", [PLATFORM, "lena", "zoe", "an"])
async def test_only_the_granting_administrators_change_validity(api: Api, scene: Scene, who: str) -> None:
    before = await api.revision()
    r = await api.call("PATCH", f"/v1/grants/{scene.grant['id']}/validity",
                       who if ":" in who else scene.who(who), json={"valid_until": _until(400)})
    assert r.status_code == 403, r.text
    assert await api.revision() == before


async def test_the_policy_maximum_counts_from_the_grants_start(api: Api, scene: Scene) -> None:
    path = f"/v1/grants/{scene.grant['id']}/validity"
    # 1095 days at most: moving the start forward does not buy a longer grant.
    r = await api.call("PATCH", path, scene.who("sofie"), expect=422,
                       json={"valid_from": _until(300), "valid_until": _until(1200)})
    assert r.json()["code"] == "validity_too_long"
    await api.call("PATCH", path, scene.who("sofie"), expect=200, json={"valid_until": _until(1000)})
    # A merge patch: a new start alone keeps the end.
    r = await api.call("PATCH", path, scene.who("sofie"), expect=200, json={"valid_from": _until(1)})
    assert r.json()["grant"]["valid_until"] == (await api.call("GET", f"/v1/grants/{scene.grant['id']}",
                                                               scene.who("sofie"))).json()["valid_until"]


async def test_an_ended_or_revoked_grant_is_not_revived(api: Api, scene: Scene) -> None:
    store = create_store(api.settings.database)
    try:
        async with store.write() as tx:
            g = await tx.get_grant(scene.grant["id"])
            assert g is not None
            ended = msgspec.structs.replace(g, valid_from=g.valid_from - timedelta(days=30),
                                            valid_until=datetime.now(UTC) - timedelta(days=1), version=g.version + 1)
            await tx.save_grant(ended, expected_version=g.version)
    finally:
        await store.close()
    path = f"/v1/grants/{scene.grant['id']}/validity"
    r = await api.call("PATCH", path, scene.who("sofie"), expect=409, json={"valid_until": _until(100)})
    assert r.json()["code"] == "grant_ended"

    other = (await api.call("POST", f"/v1/organisations/{scene.w.dupre['id']}/work-relations", scene.who("bert"),
                            expect=201, json={"person": scene.w.zoe["id"], "user_type": "external"})).json()
    assert other["work_relation"]
    g2 = (await api.call("POST", "/v1/grants", scene.who("sofie"), expect=201, json={
        "person": scene.w.zoe["id"], "organisation": scene.w.dupre["id"], **VOP})).json()["grant"]
    await api.call("POST", f"/v1/grants/{g2['id']}/revoke", scene.who("sofie"), expect=200, json={"reason": "weg"})
    r = await api.call("PATCH", f"/v1/grants/{g2['id']}/validity", scene.who("sofie"), expect=409,
                       json={"valid_until": _until(100)})
    assert r.json()["code"] == "already_revoked"


# --- 5. every PATCH is a merge patch ---------------------------------------------------------------


async def test_withdrawing_disclosure_keeps_email_and_phone(api: Api, scene: Scene) -> None:
    w = scene.w
    org = w.dupre["id"]
    await api.call("PATCH", f"/v1/organisations/{org}/administrators/{w.sofie['id']}/contact",
                   scene.who("sofie"), expect=200, json={"disclose": False})
    admins = (await api.call("GET", f"/v1/organisations/{org}/administrators", scene.who("bert"),
                             expect=200)).json()["items"]
    sofie = next(a for a in admins if a["person_id"] == w.sofie["id"])
    assert sofie["contact"] == {"email": "hr@dupre.example", "phone": "+32 9 123 45 67", "disclose": False}
    # null removes one member; the others stay.
    await api.call("PATCH", f"/v1/organisations/{org}/administrators/{w.sofie['id']}/contact",
                   scene.who("sofie"), expect=200, json={"phone": None})
    admins = (await api.call("GET", f"/v1/organisations/{org}/administrators", scene.who("bert"),
                             expect=200)).json()["items"]
    sofie = next(a for a in admins if a["person_id"] == w.sofie["id"])
    assert sofie["contact"] == {"email": "hr@dupre.example", "phone": None, "disclose": False}


async def test_organisation_identifiers_and_address_merge(api: Api, scene: Scene) -> None:
    org = scene.w.dupre
    r = await api.call("PATCH", f"/v1/organisations/{org['id']}", PLATFORM, expect=200,
                       json={"identifiers": {"establishment_numbers": ["2.147.812.701"]},
                             "address": {"house_number": "3"}})
    updated = r.json()["organisation"]
    assert updated["identifiers"]["enterprise_number"] == org["identifiers"]["enterprise_number"]
    assert updated["identifiers"]["establishment_numbers"] == ["2.147.812.701"]
    assert updated["address"]["street"] == "Kerkstraat" and updated["address"]["house_number"] == "3"
    r = await api.call("PATCH", f"/v1/organisations/{org['id']}", PLATFORM, expect=200,
                       json={"identifiers": {"establishment_numbers": None}})
    assert r.json()["organisation"]["identifiers"]["establishment_numbers"] == []
    assert r.json()["organisation"]["identifiers"]["enterprise_number"] == org["identifiers"]["enterprise_number"]
    # Removing an identifier the type requires is refused, naming it; nothing is written.
    before = await api.revision()
    r = await api.call("PATCH", f"/v1/organisations/{org['id']}", PLATFORM, expect=422,
                       json={"identifiers": {"enterprise_number": None}})
    assert r.json()["field"] == "identifiers.enterprise_number"
    assert await api.revision() == before


# --- 8. reads of personal data and refusals are audited --------------------------------------------


async def test_reads_of_personal_data_are_audited_with_who_for_which_organisation_and_from_where(
    api: Api, scene: Scene
) -> None:
    w = scene.w
    bert = scene.who("bert")
    await api.call("GET", f"/v1/persons/{w.an['id']}", bert, expect=200, headers={"X-Request-ID": "req-read-1"})
    await api.call("GET", f"/v1/persons/{w.an['id']}/grants", bert, expect=200)
    await api.call("GET", f"/v1/organisations/{w.dupre['id']}/persons", bert, expect=200)
    await api.call("GET", f"/v1/organisations/{w.dupre['id']}/work-relations", bert, expect=200)
    await api.call("GET", f"/v1/organisations/{w.dupre['id']}/grants", bert, expect=200)
    await api.call("GET", f"/v1/grants/{scene.grant['id']}", bert, expect=200)
    await api.call("GET", f"/v1/grants/{scene.grant['id']}/history", bert, expect=200)
    (read,) = await audit(api, "person_read")
    assert read["actor"] == "person:70.03.12-***.**" and read["actor_kind"] == "person"
    assert read["organisation_id"] == w.dupre["id"] and read["target"] == f"person:{w.an['id']}"
    assert read["request_id"] == "req-read-1" and read["address"] and read["at"]
    for action in ("person_grants_read", "organisation_persons_read", "work_relations_read",
                   "organisation_grants_read", "grant_read", "grant_history_read"):
        (event,) = await audit(api, action)
        assert event["organisation_id"] == w.dupre["id"] and event["actor"] == read["actor"], action
    await api.call("POST", "/v1/requests", scene.who("an"), expect=201, json={
        "organisation": w.dupre["id"], "role": VOP["role"], "measure": "AWI", "motivation": "Voor de subsidie."})
    await api.call("GET", "/v1/requests", bert, params={"organisation": w.dupre["id"]}, expect=200)
    (listed,) = await audit(api, "access_requests_read")
    assert listed["organisation_id"] == w.dupre["id"] and listed["details"] == {"requests": 1}
    # A person reading their own record is not an access to someone else's data.
    await api.call("GET", "/v1/persons/me", scene.who("an"), expect=200)
    assert len(await audit(api, "person_read")) == 1


async def test_refused_attempts_are_audited_and_checks_are_not(api: Api, scene: Scene) -> None:
    w = scene.w
    await api.call("GET", f"/v1/persons/{w.numbers['bert']}", scene.who("zoe"), expect=403,
                   headers={"X-Request-ID": "req-refused-1"})
    await api.call("POST", "/v1/organisations", DESK, expect=403, json={})
    refused = await audit(api, "access_refused")
    assert [e["details"]["code"] for e in refused] == ["not_own_data", "forbidden"]
    first = refused[0]
    assert first["actor"] == "person:05.06.07-***.**" and first["request_id"] == "req-refused-1"
    assert first["target"] == "GET /v1/persons/70.03.12-***.**" and first["address"]
    assert w.numbers["bert"] not in str(refused)
    # The check path writes nothing to the audit trail.
    count = len((await api.call("GET", "/v1/audit?limit=500", PLATFORM, expect=200)).json()["items"])
    await api.call("POST", "/v1/check", DESK, expect=200, json={
        "person": w.numbers["an"], "organisation": w.dupre["id"], **VOP})
    assert len((await api.call("GET", "/v1/audit?limit=500", PLATFORM, expect=200)).json()["items"]) == count


async def test_a_limited_administrator_lists_only_the_grants_of_her_applications(api: Api, scene: Scene) -> None:
    path = f"/v1/organisations/{scene.w.dupre['id']}/grants"
    assert (await api.call("GET", path, scene.who("lena"), expect=200)).json()["items"] == []
    an = f"/v1/persons/{scene.w.an['id']}/grants"
    assert (await api.call("GET", an, scene.who("lena"), expect=200)).json()["items"] == []
    assert len((await api.call("GET", an, scene.who("sofie"), expect=200)).json()["items"]) == 1
    assert [g["id"] for g in (await api.call("GET", path, scene.who("sofie"), expect=200)).json()["items"]] == [
        scene.grant["id"]]
