"""Bulk upload of grants and the CSV export in a real browser (Debian's headless Chromium through Playwright).

Sofie, local administrator of Bakkerij Peeters for the WSE applications, uploads a file with one bad line:
the preview shows the error on that line and that the whole file is refused, and nothing is written. She
uploads the corrected file, the preview says what will happen, she applies it and the organisation page
shows the new rights. The export she downloads holds no full national number.
Screenshots: test-artifacts/beheer-upload-{form,refused,preview,applied}.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from rights.api.app import create_app
from rights.domain import identifiers as ids
from tests.conftest import run_in_thread
from tests.mail.conftest import free_port
from tests.web.conftest import SEEDS, web_settings_for
from tests.web.live import open_page, serve
from tests.web.test_browser import ARTIFACTS, CHROMIUM, browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

AN, BERT, KOEN = "85073003328", "62110402174", "79092305705"
HEADER = "national_number,role,measure,valid_until,reason\r\n"


class Site:
    def __init__(self, url: str, database_url: str) -> None:
        self.url, self.database_url = url, database_url


async def _count(url: str) -> int:
    from rights.storage import create_store

    store = create_store(url)
    try:
        async with store.read() as tx:
            org = await tx.find_organisation(ids.IdentifierKind.ENTERPRISE_NUMBER, "0723145688")
            assert org is not None
            return len(await tx.grants(organisation_id=org.id))
    finally:
        await store.close()


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("bulk"), host="127.0.0.1", port=port)
    with serve(create_app(settings), port):
        yield Site(f"http://127.0.0.1:{port}", settings.database_url)


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:  # noqa: F811
    with open_page(browser, site.url, accept_downloads=True) as pg:
        yield pg


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"beheer-upload-{name}.png"), full_page=True)


def choose(page: Page, text: str) -> None:
    page.get_by_label("CSV-bestand").set_input_files(
        files=[{"name": "rechten.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}])
    page.get_by_role("button", name="Bestand controleren").click()


def test_upload_refused_then_corrected_and_applied(page: Page, site: Site) -> None:
    until = (datetime.now(UTC) + timedelta(days=200)).strftime("%d/%m/%Y")
    good = (HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,AWI,,Aanwervingsincentive aanvragen\r\n"
            f"{KOEN},DWSEOpleider,,{until},\"Opleidingen, voor de klant\"\r\n")
    bad = good + f"{BERT[:-1]}5,DWSEOpleider,,,Opleidingen registreren\r\n"
    fixed = good + f"{BERT},DWSEOpleider,,,Opleidingen registreren\r\n"
    before = run_in_thread(_count, site.database_url)

    page.goto("/helpline/login")
    page.check("#persona-sofie")
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    page.get_by_role("link", name="Rechten opladen uit een CSV-bestand").click()
    expect(page.locator("#sample")).to_contain_text("national_number,role,measure,valid_until,reason")
    expect(page.locator("#rights-here")).to_contain_text("DWSEOpleider")
    shot(page, "form")

    choose(page, bad)
    expect(page.locator("#error-summary")).to_contain_text("Het hele bestand is geweigerd: 1 regel(s)")
    expect(page.locator("#error-summary")).to_contain_text("Er is niets opgeslagen.")
    expect(page.locator("#line-4")).to_contain_text("Kolom national_number: Ongeldig rijksregister- of BIS-nummer")
    expect(page.locator("#line-2")).to_contain_text("85.07.30-***.** An Peeters")
    expect(page.locator("#apply-form")).to_have_count(0)  # no apply button
    assert BERT[:-1] not in page.content() and AN not in page.content()
    shot(page, "refused")
    assert run_in_thread(_count, site.database_url) == before

    choose(page, fixed)  # the corrected file, from the form under the refusal
    expect(page.locator("#ready")).to_contain_text("Alle regels zijn in orde: 3 recht(en) worden toegekend")
    expect(page.locator("#line-3")).to_contain_text("Krijgt DWSE Opleider (DWSEOpleider), tot en met " + until)
    expect(page.locator("#line-4")).to_contain_text("62.11.04-***.** Bert Peeters")
    shot(page, "preview")
    assert run_in_thread(_count, site.database_url) == before
    page.get_by_role("button", name="Toepassen: alle rechten toekennen").click()

    expect(page.locator("#done")).to_have_text("De rechten uit het bestand zijn toegekend.")
    people = page.locator("#people")
    expect(people).to_contain_text("Aanwervingsincentive")
    for who in ("Koen Mertens", "Bert Peeters"):  # each new right has its own revoke link naming the person
        expect(people.get_by_role("link", name=f"Intrekken — {who}, DWSE Opleider")).to_have_count(1)
    shot(page, "applied")
    assert run_in_thread(_count, site.database_url) == before + 3

    with page.expect_download() as download:
        page.get_by_role("link", name="Rechten exporteren (CSV)").click()
    assert download.value.suggested_filename.startswith("rechten-0723145688-")
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert "Aanwervingsincentive" in text and "62.11.04-***.**" in text
    numbers = [ids.parse_national_number(p["national_number"]).value
               for p in yaml.safe_load((SEEDS / "demo.yaml").read_text())["persons"]]
    assert not [n for n in numbers if n in text]
