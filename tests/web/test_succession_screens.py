"""Issue 17: the platform administrators' succession screen, without a browser (refusals and errors)."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.web.conftest import csrf_of, login


async def test_only_platform_administrators_see_the_screen(screen: AsyncTestClient) -> None:
    r = await screen.get("/helpline/successions", follow_redirects=False)
    assert r.status_code in (302, 303, 401)
    await login(screen, "helpline")
    assert (await screen.get("/helpline/successions")).status_code == 403


async def test_bad_input_names_the_field_and_writes_nothing(screen: AsyncTestClient) -> None:
    await login(screen, "platform")
    page = await screen.get("/helpline/successions")
    assert page.status_code == 200 and "Er zijn nog geen opvolgingen." in page.text
    form = {"_csrf_token": csrf_of(page.text), "kind": "merger", "source": "decree",
            "predecessors": "0723.145.688\n0471.230.949", "successors": "0745881203",
            "effective": "2027-01-01", "reason": "test"}
    r = await screen.post("/helpline/successions", data=form)
    assert r.status_code == 422 and "predecessors[1]" in r.text
    r = await screen.post("/helpline/successions", data={**form, "predecessors": "0723.145.688"})
    assert r.status_code == 422 and "predecessors: Een merger heeft 2 tot" in r.text
    again = await screen.get("/helpline/successions")
    assert "Er zijn nog geen opvolgingen." in again.text
