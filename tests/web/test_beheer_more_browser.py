"""The rest of the /beheer screens in a real browser (Debian's headless Chromium through Playwright).

Bert adds a person with a typo in the national register number (the check digits are checked as he types,
and the server refuses it when submitted anyway), then fixes it; Sofie changes a grant's validity and
sees it in the grant's history; Bert proposes a mandate to De Cijferaar and Koen, made its administrator
by the fixture, accepts it. Screenshots go to test-artifacts/beheer-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from rights.api.app import create_app
from rights.domain.commands import Appointment
from rights.domain.ports import Caller, PrincipalKind
from tests.conftest import run_in_thread
from tests.mail.conftest import free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve
from tests.web.test_beheer_browser import log_in, log_out, shot
from tests.web.test_browser import CHROMIUM, browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

KOEN = "79092305705"
NEW_GOOD = "91051212308"  # synthetic: 97 - 910512123 % 97 == 8
NEW_TYPO = "91051212309"


async def _prepare(url: str) -> dict[str, str]:
    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.storage import create_store

    services = build_services(create_store(url), load_catalogue(default_policies_dir()))
    staff = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="test-setup")
    try:
        bakery = await services.organisations.get(staff, "0723145688")
        cijferaar = await services.organisations.get(staff, "0471230948")
        # Griet administers De Cijferaar but is no demo persona: Koen becomes its administrator too.
        await services.people.appoint(staff, cijferaar.id, Appointment(person=KOEN, applications=None))
        return {"bakery": bakery.id, "cijferaar": cijferaar.id}
    finally:
        await services.core.store.close()


class Site:
    def __init__(self, url: str, orgs: dict[str, str]) -> None:
        self.url, self.orgs = url, orgs


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("beheer-more"), host="127.0.0.1", port=port)
    orgs = run_in_thread(_prepare, settings.database_url)
    with serve(create_app(settings), port):
        yield Site(f"http://127.0.0.1:{port}", orgs)


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:  # noqa: F811
    with open_page(browser, site.url) as pg:
        yield pg


def test_add_a_person_with_a_typo_in_the_number(page: Page, site: Site) -> None:
    log_in(page, "bert")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    page.get_by_role("link", name="Persoon toevoegen").click()
    live = page.locator("#national_number-live")
    number = page.get_by_label("Rijksregisternummer of BIS-nummer")
    number.press_sequentially("91.05.12-123.09")
    expect(live).to_have_text("De controlecijfers kloppen niet: kijk het nummer na op de identiteitskaart.")
    expect(live).to_have_attribute("aria-live", "polite")
    shot(page, "add-person-typing")
    page.get_by_label("Voornaam").fill("Lien")
    page.get_by_label("Familienaam").fill("Goossens")
    page.get_by_label("Gebruikerstype (soort werkrelatie)").select_option("permanent")
    page.get_by_role("button", name="Persoon toevoegen").click()  # submitted anyway: the server refuses it
    expect(page.locator("#error-summary")).to_contain_text("Rijksregisternummer: de controlecijfers")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_have_value("91.05.12-123.09")
    expect(page.get_by_label("Voornaam")).to_have_value("Lien")
    shot(page, "add-person-error")
    number.fill("")
    number.press_sequentially("91.05.12-123.08")
    expect(live).to_have_text("De controlecijfers kloppen.")
    page.get_by_role("button", name="Persoon toevoegen").click()
    expect(page.locator("#done")).to_have_text("De persoon is toegevoegd aan de organisatie.")
    expect(page.locator("#people")).to_contain_text("Lien Goossens")
    expect(page.locator("#people")).to_contain_text("91.05.12-***.**")
    assert NEW_GOOD not in page.content() and "123.08" not in page.content()
    # the filter finds her, and "only with rights" does not (she has none yet)
    page.get_by_label("Naam bevat").fill("lien")
    page.get_by_role("button", name="Filter toepassen").click()
    expect(page.locator("#filter-count")).to_have_text("1 persoon gevonden.")
    page.check("#f-with-rights")
    page.get_by_role("button", name="Filter toepassen").click()
    expect(page.locator("#filter-count")).to_have_text("0 personen gevonden.")


def test_change_a_grants_validity_and_see_its_history(page: Page) -> None:
    log_in(page, "sofie")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    page.get_by_role("link", name="Details — An Peeters, DWSE Organisatieverantwoordelijke Vlaamse").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vlaamse Ondersteuningspremie")
    field = page.get_by_label("Nieuwe einddatum: geldig tot en met (dd/mm/jjjj)")
    field.fill("01/01/2099")
    page.get_by_label("Reden").fill("Tot het einde van het project")
    page.get_by_role("button", name="Geldigheid wijzigen").click()
    expect(page.locator("#error-summary")).to_contain_text("De looptijd mag hoogstens 1095 dagen zijn.")
    expect(page.get_by_label("Reden")).to_have_value("Tot het einde van het project")
    hint = page.locator("#valid_until-hint").inner_text()
    last = hint.rsplit("tot en met ", 1)[1].rstrip(".")
    field.fill(last)
    page.get_by_role("button", name="Geldigheid wijzigen").click()
    expect(page.locator("#done")).to_have_text("De geldigheid is gewijzigd.")
    expect(page.locator("#validity")).to_contain_text(f"tot en met {last}")
    history = page.locator("#history")
    expect(history).to_contain_text("geldigheid gewijzigd")
    expect(history).to_contain_text(f"nu tot en met {last}")
    expect(history).to_contain_text("Tot het einde van het project")
    expect(history).to_contain_text("Sofie Vermeulen")
    shot(page, "grant-history")


def test_propose_a_mandate_and_accept_it_as_the_other_organisation(page: Page) -> None:
    log_in(page, "bert")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    page.get_by_role("link", name="Mandaten").click()
    page.get_by_role("link", name="Mandaat voorstellen").click()
    page.get_by_label("De andere organisatie werkt voor ons").check()
    page.get_by_label("Ondernemingsnummer van de andere organisatie").fill("0471.230.948")
    page.get_by_role("button", name="Mandaat voorstellen").click()  # no application ticked
    expect(page.locator("#error-summary")).to_contain_text("Toepassingen: vink minstens één toepassing")
    page.get_by_label("WSE-loket").check()
    page.get_by_role("button", name="Mandaat voorstellen").click()
    expect(page.locator("#done")).to_have_text("Het mandaat is voorgesteld.")
    expect(page.locator("#mandates")).to_contain_text("Boekhoudkantoor De Cijferaar BV")
    expect(page.locator("#mandates .state")).to_have_text("wacht op de andere organisatie")
    shot(page, "mandate-proposed")
    log_out(page)

    log_in(page, "koen")
    page.get_by_role("link", name="Beheren: Boekhoudkantoor De Cijferaar BV").click()
    page.get_by_role("link", name="Mandaten").click()
    expect(page.locator("#mandates .state")).to_have_text("wacht op uw aanvaarding")
    page.get_by_role("button", name="Aanvaarden: Bakkerij Peeters BV").click()
    expect(page.locator("#done")).to_have_text("Het mandaat is aanvaard.")
    expect(page.locator("#mandates .state")).to_have_text("actief")
    shot(page, "mandates")
