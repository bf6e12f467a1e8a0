"""Reading deploy/: the compose file with its ${VAR:-default} interpolation, and the documented settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS_DOC = ROOT / "docs" / "settings.md"
_ROW = re.compile(r"^\|\s*`(?P<var>RIGHTS_[A-Z0-9_]+)`\s*\|")
_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")


def documented_settings() -> set[str]:
    return {m["var"] for line in SETTINGS_DOC.read_text(encoding="utf-8").splitlines() if (m := _ROW.match(line))}


def load_compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def interpolate(value: object, shell: Mapping[str, str] | None = None) -> str:
    """A compose value as compose would pass it, given the shell's variables (none by default)."""
    shell = shell or {}
    return _INTERPOLATION.sub(lambda m: shell.get(m["name"]) or (m["default"] or ""), str(value))


def service_environment(service: dict[str, Any], shell: Mapping[str, str] | None = None) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: interpolate(v, shell) for k, v in env.items()}


def rights_command(service: dict[str, Any]) -> list[str]:
    """The `rights` arguments a service runs: its command after the image's entry point `rights`."""
    entrypoint = service.get("entrypoint")
    if entrypoint:
        script = " ".join(entrypoint)
        m = re.search(r"\brights ([a-z][a-z -]*)", script)
        assert m, f"entry point runs no rights command: {script}"
        return m.group(1).split()
    return list(service.get("command") or ["serve"])
