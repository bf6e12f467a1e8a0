"""A recertification campaign in a real browser (Debian's headless Chromium through Playwright).

The fixture starts a campaign over the demo seed's Bakkerij Peeters (every grant at least 0 days old,
deadline tomorrow) through the use case, as `rights recertify start` does. Bert confirms An's VOP right,
revokes Koen's SME wallet with a reason (after an empty submit), and leaves the rest. Then the deadline
is enforced with a clock past it, as `rights recertify tick` does: what was left is revoked with the
campaign's reason, the confirmed right stays. Screenshots: test-artifacts/beheer-recert-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from rights.api.app import create_app
from rights.domain.ports import Caller, PrincipalKind
from tests.conftest import run_in_thread
from tests.mail.conftest import free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve
from tests.web.test_beheer_browser import log_in, shot
from tests.web.test_browser import CHROMIUM, browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

VOP = "DWSE Organisatieverantwoordelijke Vlaamse Ondersteuningspremie"


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def _services(url: str, clock: FixedClock | None = None):  # noqa: ANN202
    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.storage import create_store

    return build_services(create_store(url), load_catalogue(default_policies_dir()), clock)


async def _start(url: str) -> dict[str, str]:
    from rights.domain.services.recertification import NewCampaign

    services = _services(url)
    staff = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="test-setup")
    try:
        bakery = await services.organisations.get(staff, "0723145688")
        other = await services.organisations.get(staff, "0471230948")
        started = await services.recertification.start(staff, NewCampaign(
            title="Jaarlijkse controle 2026", min_age_days=0, organisation=None,
            deadline=datetime.now(UTC) + timedelta(days=1)))
        _, theirs = await services.recertification.entries(staff, other.id)
        return {"bakery": bakery.id, "other": other.id, "deadline": started.value.campaign.deadline.isoformat(),
                "other_item": theirs[0].item.id}
    finally:
        await services.core.store.close()


async def _enforce(url: str, at: datetime):  # noqa: ANN202
    services = _services(url, FixedClock(at))
    try:
        return await services.recertification.enforce()
    finally:
        await services.core.store.close()


class Site:
    def __init__(self, url: str, database: str, info: dict[str, str]) -> None:
        self.url, self.database, self.info = url, database, info


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("recert"), host="127.0.0.1", port=port)
    info = run_in_thread(_start, settings.database_url)
    with serve(create_app(settings), port):
        yield Site(f"http://127.0.0.1:{port}", settings.database_url, info)


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:  # noqa: F811
    with open_page(browser, site.url) as pg:
        yield pg


def test_another_organisations_item_or_page_is_refused(page: Page, site: Site) -> None:
    log_in(page, "bert")
    bakery, other = site.info["bakery"], site.info["other"]
    response = page.goto(f"/beheer/organisations/{other}/recertification")
    assert response is not None and response.status == 403
    expect(page.locator("#refused")).to_contain_text("U bent geen lokale beheerder van deze organisatie.")
    response = page.goto(f"/beheer/organisations/{bakery}/recertification/{site.info['other_item']}/revoke")
    assert response is not None and response.status == 404


def test_a_campaign_where_an_unconfirmed_grant_is_revoked_at_the_deadline(page: Page, site: Site) -> None:
    log_in(page, "bert")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    expect(page.locator("#recert-notice")).to_contain_text("4 rechten wachten op herbevestiging")
    shot(page, "recert-notice")
    page.get_by_role("link", name="Nu herbevestigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rechten herbevestigen")
    pending = page.locator("#recert-pending")
    expect(pending.locator("tbody tr")).to_have_count(4)
    expect(pending).to_contain_text("85.07.30-***.**")  # An, masked
    assert "85073003328" not in page.content() and "033.28" not in page.content()
    shot(page, "recert-list")

    # Confirm An's VOP right.
    page.get_by_role("button", name=f"Bevestigen: An Peeters, {VOP}").click()
    expect(page.locator("#done")).to_have_text("Het recht is herbevestigd.")
    expect(page.locator("#recert-pending tbody tr")).to_have_count(3)
    expect(page.locator("#recert-decided")).to_contain_text("bevestigd")

    # Revoke Koen's SME wallet: the reason is required and what was typed is kept.
    page.get_by_role("link", name="Intrekken — Koen Mertens, VLAIO Inkom Gebruiker").click()
    expect(page.locator("#sentence")).to_contain_text("Koen Mertens verliest het recht VLAIO Inkom Gebruiker")
    page.get_by_label("Reden").fill("x")
    page.get_by_role("button", name="Intrekken").click()
    expect(page.locator("#error-summary")).to_contain_text("Reden: Vul een reden in (3 tot 1000 tekens).")
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Reden")).to_have_value("x")
    shot(page, "recert-revoke-errors")
    page.get_by_label("Reden").fill("Andere boekhouder sinds januari")
    page.get_by_role("button", name="Intrekken").click()
    expect(page.locator("#done")).to_have_text("Het recht is ingetrokken.")
    expect(page.locator("#recert-pending tbody tr")).to_have_count(2)  # An's IMW and Sofie's training leave

    # The deadline passes: the tick revokes what was left, with the campaign's reason.
    deadline = datetime.fromisoformat(site.info["deadline"])
    report = run_in_thread(_enforce, site.database, deadline + timedelta(minutes=1))
    assert report.closed == 1 and report.revoked >= 2

    page.reload()
    expect(page.locator("#recert-none")).to_have_text("Er is niets te herbevestigen.")
    decided = page.locator("#recert-decided")
    imw = decided.locator("tr", has_text="Individueel Maatwerk")
    expect(imw).to_contain_text("ingetrokken")
    expect(imw).to_contain_text("automatisch, uiterste datum verstreken")
    expect(imw).to_contain_text("Niet herbevestigd in campagne 'Jaarlijkse controle 2026' vóór")
    expect(decided.locator("tr", has_text="Vlaamse Ondersteuningspremie")).to_contain_text("bevestigd")
    expect(decided.locator("tr", has_text="VLAIO Inkom Gebruiker")).to_contain_text("Andere boekhouder sinds januari")
    shot(page, "recert-after-deadline")

    # On the organisation's page: the confirmed right is still there, the unconfirmed one is gone.
    page.get_by_role("link", name="← Bakkerij Peeters BV").click()
    expect(page.locator("#recert-notice")).to_have_count(0)
    people = page.locator("#people")
    expect(people).to_contain_text("Vlaamse Ondersteuningspremie")
    expect(people).not_to_contain_text("Individueel Maatwerk")
    expect(people).not_to_contain_text("Opleidingsverlof")
    shot(page, "recert-organisation")
