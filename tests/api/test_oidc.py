"""Production verification: tokens of a configured OpenID Connect issuer, keys from a JWKS file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from rights.api.tokens import TokenError, TokenVerifier
from rights.domain.ports import PrincipalKind
from rights.settings import Environment, Settings

ISSUER = "https://idp.example.vlaanderen.be"


@pytest.fixture
def issuer(tmp_path: Path):
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "ES256"}]}))
    settings = Settings(environment=Environment.PRODUCTION, oidc_issuer=ISSUER, oidc_audience="rights",
                        oidc_jwks_file=jwks, database_url="postgresql://x@127.0.0.1/x", clock_skew_seconds=30)
    return key, settings


def sign(key, **claims) -> str:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": "rights", "sub": "85073003328", "iat": now, "exp": now + 300}
    return jwt.encode({**base, **claims}, key, algorithm="ES256", headers={"kid": "k1"})


def test_issuer_tokens_verify_and_map_to_principals(issuer) -> None:
    key, settings = issuer
    v = TokenVerifier(settings.validate())
    person = v.principal(v.verify(sign(key)))
    assert person.kind is PrincipalKind.PERSON and person.national_number == "85073003328"
    assert "033" not in person.subject  # the loggable subject is masked
    op = v.principal(v.verify(sign(key, sub="op-12", roles=["rights:helpline"])))
    assert op.kind is PrincipalKind.HELPLINE
    svc = v.principal(v.verify(sign(key, sub="wse", scope="openid rights:check", client_id="wse-loket")))
    assert svc.kind is PrincipalKind.SERVICE and svc.client_id == "wse-loket"
    admin = v.principal(v.verify(sign(key, sub="ops-1", roles=["rights:platform-admin"])))
    assert admin.kind is PrincipalKind.PLATFORM_ADMIN
    # Within the clock skew an expired token still passes; beyond it, not.
    v.verify(sign(key, exp=int(time.time()) - 10))
    with pytest.raises(TokenError, match="expired"):
        v.verify(sign(key, exp=int(time.time()) - 120))


@pytest.mark.parametrize("bad", ["other key", "audience", "issuer", "hs256 with public key", "no exp"])
def test_issuer_tokens_refused(issuer, bad: str) -> None:
    key, settings = issuer
    v = TokenVerifier(settings)
    token = {
        "other key": lambda: sign(ec.generate_private_key(ec.SECP256R1())),
        "audience": lambda: sign(key, aud="another-service"),
        "issuer": lambda: sign(key, iss="https://evil.example"),
        "hs256 with public key": lambda: jwt.encode({"iss": ISSUER, "aud": "rights", "sub": "85073003328",
                                                     "iat": int(time.time()), "exp": int(time.time()) + 60},
                                                    "s" * 40, algorithm="HS256"),
        "no exp": lambda: jwt.encode({"iss": ISSUER, "aud": "rights", "sub": "85073003328",
                                      "iat": int(time.time())}, key, algorithm="ES256"),
    }[bad]()
    with pytest.raises(TokenError):
        v.verify(token)


def test_production_never_mints_development_tokens(issuer) -> None:
    from rights.api.tokens import mint_dev_token

    _, settings = issuer
    with pytest.raises(TokenError):
        mint_dev_token(settings, PrincipalKind.PERSON, "85073003328")
