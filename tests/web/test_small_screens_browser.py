"""Every page of each persona's main tasks fits a 360 px wide screen without sideways scrolling (issue 16).

Chromium with a 360 × 740 viewport visits the pages of the helpline operator, the platform administrator,
Bert (main administrator), Sofie (local administrator), An (employee) and Koen (accountant) and asserts
``document.documentElement.scrollWidth <= 360`` on each. Screenshots: test-artifacts/small-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from rights.api.app import create_app
from tests.mail.conftest import free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve
from tests.web.test_browser import ARTIFACTS, CHROMIUM, browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

WIDTH = 360


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("small"), host="127.0.0.1", port=port)
    with serve(create_app(settings), port) as url:
        yield url


def log_in(page: Page, persona: str) -> None:
    page.goto("/helpline/login")
    page.check(f"#persona-{persona}")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()


def first_href(page: Page, pattern: str) -> str | None:
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
        if re.search(pattern, href or ""):
            return href
    return None


def pages_of(page: Page, persona: str) -> list[str]:
    """The pages of this persona's main tasks, found by following the screens' own links."""
    if persona in ("helpline", "platform"):
        page.goto("/helpline?q=bakkerij")
        card = first_href(page, r"^/helpline/organisations/org_")
        return ["/helpline", "/helpline?q=bakkerij", "/helpline?q=0723.145.689", card or "/helpline"]
    out = ["/beheer", "/beheer/me", "/beheer/me/requests", "/beheer/request", "/beheer/request?q=bakkerij"]
    page.goto("/beheer")
    org = first_href(page, r"^/beheer/organisations/org_[^/?]+$")
    if org is None:  # one organisation: chosen for them; several: the act-for form
        return out
    page.goto(org)
    out.append(org)
    for pattern in (r"/grant$", r"/grant\?person=", r"/grants/gr_[^/]+$", r"/grants/gr_[^/]+/revoke$",
                    r"/people/new$", r"/people/per_[^/]+/end$", r"/mandates$", r"/upload$", r"/requests$",
                    r"/administrators/new$", r"/administrators/per_[^/]+/remove$", r"/recertification$",
                    r"/people/per_[^/]+$", r"/audit$"):
        href = first_href(page, pattern)
        if href:
            out.append(href)
    out.append(org + "/mandates/new")
    return out


@pytest.mark.parametrize("persona", ["helpline", "platform", "bert", "sofie", "an", "koen"])
def test_every_page_fits_360_pixels(browser: Browser, site: str, persona: str) -> None:  # noqa: F811
    with open_page(browser, site, viewport={"width": WIDTH, "height": 740}) as page:
        page.goto("/helpline/login")
        too_wide = []
        if page.evaluate("document.documentElement.scrollWidth") > WIDTH:
            too_wide.append(("/helpline/login", page.evaluate("document.documentElement.scrollWidth")))
        log_in(page, persona)
        visited = pages_of(page, persona)
        assert len(visited) >= 4, visited
        ARTIFACTS.mkdir(exist_ok=True)
        for n, path in enumerate(visited):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                too_wide.append((path, width))
            if n < 3 or width > WIDTH:
                page.screenshot(path=str(ARTIFACTS / f"small-{persona}-{n}.png"), full_page=True)
        assert too_wide == [], too_wide
