"""`rights serve` started the README's way: a fresh SQLite data directory, the demo seed loaded at start,
and the ``export …_TOKEN=…`` lines it prints, ready for shell and Python examples."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.readiness import wait_ready

RIGHTS = Path(sys.executable).with_name("rights")


@dataclass
class Served:
    url: str
    port: int
    tokens: dict[str, str]  # DESK_TOKEN, SOFIE_TOKEN, … as printed

    def env(self) -> dict[str, str]:
        """The environment a reader has after pasting the printed exports (and RIGHTS_URL for the client)."""
        return {**{k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}, **self.tokens,
                "RIGHTS_URL": self.url}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_the_readme_way(data_dir: Path) -> Iterator[Served]:
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATA_DIR=str(data_dir / "var"), RIGHTS_PORT=str(port), RIGHTS_LOG_FORMAT="json")
    out = data_dir / "stdout.txt"
    with out.open("w") as stdout:
        proc = subprocess.Popen([str(RIGHTS), "serve"], env=env, stdout=stdout, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, log=out, bound=90)
        tokens = dict(re.findall(r"export (\w+_TOKEN)=(\S+)", out.read_text()))
        assert {"DESK_TOKEN", "SOFIE_TOKEN", "AN_TOKEN", "HELPLINE_TOKEN"} <= set(tokens)
        yield Served(url, port, tokens)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
