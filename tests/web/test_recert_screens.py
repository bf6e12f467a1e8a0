"""The recertification screens without a browser: scope, CSRF, tampered URLs, the English page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient

from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services.recertification import NewCampaign
from rights.settings import Settings
from tests.web.conftest import csrf_of, login

ITEM = re.compile(r'/recertification/(rci_[0-9a-f]+)/confirm')


async def _start(settings: Settings) -> dict[str, str]:
    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.storage import create_store

    services = build_services(create_store(settings.database), load_catalogue(default_policies_dir()))
    staff = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="test-setup")
    try:
        bakery = await services.organisations.get(staff, "0723145688")
        other = await services.organisations.get(staff, "0471230948")
        await services.recertification.start(staff, NewCampaign(
            title="Controle", min_age_days=0, deadline=datetime.now(UTC) + timedelta(days=3)))
        _, theirs = await services.recertification.entries(staff, other.id)
        _, ours = await services.recertification.entries(staff, bakery.id)
        wallet = next(e.item.id for e in ours if e.grant.role == "VLAIOInkomGebruiker")
        return {"bakery": bakery.id, "other": other.id, "other_item": theirs[0].item.id, "wallet": wallet}
    finally:
        await services.core.store.close()


@pytest.fixture
async def ids(web_settings: Settings, screen: AsyncTestClient) -> dict[str, str]:
    return await _start(web_settings)


async def test_sofie_sees_only_her_applications_and_masked_numbers(screen: AsyncTestClient, ids) -> None:
    await login(screen, "sofie")
    page = await screen.get(f"/beheer/organisations/{ids['bakery']}/recertification")
    assert page.status_code == 200
    assert len(ITEM.findall(page.text)) == 3 and "VLAIO Inkom Gebruiker" not in page.text
    assert "85.07.30-***.**" in page.text and "85073003328" not in page.text
    org = await screen.get(f"/beheer/organisations/{ids['bakery']}")
    assert 'id="recert-notice"' in org.text and "3 rechten wachten op herbevestiging" in org.text
    # Outside her applications: refused even by a hand-made form.
    r = await screen.post(f"/beheer/organisations/{ids['bakery']}/recertification/{ids['wallet']}/confirm",
                          data={"_csrf_token": csrf_of(page.text)})
    assert r.status_code == 404


async def test_tampered_urls_and_missing_csrf_are_refused(screen: AsyncTestClient, ids) -> None:
    await login(screen, "bert")
    page = await screen.get(f"/beheer/organisations/{ids['bakery']}/recertification")
    token = csrf_of(page.text)
    other_org = await screen.get(f"/beheer/organisations/{ids['other']}/recertification")
    assert other_org.status_code == 403 and "U bent geen lokale beheerder" in other_org.text
    foreign = await screen.post(
        f"/beheer/organisations/{ids['bakery']}/recertification/{ids['other_item']}/confirm",
        data={"_csrf_token": token})
    assert foreign.status_code == 404
    item = ITEM.findall(page.text)[0]
    no_csrf = await screen.post(f"/beheer/organisations/{ids['bakery']}/recertification/{item}/confirm")
    assert no_csrf.status_code == 403
    done = await screen.post(f"/beheer/organisations/{ids['bakery']}/recertification/{item}/confirm",
                             data={"_csrf_token": token})
    assert done.status_code == 200 and "Het recht is herbevestigd." in done.text
    twice = await screen.post(f"/beheer/organisations/{ids['bakery']}/recertification/{item}/confirm",
                              data={"_csrf_token": token})
    assert twice.status_code == 404  # no longer pending


async def test_revoke_reason_in_english(screen: AsyncTestClient, ids) -> None:
    await login(screen, "bert")
    url = f"/beheer/organisations/{ids['bakery']}/recertification/{ids['wallet']}/revoke"
    form = await screen.get(url + "?lang=en")
    assert form.status_code == 200 and "Revoke a right when recertifying" in form.text
    r = await screen.post(url, data={"reason": "no", "_csrf_token": csrf_of(form.text)})
    assert r.status_code == 422
    assert "Reason: Enter a reason (3 to 1000 characters)." in r.text and ">no</textarea>" in r.text
    ok = await screen.post(url, data={"reason": "Other accountant", "_csrf_token": csrf_of(form.text)})
    assert ok.status_code == 200 and "The right was revoked." in ok.text and "Other accountant" in ok.text
