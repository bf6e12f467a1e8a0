"""Run deploy/mailcatcher.py (not a package module) in this process on free loopback ports."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.deploy.helpers import DEPLOY
from tests.test_serve import free_port


def load_module() -> Any:
    spec = importlib.util.spec_from_file_location("rights_deploy_mailcatcher", DEPLOY / "mailcatcher.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Catcher:
    smtp_port: int
    web: str

    def messages(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.web}/messages.json", timeout=5).json()


@contextmanager
def running_catcher() -> Iterator[Catcher]:
    from aiosmtpd.controller import Controller

    module = load_module()
    mailbox = module.Mailbox()
    smtp_port, http_port = free_port(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    web = module.make_http_server(mailbox, "127.0.0.1", http_port)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        yield Catcher(smtp_port, f"http://127.0.0.1:{http_port}")
    finally:
        web.shutdown()
        web.server_close()
        smtp.stop()
