"""Issue 17: organisations that merge, are absorbed, split or are renumbered, through the API.

Four scenarios, each from entry through preview and confirmation to checks, claims, helpline lookups and
as-of answers, on SQLite and PostgreSQL. The service's clock is moved past the effective date.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from rights.api.app import create_app
from rights.domain import identifiers as ids
from rights.settings import Settings
from tests.api.conftest import Api, enterprise_number, national_number

PLATFORM = "platform:ops"
DESK = "service:wse-loket"
HELPLINE = "helpline:ilse"


@dataclass
class MovableClock:
    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class World:
    api: Api
    clock: MovableClock
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)

    async def org(self, org_type: str, name: str, **identifiers: str) -> dict[str, Any]:
        r = await self.api.call("POST", "/v1/organisations", PLATFORM, expect=201,
                                json={"type": org_type, "name": name, "identifiers": identifiers})
        return r.json()["organisation"]

    async def person(self, key: str, given: str, serial: int) -> dict[str, Any]:
        self.numbers[key] = national_number("800101", serial)
        body = {"national_number": self.numbers[key], "given_name": given, "family_name": "Test"}
        self.people[key] = (await self.api.call("POST", "/v1/persons", PLATFORM, expect=201, json=body)).json()["person"]
        return self.people[key]

    def who(self, key: str) -> str:
        return f"person:{self.numbers[key]}"

    async def admin(self, org: dict, key: str) -> None:
        await self.api.call("POST", f"/v1/organisations/{org['id']}/administrators", PLATFORM, expect=201,
                            json={"person": self.people[key]["id"], "main": True})

    async def employ_and_grant(self, org: dict, admin: str, key: str, user_type: str, role: str,
                               measure: str | None = None) -> dict:
        await self.api.call("POST", f"/v1/organisations/{org['id']}/work-relations", self.who(admin), expect=201,
                            json={"person": self.people[key]["id"], "user_type": user_type})
        body = {"person": self.people[key]["id"], "organisation": org["id"], "role": role, "measure": measure}
        return (await self.api.call("POST", "/v1/grants", self.who(admin), expect=201, json=body)).json()["grant"]

    async def check(self, key: str, org_ref: str, role: str, measure: str | None = None, **extra: Any) -> dict:
        body = {"person": self.numbers[key], "organisation": org_ref, "role": role, "measure": measure, **extra}
        return (await self.api.call("POST", "/v1/check", DESK, json=body, expect=200)).json()

    async def enter(self, kind: str, preds: list[dict], succs: list[dict], effective: datetime,
                    expect: int = 201, **extra: Any) -> dict:
        body = {"kind": kind, "predecessors": [o["id"] for o in preds], "successors": [o["id"] for o in succs],
                "effective_at": effective.isoformat(), "reason": f"test {kind}", **extra}
        return (await self.api.call("POST", "/v1/successions", PLATFORM, json=body, expect=expect)).json()

    async def preview(self, sid: str) -> dict:
        return (await self.api.call("GET", f"/v1/successions/{sid}/preview", PLATFORM, expect=200)).json()

    async def apply(self, sid: str, expect: int = 200, **body: Any) -> dict:
        return (await self.api.call("POST", f"/v1/successions/{sid}/apply", PLATFORM, json=body,
                                    expect=expect)).json()


@pytest.fixture
async def world(store_url: str, api_settings: Settings) -> AsyncIterator[World]:
    clock = MovableClock()
    async with AsyncTestClient(app=create_app(api_settings, clock=clock)) as client:
        yield World(Api(client, api_settings), clock)


def outcomes(plan: dict) -> list[tuple[str, str | None, str]]:
    return sorted((i["item"], i.get("role"), i["outcome"]) for i in plan["items"])


async def test_merger_of_two_municipalities_into_a_new_one(world: World) -> None:
    w = world
    naz, dep, new = enterprise_number(1100001), enterprise_number(1100002), enterprise_number(1100003)
    nazareth = await w.org("local_government", "Gemeente Nazareth", enterprise_number=naz)
    depinte = await w.org("local_government", "Gemeente De Pinte", enterprise_number=dep)
    merged = await w.org("local_government", "Gemeente Nazareth-De Pinte", enterprise_number=new, nis_code="44086")
    for key, serial in (("bert", 11), ("sofie", 12), ("an", 13), ("zoe", 14)):
        await w.person(key, key.title(), serial)
    await w.admin(nazareth, "bert")
    await w.admin(depinte, "sofie")
    old_grant = await w.employ_and_grant(nazareth, "bert", "an", "civil_servant", "LoketLokaleBesturen", "Toezicht")
    await w.employ_and_grant(depinte, "sofie", "zoe", "permanent", "DWSEOrganisatieverantwoordelijke", "VOP")
    effective = w.clock.now() + timedelta(days=10)

    entered = (await w.enter("merger", [nazareth, depinte], [merged], effective))["succession"]
    assert entered["status"] == "proposed"
    plan = (await w.preview(entered["id"]))["plan"]
    assert plan["applied"] is False and plan["blocking"] == [] and plan["open"] == 0
    assert outcomes(plan) == [
        ("administrator", None, "move"), ("administrator", None, "move"),
        ("grant", "DWSEOrganisatieverantwoordelijke", "move"), ("grant", "LoketLokaleBesturen", "move"),
        ("work_relation", None, "move"), ("work_relation", None, "move"),
    ]
    # Nothing moved by entering or previewing.
    assert (await w.check("an", merged["id"], "LoketLokaleBesturen", "Toezicht"))["reason"] == "no_grant"

    before = await w.api.revision()
    applied = await w.apply(entered["id"])
    assert applied["succession"]["status"] == "applied" and applied["plan"]["applied"] is True
    assert applied["revision"] == before + 1
    changes = (await w.api.call("GET", "/v1/changes", PLATFORM, params={"after": before}, expect=200)).json()
    assert [c["kind"] for c in changes["items"]] == ["succession_applied"]  # one change for the whole move
    audit = (await w.api.call("GET", "/v1/audit", PLATFORM, params={"organisation": merged["id"]},
                              expect=200)).json()
    assert "succession_applied" in {e["action"] for e in audit["items"]}
    # The plan stays readable afterwards, with where each item went.
    kept = (await w.api.call("GET", f"/v1/successions/{entered['id']}", PLATFORM, expect=200)).json()
    assert kept["plan"]["applied"] is True and all(i["new_id"] for i in kept["plan"]["items"])
    # Applying twice is refused.
    again = await w.apply(entered["id"], expect=409)
    assert again["code"] == "succession_not_proposed"

    # Before the date the predecessor answers for itself, the successor not yet.
    now = await w.check("an", naz, "LoketLokaleBesturen", "Toezicht")
    assert now["allowed"] is True and now["organisation_id"] == nazareth["id"] and now["succeeded_by"] is None
    assert (await w.check("an", new, "LoketLokaleBesturen", "Toezicht"))["reason"] == "grant_not_yet_valid"

    # After the date: the old number answers for the successor and says so.
    w.clock.offset = timedelta(days=11)
    after = await w.check("an", f"BE {naz}", "LoketLokaleBesturen", "Toezicht")
    assert after["allowed"] is True and after["organisation_id"] == merged["id"]
    assert after["succeeded_by"][0]["id"] == merged["id"]
    assert after["succeeded_by"][0]["identifiers"]["nis_code"] == "44086"
    assert after["succeeded_by"][0]["organisation_code"] == new
    zoe = await w.check("zoe", dep, "DWSEOrganisatieverantwoordelijke", "VOP")
    assert zoe["allowed"] is True and zoe["organisation_id"] == merged["id"]
    direct = await w.check("an", new, "LoketLokaleBesturen", "Toezicht")
    assert direct["allowed"] is True and direct["succeeded_by"] is None
    # Claims carry the successor's code.
    claims = (await w.api.call("GET", f"/v1/persons/{w.people['an']['id']}/claims", DESK, expect=200)).json()
    assert claims["claims"] == [f"LoketLokaleBesturen-Toezicht:{new}"]
    # The successor starts with the predecessors' administrators.
    admins = (await w.api.call("GET", f"/v1/organisations/{merged['id']}/administrators", PLATFORM,
                               expect=200)).json()
    assert {a["person_id"] for a in admins["items"]} == {w.people["bert"]["id"], w.people["sofie"]["id"]}
    # The helpline finds the successor by the predecessor's name and number, and shows the succession.
    for q in ("Gemeente De Pinte", dep):
        found = (await w.api.call("GET", "/v1/helpline/lookup", HELPLINE, params={"q": q}, expect=200)).json()
        by_id = {c["organisation"]["id"]: c for c in found["items"]}
        assert by_id[depinte["id"]]["succeeded_by"][0]["id"] == merged["id"]
        assert by_id[merged["id"]]["succeeds"][0]["id"] == depinte["id"]
        assert by_id[merged["id"]]["has_administrator"] is True
    # As-of questions: before the date as it was, after the date through the successor.
    at_before = await w.check("an", naz, "LoketLokaleBesturen", "Toezicht",
                              at=(effective - timedelta(hours=1)).isoformat())
    assert at_before["allowed"] is True and at_before["organisation_id"] == nazareth["id"]
    assert at_before["succeeded_by"] is None
    at_after = await w.check("an", naz, "LoketLokaleBesturen", "Toezicht",
                             at=(effective + timedelta(hours=1)).isoformat())
    assert at_after["allowed"] is True and at_after["organisation_id"] == merged["id"]
    # The moved grant keeps its end of validity, and its history shows the move from both sides.
    moved_id = next(i["new_id"] for i in kept["plan"]["items"] if i["id"] == old_grant["id"])
    moved = (await w.api.call("GET", f"/v1/grants/{moved_id}/history", PLATFORM, expect=200)).json()
    assert moved["grant"]["valid_until"] == old_grant["valid_until"]
    assert "succession_applied" in [c["kind"] for c in moved["history"]]
    old = (await w.api.call("GET", f"/v1/grants/{old_grant['id']}/history", PLATFORM, expect=200)).json()
    assert [c["kind"] for c in old["history"]] == ["grant_created", "succession_applied"]


async def test_absorption_of_a_company(world: World) -> None:
    """A company absorbed by a local government: rights its type cannot hold are listed, not moved;
    the absorbed company's mandate to its accountant is carried."""
    w = world
    garage_no, city_no, firm_no = enterprise_number(2200001), enterprise_number(2200002), enterprise_number(2200003)
    garage = await w.org("company", "Garage Janssens NV", enterprise_number=garage_no)
    city = await w.org("local_government", "Stad Lokeren", enterprise_number=city_no)
    firm = await w.org("company", "Boekhouding Claes BV", enterprise_number=firm_no)
    for key, serial in (("bert", 21), ("sofie", 22), ("an", 23), ("karel", 24)):
        await w.person(key, key.title(), serial)
    await w.admin(garage, "bert")
    await w.admin(city, "sofie")
    await w.admin(firm, "karel")
    await w.employ_and_grant(garage, "bert", "an", "permanent", "VLAIOInkomGebruiker")
    kept = await w.employ_and_grant(garage, "bert", "karel", "external", "DWSEOrganisatieverantwoordelijke", "VOP")
    mandate = (await w.api.call("POST", "/v1/mandates", w.who("bert"), expect=201, json={
        "mandator": garage["id"], "holder": firm["id"], "applications": ["WSELoket"]})).json()["mandate"]
    await w.api.call("POST", f"/v1/mandates/{mandate['id']}/accept", w.who("karel"), expect=200, json={})
    effective = w.clock.now() + timedelta(days=1)

    entered = (await w.enter("absorption", [garage], [city], effective, source="kbo"))["succession"]
    plan = (await w.preview(entered["id"]))["plan"]
    by = {(i["item"], i.get("role")): i["outcome"] for i in plan["items"]}
    assert by[("grant", "VLAIOInkomGebruiker")] == "role_not_for_organisation_type"
    assert by[("grant", "DWSEOrganisatieverantwoordelijke")] == "move"
    assert by[("mandate", None)] == "move"
    assert plan["open"] == 1
    await w.apply(entered["id"])

    w.clock.offset = timedelta(days=2)
    karel = await w.check("karel", garage_no, "DWSEOrganisatieverantwoordelijke", "VOP")
    assert karel["allowed"] is True and karel["organisation_id"] == city["id"]
    assert karel["succeeded_by"][0]["organisation_code"] == city_no
    an = await w.check("an", garage_no, "VLAIOInkomGebruiker")
    assert an["allowed"] is False  # listed for a decision: a local government cannot hold it
    mandates = (await w.api.call("GET", f"/v1/organisations/{city['id']}/mandates", PLATFORM, expect=200)).json()
    assert any(m["holder_id"] == firm["id"] and m["mandator_id"] == city["id"] for m in mandates["items"])
    claims = (await w.api.call("GET", f"/v1/persons/{w.people['karel']['id']}/claims", DESK, expect=200)).json()
    assert claims["claims"] == [f"DWSEOrganisatieverantwoordelijke-VOP:{city_no}"]
    assert kept["valid_until"]
    at_before = await w.check("an", garage_no, "VLAIOInkomGebruiker", at=(effective - timedelta(hours=1)).isoformat())
    assert at_before["allowed"] is True and at_before["organisation_id"] == garage["id"]


async def test_split_of_a_school_group(world: World) -> None:
    """A split needs every person assigned to one successor; administrators keep every successor."""
    w = world
    group = await w.org("education_institution", "Scholengroep Rivierenland", institution_number="100001")
    north = await w.org("education_institution", "Scholengroep Rivierenland Noord", institution_number="100002")
    south = await w.org("education_institution", "Scholengroep Rivierenland Zuid", institution_number="100003")
    for key, serial in (("bert", 31), ("an", 32), ("zoe", 33)):
        await w.person(key, key.title(), serial)
    await w.admin(group, "bert")
    await w.employ_and_grant(group, "bert", "an", "civil_servant", "WebEdisonBeheerder")
    await w.employ_and_grant(group, "bert", "zoe", "permanent", "LeerlingenvervoerGebruiker")
    effective = w.clock.now() + timedelta(days=1)

    entered = (await w.enter("split", [group], [north, south], effective,
                             assignments={w.numbers["an"]: north["id"]}))["succession"]
    plan = (await w.preview(entered["id"]))["plan"]
    zoe_items = [i for i in plan["items"] if i["person_id"] == w.people["zoe"]["id"]]
    assert {i["outcome"] for i in zoe_items} == {"assignment_needed"}
    admins = [i for i in plan["items"] if i["item"] == "administrator"]
    assert sorted(i["to"] for i in admins) == sorted([north["id"], south["id"]])
    # Confirming assigns Zoë to the south at the same time.
    applied = await w.apply(entered["id"], assignments={w.people["zoe"]["id"]: "100003"})
    assert applied["plan"]["open"] == 0

    w.clock.offset = timedelta(days=2)
    an = await w.check("an", "100001", "WebEdisonBeheerder")
    assert an["allowed"] is True and an["organisation_id"] == north["id"]
    assert {s["id"] for s in an["succeeded_by"]} == {north["id"], south["id"]}
    zoe = await w.check("zoe", "100001", "LeerlingenvervoerGebruiker")
    assert zoe["allowed"] is True and zoe["organisation_id"] == south["id"]
    assert (await w.check("zoe", north["id"], "LeerlingenvervoerGebruiker"))["reason"] == "no_grant"
    claims = (await w.api.call("GET", f"/v1/persons/{w.people['zoe']['id']}/claims", DESK, expect=200)).json()
    assert claims["claims"] == ["LeerlingenvervoerGebruiker:OV100003"]
    found = (await w.api.call("GET", "/v1/helpline/lookup", HELPLINE, params={"q": "100001"}, expect=200)).json()
    assert {c["organisation"]["id"] for c in found["items"]} >= {group["id"], north["id"], south["id"]}
    at_before = await w.check("zoe", "100001", "LeerlingenvervoerGebruiker",
                              at=(effective - timedelta(hours=1)).isoformat())
    assert at_before["allowed"] is True and at_before["organisation_id"] == group["id"]


async def test_renumbering_of_a_flemish_entity(world: World) -> None:
    w = world
    old = await w.org("flemish_entity", "Agentschap Informatie Vlaanderen", ovo_code="OVO002949")
    new = await w.org("flemish_entity", "Agentschap Digitaal Vlaanderen", ovo_code="OVO100001")
    for key, serial in (("bert", 41), ("an", 42)):
        await w.person(key, key.title(), serial)
    await w.admin(old, "bert")
    await w.employ_and_grant(old, "bert", "an", "civil_servant", "DVMetadataVlaanderenGebruiker", "hoofdeditor")
    effective = w.clock.now() + timedelta(days=1)

    # A renumbering has one predecessor and one new successor: the policy refuses others.
    bad = await w.enter("renumbering", [old], [new, old], effective, expect=422)
    assert bad["field"] == "successors"
    entered = (await w.enter("renumbering", [old], [new], effective, source="register"))["succession"]
    dup = await w.enter("renumbering", [old], [new], effective, expect=409)
    assert dup["code"] == "succession_already_entered" and dup["field"] == "predecessors[0]"
    await w.apply(entered["id"])

    w.clock.offset = timedelta(days=2)
    an = await w.check("an", "ovo002949", "DVMetadataVlaanderenGebruiker", "hoofdeditor")
    assert an["allowed"] is True and an["organisation_id"] == new["id"]
    assert an["succeeded_by"][0]["identifiers"]["ovo_code"] == "OVO100001"
    claims = (await w.api.call("GET", f"/v1/persons/{w.people['an']['id']}/claims", DESK, expect=200)).json()
    assert claims["claims"] == ["DVMetadataVlaanderenGebruiker-hoofdeditor:OVO100001"]
    found = (await w.api.call("GET", "/v1/helpline/lookup", HELPLINE, params={"q": "Informatie Vlaanderen"},
                              expect=200)).json()
    assert new["id"] in {c["organisation"]["id"] for c in found["items"]}
    at_before = await w.check("an", "OVO002949", "DVMetadataVlaanderenGebruiker", "hoofdeditor",
                              at=(effective - timedelta(hours=1)).isoformat())
    assert at_before["allowed"] is True and at_before["organisation_id"] == old["id"]


async def test_refusals(world: World) -> None:
    """Only platform administrators; a split that would leave a successor without administrator is
    refused; bad input names the field and writes nothing."""
    w = world
    a = await w.org("company", "A NV", enterprise_number=enterprise_number(5500001))
    b = await w.org("company", "B NV", enterprise_number=enterprise_number(5500002))
    c = await w.org("company", "C NV", enterprise_number=enterprise_number(5500003))
    await w.person("bert", "Bert", 51)
    await w.admin(a, "bert")
    effective = (w.clock.now() + timedelta(days=1)).isoformat()
    body = {"kind": "split", "predecessors": [a["id"]], "successors": [b["id"], c["id"]],
            "effective_at": effective, "reason": "x"}
    r = await w.api.call("POST", "/v1/successions", w.who("bert"), json=body)
    assert r.status_code == 403
    r = await w.api.call("POST", "/v1/successions", PLATFORM, json={**body, "predecessors": ["0123.456.789"]})
    assert r.status_code == 422 and r.json()["field"] == "predecessors[0]"
    r = await w.api.call("POST", "/v1/successions", PLATFORM, json={**body, "kind": "fusion"})
    assert r.status_code == 400 or r.status_code == 422
    revision = await w.api.revision()
    # Bert assigned to B only: C would start without an administrator while A had one.
    s = (await w.enter("split", [a], [b, c], w.clock.now() + timedelta(days=1),
                       assignments={w.people["bert"]["id"]: b["id"]}))["succession"]
    plan = (await w.preview(s["id"]))["plan"]
    assert plan["blocking"] == [f"successor_without_administrator:{c['id']}"]
    refused = await w.apply(s["id"], expect=409)
    assert refused["code"] == "succession_blocked"
    assert await w.api.revision() == revision + 1  # only the entry was written


async def test_a_chain_of_successions_a_withdrawal_and_a_fresh_process(world: World, api_settings: Settings) -> None:
    """Renumbered, then absorbed: the first number answers for the last successor. A withdrawn
    succession moves nothing. A process started afterwards builds the same answers from the store."""
    w = world
    old = await w.org("flemish_entity", "Agentschap A", ovo_code="OVO200001")
    mid = await w.org("flemish_entity", "Agentschap B", ovo_code="OVO200002")
    last = await w.org("flemish_entity", "Departement C", ovo_code="OVO200003")
    other = await w.org("flemish_entity", "Departement D", ovo_code="OVO200004")
    for key, serial in (("bert", 61), ("an", 62)):
        await w.person(key, key.title(), serial)
    await w.admin(old, "bert")
    await w.employ_and_grant(old, "bert", "an", "civil_servant", "SubsidiepuntGebruiker")
    first = w.clock.now() + timedelta(days=1)
    s1 = (await w.enter("renumbering", [old], [mid], first))["succession"]
    await w.apply(s1["id"])
    withdrawn = (await w.enter("absorption", [mid], [other], first + timedelta(days=5)))["succession"]
    await w.api.call("POST", f"/v1/successions/{withdrawn['id']}/withdraw", PLATFORM, expect=200,
                     json={"reason": "verkeerde opvolger"})
    assert (await w.apply(withdrawn["id"], expect=409))["code"] == "succession_not_proposed"
    s2 = (await w.enter("absorption", [mid], [last], first + timedelta(days=10)))["succession"]
    await w.apply(s2["id"])

    w.clock.offset = timedelta(days=5)
    a = await w.check("an", "OVO200001", "SubsidiepuntGebruiker")
    assert a["allowed"] is True and a["organisation_id"] == mid["id"]
    w.clock.offset = timedelta(days=20)
    a = await w.check("an", "OVO200001", "SubsidiepuntGebruiker")
    assert a["allowed"] is True and a["organisation_id"] == last["id"]
    assert [s["id"] for s in a["succeeded_by"]] == [last["id"]]
    at = await w.check("an", "OVO200001", "SubsidiepuntGebruiker", at=(first + timedelta(days=3)).isoformat())
    assert at["allowed"] is True and at["organisation_id"] == mid["id"]

    # A fresh process builds its index from the store and answers the same.
    async with AsyncTestClient(app=create_app(api_settings, clock=w.clock)) as client:
        fresh = Api(client, api_settings)
        body = {"person": w.numbers["an"], "organisation": "OVO200001", "role": "SubsidiepuntGebruiker"}
        b = (await fresh.call("POST", "/v1/check", DESK, json=body, expect=200)).json()
        assert b["allowed"] is True and b["organisation_id"] == last["id"]


async def test_no_grant_at_a_predecessor_beyond_its_date_and_no_number_in_a_problem(world: World) -> None:
    w = world
    a = await w.org("company", "Oud NV", enterprise_number=enterprise_number(7700001))
    b = await w.org("company", "Nieuw NV", enterprise_number=enterprise_number(7700002))
    c = await w.org("company", "Derde NV", enterprise_number=enterprise_number(7700003))
    for key, serial in (("bert", 71), ("an", 72)):
        await w.person(key, key.title(), serial)
    await w.admin(a, "bert")
    await w.api.call("POST", f"/v1/organisations/{a['id']}/work-relations", w.who("bert"), expect=201,
                     json={"person": w.people["an"]["id"], "user_type": "permanent"})
    effective = w.clock.now() + timedelta(days=10)
    # A split assignment naming someone unknown by national number: the problem does not repeat it.
    unknown = national_number("900101", 999)
    r = await w.api.call("POST", "/v1/successions", PLATFORM, json={
        "kind": "split", "predecessors": [a["id"]], "successors": [b["id"], c["id"]],
        "effective_at": effective.isoformat(), "reason": "x", "assignments": {unknown: b["id"]}})
    assert r.status_code == 404 and r.json()["field"] == "assignments" and unknown not in r.text
    s = (await w.enter("absorption", [a], [b], effective))["succession"]
    await w.apply(s["id"])
    revision = await w.api.revision()
    body = {"person": w.people["an"]["id"], "organisation": a["id"], "role": "KIOSKAanvrager"}
    refused = (await w.api.call("POST", "/v1/grants", w.who("bert"), json=body, expect=409)).json()
    assert refused["code"] == "organisation_succeeded" and refused["field"] == "organisation"
    assert await w.api.revision() == revision
    # A right that ends before the date may still be given there.
    short = {**body, "valid_until": (effective - timedelta(days=1)).isoformat()}
    await w.api.call("POST", "/v1/grants", w.who("bert"), json=short, expect=201)


@pytest.fixture
def before_2025_mergers() -> Iterator[Callable[[], AbstractContextManager[None]]]:
    """While inside, the NIS list is the one from before 1 January 2025 (De Pinte and Nazareth current)."""

    @contextmanager
    def inside() -> Iterator[None]:
        ids.use_nis_codes({**{c: ids.nis_municipality_name(c) or "" for c in ids.NIS_CODES},
                           "44012": "De Pinte", "44048": "Nazareth"})
        try:
            yield
        finally:
            ids.use_nis_codes(None)

    yield inside
    ids.use_nis_codes(None)


async def test_a_merged_away_municipality_answers_by_its_former_nis_code(world: World, before_2025_mergers) -> None:
    """De Pinte (44012) and Nazareth (44048), registered while their codes were current, merge into
    Nazareth-De Pinte (44086): after the date their former NIS codes answer for the successor."""
    w = world
    naz, dep, new = enterprise_number(1100011), enterprise_number(1100012), enterprise_number(1100013)
    with before_2025_mergers():
        nazareth = await w.org("local_government", "Gemeente Nazareth", enterprise_number=naz, nis_code="44048")
        depinte = await w.org("local_government", "Gemeente De Pinte", enterprise_number=dep, nis_code="44012")
    merged = await w.org("local_government", "Gemeente Nazareth-De Pinte", enterprise_number=new, nis_code="44086")
    for key, serial in (("bert", 21), ("sofie", 22), ("an", 23), ("zoe", 24)):
        await w.person(key, key.title(), serial)
    await w.admin(nazareth, "bert")
    await w.admin(depinte, "sofie")
    await w.employ_and_grant(nazareth, "bert", "an", "civil_servant", "LoketLokaleBesturen", "Toezicht")
    await w.employ_and_grant(depinte, "sofie", "zoe", "permanent", "DWSEOrganisatieverantwoordelijke", "VOP")
    # Before any succession the former code finds the record that carries it (not an institution number).
    now = await w.check("zoe", "44012", "DWSEOrganisatieverantwoordelijke", "VOP")
    assert now["allowed"] is True and now["organisation_id"] == depinte["id"] and now["succeeded_by"] is None
    # The predecessor keeps its former code when another identifier changes; a different former code is refused.
    await w.api.call("PATCH", f"/v1/organisations/{depinte['id']}", PLATFORM, expect=200,
                     json={"identifiers": {"enterprise_number": dep}})
    moved = await w.api.call("PATCH", f"/v1/organisations/{depinte['id']}", PLATFORM, expect=422,
                             json={"identifiers": {"nis_code": "44048"}})
    assert moved.json()["code"] == "nis_code_merged" and moved.json()["field"] == "identifiers.nis_code"

    effective = w.clock.now() + timedelta(days=10)
    entered = (await w.enter("merger", [nazareth, depinte], [merged], effective))["succession"]
    await w.apply(entered["id"])
    w.clock.offset = timedelta(days=11)
    for key, ref, role, measure in (("zoe", "44012", "DWSEOrganisatieverantwoordelijke", "VOP"),
                                    ("an", " 44 048 ", "LoketLokaleBesturen", "Toezicht")):
        after = await w.check(key, ref, role, measure)
        assert after["allowed"] is True and after["organisation_id"] == merged["id"]
        assert after["succeeded_by"][0]["identifiers"]["nis_code"] == "44086"
    # Claims use the successor's code; an as-of check before the date answers for the predecessor.
    claims = (await w.api.call("GET", f"/v1/persons/{w.people['zoe']['id']}/claims", DESK, expect=200)).json()
    assert claims["claims"] == [f"DWSEOrganisatieverantwoordelijke-VOP:{new}"]
    at_before = await w.check("zoe", "44012", "DWSEOrganisatieverantwoordelijke", "VOP",
                              at=(effective - timedelta(hours=1)).isoformat())
    assert at_before["organisation_id"] == depinte["id"] and at_before["succeeded_by"] is None
    # The helpline finds the predecessor by its former code and follows it to the successor.
    found = (await w.api.call("GET", "/v1/helpline/lookup", HELPLINE, params={"q": "44012"}, expect=200)).json()
    by_id = {c["organisation"]["id"]: c for c in found["items"]}
    assert by_id[depinte["id"]]["succeeded_by"][0]["id"] == merged["id"]
    assert by_id[merged["id"]]["succeeds"][0]["id"] == depinte["id"]


async def test_a_new_organisation_with_a_former_nis_code_is_refused(world: World) -> None:
    w = world
    before = await w.api.revision()
    body = {"type": "local_government", "name": "Gemeente De Pinte",
            "identifiers": {"enterprise_number": enterprise_number(1100021), "nis_code": "44012"}}
    refused = (await w.api.call("POST", "/v1/organisations", PLATFORM, json=body, expect=422)).json()
    assert refused["code"] == "nis_code_merged" and refused["field"] == "identifiers.nis_code"
    assert "Nazareth-De Pinte" in refused["message_nl"] and "44086" in refused["message_nl"]
    assert "Nazareth-De Pinte" in refused["message_en"] and "De Pinte" in refused["message_en"]
    borsbeek = {**body, "name": "Gemeente Borsbeek",
                "identifiers": {"enterprise_number": enterprise_number(1100022), "nis_code": "11007"}}
    refused = (await w.api.call("POST", "/v1/organisations", PLATFORM, json=borsbeek, expect=422)).json()
    assert "Antwerpen" in refused["message_en"] and "11002" in refused["message_en"]
    assert await w.api.revision() == before  # nothing written
