"""Concurrent requests on the same grant do not lose one another (PostgreSQL and SQLite)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.api.conftest import Api, World, appoint_and_employ

VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}


async def test_concurrent_updates_of_one_grant(api: Api, world: World) -> None:
    await appoint_and_employ(api, world)
    sofie = f"person:{world.numbers['sofie']}"
    grant = (await api.call("POST", "/v1/grants", sofie, expect=201, json={
        "person": world.an["id"], "organisation": world.dupre["id"], **VOP})).json()["grant"]

    # Ten administrators' screens change the validity at once, each from the version it read.
    until = [(datetime.now(UTC) + timedelta(days=100 + i)).isoformat() for i in range(10)]
    responses = await asyncio.gather(*(
        api.call("PATCH", f"/v1/grants/{grant['id']}/validity", sofie,
                 json={"valid_until": u, "expected_version": grant["version"]}) for u in until))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 9, codes
    winner = next(r.json() for r in responses if r.status_code == 200)

    # Without a version, every change applies in turn: none is lost, each gets its own revision.
    responses = await asyncio.gather(*(
        api.call("PATCH", f"/v1/grants/{grant['id']}/validity", sofie, json={"valid_until": u}) for u in until))
    assert all(r.status_code == 200 for r in responses)
    revisions = sorted(r.json()["revision"] for r in responses)
    assert revisions == list(range(revisions[0], revisions[0] + 10))
    versions = sorted(r.json()["grant"]["version"] for r in responses)
    assert versions == list(range(winner["grant"]["version"] + 1, winner["grant"]["version"] + 11))

    # Two revocations race: exactly one wins, the other is told it is already revoked.
    responses = await asyncio.gather(*(
        api.call("POST", f"/v1/grants/{grant['id']}/revoke", sofie, json={"reason": f"race {i}"}) for i in range(2)))
    assert sorted(r.status_code for r in responses) == [200, 409]
    history = (await api.call("GET", f"/v1/grants/{grant['id']}/history", sofie, expect=200)).json()["history"]
    assert [h["kind"] for h in history].count("grant_revoked") == 1
    assert len(history) == 1 + 1 + 10 + 1
