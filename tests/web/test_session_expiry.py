"""Screens' sessions end when idle or too old (rights.web.expiry), on the services' clock; and `/` sends
each kind of user to their own screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from rights.api.app import create_app
from rights.web.expiry import is_expired
from tests.web.conftest import csrf_of, login, web_settings_for


class MovableClock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


async def client_for(seeded_db: Path, tmp_path: Path, clock: MovableClock, **settings: Any) -> AsyncTestClient:
    return AsyncTestClient(app=create_app(web_settings_for(seeded_db, tmp_path, **settings), clock=clock))


@pytest.fixture
async def short(seeded_db: Path, tmp_path: Path, clock: MovableClock) -> AsyncIterator[AsyncTestClient]:
    """Idle limit 30 minutes (the default), absolute limit 1 hour."""
    async with await client_for(seeded_db, tmp_path, clock, session_max_hours=1) as client:
        yield client


async def status_of(client: AsyncTestClient, path: str = "/beheer") -> tuple[int, str | None]:
    r = await client.get(path, follow_redirects=False)
    return r.status_code, r.headers.get("location")


async def test_idle_session_ends_after_the_idle_limit_and_not_before(
    short: AsyncTestClient, clock: MovableClock
) -> None:
    await short.get("/helpline/login?lang=en")
    await login(short, "bert")
    clock.advance(minutes=30)
    assert await status_of(short) == (200, None)  # exactly the limit: still fine, and "seen" moves on
    clock.advance(minutes=30)
    assert await status_of(short) == (200, None)
    clock.advance(minutes=30, seconds=1)
    assert await status_of(short) == (303, "/helpline/login?expired=1")
    page = await short.get("/helpline/login?expired=1")
    assert 'id="expired"' in page.text and "Your session has expired" in page.text  # the language is kept
    assert await status_of(short) == (303, "/helpline/login")  # the session is gone, not just refused once


async def test_session_ends_at_the_absolute_limit_however_active(short: AsyncTestClient, clock: MovableClock) -> None:
    await login(short, "sofie")
    for _ in range(3):
        clock.advance(minutes=20)
        assert await status_of(short) == (200, None)  # 20, 40, 60 minutes: within one hour
    clock.advance(seconds=1)
    assert await status_of(short) == (303, "/helpline/login?expired=1")


async def test_expiry_also_stops_a_form_post_and_the_helpline(short: AsyncTestClient, clock: MovableClock) -> None:
    await login(short, "helpline")
    page = await short.get("/helpline")
    assert page.status_code == 200
    clock.advance(minutes=31)
    r = await short.post("/helpline/new-call", data={"_csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/helpline/login?expired=1"
    assert await status_of(short, "/helpline") == (303, "/helpline/login")


async def test_login_starts_a_new_clock_and_the_cookie_lives_as_long_as_the_session(
    seeded_db: Path, tmp_path: Path, clock: MovableClock
) -> None:
    async with await client_for(seeded_db, tmp_path, clock, session_max_hours=2,
                                session_idle_minutes=120) as client:
        page = await client.get("/helpline/login")
        r = await client.post("/helpline/login", data={"persona": "an", "_csrf_token": csrf_of(page.text)},
                              follow_redirects=False)
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("rights_session="))
        assert "Max-Age=7200" in cookie
        clock.advance(minutes=100)
        assert await status_of(client) == (200, None)
        await login(client, "an")  # logging in again: a fresh session with a fresh start
        clock.advance(minutes=25)
        assert await status_of(client) == (200, None)
        clock.advance(minutes=25)
        assert await status_of(client) == (200, None)  # 150 minutes after the first login


def test_a_logged_in_session_without_timestamps_counts_as_expired() -> None:
    from rights.settings import Settings

    s = Settings()
    assert is_expired({"principal": {"kind": "person"}}, 1000, s)
    assert is_expired({"principal": {}, "created": "0", "seen": 0}, 1000, s)
    assert not is_expired({"created": 1000, "seen": 1000}, 1000 + 30 * 60, s)
    assert is_expired({"created": 1000, "seen": 1000}, 1000 + 30 * 60 + 1, s)


@pytest.mark.parametrize(("persona", "where"), [
    (None, "/helpline/login"), ("bert", "/beheer"), ("helpline", "/helpline"), ("platform", "/helpline")])
async def test_root_sends_each_kind_to_its_screen(screen: AsyncTestClient, persona: str | None, where: str) -> None:
    if persona is not None:
        await login(screen, persona)
    r = await screen.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == where
    assert (await screen.get(where)).status_code == 200
