"""Persons log in on the screens with OpenID Connect: authorisation code flow with PKCE (S256).

``GET /auth/oidc/start`` reads the issuer's discovery document (cached), keeps a fresh ``state``,
``nonce`` and PKCE ``code_verifier`` in the (encrypted, signed) session and sends the browser to the
authorization endpoint. ``GET /auth/oidc/callback`` checks ``state``, exchanges the code (with the
verifier, and the client secret for a confidential client) at the token endpoint, verifies the ID token
(signature against the issuer's JWKS, asymmetric algorithms only; ``iss``, ``aud``/``azp``, ``exp``,
``iat``, ``nonce``), reads the national number from ``RIGHTS_OIDC_NRN_CLAIM``, finds the person and starts
a fresh session for them. Every failure is a page in the user's language, never a stack trace.

Never logged: codes, tokens, the verifier, the client secret, the national number (only its masked form).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt
import structlog
from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from rights.api.permissions import Permission
from rights.domain import identifiers as ids
from rights.logging import scrub_text
from rights.settings import Settings
from rights.web.expiry import LOGIN_PATH, clock_now, start_session
from rights.web.i18n import TEXTS
from rights.web.session import page

AUTH_TEXTS: dict[str, tuple[str, str]] = {
    "auth_expired": (
        "Uw sessie is verlopen. Meld u opnieuw aan.",
        "Your session has expired. Please log in again.",
    ),
    "auth_oidc_heading": ("Aanmelden als burger of ondernemer", "Log in as a citizen or entrepreneur"),
    "auth_oidc_intro": (
        "Meld u aan met uw eID, itsme of een andere sleutel van de overheid.",
        "Log in with your eID, itsme or another government login key.",
    ),
    "auth_oidc_button": ("Aanmelden met eID (OpenID Connect)", "Log in with eID (OpenID Connect)"),
    "auth_back": ("Terug naar aanmelden", "Back to the login page"),
    "auth_failed_title": ("Aanmelden is niet gelukt", "Login did not succeed"),
    "auth_denied": (
        "U hebt het aanmelden afgebroken of de aanmeldingsdienst weigerde het. Probeer opnieuw.",
        "You cancelled the login or the login service refused it. Please try again.",
    ),
    "auth_provider_error": (
        "De aanmeldingsdienst meldde een fout. Probeer het over enkele minuten opnieuw.",
        "The login service reported an error. Please try again in a few minutes.",
    ),
    "auth_no_attempt": (
        "Deze aanmelding is niet (meer) geldig: ze is verlopen of werd in een ander venster gestart. "
        "Begin opnieuw.",
        "This login is not (or no longer) valid: it expired or was started in another window. Start again.",
    ),
    "auth_state": (
        "Deze aanmelding hoort niet bij uw sessie en werd geweigerd. Begin opnieuw vanaf de aanmeldpagina.",
        "This login does not belong to your session and was refused. Start again from the login page.",
    ),
    "auth_invalid": (
        "Het bewijs van de aanmeldingsdienst kon niet gecontroleerd worden, dus u bent niet aangemeld. "
        "Probeer opnieuw.",
        "The login service's proof could not be verified, so you are not logged in. Please try again.",
    ),
    "auth_unreachable": (
        "De aanmeldingsdienst is nu niet bereikbaar. Probeer het over enkele minuten opnieuw.",
        "The login service cannot be reached now. Please try again in a few minutes.",
    ),
    "auth_no_number": (
        "De aanmeldingsdienst gaf geen geldig rijksregisternummer door, dus we weten niet wie u bent.",
        "The login service did not pass a valid national register number, so we do not know who you are.",
    ),
    "auth_unknown_title": ("U hebt nog geen rechten", "You have no rights yet"),
    "auth_unknown_person": (
        "U bent aangemeld bij de aanmeldingsdienst, maar u hebt nog geen rechten in een organisatie. "
        "Vraag de lokale beheerder van uw organisatie om u toe te voegen.",
        "You logged in at the login service, but you have no rights in any organisation yet. "
        "Ask your organisation's local administrator to add you.",
    ),
    "auth_unknown_hint": (
        "Weet u niet wie dat is? Vraag toegang via zelfregistratie: uw aanvraag gaat naar de beheerders "
        "van uw organisatie. Bent u wettelijk vertegenwoordiger van een onderneming, bel dan de "
        "helpdesk 1700.",
        "Don't know who that is? Ask for access through self-registration: your request goes to your "
        "organisation's administrators. Are you a legal representative of a company, call the 1700 helpline.",
    ),
    "auth_not_configured": (
        "Aanmelden met OpenID Connect is niet ingesteld.",
        "Login with OpenID Connect is not configured.",
    ),
}
assert not set(AUTH_TEXTS) & set(TEXTS), "an auth text key collides with another one"
TEXTS.update(AUTH_TEXTS)

START_PATH = "/auth/oidc/start"
CALLBACK_PATH = "/auth/oidc/callback"
PENDING_SECONDS = 600  # how long a started login may take at the provider
DISCOVERY_SECONDS = 3600
JWKS_REFRESH_SECONDS = 60  # an unknown key id re-reads the JWKS at most this often (key rotation)
# Asymmetric signatures only: never "none", never HS* (the client secret is no signing key here).
SAFE_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
                             "EdDSA"})
log = structlog.get_logger("rights.web.oidc")


class OidcError(Exception):
    """A login that cannot go on. ``reason`` is a short code for the log; ``key`` the text to show."""

    def __init__(self, reason: str, key: str = "auth_invalid", status: int = 400) -> None:
        super().__init__(reason)
        self.reason, self.key, self.status = reason, key, status


@dataclass(frozen=True)
class Provider:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    auth_methods: tuple[str, ...]


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def safe_subject(sub: str) -> str:
    """The principal's label: the provider's ``sub``, with anything shaped like a national number masked."""
    return "oidc:" + scrub_text(sub)[:80]


class OidcClient:
    """The relying party: discovery and keys (cached per process), code exchange, ID token checks."""

    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self.algorithms = [a for a in settings.oidc_algorithms if a in SAFE_ALGORITHMS] or ["RS256", "ES256"]
        self._provider: tuple[Provider, float] | None = None
        self._keys: dict[str, tuple[jwt.PyJWK, str | None]] = {}  # kid: (key, its declared alg)
        self._all_keys: list[tuple[jwt.PyJWK, str | None]] = []
        self._keys_read = 0.0
        self._lock = asyncio.Lock()

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                r = await client.get(url, headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(f"provider unreachable ({type(exc).__name__})", "auth_unreachable", 502) from None
        if r.status_code != 200:
            raise OidcError(f"provider answered {r.status_code} on a metadata request", "auth_unreachable", 502)
        try:
            data = r.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise OidcError("provider metadata is not a JSON object", "auth_unreachable", 502)
        return data

    def _url(self, value: Any, name: str) -> str:
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise OidcError(f"discovery has no usable {name}", "auth_unreachable", 502)
        if self.settings.production and not value.startswith("https://"):
            raise OidcError(f"{name} is not https", "auth_unreachable", 502)
        return value

    async def provider(self) -> Provider:
        cached = self._provider
        if cached is not None and time.monotonic() - cached[1] < DISCOVERY_SECONDS:
            return cached[0]
        doc = await self._get_json(f"{self.settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration")
        if doc.get("issuer") != self.settings.oidc_issuer:
            raise OidcError("discovery issuer differs from RIGHTS_OIDC_ISSUER", "auth_unreachable", 502)
        methods = doc.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise OidcError("provider does not offer PKCE S256", "auth_unreachable", 502)
        auth = doc.get("token_endpoint_auth_methods_supported")
        provider = Provider(
            authorization_endpoint=self._url(doc.get("authorization_endpoint"), "authorization_endpoint"),
            token_endpoint=self._url(doc.get("token_endpoint"), "token_endpoint"),
            jwks_uri=self._url(doc.get("jwks_uri"), "jwks_uri"),
            auth_methods=tuple(str(m) for m in auth) if isinstance(auth, list) else ("client_secret_basic",),
        )
        self._provider = (provider, time.monotonic())
        return provider

    def authorization_url(self, provider: Provider, *, state: str, nonce: str, verifier: str,
                          redirect_uri: str, lang: str) -> str:
        scopes = self.settings.oidc_scopes.split()
        if "openid" not in scopes:
            scopes.insert(0, "openid")
        query = urlencode({
            "response_type": "code", "client_id": self.settings.oidc_client_id, "redirect_uri": redirect_uri,
            "scope": " ".join(scopes), "state": state, "nonce": nonce,
            "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256", "ui_locales": lang,
        })
        sep = "&" if "?" in provider.authorization_endpoint else "?"
        return f"{provider.authorization_endpoint}{sep}{query}"

    async def exchange(self, provider: Provider, *, code: str, verifier: str, redirect_uri: str) -> str:
        """The code and verifier for an ID token (the access token is not used)."""
        s = self.settings
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier}
        auth: httpx.Auth | None = None
        if not s.oidc_client_secret:
            data["client_id"] = s.oidc_client_id  # a public client: PKCE is its proof
        elif "client_secret_basic" in provider.auth_methods:  # RFC 6749 2.3.1: form-encoded, then Basic
            auth = httpx.BasicAuth(quote_plus(s.oidc_client_id), quote_plus(s.oidc_client_secret))
        elif "client_secret_post" in provider.auth_methods:
            data.update(client_id=s.oidc_client_id, client_secret=s.oidc_client_secret)
        else:
            raise OidcError("provider offers neither client_secret_basic nor _post", "auth_unreachable", 502)
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                r = await client.post(provider.token_endpoint, data=data, auth=auth,
                                      headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(f"token endpoint unreachable ({type(exc).__name__})", "auth_unreachable", 502) from None
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
            error = body.get("error") if isinstance(body, dict) else None
            raise OidcError(f"token endpoint refused ({r.status_code}, {_short(error)})", "auth_provider_error", 502)
        return body["id_token"]

    async def _key_for(self, kid: str | None, alg: str) -> Any:
        async with self._lock:
            if kid is not None and kid not in self._keys or not self._all_keys:
                if time.monotonic() - self._keys_read >= JWKS_REFRESH_SECONDS or not self._all_keys:
                    await self._read_keys()
        if kid is not None:
            entry = self._keys.get(kid)
        else:  # no key id: only when the set leaves no choice
            usable = [e for e in self._all_keys if e[1] in (None, alg)]
            entry = usable[0] if len(usable) == 1 else None
        if entry is None:
            raise OidcError("no key of the issuer's JWKS matches the ID token")
        if entry[1] is not None and entry[1] != alg:
            raise OidcError("ID token algorithm differs from its key's")
        return entry[0]

    async def _read_keys(self) -> None:
        provider = await self.provider()
        data = await self._get_json(provider.jwks_uri)
        usable: list[tuple[jwt.PyJWK, str | None]] = []
        for jwk in data.get("keys") if isinstance(data.get("keys"), list) else []:
            # Public signing keys only: a symmetric ("oct") key is never accepted, nor an encryption key.
            if not isinstance(jwk, dict) or jwk.get("kty") == "oct" or jwk.get("use") not in (None, "sig"):
                continue
            declared = jwk.get("alg") if isinstance(jwk.get("alg"), str) else None
            if declared is not None and declared not in SAFE_ALGORITHMS:
                continue
            try:
                usable.append((jwt.PyJWK(jwk), declared))
            except jwt.PyJWTError:
                continue  # a key type this library cannot use
        if not usable:
            raise OidcError("issuer JWKS has no usable signing key", "auth_unreachable", 502)
        self._all_keys = usable
        self._keys = {k.key_id: (k, alg) for k, alg in usable if k.key_id}
        self._keys_read = time.monotonic()

    async def verify(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        s = self.settings
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.DecodeError:
            raise OidcError("ID token is malformed") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise OidcError(f"ID token algorithm {_short(alg)} not accepted")
        key = await self._key_for(header.get("kid"), alg)
        try:
            claims = jwt.decode(
                id_token, key=key.key, algorithms=[alg], audience=s.oidc_client_id, issuer=s.oidc_issuer,
                leeway=s.clock_skew_seconds,
                options={"require": ["iss", "sub", "aud", "exp", "iat", "nonce"]},
            )
        except jwt.PyJWTError as exc:  # bad signature, wrong iss/aud, expired, issued in the future, ...
            raise OidcError(f"ID token refused ({type(exc).__name__})") from None
        aud = claims["aud"]
        azp = claims.get("azp")
        if (azp is not None or (isinstance(aud, list) and len(aud) > 1)) and azp != s.oidc_client_id:
            raise OidcError("ID token azp is not this client")
        if not isinstance(claims["nonce"], str) or not secrets.compare_digest(claims["nonce"], nonce):
            raise OidcError("ID token nonce does not match")
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise OidcError("ID token has no subject")
        return claims


def _short(value: Any) -> str:
    """A provider's error code, fit for a log line (bounded, scrubbed)."""
    return scrub_text(str(value))[:60] if value is not None else "-"


def _client(request: Request) -> OidcClient:
    state = request.app.state
    client = getattr(state, "oidc_client", None)
    if client is None:
        client = state.oidc_client = OidcClient(state.settings)
    return client


def _refused(request: Request, key: str, status: int, *, title: str = "auth_failed_title",
             hint: str | None = None) -> Template:
    # The language switch on this page leads to the login page, not to a second (refused) callback.
    return page(request, "auth_refused.html", status=status, title_key=title, message_key=key, hint_key=hint,
                path=LOGIN_PATH)


def _redirect_uri(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + CALLBACK_PATH


class OidcLoginController(Controller):
    path = "/auth/oidc"
    include_in_schema = False

    @get("/start", opt={"permission": Permission.PUBLIC})
    async def start(self, request: Request) -> Redirect | Template:
        settings: Settings = request.app.state.settings
        if not settings.oidc_login:
            return _refused(request, "auth_not_configured", 404)
        client = _client(request)
        try:
            provider = await client.provider()
        except OidcError as exc:
            log.warning("oidc_login_refused", reason=exc.reason)
            return _refused(request, exc.key, exc.status)
        state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
        lang = request.session.get("lang") or "nl"
        request.session["oidc"] = {"state": state, "nonce": nonce, "verifier": verifier,
                                   "at": clock_now(request.app)}
        url = client.authorization_url(provider, state=state, nonce=nonce, verifier=verifier,
                                       redirect_uri=_redirect_uri(settings), lang=lang)
        return Redirect(url, status_code=303)

    @get("/callback", opt={"permission": Permission.PUBLIC})
    async def callback(self, request: Request) -> Redirect | Template:
        settings: Settings = request.app.state.settings
        if not settings.oidc_login:
            return _refused(request, "auth_not_configured", 404)
        params = request.query_params
        pending = request.session.pop("oidc", None)  # one attempt, one callback
        error = params.get("error")
        if error:
            log.info("oidc_login_refused", reason="provider error", error=_short(error))
            return _refused(request, "auth_denied" if error in ("access_denied", "login_required") else
                            "auth_provider_error", 401)
        if (not isinstance(pending, dict) or not isinstance(pending.get("at"), int)
                or clock_now(request.app) - pending["at"] > PENDING_SECONDS):
            log.info("oidc_login_refused", reason="no pending login in the session")
            return _refused(request, "auth_no_attempt", 400)
        state = params.get("state") or ""
        if not secrets.compare_digest(state.encode(), str(pending.get("state", "")).encode()):
            log.warning("oidc_login_refused", reason="state mismatch")
            return _refused(request, "auth_state", 400)
        code = params.get("code") or ""
        if not code or len(code) > 4096:
            log.info("oidc_login_refused", reason="no code")
            return _refused(request, "auth_provider_error", 400)
        client = _client(request)
        try:
            provider = await client.provider()
            id_token = await client.exchange(provider, code=code, verifier=str(pending["verifier"]),
                                             redirect_uri=_redirect_uri(settings))
            claims = await client.verify(id_token, nonce=str(pending["nonce"]))
        except OidcError as exc:
            log.warning("oidc_login_refused", reason=exc.reason)
            return _refused(request, exc.key, exc.status)
        subject = safe_subject(claims["sub"])
        raw = claims.get(settings.oidc_nrn_claim)
        try:
            number = ids.parse_national_number(raw if isinstance(raw, str) else "")
        except ids.IdentifierError as exc:
            log.warning("oidc_login_refused", reason=f"national number claim: {exc.reason}", subject=subject)
            return _refused(request, "auth_no_number", 400)
        async with request.app.state.services.core.store.read() as tx:
            person = await tx.find_person(number.value)
        if person is None:
            log.info("oidc_login_unknown_person", subject=subject, national_number=number.masked)
            return _refused(request, "auth_unknown_person", 403, title="auth_unknown_title",
                            hint="auth_unknown_hint")
        start_session(request, {"kind": "person", "subject": subject, "person_id": person.id}, auth="oidc")
        log.info("oidc_login", subject=subject, person_id=person.id)
        return Redirect("/beheer", status_code=303)


__all__ = ["LOGIN_PATH", "OidcClient", "OidcError", "OidcLoginController", "pkce_challenge", "safe_subject"]
