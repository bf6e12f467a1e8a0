"""The /helpline screens without a browser: login, refusals, search, card, forward, audit, rate limit."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from rights.api.app import create_app
from rights.api.tokens import mint_dev_token
from rights.domain.ports import PrincipalKind
from rights.mail.ports import MailStatus
from rights.settings import Settings
from tests.web.conftest import csrf_of, login, web_settings_for

PEETERS = "0723.145.688"


async def _audit(client: AsyncTestClient, settings: Settings) -> list[dict]:
    token = mint_dev_token(settings, PrincipalKind.PLATFORM_ADMIN, "auditor")
    r = await client.get("/v1/audit/", params={"limit": 500}, headers={"Authorization": f"Bearer {token}"})
    return r.json()["items"]


async def _org_link(client: AsyncTestClient, q: str) -> str:
    page = (await client.get("/helpline", params={"q": q})).text
    return re.search(r'href="(/helpline/organisations/org_[0-9a-f]+)"', page).group(1)


async def test_screens_without_a_session_are_refused(screen: AsyncTestClient) -> None:
    for path in ("/helpline", "/helpline/results?q=bakkerij", "/helpline/organisations/org_x"):
        r = await screen.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/helpline/login"), path
    r = await screen.get("/helpline/exports/administrators.csv", follow_redirects=False)
    assert r.status_code == 303


async def test_a_bearer_token_does_not_open_the_screens(screen: AsyncTestClient, web_settings: Settings) -> None:
    token = mint_dev_token(web_settings, PrincipalKind.HELPLINE, "op")
    r = await screen.get("/helpline", headers={"Authorization": f"Bearer {token}"}, follow_redirects=False)
    assert r.status_code == 303


async def test_forms_without_the_csrf_token_are_refused(screen: AsyncTestClient) -> None:
    r = await screen.post("/helpline/login", data={"persona": "helpline"})
    assert r.status_code == 403
    assert "principal" not in str(screen.cookies)
    await login(screen)
    r = await screen.post("/helpline/new-call", data={})
    assert r.status_code == 403


async def test_login_cookie_flags(screen: AsyncTestClient) -> None:
    page = await screen.get("/helpline/login")
    assert "DEMO" in page.text and 'name="persona"' in page.text
    r = await screen.post("/helpline/login", data={"persona": "helpline", "_csrf_token": csrf_of(page.text)},
                          follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_search_card_and_audit(screen: AsyncTestClient, web_settings: Settings) -> None:
    await login(screen)
    page = (await screen.get("/helpline", params={"q": PEETERS})).text
    assert "Bakkerij Peeters BV" in page and "Bert Peeters" in page and 'aria-live="polite"' in page
    assert "bert@bakkerij-peeters" not in page  # names only in the list
    assert "Garage Lemaître NV" in (await screen.get("/helpline/results", params={"q": "garage lemaitre"})).text
    assert "Bakkerij Peeters BV" in (await screen.get("/helpline", params={"q": "bakkerij peters"})).text
    card = (await screen.get(await _org_link(screen, PEETERS))).text
    assert "sofie.vermeulen@example.be" in card  # disclosed
    assert "bert@bakkerij-peeters.example.be" not in card  # not disclosed
    assert "Lokale beheerders" in card and 'name="caller_email"' in card
    actions = [(e["action"], e["actor"]) for e in await _audit(screen, web_settings)]
    assert ("helpline_lookup", "demo-operator") in actions and ("helpline_disclosure", "demo-operator") in actions


async def test_lookups_of_this_call_and_new_call(screen: AsyncTestClient) -> None:
    await login(screen)
    for q in ("bakk", "bakkerij", "garage"):
        await screen.get("/helpline", params={"q": q})
    page = (await screen.get("/helpline")).text
    call = page.split('id="call-h"')[1]
    assert ">bakkerij<" in call and ">garage<" in call and ">bakk<" not in call
    r = await screen.post("/helpline/new-call", data={"_csrf_token": csrf_of(page)})
    assert "Nog geen opzoekingen" in r.text


async def test_english_is_remembered(screen: AsyncTestClient) -> None:
    await login(screen)
    assert "Lookups of this call" in (await screen.get("/helpline", params={"lang": "en"})).text
    assert '<html lang="en">' in (await screen.get("/helpline")).text


async def test_forward_queues_one_mail_per_administrator_with_an_address(screen: AsyncTestClient,
                                                                        web_settings: Settings) -> None:
    await login(screen)
    link = await _org_link(screen, PEETERS)
    card = (await screen.get(link)).text
    form = {"caller_name": "Jan Janssens", "caller_email": "jan@example.be", "caller_phone": "+32 470 12 34 56",
            "message": "Ik wil de VOP aanvragen.", "_csrf_token": csrf_of(card)}
    bad = await screen.post(f"{link}/forward", data={**form, "caller_email": "not-an-address", "message": ""})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text and "geldig e-mailadres" in bad.text
    r = await screen.post(f"{link}/forward", data=form)
    assert r.status_code == 200 and "Doorgestuurd naar 2 beheerders." in r.text
    assert "bert@bakkerij-peeters.example.be" not in r.text
    outbox = screen.app.state.outbox
    queued = await outbox.list(status=MailStatus.PENDING)
    assert sorted(m.recipient for m in queued) == ["bert@bakkerij-peeters.example.be", "sofie.vermeulen@example.be"]
    assert all(m.reply_to == "jan@example.be" and "Jan Janssens" in m.body for m in queued)
    forward = [e for e in await _audit(screen, web_settings) if e["action"] == "helpline_forward"]
    assert forward[0]["details"]["recipients"] == 2 and "example.be" not in str(forward[0]["details"])


async def test_no_administrator_and_no_address_are_said(screen: AsyncTestClient) -> None:
    await login(screen)
    none = (await screen.get(await _org_link(screen, "1002.345.639"))).text  # Bloemenwinkel: no administrator
    assert "geen lokale beheerder" in none and "Wat de beller kan doen" in none and 'id="unreachable"' in none
    hoppeke = (await screen.get(await _org_link(screen, "0798.224.678"))).text  # administrator without e-mail
    assert "Wim Timmermans" in hoppeke and 'id="unreachable"' in hoppeke and "caller_email" not in hoppeke


async def test_rate_limit_per_operator_on_screen_and_api(seeded_db, tmp_path) -> None:
    settings = web_settings_for(seeded_db, tmp_path, helpline_lookups_per_minute=3)
    app = create_app(settings)
    app.state.lookup_limiter.clock = lambda: 6000.0  # per calendar minute: keep the test inside one
    async with AsyncTestClient(app=app) as client:
        await login(client)
        for _ in range(3):
            assert (await client.get("/helpline", params={"q": "bakkerij"})).status_code == 200
        r = await client.get("/helpline", params={"q": "bakkerij"})
        assert r.status_code == 429 and "te veel opzoekingen" in r.text.lower()
        # the API limits per token subject: another operator is not affected, the same one is
        other = {"Authorization": f"Bearer {mint_dev_token(settings, PrincipalKind.HELPLINE, 'other')}"}
        for _ in range(3):
            assert (await client.get("/v1/helpline/lookup", params={"q": "garage"}, headers=other)).status_code == 200
        r = await client.get("/v1/helpline/lookup", params={"q": "garage"}, headers=other)
        assert r.status_code == 429 and r.json()["code"] == "too_many_requests"


async def test_production_without_a_session_secret_serves_no_screens(seeded_db, tmp_path) -> None:
    from rights.web.session import session_key

    settings = web_settings_for(seeded_db, tmp_path)
    assert session_key(settings) is not None
    import msgspec

    from rights.settings import Environment

    assert session_key(msgspec.structs.replace(settings, environment=Environment.PRODUCTION)) is None


async def test_a_wrong_check_digit_is_said_to_be_invalid_before_did_you_mean(screen: AsyncTestClient) -> None:
    await login(screen)
    page = (await screen.get("/helpline", params={"q": "0723.145.689"})).text  # Peeters with a wrong last digit
    said = page.index('id="invalid-number"')
    assert "Ondernemingsnummer 0723.145.689 is ongeldig" in page
    assert said < page.index("Bedoelde u") and "Bakkerij Peeters BV" in page
    assert "1 organisatie gevonden." in page and "organisatie(s)" not in page
    fragment = (await screen.get("/helpline/results", params={"q": "0723145689", "lang": "en"})).text
    assert fragment.index("is invalid") < fragment.index("Did you mean") and "1 organisation found." in fragment
    valid = (await screen.get("/helpline", params={"q": PEETERS, "lang": "nl"})).text
    assert 'id="invalid-number"' not in valid
    several = (await screen.get("/helpline", params={"q": "affligem"})).text  # the municipality and its OCMW
    assert re.search(r"\d+ organisaties gevonden\.", several)


async def test_the_card_says_which_applications_each_administrator_handles(screen: AsyncTestClient) -> None:
    await login(screen)
    card = (await screen.get(await _org_link(screen, PEETERS))).text
    sofie = card.split("Sofie Vermeulen")[1].split("</li>")[0]
    bert = card.split("Bert Peeters")[1].split("</li>")[0]
    assert "Toepassingen: WSE-loket" in sofie and "alle toepassingen" not in sofie
    assert "Toepassingen: alle toepassingen" in bert


async def test_refused_lookups_are_shown_as_refused_in_the_call(seeded_db, tmp_path) -> None:
    settings = web_settings_for(seeded_db, tmp_path, helpline_lookups_per_minute=2)
    async with AsyncTestClient(app=create_app(settings)) as client:
        await login(client)
        await client.get("/helpline", params={"q": "garage"})
        await client.get("/helpline", params={"q": "bakkerij"})
        r = await client.get("/helpline", params={"q": "toneelkring"})
        assert r.status_code == 429
        call = r.text.split('id="call-h"')[1]
        refused = call.split(">toneelkring<")[1].split("</li>")[0]
        assert "geweigerd" in refused and "(0)" not in call
        assert "1 gevonden" in call.split(">garage<")[1].split("</li>")[0]
