"""The core imports no framework: only the standard library, msgspec and python-stdnum."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import rights.domain

ALLOWED_THIRD_PARTY = {"msgspec", "stdnum"}
DOMAIN = Path(rights.domain.__file__).parent


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_no_framework() -> None:
    offenders = {}
    for path in DOMAIN.rglob("*.py"):
        foreign = {
            r for r in imported_roots(path)
            if r not in sys.stdlib_module_names and r not in ALLOWED_THIRD_PARTY and r != "rights"
        }
        internal = {r for r in imported_roots(path) if r == "rights"}
        if foreign:
            offenders[str(path.relative_to(DOMAIN))] = sorted(foreign)
        # Inside the package, the core may import only the core.
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rights.") and internal:
                if not node.module.startswith("rights.domain"):
                    offenders.setdefault(str(path.relative_to(DOMAIN)), []).append(node.module)
    assert offenders == {}


def test_the_check_can_see_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom litestar import get\n")
    assert {"sqlalchemy", "litestar"} <= imported_roots(bad)
