"""Issue 17 in a real browser (Debian's headless Chromium through Playwright): a platform administrator
enters the absorption of the demo's Bakkerij Peeters by De Cijferaar, reads the plan and applies it.
Screenshots: test-artifacts/successions-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from rights.api.app import create_app
from tests.mail.conftest import free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve
from tests.web.test_browser import ARTIFACTS, CHROMIUM, browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("successions"), host="127.0.0.1", port=port)
    with serve(create_app(settings), port) as url:
        yield url


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:  # noqa: F811
    with open_page(browser, site) as pg:
        yield pg


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"successions-{name}.png"), full_page=True)


def test_a_platform_administrator_enters_previews_and_applies_an_absorption(page: Page) -> None:
    page.goto("/helpline/login")
    page.check("#persona-platform")
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name="Opvolgingen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opvolgingen van organisaties")
    expect(page.locator("#successions-none")).to_be_visible()

    # A mistake first: a merger needs two predecessors; what was typed is kept.
    page.get_by_label("Soort").select_option("merger")
    page.get_by_label("Voorgangers").fill("0723.145.688")
    page.get_by_label("Opvolgers").fill("0471230948")
    page.get_by_label("Datum van ingang").fill((date.today() + timedelta(days=1)).isoformat())
    page.get_by_label("Reden").fill("Overname door De Cijferaar (KBO)")
    page.get_by_role("button", name="Opvolging invoeren").click()
    expect(page.locator("#error-summary")).to_contain_text("predecessors")
    expect(page.get_by_label("Voorgangers")).to_have_value("0723.145.688")
    shot(page, "error")

    page.get_by_label("Soort").select_option("absorption")
    page.get_by_label("Bron").select_option("kbo")
    page.get_by_role("button", name="Opvolging invoeren").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Opslorping: Bakkerij Peeters BV → Boekhoudkantoor De Cijferaar BV")
    expect(page.locator("#status")).to_have_text("voorgesteld")
    plan = page.locator("#plan")
    expect(plan).to_contain_text("An Peeters")
    vop = plan.locator("tr", has_text="DWSEOrganisatieverantwoordelijke VOP").first
    expect(vop).to_contain_text("verhuist")
    expect(page.locator("#plan-summary")).to_contain_text("Zo zou het plan worden doorgevoerd.")
    assert "85073003328" not in page.content()
    shot(page, "preview")

    page.get_by_role("button", name="Plan doorvoeren").click()
    expect(page.locator("#done")).to_have_text("De opvolging is doorgevoerd.")
    expect(page.locator("#status")).to_have_text("doorgevoerd")
    expect(page.locator("#plan-summary")).to_contain_text("Zo werd het plan doorgevoerd.")
    expect(page.get_by_role("button", name="Plan doorvoeren")).to_have_count(0)
    shot(page, "applied")

    page.get_by_role("link", name="← Alle opvolgingen").click()
    expect(page.locator("#successions tbody tr")).to_have_count(1)
    expect(page.locator("#successions")).to_contain_text("doorgevoerd")
