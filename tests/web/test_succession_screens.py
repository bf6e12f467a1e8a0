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


async def test_the_helpline_screen_shows_a_succession(screen: AsyncTestClient, web_settings) -> None:  # noqa: ANN001
    """After the date, searching the predecessor's name brings its successor, both marked."""
    from datetime import UTC, datetime, timedelta

    from rights.domain.commands import NewSuccession, SuccessionApply
    from rights.domain.model import SuccessionKind
    from rights.domain.ports import Caller, PrincipalKind
    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.storage import create_store

    services = build_services(create_store(web_settings.database_url), load_catalogue(default_policies_dir()))
    staff = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="test")
    try:
        w = await services.successions.enter(staff, NewSuccession(
            kind=SuccessionKind.ABSORPTION, predecessors=("0723.145.688",), successors=("0471230948",),
            effective_at=datetime.now(UTC) - timedelta(days=1), reason="test"))
        await services.successions.apply(staff, w.value.id, SuccessionApply())
    finally:
        await services.core.store.close()
    await login(screen, "helpline")
    r = await screen.get("/helpline", params={"q": "Bakkerij Peeters"})
    assert "Opgevolgd door Boekhoudkantoor De Cijferaar BV" in r.text
    assert "Opvolger van Bakkerij Peeters BV" in r.text
