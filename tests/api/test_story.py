"""The VOP story end to end through the API, on SQLite and on PostgreSQL."""

from __future__ import annotations

from tests.api.conftest import Api, World, appoint_and_employ

VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}
DESK = "service:wse-loket"
HELPLINE = "helpline:operator-7"


async def test_the_vop_story(api: Api, world: World) -> None:
    w = world
    sofie = f"person:{w.numbers['sofie']}"
    start = await api.revision()

    # A legal representative appoints himself, then a local administrator; she employs An.
    await appoint_and_employ(api, w)

    # The administrator grants the VOP right to the employee; the write answers with its revision.
    granted = (await api.call("POST", "/v1/grants", sofie, expect=201, json={
        "person": w.an["id"], "organisation": w.dupre["id"], **VOP, "reason": "VOP-aanvraag voor An"})).json()
    assert granted["revision"] > start
    grant = granted["grant"]
    assert grant["active"] and grant["granted_by"] == w.sofie["id"]

    # The desk asks with the national number it got from the eID login and any enterprise-number form.
    e = w.enterprise
    check = {"person": w.numbers["an"], "organisation": f"BE {e[:4]}.{e[4:7]}.{e[7:]}", **VOP}
    yes = (await api.call("POST", "/v1/check", DESK, expect=200, json=check)).json()
    assert yes["allowed"] is True and yes["reason"] == "granted"
    assert yes["grant_id"] == grant["id"] and yes["revision"] >= granted["revision"]
    # Asked to explain, the answer names the grant, who granted it and when.
    why = (await api.call("POST", "/v1/check", DESK, expect=200, json={**check, "explain": True})).json()
    assert why["explanation"]["grant"]["granted_by"] == w.sofie["id"] and why["explanation"]["grant"]["granted_at"]

    other_measure = (await api.call("POST", "/v1/check", DESK, expect=200,
                                    json={**check, "measure": "IMW"})).json()
    assert other_measure == {**other_measure, "allowed": False, "reason": "no_grant"}
    other_org = (await api.call("POST", "/v1/check", DESK, expect=200,
                                json={**check, "organisation": w.other["identifiers"]["enterprise_number"]})).json()
    assert other_org["allowed"] is False and other_org["reason"] == "no_grant"

    # What the desk shows after login, and the claims in ACM/IDM form.
    orgs = (await api.call("GET", f"/v1/persons/{w.an['id']}/organisations?role={VOP['role']}&measure=VOP",
                           DESK, expect=200)).json()
    assert [i["organisation_id"] for i in orgs["items"]] == [w.dupre["id"]]
    assert orgs["items"][0]["grants"] == [grant["id"]]
    claims = (await api.call("GET", "/v1/persons/me/claims", f"person:{w.numbers['an']}", expect=200)).json()
    assert claims["claims"] == [f"DWSEOrganisatieverantwoordelijke-VOP:{e}"]

    # The helpline finds the administrators from three forms of the enterprise number and a misspelt name.
    for q in (e, f"{e[:4]}.{e[4:7]}.{e[7:]}", f"BE{e}", "boulangerie duprè"):
        found = (await api.call("GET", "/v1/helpline/lookup", HELPLINE, params={"q": q}, expect=200)).json()
        assert [c["organisation"]["id"] for c in found["items"]] == [w.dupre["id"]], q
        admins = {a["name"]: a for a in found["items"][0]["administrators"]}
        assert set(admins) == {"Bert Dupré", "Sofie Claes"}
        assert admins["Sofie Claes"]["email"] == "hr@dupre.example"  # she agreed to disclosure
        assert admins["Bert Dupré"]["email"] is None  # he did not
        assert "wettelijke vertegenwoordiger" in found["items"][0]["guidance"]["nl"].lower()

    # Revoked: the next check says no, and the history keeps both steps.
    revoked = (await api.call("POST", f"/v1/grants/{grant['id']}/revoke", sofie, expect=200,
                              json={"reason": "An is uit dienst"})).json()
    assert revoked["revision"] > yes["revision"]
    no = (await api.call("POST", "/v1/check", DESK, expect=200, json=check)).json()
    assert no["allowed"] is False and no["reason"] == "grant_revoked"
    assert no["revision"] == revoked["revision"]
    history = (await api.call("GET", f"/v1/grants/{grant['id']}/history", sofie, expect=200)).json()
    assert [h["kind"] for h in history["history"]] == ["grant_created", "grant_revoked"]

    # Every write and every lookup left an audit event with who, for which organisation and the request id.
    audit = (await api.call("GET", "/v1/audit", "platform:ops", params={"limit": 500}, expect=200)).json()["items"]
    actions = [a["action"] for a in audit]
    assert actions.count("helpline_lookup") == 4
    assert {"grant_created", "grant_revoked", "administrator_appointed"} <= set(actions)
    grant_event = next(a for a in audit if a["action"] == "grant_created")
    assert grant_event["organisation_id"] == w.dupre["id"] and grant_event["request_id"]
    assert grant_event["actor"].startswith("person:88.05.21-")  # masked, never the full number
