"""GET /v1/helpline/lookup says how each item matched and suggests what a mistyped number meant."""

from __future__ import annotations

from tests.api.conftest import Api, World

OPERATOR = "helpline:operator-3"


async def lookup(api: Api, q: str) -> dict:
    return (await api.call("GET", "/v1/helpline/lookup", OPERATOR, params={"q": q}, expect=200)).json()


async def test_match_kinds_and_did_you_mean(api: Api, world: World) -> None:
    e = world.enterprise
    found = await lookup(api, f"{e[:4]}.{e[4:7]}.{e[7:]}")
    assert [(i["organisation"]["id"], i["match"]) for i in found["items"]] == [(world.dupre["id"], "identifier")]
    assert found["suggestions"] == []

    swapped = e[:5] + e[6] + e[5] + e[7:]  # two adjacent digits swapped: the check fails
    found = await lookup(api, swapped)
    assert [(i["organisation"]["id"], i["match"]) for i in found["items"]] == [(world.dupre["id"], "suggestion")]
    assert found["suggestions"] == [e]

    assert [(i["organisation"]["id"], i["match"]) for i in (await lookup(api, "boulangrie dupre"))["items"]] == [
        (world.dupre["id"], "name_typo")
    ]
    assert (await lookup(api, "garage janssens nv"))["items"][0]["match"] == "name_exact"


async def test_a_personal_number_is_neither_searched_nor_audited_whole(api: Api, world: World) -> None:
    assert (await lookup(api, world.numbers["an"]))["items"] == []
    audit = (await api.call("GET", "/v1/audit", "platform:ops", params={"limit": 500}, expect=200)).json()["items"]
    queries = [a["details"]["query"] for a in audit if a["action"] == "helpline_lookup"]
    assert queries == ["85.07.30-***.**"]
