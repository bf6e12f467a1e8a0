"""python-ldap is to become an optional extra: only rights.directory imports it, and what the API uses
of the directory (status for /readyz, the state gauges for /metrics) works without it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "rights"


def test_only_the_directory_package_imports_ldap() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if SRC / "directory" in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(SRC)}: {n}" for n in names if n == "ldap" or n.startswith("ldap.")]
    assert offenders == []


def test_the_api_and_directory_status_import_without_python_ldap() -> None:
    code = ("import sys; sys.modules['ldap'] = None\n"
            "import rights.api.app, rights.directory.status, rights.directory.metrics, rights.cli\n"
            "assert 'ldap' not in [m for m in sys.modules if sys.modules[m] is not None]\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
