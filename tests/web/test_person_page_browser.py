"""The person page, the audit view and "only what you may do" in a real browser (issue 16 items 2 and 4).

Bert opens An's page from the people list (work relations, rights, history, on a 360 px screen too);
Sofie sees Koen's page without the VLAIO right she does not administer, and the removal of the last main
administrator is not offered to Bert; An's request form does not offer the rights she holds; Bert reads
who did what in his organisation (the audit view). Screenshots: test-artifacts/person-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from rights.api.app import create_app
from tests.mail.conftest import free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve
from tests.web.test_beheer_browser import log_in, log_out
from tests.web.test_browser import ARTIFACTS, CHROMIUM, browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("person"), host="127.0.0.1", port=port)
    with serve(create_app(settings), port) as url:
        yield url


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:  # noqa: F811
    with open_page(browser, site) as pg:
        yield pg


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"person-{name}.png"), full_page=True)


def test_bert_opens_ans_page_and_is_not_offered_removing_himself(page: Page) -> None:
    log_in(page, "bert")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    admins = page.locator("ul.admins")
    expect(admins.get_by_role("link", name="Verwijderen als beheerder — Bert Peeters")).to_have_count(0)
    expect(admins).to_contain_text("De laatste hoofd lokale beheerder kan niet worden verwijderd")
    page.locator("#people a.person-link", has_text="An Peeters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("An Peeters")
    expect(page.locator("#relations")).to_contain_text("vast personeel")
    expect(page.locator("#rights")).to_contain_text("Vlaamse Ondersteuningspremie")
    expect(page.locator("#history")).to_contain_text("recht toegekend")
    expect(page.locator("body")).not_to_contain_text("85073003328")
    shot(page, "an-by-bert")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "an-by-bert-360")
    # From her page to one of her rights' grant page.
    page.get_by_role("link", name="WSE-loket — DWSE Organisatieverantwoordelijke — Vlaamse Ondersteuningspremie").click()
    expect(page.locator("#grant")).to_contain_text("An Peeters")


def test_sofie_sees_only_her_applications_and_an_only_what_she_may_request(page: Page) -> None:
    log_in(page, "sofie")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    page.locator("#people a.person-link", has_text="Koen Mertens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Koen Mertens")
    expect(page.locator("main")).not_to_contain_text("VLAIO")
    expect(page.locator("main a[href$='/revoke']")).to_have_count(0)
    shot(page, "koen-by-sofie")
    log_out(page)
    log_in(page, "an")
    page.goto("/beheer/request?q=0723145688")
    expect(page.locator("#chosen-org")).to_have_text("Bakkerij Peeters BV")
    values = page.locator("#right option").evaluate_all("els => els.map(e => e.value)")
    assert "DWSEOrganisatieverantwoordelijke|VOP" not in values  # she holds it
    assert "DWSEOrganisatieverantwoordelijke|AWI" in values
    shot(page, "request-by-an")


def test_bert_reads_who_did_what_in_his_organisation(page: Page) -> None:
    log_in(page, "bert")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    page.get_by_role("link", name="Wie deed wat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie deed wat in deze organisatie")
    audit = page.locator("#audit")
    expect(audit).to_contain_text("recht toegekend: VLAIO Inkom Gebruiker")
    expect(audit).to_contain_text("Koen Mertens")
    expect(audit).not_to_contain_text("VLAIOInkomGebruiker")
    shot(page, "audit-by-bert")
    page.get_by_label("Naam (wie of voor wie)").fill("koen")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.locator("#audit")).to_contain_text("Koen Mertens")
    expect(page.locator("#audit")).not_to_contain_text("An Peeters")
    shot(page, "audit-search-koen")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "audit-by-bert-360")
