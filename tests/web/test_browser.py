"""The operator's screen in a real browser: Debian's headless Chromium driven by Playwright.

The app runs in uvicorn on a loopback port (on a copy of the seeded demo database) with its outbox
worker sending to a real SMTP server (aiosmtpd). Never ``playwright install``: /usr/bin/chromium only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rights.api.app import create_app
from tests.mail.conftest import Inbox, free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


class Site:
    def __init__(self, url: str, app, inbox: Inbox) -> None:  # noqa: ANN001
        self.url, self.app, self.inbox = url, app, inbox


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    inbox, smtp_port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("browser"), host="127.0.0.1", port=port,
                                smtp_host="127.0.0.1", smtp_port=smtp_port)
    app = create_app(settings)
    try:
        with serve(app, port):
            yield Site(f"http://127.0.0.1:{port}", app, inbox)
    finally:
        smtp.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    site.app.state.lookup_limiter.reset()
    with open_page(browser, site.url) as pg:
        yield pg


def log_in(page: Page, persona: str = "helpline") -> None:
    page.goto("/helpline")
    expect(page).to_have_url(f"{page.url.split('/helpline')[0]}/helpline/login")
    expect(page.get_by_role("note")).to_contain_text("DEMO")
    page.check(f"#persona-{persona}")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Helpdesk 1700 — lokale beheerders")


def results(page: Page):  # noqa: ANN201
    return page.locator("#results")


def test_log_in_and_search_three_ways_then_screenshot(page: Page) -> None:
    log_in(page)
    box = page.get_by_label("Organisatie: naam, ondernemingsnummer")
    expect(box).to_be_focused()
    box.fill("0723.145.688")
    box.press("Enter")  # the plain form GET
    expect(results(page)).to_contain_text("Bakkerij Peeters BV")
    expect(results(page)).to_contain_text("Bert Peeters (hoofdbeheerder)")
    box = page.get_by_label("Organisatie: naam, ondernemingsnummer")
    box.fill("")
    box.press_sequentially("garage lemaitre", delay=20)  # results as you type, no Enter
    expect(results(page)).to_contain_text("Garage Lemaître NV")
    box.fill("")
    box.press_sequentially("bakkerij peters", delay=20)  # a typo
    expect(results(page)).to_contain_text("Bakkerij Peeters BV")
    expect(page.locator(".call")).to_contain_text("bakkerij peters")
    page.get_by_role("link", name="Bakkerij Peeters BV").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bakkerij Peeters BV")
    expect(page.locator(".admins")).to_contain_text("Bert Peeters")
    expect(page.locator(".admins")).to_contain_text("sofie.vermeulen@example.be")
    expect(page.locator(".admins")).not_to_contain_text("bert@bakkerij-peeters")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "helpline-result.png"), full_page=True)
    assert (ARTIFACTS / "helpline-result.png").stat().st_size > 0


def test_forward_a_request_arrives_at_the_smtp_server(page: Page, site: Site) -> None:
    before = len(site.inbox.messages)
    log_in(page)
    page.goto("/helpline?q=0723145688")
    page.get_by_role("link", name="Bakkerij Peeters BV").click()
    page.get_by_label("Naam van de beller").fill("Jan Janssens")
    page.get_by_label("E-mailadres van de beller").fill("jan.janssens@example.be")
    page.get_by_label("Vraag van de beller").fill("Ik wil de VOP aanvragen voor mijn werkgever.")
    page.get_by_role("button", name="Doorsturen").click()
    expect(page.locator("#sent")).to_have_text("Doorgestuurd naar 2 beheerders.")
    assert "bert@bakkerij-peeters" not in page.content()
    for _ in range(200):  # the worker was woken by the forward; wait for delivery (not a timing assertion)
        if len(site.inbox.messages) >= before + 2:
            break
        time.sleep(0.05)
    got = site.inbox.messages[before:]
    assert sorted(m["To"] for m in got) == ["bert@bakkerij-peeters.example.be", "sofie.vermeulen@example.be"]
    assert all(m["Reply-To"] == "jan.janssens@example.be" for m in got)
    assert "Ik wil de VOP aanvragen" in got[0].get_payload(decode=True).decode()


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def test_keyboard_only(page: Page) -> None:
    page.goto("/helpline/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"  # the skip link comes first
    tab_to(page, "#persona-helpline")
    page.keyboard.press("Enter")  # submits the login form
    expect(page.get_by_role("heading", level=1)).to_have_text("Helpdesk 1700 — lokale beheerders")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("0723.145.688")
    page.keyboard.press("Enter")
    expect(results(page)).to_contain_text("Bakkerij Peeters BV")
    tab_to(page, "#results a")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bakkerij Peeters BV")
    tab_to(page, "#caller_name")
    page.keyboard.type("An Keyboard")
    page.keyboard.press("Tab")
    page.keyboard.type("not an address")
    tab_to(page, "form[action$='/forward'] button")
    page.keyboard.press("Enter")
    expect(page.locator("[role=alert]")).to_contain_text("geldig e-mailadres")
    expect(page.locator("#caller_email")).to_have_attribute("aria-invalid", "true")


def test_rate_limit(page: Page, site: Site) -> None:
    log_in(page)
    site.app.state.lookup_limiter.reset()
    site.app.state.lookup_limiter.per_minute = 3
    try:
        for q in ("bakkerij", "garage", "gemeente"):
            assert page.goto(f"/helpline?q={q}").status == 200
        response = page.goto("/helpline?q=brouwerij")
        assert response.status == 429
        expect(page.locator("#rate-limited")).to_contain_text("te veel opzoekingen (3 per minuut)")
        page.goto("/helpline?q=brouwerij&lang=en")
        expect(page.locator("#rate-limited")).to_contain_text("too many lookups (3 per minute)")
    finally:
        site.app.state.lookup_limiter.per_minute = 60
