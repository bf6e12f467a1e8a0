"""The API reference at /docs renders in Debian's headless Chromium with no request leaving the machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from rights.api.app import create_app
from tests.mail.conftest import free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("docs"), host="127.0.0.1", port=port)
    with serve(create_app(settings), port) as url:
        yield url

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()

def test_docs_render_offline_and_find_the_check(browser: Browser, site: str) -> None:
    requests: list[str] = []
    with open_page(browser, site) as page:
        page.on("request", lambda r: requests.append(r.url))
        # Anything bound elsewhere is refused (the network here is closed anyway) and recorded above.
        page.route(lambda url: urlsplit(url).hostname != "127.0.0.1", lambda route: route.abort())
        page.goto("/docs")
        expect(page.locator(".info .title")).to_contain_text("rights")
        check = page.locator('.opblock-summary-path[data-path="/v1/check"]').first
        expect(check).to_be_visible()
        check.click()
        expect(page.locator(".opblock.is-open")).to_contain_text("/v1/check")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "api-reference.png"), full_page=False)
    assert (ARTIFACTS / "api-reference.png").stat().st_size > 0
    assert any(u.endswith("/schema/openapi.json") for u in requests)
    outside = [u for u in requests if urlsplit(u).hostname != "127.0.0.1" and not u.startswith("data:")]
    assert not outside, outside

