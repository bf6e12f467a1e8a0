"""Bearer tokens: verify an OpenID Connect issuer's JWTs, and mint development tokens locally.

Verification is the same for both: signature against a key set, issuer, audience, expiry with clock
skew. Development tokens are signed with a local Ed25519 key that production refuses to load.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rights.api.jwks import RemoteKeySet
from rights.domain import identifiers as ids
from rights.domain.ports import PrincipalKind
from rights.settings import Settings


class TokenError(Exception):
    """Why a token was refused (never contains the token)."""


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    subject: str  # safe to log: a national number is kept only in `national_number`
    national_number: str | None = None
    client_id: str | None = None
    scopes: frozenset[str] = frozenset()


def ensure_dev_key(path: Path) -> Path:
    """Create the development signing key if it does not exist yet (0600)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
    return path


def _load_private(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TokenError(f"development key {path} cannot be read (run `rights serve` once to create it)") from exc
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TokenError("development key must be Ed25519")
    return key


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.remote_keys: RemoteKeySet | None = None
        self._static_keys: list[Any] = []
        if settings.dev_signing_key is not None and not settings.production:
            self.issuer = settings.dev_issuer
            self._static_keys = [_load_private(settings.dev_signing_key).public_key()]
            self.algorithms = ["EdDSA"]
        else:
            self.issuer = settings.oidc_issuer
            self.algorithms = list(settings.oidc_algorithms)
            if settings.oidc_jwks_file is not None:
                jwks = jwt.PyJWKSet.from_dict(json.loads(Path(settings.oidc_jwks_file).read_text()))
                self._static_keys = list(jwks.keys)
            elif settings.oidc_jwks_url:
                # Fetched asynchronously, never inside a request's critical path (rights.api.jwks).
                self.remote_keys = RemoteKeySet(settings.oidc_jwks_url,
                                                refresh_seconds=settings.oidc_jwks_refresh_seconds)

    def _static_keys_for(self, token: str) -> list[Any]:
        kid = _kid(token)
        keys = [k for k in self._static_keys if kid is None or getattr(k, "key_id", None) in (None, kid)]
        return keys or self._static_keys

    def verify(self, token: str) -> dict[str, Any]:
        """Verify against a static key set (development key or RIGHTS_OIDC_JWKS_FILE)."""
        if not self.issuer:
            raise TokenError("no token issuer configured")
        if self.remote_keys is not None:
            raise TokenError("the issuer's keys are remote: use averify")
        return self._decode(token, self._static_keys_for(token))

    async def averify(self, token: str) -> dict[str, Any]:
        """Verify a token; with a remote JWKS, a known key id never waits for the issuer."""
        if self.remote_keys is None:
            return self.verify(token)
        if not self.issuer:
            raise TokenError("no token issuer configured")
        keys = await self.remote_keys.keys_for(_kid(token))
        if not keys:
            raise TokenError("signing key not found")
        return self._decode(token, keys)

    def _decode(self, token: str, keys: list[Any]) -> dict[str, Any]:
        last: Exception | None = None
        for key in keys:
            try:
                claims = jwt.decode(
                    token,
                    key=getattr(key, "key", key),
                    algorithms=self.algorithms,
                    audience=self.settings.oidc_audience,
                    issuer=self.issuer,
                    leeway=self.settings.clock_skew_seconds,
                    options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                )
            except jwt.ExpiredSignatureError as exc:
                raise TokenError("token expired") from exc
            except jwt.InvalidTokenError as exc:
                last = exc
                continue
            # A stolen long-lived token is a long-lived key: refuse what an issuer should never mint.
            if claims["exp"] - claims["iat"] > self.settings.token_max_lifetime_seconds:
                raise TokenError("token lifetime exceeds the maximum")
            return claims
        raise TokenError(f"invalid token: {type(last).__name__ if last else 'no key'}")

    def principal(self, claims: dict[str, Any]) -> Principal:
        """Map verified claims to a principal: role claims first, then the check scope, then a person."""
        s = self.settings
        roles = claims.get(s.roles_claim) or []
        roles = roles.split() if isinstance(roles, str) else list(roles)
        scopes = str(claims.get("scope", "")).split()
        sub = str(claims["sub"])
        if s.platform_admin_role in roles:
            return Principal(PrincipalKind.PLATFORM_ADMIN, f"platform:{_safe(sub)}")
        if s.helpline_role in roles:
            return Principal(PrincipalKind.HELPLINE, f"helpline:{_safe(sub)}")
        if s.check_scope in scopes:
            client = str(claims.get("client_id") or claims.get("azp") or sub)
            return Principal(PrincipalKind.SERVICE, f"service:{_safe(client)}", client_id=client,
                             scopes=frozenset(scopes))
        try:
            number = ids.parse_national_number(sub)
        except ids.IdentifierError as exc:
            raise TokenError("subject is not a national register or BIS number") from exc
        return Principal(PrincipalKind.PERSON, f"person:{number.masked}", national_number=number.value)


def _kid(token: str) -> str | None:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.DecodeError as exc:
        raise TokenError("malformed token") from exc
    return kid if isinstance(kid, str) else None


def _safe(text: str) -> str:
    # A subject that happens to be a national number must not leak through the label either.
    try:
        return ids.parse_national_number(text).masked
    except ids.IdentifierError:
        return text[:80]


def mint_dev_token(
    settings: Settings, kind: PrincipalKind, subject: str, *, ttl_seconds: int = 12 * 3600,
    scopes: tuple[str, ...] = (),
) -> str:
    """A development token, only when a development key is configured and never in production."""
    if settings.production or settings.dev_signing_key is None:
        raise TokenError("development tokens need RIGHTS_DEV_SIGNING_KEY outside production")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.dev_issuer,
        "aud": settings.oidc_audience,
        "sub": subject,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if kind is PrincipalKind.PERSON:
        claims["sub"] = ids.parse_national_number(subject).value
    elif kind is PrincipalKind.SERVICE:
        claims["scope"] = " ".join((settings.check_scope, *scopes))
        claims["client_id"] = subject
    elif kind is PrincipalKind.HELPLINE:
        claims[settings.roles_claim] = [settings.helpline_role]
    elif kind is PrincipalKind.PLATFORM_ADMIN:
        claims[settings.roles_claim] = [settings.platform_admin_role]
    return jwt.encode(claims, _load_private(settings.dev_signing_key), algorithm="EdDSA")
