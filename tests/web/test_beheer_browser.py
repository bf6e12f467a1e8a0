"""The /beheer screens in a real browser (Debian's headless Chromium through Playwright).

The seed already holds the end of the VOP story, so the fixture first undoes it (Sofie is no longer an
administrator, An's VOP right is revoked) and the browser then replays it: Bert appoints Sofie, Sofie
grants An the VOP right through the confirmation page, An sees it under "my rights". Screenshots of the
main screens go to test-artifacts/beheer-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from rights.api.app import create_app
from rights.domain.commands import Removal, Revocation
from rights.domain.ports import Caller, PrincipalKind
from tests.conftest import run_in_thread
from tests.mail.conftest import free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve
from tests.web.test_browser import ARTIFACTS, CHROMIUM, browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

BERT, SOFIE, AN = "62110402174", "90021714288", "85073003328"


async def _undo_story(url: str) -> dict[str, str]:
    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.storage import create_store

    services = build_services(create_store(url), load_catalogue(default_policies_dir()))
    staff = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="test-setup")
    try:
        bakery = await services.organisations.get(staff, "0723145688")
        other = await services.organisations.get(staff, "0471230948")  # De Cijferaar: not Sofie's
        await services.people.remove(staff, bakery.id, SOFIE, Removal(reason="replay the story"))
        for g in await services.grants.of_person(staff, AN):
            if g.measure == "VOP":
                await services.grants.revoke(staff, g.id, Revocation(reason="replay the story"))
        return {"bakery": bakery.id, "other": other.id}
    finally:
        await services.core.store.close()


class Site:
    def __init__(self, url: str, orgs: dict[str, str]) -> None:
        self.url, self.orgs = url, orgs


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("beheer"), host="127.0.0.1", port=port)
    orgs = run_in_thread(_undo_story, settings.database_url)
    with serve(create_app(settings), port):
        yield Site(f"http://127.0.0.1:{port}", orgs)


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:  # noqa: F811
    with open_page(browser, site.url) as pg:
        yield pg


def log_in(page: Page, persona: str) -> None:
    page.goto("/helpline/login")
    page.check(f"#persona-{persona}")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn organisaties")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"beheer-{name}.png"), full_page=True)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Afmelden").click()
    expect(page).to_have_url(f"{page.url.split('/', 3)[0]}//{page.url.split('/')[2]}/helpline/login")


def test_the_vop_story(page: Page, site: Site) -> None:
    # Bert, legal representative and main administrator, appoints Sofie for the WSE applications.
    log_in(page, "bert")
    expect(page.locator("#acting")).to_contain_text("Bakkerij Peeters BV")
    shot(page, "home")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    expect(page.locator("#people")).to_contain_text("An Peeters")
    page.get_by_role("link", name="Lokale beheerder aanstellen").click()
    page.get_by_label("Persoon").select_option(label="Sofie Vermeulen")
    page.check("#app-WSELoket")
    page.get_by_label("Werk-e-mailadres").fill("geen adres")
    page.get_by_role("button", name="Lokale beheerder aanstellen").click()
    expect(page.locator("#error-summary")).to_contain_text("Werk-e-mailadres: vul een geldig adres in")
    expect(page.get_by_label("Persoon")).to_have_value(page.get_by_label("Persoon").input_value())
    expect(page.locator("#app-WSELoket")).to_be_checked()  # what was typed is kept
    page.get_by_label("Werk-e-mailadres").fill("sofie.vermeulen@example.be")
    page.get_by_role("button", name="Lokale beheerder aanstellen").click()
    expect(page.locator("#done")).to_have_text("De lokale beheerder is aangesteld.")
    expect(page.locator(".admins")).to_contain_text("Sofie Vermeulen")
    shot(page, "organisation")
    log_out(page)

    # Sofie grants An the VOP right; the confirmation says in plain words what An will be able to do.
    log_in(page, "sofie")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    page.get_by_role("link", name="Recht toekennen — An Peeters").click()
    expect(page.get_by_label("Persoon")).to_have_value(page.get_by_label("Persoon").input_value())
    page.get_by_role("button", name="Verder naar bevestigen").click()  # nothing chosen: errors
    expect(page.locator("#error-summary")).to_contain_text("Recht: kies een recht uit de lijst.")
    expect(page.locator("#right")).to_have_attribute("aria-invalid", "true")
    shot(page, "grant-errors")
    page.get_by_label("Recht (toepassing, rol en maatregel)").select_option("DWSEOrganisatieverantwoordelijke|VOP")
    page.get_by_label("Reden").fill("Aanvraag Vlaamse Ondersteuningspremie")
    page.get_by_role("button", name="Verder naar bevestigen").click()
    expect(page.locator("#sentence")).to_contain_text(
        "An Peeters zal voor Bakkerij Peeters BV in de toepassing WSE-loket mogen werken als "
        "DWSE Organisatieverantwoordelijke voor de maatregel Vlaamse Ondersteuningspremie")
    shot(page, "confirm")
    page.get_by_role("button", name="Bevestigen en toekennen").click()
    expect(page.locator("#done")).to_have_text("Het recht is toegekend.")
    log_out(page)

    # An sees it under "my rights", with its validity, and her organisation's administrators by name.
    log_in(page, "an")
    page.get_by_role("link", name="Mijn rechten").first.click()
    expect(page.locator("main")).to_contain_text("Vlaamse Ondersteuningspremie")
    expect(page.locator(".admins")).to_contain_text("Bert Peeters")
    expect(page.locator(".admins")).not_to_contain_text("bert@bakkerij-peeters")  # not disclosed
    shot(page, "my-rights")


def test_revoke_with_a_reason(page: Page) -> None:
    log_in(page, "bert")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    page.get_by_role("link", name="Intrekken — An Peeters, DWSE Organisatieverantwoordelijke Individueel Maatwerk").click()
    expect(page.locator("#sentence")).to_contain_text("An Peeters verliest het recht")
    page.get_by_role("button", name="Intrekken").click()
    expect(page.locator("#error-summary")).to_contain_text("Reden: vul een reden in")
    page.get_by_label("Reden").fill("Werkt niet meer aan Maatwerk")
    page.get_by_role("button", name="Intrekken").click()
    expect(page.locator("#done")).to_have_text("Het recht is ingetrokken.")
    expect(page.locator("#people")).not_to_contain_text("Individueel Maatwerk")


def test_another_organisation_by_editing_the_url_is_refused(page: Page, site: Site) -> None:
    log_in(page, "sofie")
    for path in ("", "/grant", "/administrators/new"):
        response = page.goto(f"/beheer/organisations/{site.orgs['other']}{path}")
        assert response is not None and response.status == 403
        expect(page.locator("#refused")).to_contain_text("U bent geen lokale beheerder van deze organisatie.")
    assert "Cijferaar" not in page.content()


def test_a_form_without_its_csrf_token_is_refused(page: Page, site: Site) -> None:
    log_in(page, "sofie")
    page.goto(f"/beheer/organisations/{site.orgs['bakery']}/grant")
    token = page.locator("form[action$='/grant'] input[name=_csrf_token]")
    expect(token).to_have_count(1)
    token.evaluate("input => input.remove()")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Verder naar bevestigen").click()
    assert posted.value.status == 403
