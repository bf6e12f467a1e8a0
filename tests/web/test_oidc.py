"""Persons' OpenID Connect login (code flow with PKCE) against a real little provider on loopback.

Every redirect is followed by hand: the app's routes through the Litestar test client, the provider's
through a plain httpx client, so each hop (state, nonce, code, verifier, ID token) is the real one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import structlog
from litestar.testing import AsyncTestClient

from rights.api.app import create_app
from rights.web.oidc import pkce_challenge, safe_subject
from tests.web.conftest import web_settings_for
from tests.web.oidc_provider import CLIENT_ID, OidcProvider, new_rsa_key, s256

SOFIE, BERT = "90021714288", "62110402174"
STRANGER = "75050512376"  # a valid national number nobody in the seed has
APP = "http://testserver.local"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    p = OidcProvider()
    p.start()
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture
def idp(provider: OidcProvider) -> OidcProvider:
    provider.reset({"sub": "pairwise-sofie-7f3a", "rrn": SOFIE, "name": "Sofie Vermeulen"})
    return provider


def oidc_settings(seeded_db: Path, tmp_path: Path, idp: OidcProvider, **overrides: Any) -> Any:
    return web_settings_for(seeded_db, tmp_path, oidc_issuer=idp.issuer, oidc_client_id=CLIENT_ID,
                            public_url=APP, **overrides)


@pytest.fixture
async def app_client(seeded_db: Path, tmp_path: Path, idp: OidcProvider) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=create_app(oidc_settings(seeded_db, tmp_path, idp))) as client:
        yield client


@pytest.fixture
async def browser_http() -> AsyncIterator[httpx.AsyncClient]:
    """What the user's browser does at the provider."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as client:
        yield client


async def to_provider(app: AsyncTestClient) -> str:
    r = await app.get("/auth/oidc/start", follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


async def back_from_provider(browser: httpx.AsyncClient, authorize_url: str) -> str:
    r = await browser.get(authorize_url)
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(f"{APP}/auth/oidc/callback?"), location
    return location[len(APP):]


async def log_in(app: AsyncTestClient, browser: httpx.AsyncClient) -> httpx.Response:
    callback = await back_from_provider(browser, await to_provider(app))
    return await app.get(callback, follow_redirects=False)


async def assert_not_logged_in(app: AsyncTestClient) -> None:
    r = await app.get("/beheer", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/helpline/login"


# --- the happy path -------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "client_secret_basic", "client_secret_post"])
async def test_person_logs_in_with_pkce_and_lands_on_beheer(
    browser_http: httpx.AsyncClient, idp: OidcProvider, secret: str | None,
    seeded_db: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    settings = oidc_settings(seeded_db, tmp_path, idp)
    if secret is not None:  # a confidential client: the provider insists on the secret, by that method
        idp.client_secret = "s3cr3t:with/odd+chars"
        idp.auth_methods = [secret]
        settings = oidc_settings(seeded_db, tmp_path, idp, oidc_client_secret="s3cr3t:with/odd+chars")
    caplog.set_level(logging.INFO)
    async with AsyncTestClient(app=create_app(settings)) as client:
        with structlog.testing.capture_logs() as logs:
            authorize_url = await to_provider(client)
            q = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
            assert authorize_url.startswith(f"{idp.issuer}/authorize?")
            assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
            assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
            assert q["redirect_uri"] == f"{APP}/auth/oidc/callback"
            assert q["scope"] == "openid profile" and len(q["state"]) >= 32 and len(q["nonce"]) >= 32
            r = await client.get(await back_from_provider(browser_http, authorize_url), follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/beheer", r.text
            home = await client.get("/beheer")
            assert home.status_code == 200
            assert "Bakkerij Peeters BV" in home.text and SOFIE not in home.text
            assert "oidc:pairwise-sofie-7f3a" in home.text  # the provider's subject, not the number
        sent = idp.token_requests[-1]
        assert s256(sent["code_verifier"]) == q["code_challenge"]  # the verifier matched the challenge
        if secret == "client_secret_basic":
            assert sent["basic"] and "client_secret" not in sent
        elif secret == "client_secret_post":
            assert not sent["basic"] and sent["client_secret"] == "s3cr3t:with/odd+chars"
        else:
            assert not sent["basic"] and "client_secret" not in sent and sent["client_id"] == CLIENT_ID
        assert any(e["event"] == "oidc_login" for e in logs)
        # The service's own lines (httpx is silenced by rights.logging; here it logs the test client's URLs).
        everything = repr(logs) + "\n".join(
            r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
        assert SOFIE not in everything
        assert sent["code"] not in everything and sent["code_verifier"] not in everything


async def test_a_code_is_used_once_and_a_callback_replayed_is_refused(
    app_client: AsyncTestClient, browser_http: httpx.AsyncClient
) -> None:
    callback = await back_from_provider(browser_http, await to_provider(app_client))
    assert (await app_client.get(callback, follow_redirects=False)).status_code == 303
    again = await app_client.get(callback, follow_redirects=False)
    assert again.status_code == 400 and "niet (meer) geldig" in again.text


async def test_login_page_offers_oidc_next_to_the_marked_demo_picker(app_client: AsyncTestClient) -> None:
    page = await app_client.get("/helpline/login?lang=en")
    assert 'action="/auth/oidc/start"' in page.text and "Log in with eID (OpenID Connect)" in page.text
    assert "DEMO" in page.text and 'name="persona"' in page.text


async def test_login_page_without_oidc_has_no_oidc_button(screen: AsyncTestClient) -> None:
    page = await screen.get("/helpline/login")
    assert "/auth/oidc/start" not in page.text
    assert (await screen.get("/auth/oidc/start", follow_redirects=False)).status_code == 404


# --- what must be refused --------------------------------------------------------------------------


async def test_state_mismatch_is_refused(app_client: AsyncTestClient, browser_http: httpx.AsyncClient) -> None:
    callback = await back_from_provider(browser_http, await to_provider(app_client))
    parts = urlsplit(callback)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    q["state"] = q["state"][:-2] + ("AA" if not q["state"].endswith("AA") else "BB")
    r = await app_client.get(f"{parts.path}?{urlencode(q)}", follow_redirects=False)
    assert r.status_code == 400 and "hoort niet bij uw sessie" in r.text
    await assert_not_logged_in(app_client)


async def test_callback_without_a_started_login_is_refused(
    app_client: AsyncTestClient, browser_http: httpx.AsyncClient, idp: OidcProvider
) -> None:
    # An attacker's own code and state, delivered to a victim who started nothing (login CSRF).
    query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": f"{APP}/auth/oidc/callback",
             "scope": "openid", "state": "attackers-state", "nonce": "attackers-nonce",
             "code_challenge": pkce_challenge("a" * 50), "code_challenge_method": "S256"}
    callback = await back_from_provider(browser_http, f"{idp.issuer}/authorize?{urlencode(query)}")
    r = await app_client.get(callback, follow_redirects=False)
    assert r.status_code == 400
    await assert_not_logged_in(app_client)
    assert idp.token_requests == []  # the code was never even exchanged


def refusal_reason(logs: list[dict[str, Any]]) -> str:
    return " ".join(str(e.get("reason")) for e in logs if e["event"] == "oidc_login_refused")


@pytest.mark.parametrize(
    ("knob", "value", "reason"),
    [
        ("nonce", "another-nonce", "nonce does not match"),
        ("aud", "some-other-client", "InvalidAudienceError"),
        ("iss", "http://127.0.0.1:1/elsewhere", "InvalidIssuerError"),
        ("exp", -3600, "ExpiredSignatureError"),
        ("iat", 3600, "ImmatureSignatureError"),  # issued an hour in the future
        ("azp", "some-other-client", "azp"),
        ("nonce", None, "MissingRequiredClaimError"),
    ],
)
async def test_a_wrong_id_token_claim_is_refused(
    app_client: AsyncTestClient, browser_http: httpx.AsyncClient, idp: OidcProvider, knob: str, value: Any,
    reason: str,
) -> None:
    import time

    if knob in ("exp", "iat"):
        value = int(time.time()) + value
        if knob == "exp":
            idp.knobs.claims["iat"] = int(time.time()) - 7200
    idp.knobs.claims[knob] = value
    with structlog.testing.capture_logs() as logs:
        r = await log_in(app_client, browser_http)
    assert r.status_code == 400 and "niet gecontroleerd" in r.text, (knob, r.status_code)
    assert reason in refusal_reason(logs)
    await assert_not_logged_in(app_client)


@pytest.mark.parametrize(("algorithm", "reason"), [
    ("another key", "InvalidSignatureError"), ("none", "algorithm none not accepted"),
    ("HS256", "algorithm HS256 not accepted"), ("RS512 with the right key", "algorithm RS512 not accepted")])
async def test_a_token_not_signed_by_the_issuers_key_is_refused(
    app_client: AsyncTestClient, browser_http: httpx.AsyncClient, idp: OidcProvider, algorithm: str, reason: str
) -> None:
    if algorithm == "another key":
        idp.knobs.sign_with = new_rsa_key()  # same key id, different key
    elif algorithm.startswith("RS512"):
        idp.knobs.algorithm = "RS512"  # the JWKS says RS256 for this key; RS512 is not accepted at all
    else:
        idp.knobs.algorithm = algorithm
    with structlog.testing.capture_logs() as logs:
        r = await log_in(app_client, browser_http)
    assert r.status_code == 400 and "niet gecontroleerd" in r.text
    assert reason in refusal_reason(logs)
    await assert_not_logged_in(app_client)


async def test_the_provider_refuses_a_wrong_verifier(idp: OidcProvider, browser_http: httpx.AsyncClient) -> None:
    verifier = "v" * 43 + "-right"
    redirect = f"{APP}/auth/oidc/callback"
    query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect, "scope": "openid",
             "state": "s", "nonce": "n", "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256"}
    plain = await browser_http.get(f"{idp.issuer}/authorize?{urlencode({**query, 'code_challenge_method': 'plain'})}")
    assert plain.status_code == 400  # no PKCE "plain", nor no PKCE at all
    for code_verifier, expected in (("w" * 49, 400), (verifier, 200)):
        r = await browser_http.get(f"{idp.issuer}/authorize?{urlencode(query)}")
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
        token = await browser_http.post(f"{idp.issuer}/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
            "client_id": CLIENT_ID, "code_verifier": code_verifier})
        assert token.status_code == expected, token.text
        if expected == 400:
            assert token.json()["error"] == "invalid_grant"


async def test_a_token_endpoint_refusal_is_a_friendly_page(
    app_client: AsyncTestClient, browser_http: httpx.AsyncClient, idp: OidcProvider
) -> None:
    idp.knobs.forget_challenge = True  # so the app's (right) verifier no longer matches
    r = await log_in(app_client, browser_http)
    assert r.status_code == 502 and "meldde een fout" in r.text
    assert idp.token_requests and idp.token_requests[-1]["code_verifier"]
    await assert_not_logged_in(app_client)


async def test_provider_error_is_a_friendly_page(
    app_client: AsyncTestClient, browser_http: httpx.AsyncClient, idp: OidcProvider
) -> None:
    idp.knobs.authorize_error = "access_denied"
    r = await log_in(app_client, browser_http)
    assert r.status_code == 401 and "afgebroken" in r.text and 'href="/helpline/login"' in r.text
    en = await app_client.get("/auth/oidc/callback?error=access_denied&state=x&lang=en")
    assert "You cancelled the login" in en.text
    await assert_not_logged_in(app_client)


async def test_unknown_person_gets_a_clear_page_and_no_session(
    app_client: AsyncTestClient, browser_http: httpx.AsyncClient, idp: OidcProvider
) -> None:
    idp.user = {"sub": "pairwise-stranger", "rrn": STRANGER}
    with structlog.testing.capture_logs() as logs:
        r = await log_in(app_client, browser_http)
    assert r.status_code == 403
    assert "nog geen rechten in een organisatie" in r.text and "lokale beheerder" in r.text
    assert "zelfregistratie" in r.text and STRANGER not in r.text
    assert STRANGER not in repr(logs) and any(e["event"] == "oidc_login_unknown_person" for e in logs)
    await assert_not_logged_in(app_client)


@pytest.mark.parametrize("number", [None, "12345678901", 90021714288])
async def test_a_missing_or_invalid_national_number_is_refused(
    app_client: AsyncTestClient, browser_http: httpx.AsyncClient, idp: OidcProvider, number: Any
) -> None:
    idp.knobs.claims["rrn"] = number
    r = await log_in(app_client, browser_http)
    assert r.status_code == 400 and "rijksregisternummer" in r.text
    await assert_not_logged_in(app_client)


async def test_the_nrn_claim_is_configurable_and_a_nrn_shaped_subject_is_masked(
    seeded_db: Path, tmp_path: Path, idp: OidcProvider, browser_http: httpx.AsyncClient
) -> None:
    idp.user = {"sub": BERT, "egovNRN": BERT}  # a provider that uses the number as subject, too
    settings = oidc_settings(seeded_db, tmp_path, idp, oidc_nrn_claim="egovNRN")
    async with AsyncTestClient(app=create_app(settings)) as client:
        r = await log_in(client, browser_http)
        assert r.status_code == 303
        home = await client.get("/beheer")
        assert "Bakkerij Peeters BV" in home.text and BERT not in home.text
    assert BERT not in safe_subject(BERT) and safe_subject("abc") == "oidc:abc"


async def test_an_unreachable_provider_is_a_friendly_page(seeded_db: Path, tmp_path: Path) -> None:
    from tests.mail.conftest import free_port

    settings = web_settings_for(seeded_db, tmp_path, oidc_issuer=f"http://127.0.0.1:{free_port()}",
                                oidc_client_id=CLIENT_ID, public_url=APP)
    async with AsyncTestClient(app=create_app(settings)) as client:
        r = await client.get("/auth/oidc/start", follow_redirects=False)
    assert r.status_code == 502 and "niet bereikbaar" in r.text
