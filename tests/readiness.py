"""Waiting for a `rights serve` a test started: /readyz answers 200, or the test fails with the server's log."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest


def wait_ready(base: str, proc: subprocess.Popen, *, log: Path | None = None, bound: float = 60.0) -> None:
    """Poll ``base``/readyz until it answers 200. A bound on "starts at all", not a speed requirement."""
    deadline = time.monotonic() + bound
    while True:
        if proc.poll() is not None:
            pytest.fail(f"rights serve exited ({proc.returncode}): {log.read_text() if log else ''}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"rights serve did not become ready within {bound:.0f} s: {log.read_text() if log else ''}")
        time.sleep(0.2)
