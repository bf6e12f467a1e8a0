"""Issue 15 item 8: every library imported under src/ is declared in pyproject.toml, python-ldap only
as the optional extra ``rights[ldap]``, and the directory commands say clearly when it is missing."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]).lower()


def imported_top_level_modules() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src" / "rights").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"rights", "__future__"}


def test_every_imported_library_is_declared() -> None:
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    optional = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["ldap"]}
    distributions = importlib.metadata.packages_distributions()
    undeclared = {}
    for module in sorted(imported_top_level_modules()):
        dists = {_name(d) for d in distributions.get(module, [module])}
        if module == "ldap":
            assert dists & optional, "python-ldap belongs in the `ldap` extra"
        elif not dists & declared:
            undeclared[module] = sorted(dists)
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_python_ldap_is_an_optional_extra_that_dev_installs() -> None:
    assert "python-ldap" not in {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    assert "python-ldap" in {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["ldap"]}
    assert "rights[ldap]" in PYPROJECT["project"]["optional-dependencies"]["dev"]


@pytest.fixture
def without_ldap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate a deployment installed without the extra: ``import ldap`` fails."""
    for name in [m for m in sys.modules if m == "ldap" or m.startswith("ldap.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ldap", None)  # makes `import ldap` raise ImportError


@pytest.mark.parametrize("command", [["ldap", "sync", "--dry-run"], ["ldap", "provision"],
                                     ["ldap", "follow"]])
def test_directory_commands_say_the_extra_is_missing(without_ldap, command, tmp_path: Path) -> None:
    from rights.cli import main

    result = CliRunner().invoke(main, command, env={"RIGHTS_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1, result.output
    assert "rights[ldap]" in result.output and "Traceback" not in result.output


def test_the_rest_of_the_cli_runs_without_python_ldap(without_ldap) -> None:
    from rights.cli import main

    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0 and "ldap" in result.output


def test_the_api_builds_without_python_ldap(without_ldap, tmp_path: Path) -> None:
    from rights.api.app import create_app
    from rights.api.tokens import ensure_dev_key
    from rights.settings import load_settings

    ensure_dev_key(tmp_path / "dev-signing-key.pem")
    settings = load_settings({"RIGHTS_DATA_DIR": str(tmp_path),
                              "RIGHTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/r.db"})
    assert create_app(settings) is not None


def test_the_api_with_an_ldap_mapping_refuses_to_start_without_python_ldap(without_ldap, tmp_path: Path) -> None:
    from rights.api.app import create_app
    from rights.directory.available import LdapMissing
    from rights.settings import load_settings

    settings = load_settings({"RIGHTS_DATA_DIR": str(tmp_path), "RIGHTS_LDAP_MAPPING": str(tmp_path / "m.yaml"),
                              "RIGHTS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/r.db"})
    with pytest.raises(LdapMissing, match=r"rights\[ldap\]"):
        create_app(settings)
