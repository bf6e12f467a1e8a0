"""The `rights` command: policy tests, development tokens, migrate + seed + check, production refusals.

Every invocation gets its environment explicitly: the developer's RIGHTS_* variables are removed and
RIGHTS_DATA_DIR points at a temporary directory, so nothing here reads or writes the real var/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rights.api.tokens import TokenVerifier, ensure_dev_key
from rights.cli import main
from rights.domain.ports import PrincipalKind
from rights.policies import default_policies_dir, load_policy_cases
from rights.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
POLICIES = default_policies_dir()
RIGHTS = Path(sys.executable).with_name("rights")
AN = "85073003328"
BAKERY = "BE 0723.145.688"
WSE_ROLE = "DWSEOrganisatieverantwoordelijke"


def production(data_dir: Path) -> dict[str, str]:
    """The settings production needs, so that only the production rule itself can refuse."""
    return {
        "RIGHTS_ENV": "production",
        "RIGHTS_DATA_DIR": str(data_dir),
        "RIGHTS_OIDC_ISSUER": "https://idp.example.invalid",
        "RIGHTS_OIDC_JWKS_FILE": str(REPO / "deploy" / "jwks.example.json"),
        "RIGHTS_DATABASE_URL": "postgresql://x@127.0.0.1/x",
    }


def rights(*args: str, env: dict[str, str]) -> Result:
    """Run the command in-process with exactly these RIGHTS_* variables (the others unset)."""
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("RIGHTS_")}
    clean.update(env)
    return CliRunner().invoke(main, list(args), env=clean)


def clean_exit(result: Result, code: int) -> None:
    """Exited with `code` through click (a message, not a traceback)."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


# --- rights policy test ------------------------------------------------------------------------------

CASES = len(load_policy_cases(POLICIES))


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_policy_test_passes(tmp_path: Path) -> None:
    result = rights("policy", "test", env={"RIGHTS_DATA_DIR": str(tmp_path)})
    clean_exit(result, 0)
    assert CASES > 0
    assert result.output.strip().splitlines()[-1] == f"{CASES} passed, 0 failed"


def test_policy_test_reports_a_failing_case(policies: Path) -> None:
    edit(
        policies / "tests" / "decisions.yaml",
        f"{{person: an, organisation: bakkerij, role: {WSE_ROLE}, measure: IMW, expect: no_grant}}",
        f"{{person: an, organisation: bakkerij, role: {WSE_ROLE}, measure: IMW, expect: allowed}}",
    )
    result = rights("policy", "test", "--dir", str(policies), env={"RIGHTS_DATA_DIR": str(policies.parent)})
    clean_exit(result, 1)
    fails = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert fails == ["FAIL tests/decisions.yaml :: VOP right for an SME employee"]
    assert f"{WSE_ROLE}-IMW: expected allowed, got no_grant" in result.output
    assert f"{CASES - 1} passed, 1 failed" in result.output


def test_policy_test_names_file_and_key_of_a_broken_file(policies: Path) -> None:
    edit(policies / "catalogue" / "wse.yaml", "max_validity_days: 1095", "max_validity_days: 0")
    result = rights("policy", "test", "--dir", str(policies), env={"RIGHTS_DATA_DIR": str(policies.parent)})
    clean_exit(result, 1)
    assert "catalogue/wse.yaml: $[0].roles[0].max_validity_days: must be at least 1 day" in result.output
    assert "passed" not in result.output


# --- rights token ------------------------------------------------------------------------------------


@pytest.fixture
def dev_dir(tmp_path: Path) -> Path:
    ensure_dev_key(tmp_path / "dev-signing-key.pem")
    return tmp_path


def test_token_for_a_person_verifies(dev_dir: Path) -> None:
    result = rights("token", "--as", f"person:{AN}", env={"RIGHTS_DATA_DIR": str(dev_dir)})
    clean_exit(result, 0)
    token = result.output.strip()
    verifier = TokenVerifier(load_settings({"RIGHTS_DATA_DIR": str(dev_dir)}))
    principal = verifier.principal(verifier.verify(token))
    assert principal.kind is PrincipalKind.PERSON
    assert principal.national_number == AN


def test_token_for_a_listing_service_client_carries_the_scope(dev_dir: Path) -> None:
    result = rights("token", "--as", "service:crm", "--scope", "rights:list-persons",
                    env={"RIGHTS_DATA_DIR": str(dev_dir)})
    clean_exit(result, 0)
    verifier = TokenVerifier(load_settings({"RIGHTS_DATA_DIR": str(dev_dir)}))
    principal = verifier.principal(verifier.verify(result.output.strip()))
    assert principal.kind is PrincipalKind.SERVICE and "rights:list-persons" in principal.scopes


def test_token_refused_in_production(dev_dir: Path) -> None:
    result = rights("token", "--as", f"person:{AN}", env=production(dev_dir))
    clean_exit(result, 1)
    assert "outside production" in result.output
    assert "eyJ" not in result.output


def test_token_refused_in_production_even_with_a_dev_key(dev_dir: Path) -> None:
    env = production(dev_dir) | {"RIGHTS_DEV_SIGNING_KEY": str(dev_dir / "dev-signing-key.pem")}
    result = rights("token", "--as", f"person:{AN}", env=env)
    clean_exit(result, 1)
    assert "RIGHTS_DEV_SIGNING_KEY must not be set in production" in result.output
    assert "eyJ" not in result.output


def test_token_refused_in_production_as_a_real_process(dev_dir: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(dev_dir)} | production(dev_dir)
    proc = subprocess.run(
        [str(RIGHTS), "token", "--as", f"person:{AN}"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "outside production" in proc.stderr and "Traceback" not in proc.stderr


def test_token_refused_without_the_key_file(tmp_path: Path) -> None:
    result = rights("token", "--as", f"person:{AN}", env={"RIGHTS_DATA_DIR": str(tmp_path)})
    clean_exit(result, 1)
    assert "dev-signing-key.pem cannot be read" in result.output
    assert not (tmp_path / "dev-signing-key.pem").exists()


@pytest.mark.parametrize("as_", ["nonsense", "person:", "robot:x"])
def test_token_refuses_an_unknown_principal(dev_dir: Path, as_: str) -> None:
    result = rights("token", "--as", as_, env={"RIGHTS_DATA_DIR": str(dev_dir)})
    clean_exit(result, 2)
    assert "Usage:" in result.output and "--as" in result.output


def test_token_refuses_a_lifetime_the_service_would_refuse(dev_dir: Path) -> None:
    env = {"RIGHTS_DATA_DIR": str(dev_dir), "RIGHTS_TOKEN_MAX_LIFETIME_SECONDS": "3600"}
    result = rights("token", "--as", "platform:ops", "--ttl", "3601", env=env)
    clean_exit(result, 2)
    assert "RIGHTS_TOKEN_MAX_LIFETIME_SECONDS" in result.output and "eyJ" not in result.output
    clean_exit(rights("token", "--as", "platform:ops", "--ttl", "3600", env=env), 0)


def test_token_refuses_an_invalid_national_number(dev_dir: Path) -> None:
    result = rights("token", "--as", "person:85073003329", env={"RIGHTS_DATA_DIR": str(dev_dir)})
    clean_exit(result, 1)
    assert "national_number" in result.output and "checksum" in result.output
    assert "eyJ" not in result.output


# --- rights db upgrade, seed, check --------------------------------------------------------------------


def counts(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("created: "))
    return {name: int(n) for name, n in re.findall(r"(\w+) (\d+)", line.removeprefix("created: "))}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, int], dict[str, int]]:
    """One database, migrated and seeded twice; the counts of both runs."""
    env = {"RIGHTS_DATA_DIR": str(tmp_path_factory.mktemp("cli-db"))}
    clean_exit(rights("db", "upgrade", env=env), 0)
    first = rights("seed", env=env)
    clean_exit(first, 0)
    second = rights("seed", env=env)
    clean_exit(second, 0)
    return env, counts(first.output), counts(second.output)


def test_seed_creates_then_changes_nothing(seeded) -> None:
    _, first, second = seeded
    assert {"organisations", "persons", "administrators", "work_relations", "grants"} <= set(first)
    assert all(n > 0 for n in first.values()), first
    assert second == dict.fromkeys(first, 0)


def test_check_allows_the_granted_measure(seeded) -> None:
    env, _, _ = seeded
    result = rights("check", "--person", AN, "--organisation", BAKERY, "--role", WSE_ROLE, "--measure", "VOP", env=env)
    clean_exit(result, 0)
    assert result.output.startswith("ALLOWED (granted)")


def test_check_denies_another_measure(seeded) -> None:
    env, _, _ = seeded
    result = rights("check", "--person", AN, "--organisation", BAKERY, "--role", WSE_ROLE, "--measure", "AWI", env=env)
    clean_exit(result, 1)
    assert result.output.startswith("DENIED (no_grant)")


def test_check_refuses_a_wrong_checksum(seeded) -> None:
    env, _, _ = seeded
    result = rights(
        "check", "--person", AN, "--organisation", "0723.145.689", "--role", WSE_ROLE, "--measure", "VOP", env=env
    )
    clean_exit(result, 1)
    assert "organisation: Invalid identifier: the check digits do not match" in result.output
    assert "ALLOWED" not in result.output and "DENIED" not in result.output


def test_seed_refused_in_production(tmp_path: Path) -> None:
    result = rights("seed", env=production(tmp_path))
    clean_exit(result, 1)
    assert "demo seeds are refused in production" in result.output
    assert not (tmp_path / "rights.db").exists()
