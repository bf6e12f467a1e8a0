"""A tiny but real OpenID Connect provider for the tests, served by uvicorn on a free loopback port.

Discovery, a JWKS with an RSA key made here, ``/authorize`` (auto-approves the configured user; insists
on PKCE S256 and remembers the challenge), ``/token`` (checks client authentication, the redirect URI and
the ``code_verifier`` against the challenge, refusing otherwise; answers an ID token signed with pyjwt).
Knobs let a test make it misbehave: sign with another key or algorithm, override ID token claims,
answer the authorization request with an error, or forget the challenge it was given.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar import Litestar, Request, get, post
from litestar.response import Redirect, Response

from tests.mail.conftest import free_port

CLIENT_ID = "rights-screens"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class Knobs:
    claims: dict[str, Any] = field(default_factory=dict)  # ID token claims to add, change or (None) drop
    sign_with: Any = None  # another private key (the JWKS key id is kept)
    algorithm: str = "RS256"  # e.g. "none" or "HS256" to try what must be refused
    authorize_error: str | None = None
    forget_challenge: bool = False


class OidcProvider:
    def __init__(self, *, client_id: str = CLIENT_ID) -> None:
        self.client_id = client_id
        self.client_secret: str | None = None
        self.auth_methods = ["client_secret_basic", "client_secret_post", "none"]
        self.key = new_rsa_key()
        self.kid = "test-key-1"
        self.user: dict[str, Any] = {}
        self.knobs = Knobs()
        self.codes: dict[str, dict[str, Any]] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, Any]] = []
        self.port = free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self, user: dict[str, Any]) -> None:
        self.user = dict(user)
        self.knobs = Knobs()
        self.client_secret = None
        self.auth_methods = ["client_secret_basic", "client_secret_post", "none"]
        self.codes.clear()
        self.authorize_requests.clear()
        self.token_requests.clear()

    # --- the endpoints ---------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": self.auth_methods,
        }

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def authorize(self, q: dict[str, str]) -> tuple[int, str]:
        """(status, redirect location or error text)."""
        self.authorize_requests.append(q)
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return 400, "unknown client or response type"
        if not q.get("redirect_uri") or "openid" not in q.get("scope", "").split():
            return 400, "redirect_uri and the openid scope are required"
        if q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) != 43:
            return 400, "PKCE with S256 is required"
        back = {"state": q.get("state", "")}
        if self.knobs.authorize_error:
            back["error"] = self.knobs.authorize_error
        else:
            code = secrets.token_urlsafe(24)
            self.codes[code] = {"challenge": q["code_challenge"], "nonce": q.get("nonce"),
                                "redirect_uri": q["redirect_uri"], "client_id": q["client_id"]}
            if self.knobs.forget_challenge:
                self.codes[code]["challenge"] = s256("not the verifier the client keeps")
            back = {"code": code, **back}
        return 302, f"{q['redirect_uri']}?{urlencode(back)}"

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        self.token_requests.append({**form, "basic": authorization is not None})
        client_id = form.get("client_id")
        if self.client_secret is not None:  # a confidential client must authenticate
            if authorization and authorization.lower().startswith("basic "):
                user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
                user, password = unquote_plus(user), unquote_plus(password)  # RFC 6749 2.3.1
                ok = user == self.client_id and password == self.client_secret
                client_id = user
            else:
                ok = form.get("client_secret") == self.client_secret
            if not ok:
                return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["client_id"] != client_id or grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128 or not secrets.compare_digest(s256(verifier), grant["challenge"]):
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300,
                                  "nonce": grant["nonce"], "auth_time": now, **self.user}
        for name, value in self.knobs.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        k = self.knobs
        if k.algorithm == "none":
            id_token = jwt.encode(claims, None, algorithm="none")
        elif k.algorithm.startswith("HS"):
            id_token = jwt.encode(claims, (self.client_secret or "x" * 32), algorithm=k.algorithm,
                                  headers={"kid": self.kid})
        else:
            id_token = jwt.encode(claims, k.sign_with or self.key, algorithm=k.algorithm, headers={"kid": self.kid})
        return 200, {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300,
                     "id_token": id_token}

    # --- serving -----------------------------------------------------------------------------------

    def app(self) -> Litestar:
        provider = self

        @get("/.well-known/openid-configuration", sync_to_thread=False)
        def discovery() -> dict[str, Any]:
            return provider.discovery()

        @get("/jwks", sync_to_thread=False)
        def jwks() -> dict[str, Any]:
            return provider.jwks()

        @get("/authorize", sync_to_thread=False)
        def authorize(request: Request) -> Response[str] | Redirect:
            status, where = provider.authorize(dict(request.query_params))
            if status == 302:
                return Redirect(where, status_code=302)
            return Response(where, status_code=status, media_type="text/plain")

        @post("/token")
        async def token(request: Request) -> Response[dict[str, Any]]:
            form = {k: str(v) for k, v in (await request.form()).items()}
            status, body = provider.token(form, request.headers.get("authorization"))
            return Response(body, status_code=status, headers={"cache-control": "no-store"})

        return Litestar([discovery, jwks, authorize, token])

    def start(self) -> None:
        self._server = uvicorn.Server(uvicorn.Config(self.app(), host="127.0.0.1", port=self.port,
                                                     log_config=None, access_log=False, ws="none",
                                                     lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test OpenID provider did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
