"""Settings: one frozen object built from an environment mapping by :func:`load_settings`.

Nothing reads the environment at import time; tests build their own Settings. Every variable is listed
in docs/settings.md.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import msgspec


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SettingsError(ValueError):
    pass


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("var")
    database_url: str = ""
    policies_dir: Path | None = None
    seeds_dir: Path | None = None
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8000
    public_url: str = ""
    log_format: str = "auto"  # auto | console | json
    log_level: str = "INFO"
    max_body_bytes: int = 256 * 1024
    # Development only: a PEM private key that `rights token` signs demo tokens with.
    dev_signing_key: Path | None = None
    dev_issuer: str = "rights-dev"
    # Production: the OpenID Connect issuer whose tokens we accept.
    oidc_issuer: str = ""
    oidc_audience: str = "rights"
    oidc_jwks_file: Path | None = None
    oidc_jwks_url: str = ""
    oidc_algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
    # A token with an unknown key id re-reads RIGHTS_OIDC_JWKS_URL at most this often (key rotation).
    oidc_jwks_refresh_seconds: Annotated[float, msgspec.Meta(ge=1, le=3600)] = 60.0
    clock_skew_seconds: int = 60
    # Tokens whose lifetime (exp - iat) is longer than this are refused, however valid otherwise.
    token_max_lifetime_seconds: Annotated[int, msgspec.Meta(ge=60)] = 12 * 3600
    roles_claim: str = "roles"
    helpline_role: str = "rights:helpline"
    platform_admin_role: str = "rights:platform-admin"
    check_scope: str = "rights:check"
    persons_list_scope: str = "rights:list-persons"
    seed_when_empty: bool = True
    # The LDAP mapping file (docs/ldap.md) that `rights ldap ...` reads; unset: no directory integration.
    ldap_mapping: Path | None = None
    # How often the decision index polls the change log when nothing pushes (SQLite; PostgreSQL fallback).
    index_poll_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 0.2
    # Where each process reads (and after a build from the store, writes) its decision index's snapshot.
    index_snapshot: Path | None = None
    # How many server processes `rights serve` runs; 0: one per core.
    workers: Annotated[int, msgspec.Meta(ge=0, le=256)] = 0
    # A full KBO import that would cease more than this share (in %) of the active organisations holds
    # until confirmed (docs/imports.md); so does any ceasing of an organisation with administrators or grants.
    import_max_cease_percent: Annotated[float, msgspec.Meta(ge=0, le=100)] = 0.5
    # The helpline screens and e-mail (docs/helpline.md): SMTP relay for the outbox worker (unset: mails
    # wait in the outbox), sender address, session/CSRF secret, lookups per operator per minute.
    smtp_host: str = ""
    smtp_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 25
    mail_from: str = "noreply@rights.invalid"
    session_secret: str = ""
    helpline_lookups_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 60
    # Persons' login on the screens (docs/screens.md): OpenID Connect authorisation code flow with PKCE
    # against RIGHTS_OIDC_ISSUER, on when a client id is set too. Sessions end after idle or max time.
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile"
    oidc_nrn_claim: str = "rrn"
    session_idle_minutes: Annotated[int, msgspec.Meta(ge=1, le=24 * 60)] = 30
    session_max_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 7)] = 12
    # Tamper evidence (docs/security.md): the PostgreSQL role the service runs as, from which the migrations
    # revoke UPDATE/DELETE/TRUNCATE on the hash-chained tables; how often the chains' heads are logged.
    database_service_role: str = ""
    audit_head_log_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] = 300
    # /metrics reads its database figures (outbox, imports, directory, index lag) at most this often.
    metrics_cache_seconds: Annotated[float, msgspec.Meta(ge=0, le=300)] = 10.0

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'rights.db').resolve()}"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def oidc_login(self) -> bool:
        """Persons log in on the screens through the OpenID Connect issuer."""
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    def validate(self) -> Settings:
        if self.production:
            if self.dev_signing_key is not None:
                raise SettingsError("RIGHTS_DEV_SIGNING_KEY must not be set in production")
            if not self.oidc_issuer or not (self.oidc_jwks_file or self.oidc_jwks_url):
                raise SettingsError("production needs RIGHTS_OIDC_ISSUER and RIGHTS_OIDC_JWKS_FILE or _URL")
            if self.database.startswith("sqlite"):
                raise SettingsError("production needs RIGHTS_DATABASE_URL pointing at PostgreSQL")
        if self.log_format not in ("auto", "console", "json"):
            raise SettingsError("RIGHTS_LOG_FORMAT must be auto, console or json")
        return self


_ENV = {
    "environment": "RIGHTS_ENV",
    "data_dir": "RIGHTS_DATA_DIR",
    "database_url": "RIGHTS_DATABASE_URL",
    "policies_dir": "RIGHTS_POLICIES_DIR",
    "seeds_dir": "RIGHTS_SEEDS_DIR",
    "host": "RIGHTS_HOST",
    "port": "RIGHTS_PORT",
    "public_url": "RIGHTS_PUBLIC_URL",
    "log_format": "RIGHTS_LOG_FORMAT",
    "log_level": "RIGHTS_LOG_LEVEL",
    "max_body_bytes": "RIGHTS_MAX_BODY_BYTES",
    "dev_signing_key": "RIGHTS_DEV_SIGNING_KEY",
    "oidc_issuer": "RIGHTS_OIDC_ISSUER",
    "oidc_audience": "RIGHTS_OIDC_AUDIENCE",
    "oidc_jwks_file": "RIGHTS_OIDC_JWKS_FILE",
    "oidc_jwks_url": "RIGHTS_OIDC_JWKS_URL",
    "oidc_algorithms": "RIGHTS_OIDC_ALGORITHMS",
    "oidc_jwks_refresh_seconds": "RIGHTS_OIDC_JWKS_REFRESH_SECONDS",
    "clock_skew_seconds": "RIGHTS_CLOCK_SKEW_SECONDS",
    "token_max_lifetime_seconds": "RIGHTS_TOKEN_MAX_LIFETIME_SECONDS",
    "roles_claim": "RIGHTS_ROLES_CLAIM",
    "helpline_role": "RIGHTS_HELPLINE_ROLE",
    "platform_admin_role": "RIGHTS_PLATFORM_ADMIN_ROLE",
    "check_scope": "RIGHTS_CHECK_SCOPE",
    "persons_list_scope": "RIGHTS_PERSONS_LIST_SCOPE",
    "seed_when_empty": "RIGHTS_SEED_WHEN_EMPTY",
    "ldap_mapping": "RIGHTS_LDAP_MAPPING",
    "index_poll_seconds": "RIGHTS_INDEX_POLL_SECONDS",
    "index_snapshot": "RIGHTS_INDEX_SNAPSHOT",
    "workers": "RIGHTS_WORKERS",
    "import_max_cease_percent": "RIGHTS_IMPORT_MAX_CEASE_PERCENT",
    "smtp_host": "RIGHTS_SMTP_HOST",
    "smtp_port": "RIGHTS_SMTP_PORT",
    "mail_from": "RIGHTS_MAIL_FROM",
    "session_secret": "RIGHTS_SESSION_SECRET",
    "helpline_lookups_per_minute": "RIGHTS_HELPLINE_LOOKUPS_PER_MINUTE",
    "oidc_client_id": "RIGHTS_OIDC_CLIENT_ID",
    "oidc_client_secret": "RIGHTS_OIDC_CLIENT_SECRET",
    "oidc_scopes": "RIGHTS_OIDC_SCOPES",
    "oidc_nrn_claim": "RIGHTS_OIDC_NRN_CLAIM",
    "session_idle_minutes": "RIGHTS_SESSION_IDLE_MINUTES",
    "session_max_hours": "RIGHTS_SESSION_MAX_HOURS",
    "database_service_role": "RIGHTS_DATABASE_SERVICE_ROLE",
    "audit_head_log_seconds": "RIGHTS_AUDIT_HEAD_LOG_SECONDS",
    "metrics_cache_seconds": "RIGHTS_METRICS_CACHE_SECONDS",
}

ENVIRONMENT_VARIABLES = tuple(_ENV.values())


def load_settings(env: Mapping[str, str], **overrides: object) -> Settings:
    """Build settings from an environment mapping (e.g. ``os.environ``); overrides win."""
    raw: dict[str, object] = {}
    for field, var in _ENV.items():
        if var in env and env[var] != "":
            value: object = env[var]
            if field == "oidc_algorithms":
                value = [a.strip() for a in env[var].split(",") if a.strip()]
            raw[field] = value
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = msgspec.convert(raw, Settings, strict=False, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting: {exc}") from None
    if not settings.production and settings.dev_signing_key is None and not settings.oidc_issuer:
        # Development signs demo tokens with a key kept beside the demo database.
        settings = msgspec.structs.replace(settings, dev_signing_key=settings.data_dir / "dev-signing-key.pem")
    return settings.validate()


def _dec_hook(type_: type, obj: object) -> object:
    if type_ is Path:
        return Path(str(obj))
    raise NotImplementedError
