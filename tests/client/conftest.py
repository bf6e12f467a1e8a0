"""A real `rights serve` process on a free port, with a fresh SQLite data directory and the demo data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rights.api.tokens import ensure_dev_key, mint_dev_token
from rights.domain.ports import PrincipalKind
from rights.settings import Settings, load_settings
from tests.readiness import wait_ready

RIGHTS = Path(sys.executable).with_name("rights")
SOFIE, AN = "90021714288", "85073003328"  # seeds/demo.yaml: Sofie administers Bakkerij Peeters, An holds VOP
BAKKERIJ = "0723145688"


@dataclass
class Server:
    url: str
    settings: Settings

    def token(self, kind: PrincipalKind, subject: str) -> str:
        return mint_dev_token(self.settings, kind, subject)

    @property
    def service(self) -> str:
        """A desk that may also list who may act for an organisation (the explicit listing scope)."""
        return mint_dev_token(self.settings, PrincipalKind.SERVICE, "client-tests",
                              scopes=(self.settings.check_scope, self.settings.persons_list_scope))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("rights-client")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    env.update(RIGHTS_DATA_DIR=str(data), RIGHTS_PORT=str(port), RIGHTS_LOG_FORMAT="json")
    settings = load_settings(env)
    ensure_dev_key(settings.dev_signing_key)  # type: ignore[arg-type]  # the server reuses it
    # The log goes to a file: a pipe nobody reads fills up and blocks the server mid-request.
    log = data / "server.log"
    with log.open("w") as err:
        proc = subprocess.Popen([str(RIGHTS), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=err)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, log=log)
        yield Server(url, settings)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
