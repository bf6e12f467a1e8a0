"""CHANGELOG.md keeps the Keep a Changelog shape, and the API version in the OpenAPI document is the package's."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from rights import __version__

ROOT = Path(__file__).resolve().parents[1]


def test_changelog_has_unreleased_and_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog")
    assert "keepachangelog.com" in text
    versions = re.findall(r"^## \[([^\]]+)\]", text, flags=re.M)
    assert versions[0] == "Unreleased"
    assert __version__ in versions, f"CHANGELOG.md has no section for {__version__}"
    sections = set(re.findall(r"^### (\w+)", text, flags=re.M))
    assert sections <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, sections


def test_package_version_is_one_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == __version__
