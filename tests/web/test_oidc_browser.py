"""OpenID Connect login in a real browser (Debian's Chromium): the login page's eID button, the test
provider's auto-approval, landing on /beheer; and a person without rights gets the friendly page.
Screenshots: test-artifacts/beheer-oidc-{login,home,unknown}.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from rights.api.app import create_app
from tests.mail.conftest import free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve
from tests.web.oidc_provider import CLIENT_ID, OidcProvider
from tests.web.test_browser import ARTIFACTS, CHROMIUM, browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcProvider]:
    p = OidcProvider()
    p.start()
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory, idp: OidcProvider) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("oidc"), host="127.0.0.1", port=port,
                                public_url=url, oidc_issuer=idp.issuer, oidc_client_id=CLIENT_ID)
    with serve(create_app(settings), port):
        yield url


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:  # noqa: F811
    with open_page(browser, site) as pg:
        yield pg


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"beheer-oidc-{name}.png"), full_page=True)


def test_a_person_logs_in_with_the_eid_button(page: Page, idp: OidcProvider) -> None:
    idp.reset({"sub": "pairwise-bert", "rrn": "62110402174"})
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    expect(page.locator(".demo")).to_contain_text("DEMO")  # the persona picker below stays marked
    shot(page, "login")
    page.get_by_role("button", name="Aanmelden met eID (OpenID Connect)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn organisaties")
    expect(page.locator("main")).to_contain_text("Bakkerij Peeters BV")
    assert page.url.endswith("/beheer")
    assert idp.authorize_requests[-1]["code_challenge_method"] == "S256"
    shot(page, "home")
    page.goto("/")
    expect(page).to_have_url(f"{page.url.split('/beheer')[0]}/beheer")


def test_an_unknown_person_gets_a_clear_page(page: Page, idp: OidcProvider) -> None:
    idp.reset({"sub": "pairwise-stranger", "rrn": "75050512376"})
    page.goto("/helpline/login")
    page.get_by_role("button", name="Aanmelden met eID (OpenID Connect)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("U hebt nog geen rechten")
    expect(page.locator("#auth-message")).to_contain_text("Vraag de lokale beheerder van uw organisatie")
    shot(page, "unknown")
    page.get_by_role("link", name="Terug naar aanmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
