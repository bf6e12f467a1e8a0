"""Every destructive action in a real browser, each through its confirmation page (issue 16, item 3).

Bert (main administrator of Bakkerij Peeters) removes Sofie as administrator, revokes one of An's rights,
ends a mandate, refuses An's request and ends Koen's work relation. Each time: the confirmation page says
what will happen (on a 360 px wide screen, which it fits), confirming without a reason is refused on the field and writes nothing, and with a reason
the action is done and audited with it. Screenshots: test-artifacts/destructive-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from rights.api.app import create_app
from rights.api.tokens import mint_dev_token
from rights.domain.commands import NewMandate
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services.requests import NewAccessRequest
from rights.settings import Settings
from tests.conftest import run_in_thread
from tests.mail.conftest import free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve
from tests.web.test_browser import ARTIFACTS, CHROMIUM, browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

BERT, AN = "62110402174", "85073003328"


async def _prepare(url: str) -> None:
    """A mandate of the bakery (proposed by Bert) and a pending request of An, to end and to refuse."""
    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.storage import create_store

    services = build_services(create_store(url), load_catalogue(default_policies_dir()))
    staff = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="test-setup")
    try:
        bert = await services.people.get(staff, BERT)
        an = await services.people.get(staff, AN)
        as_bert = Caller(kind=PrincipalKind.PERSON, subject="test-bert", person_id=bert.id)
        await services.mandates.propose(as_bert, NewMandate(mandator="0723145688", holder="0471230948",
                                                            applications=("WSELoket",)))
        as_an = Caller(kind=PrincipalKind.PERSON, subject="test-an", person_id=an.id)
        await services.requests.submit(as_an, NewAccessRequest(
            organisation="0723145688", role="DWSEOrganisatieverantwoordelijke", measure="AWI",
            motivation="Ik wil de aanwervingsincentive aanvragen."))
    finally:
        await services.core.store.close()


class Site:
    def __init__(self, url: str, settings: Settings) -> None:
        self.url, self.settings = url, settings


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("destructive"), host="127.0.0.1", port=port)
    run_in_thread(_prepare, settings.database_url)
    with serve(create_app(settings), port):
        yield Site(f"http://127.0.0.1:{port}", settings)


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:  # noqa: F811
    # On a small screen (360 px): the confirmation pages must fit it too (issue 16, item 6).
    with open_page(browser, site.url, viewport={"width": 360, "height": 740}) as pg:
        yield pg


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"destructive-{name}.png"), full_page=True)


def confirm_with_a_reason(page: Page, name: str, button: str, reason: str, label: str = "Reden") -> None:
    """On a confirmation page: without a reason it is refused on the field, then done with one."""
    expect(page.locator("#sentence")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
    shot(page, f"{name}-confirm")
    page.get_by_role("button", name=button).click()
    expect(page.locator("#error-summary")).to_contain_text(label)
    expect(page.get_by_label(label, exact=True)).to_have_attribute("aria-invalid", "true")
    page.get_by_label(label, exact=True).fill(reason)
    page.get_by_role("button", name=button).click()
    expect(page.locator("#done")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
    shot(page, f"{name}-done")


def audited_reasons(site: Site, action: str) -> list[str]:
    token = mint_dev_token(site.settings, PrincipalKind.PLATFORM_ADMIN, "auditor")
    r = httpx.get(f"{site.url}/v1/audit/", params={"limit": 500}, headers={"Authorization": f"Bearer {token}"})
    return [e["details"].get("reason") for e in r.json()["items"] if e["action"] == action]


def test_each_destructive_action_goes_through_its_confirmation(page: Page, site: Site) -> None:
    page.goto("/helpline/login")
    page.check("#persona-bert")
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    org_page = page.url

    # Remove a local administrator: no longer one click.
    page.get_by_role("link", name="Verwijderen als beheerder — Sofie Vermeulen").click()
    expect(page.locator("#sentence")).to_contain_text("Sofie Vermeulen is daarna geen lokale beheerder meer")
    confirm_with_a_reason(page, "remove-admin", "Bevestigen en verwijderen", "Sofie werkt hier niet meer.")
    expect(page.locator("#done")).to_have_text("De lokale beheerder is verwijderd.")
    assert audited_reasons(site, "administrator_removed") == ["Sofie werkt hier niet meer."]

    # Revoke a right.
    page.locator("#people a[href$='/revoke']").filter(has_text="An Peeters").first.click()
    expect(page.locator("#sentence")).to_contain_text("An Peeters verliest het recht")
    confirm_with_a_reason(page, "revoke", "Intrekken", "Niet meer nodig.")
    expect(page.locator("#done")).to_have_text("Het recht is ingetrokken.")
    assert "Niet meer nodig." in audited_reasons(site, "grant_revoked")

    # End a mandate.
    page.goto(org_page + "/mandates")
    page.get_by_role("link", name="Beëindigen — Boekhoudkantoor De Cijferaar BV").click()
    confirm_with_a_reason(page, "mandate", page.locator("main form button").inner_text(), "Het kantoor stopt.")
    assert audited_reasons(site, "mandate_revoked") == ["Het kantoor stopt."]

    # Refuse a request.
    page.goto(org_page + "/requests")
    page.get_by_role("link", name="Weigeren — An Peeters").click()
    expect(page.locator("#sentence")).to_contain_text("An Peeters krijgt het recht")
    confirm_with_a_reason(page, "refuse-request", "Bevestigen en weigeren", "Bert vraagt dit zelf aan.",
                          label="Reden van de weigering")
    assert audited_reasons(site, "access_request_refused") == ["Bert vraagt dit zelf aan."]

    # End a work relation.
    page.goto(org_page)
    page.get_by_role("link", name="Werkrelatie beëindigen — Koen Mertens").click()
    expect(page.locator("#sentence")).to_contain_text("Koen Mertens werkt daarna niet meer voor Bakkerij Peeters BV. De rechten")
    confirm_with_a_reason(page, "end-relation", "Bevestigen en beëindigen", "Het mandaat volstaat.")
    expect(page.locator("#done")).to_have_text("De werkrelatie is beëindigd.")
    expect(page.locator("#people")).not_to_contain_text("Koen Mertens")
    assert audited_reasons(site, "work_relation_ended") == ["Het mandaat volstaat."]
