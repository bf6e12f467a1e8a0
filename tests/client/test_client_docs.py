"""The Python examples of docs/client.md (and the README's pointer to them) run against a live server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live_rights import Served, serve_the_readme_way

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    with serve_the_readme_way(tmp_path_factory.mktemp("client-docs")) as s:
        yield s


def python_examples(path: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", path.read_text(encoding="utf-8"), re.S | re.M)


def run_examples(served: Served, tmp_path: Path, path: Path) -> int:
    examples = python_examples(path)
    for n, code in enumerate(examples):  # each in a fresh interpreter, as a reader would paste it
        script = tmp_path / f"{path.stem}_{n}.py"
        script.write_text(code, encoding="utf-8")
        done = subprocess.run([sys.executable, str(script)], env=served.env(), cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{path.name} example {n + 1} failed:\n{code}\n{done.stderr}"
    return len(examples)


def test_readme_client_example_runs(served: Served, tmp_path: Path) -> None:
    readme = ROOT / "README.md"
    assert "docs/client.md" in readme.read_text(encoding="utf-8")
    assert run_examples(served, tmp_path, readme) >= 1


def test_docs_client_examples_run_in_order(served: Served, tmp_path: Path) -> None:
    # After the README's (a check): the second example revokes An's VOP right.
    assert run_examples(served, tmp_path, ROOT / "docs" / "client.md") >= 3
