"""docs/settings.md documents every environment variable with the code's default; load_settings refuses
what production must not run with."""

from __future__ import annotations

import enum
import re
from pathlib import Path

import msgspec
import pytest

from rights.settings import _ENV, ENVIRONMENT_VARIABLES, Settings, SettingsError, load_settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
ROW = re.compile(r"^\|\s*`(?P<var>RIGHTS_[A-Z0-9_]+)`\s*\|(?P<rest>.*)\|\s*$")

PRODUCTION = {
    "RIGHTS_ENV": "production",
    "RIGHTS_DATABASE_URL": "postgresql://rights:secret@db.example.invalid:5432/rights",
    "RIGHTS_OIDC_ISSUER": "https://issuer.example.invalid",
    "RIGHTS_OIDC_JWKS_URL": "https://issuer.example.invalid/jwks.json",
}


def documented_rows() -> list[tuple[str, list[str]]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if m := ROW.match(line):
            rows.append((m["var"], [cell.strip() for cell in m["rest"].split("|")]))
    return rows


def env_form(value: object) -> str | None:
    """A default as it would be written in the environment; None when the variable is simply unset."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


DEFAULTS = {_ENV[f.name]: f.default for f in msgspec.structs.fields(Settings) if f.name in _ENV}


def test_every_variable_is_documented_once_and_nothing_else() -> None:
    documented = [var for var, _ in documented_rows()]
    assert sorted(documented) == sorted(ENVIRONMENT_VARIABLES), (
        f"undocumented: {sorted(set(ENVIRONMENT_VARIABLES) - set(documented))}; "
        f"unknown: {sorted(set(documented) - set(ENVIRONMENT_VARIABLES))}"
    )
    assert len(documented) == len(set(documented)), "a variable is documented twice"


@pytest.mark.parametrize("var", ENVIRONMENT_VARIABLES)
def test_documented_default_is_the_code_default(var: str) -> None:
    cells = dict(documented_rows())[var]
    assert len(cells) == 4, f"{var}: expected Default | Meaning | Development | Production"
    default_cell = cells[0]
    expected = env_form(DEFAULTS[var])
    if expected is None:
        assert default_cell == "unset", f"{var}: default is unset in the code, doc says {default_cell!r}"
    else:
        assert default_cell == f"`{expected}`", f"{var}: code default {expected!r}, doc says {default_cell!r}"
        # Writing the documented default into the environment gives the same setting.
        field = next(f for f, v in _ENV.items() if v == var)
        assert getattr(load_settings({var: expected}), field) == DEFAULTS[var]


def test_production_with_a_dev_signing_key_is_refused() -> None:
    with pytest.raises(SettingsError, match="RIGHTS_DEV_SIGNING_KEY must not be set in production"):
        load_settings({**PRODUCTION, "RIGHTS_DEV_SIGNING_KEY": "/keys/dev-signing-key.pem"})


@pytest.mark.parametrize(
    "missing",
    [("RIGHTS_OIDC_ISSUER",), ("RIGHTS_OIDC_JWKS_URL",), ("RIGHTS_OIDC_ISSUER", "RIGHTS_OIDC_JWKS_URL")],
)
def test_production_without_issuer_or_keys_is_refused(missing: tuple[str, ...]) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k not in missing}
    with pytest.raises(SettingsError, match="production needs RIGHTS_OIDC_ISSUER"):
        load_settings(env)


def test_production_with_an_empty_issuer_is_refused() -> None:
    with pytest.raises(SettingsError, match="RIGHTS_OIDC_ISSUER"):
        load_settings({**PRODUCTION, "RIGHTS_OIDC_ISSUER": ""})


@pytest.mark.parametrize("url", [None, "sqlite:///var/rights.db", "sqlite+aiosqlite:////tmp/rights.db"])
def test_production_on_sqlite_is_refused(url: str | None) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "RIGHTS_DATABASE_URL"}
    if url is not None:
        env["RIGHTS_DATABASE_URL"] = url
    with pytest.raises(SettingsError, match="PostgreSQL"):
        load_settings(env)


def test_valid_production_settings_load_without_a_dev_key() -> None:
    settings = load_settings(
        {**PRODUCTION, "RIGHTS_OIDC_JWKS_URL": "", "RIGHTS_OIDC_JWKS_FILE": "/run/jwks.json"}
    )
    assert settings.production
    assert settings.dev_signing_key is None
    assert settings.oidc_jwks_file == Path("/run/jwks.json")
    assert settings.database.startswith("postgresql://")


@pytest.mark.parametrize("port", ["eighty", "80 80", "8000x"])
def test_bad_port_is_refused(port: str) -> None:
    with pytest.raises(SettingsError, match="invalid setting"):
        load_settings({"RIGHTS_PORT": port})


@pytest.mark.parametrize(
    ("var", "value"),
    [("RIGHTS_ENV", "staging"), ("RIGHTS_LOG_FORMAT", "xml"), ("RIGHTS_SEED_WHEN_EMPTY", "maybe")],
)
def test_bad_values_are_refused(var: str, value: str) -> None:
    with pytest.raises(SettingsError):
        load_settings({var: value})


def test_development_gets_the_default_dev_key_path() -> None:
    assert load_settings({}).dev_signing_key == Path("var") / "dev-signing-key.pem"
    settings = load_settings({"RIGHTS_DATA_DIR": "/srv/rights"})
    assert not settings.production
    assert settings.dev_signing_key == Path("/srv/rights/dev-signing-key.pem")
    assert settings.database == "sqlite+aiosqlite:////srv/rights/rights.db"


def test_development_keeps_an_explicit_dev_key() -> None:
    assert load_settings({"RIGHTS_DEV_SIGNING_KEY": "/keys/k.pem"}).dev_signing_key == Path("/keys/k.pem")


def test_empty_values_count_as_unset_and_algorithms_are_a_list() -> None:
    settings = load_settings({"RIGHTS_PORT": "", "RIGHTS_OIDC_ALGORITHMS": " RS256 , ES256 ,"})
    assert settings.port == 8000
    assert settings.oidc_algorithms == ("RS256", "ES256")
