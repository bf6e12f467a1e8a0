"""Issue 10, item 8: a refused attempt on the /beheer screens is audited as in the API."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from rights.domain.identifiers import IdentifierKind
from tests.web.conftest import login


async def test_a_refused_screen_leaves_an_audit_event(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    store = screen.app.state.services.core.store
    async with store.read() as tx:
        other = await tx.find_organisation(IdentifierKind.ENTERPRISE_NUMBER, "0471230948")
        assert other is not None
        before = [e for _, e in await tx.audit_events(limit=100_000) if e.action == "access_refused"]
    r = await screen.get(f"/beheer/organisations/{other.id}/people/new", headers={"X-Request-ID": "screen-403"})
    assert r.status_code == 403
    async with store.read() as tx:
        after = [e for _, e in await tx.audit_events(limit=100_000) if e.action == "access_refused"]
    (event,) = after[len(before):]
    assert event.actor_kind == "person" and event.request_id == "screen-403"
    assert event.target == f"GET /beheer/organisations/{other.id}/people/new"
    assert event.details["code"] == "not_an_administrator"
