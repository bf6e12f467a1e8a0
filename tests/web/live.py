"""A live server and a browser page for the Chromium tests: one place for the start, wait and stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page


@contextmanager
def serve(app: Any, port: int) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1:``port`` in a thread (with its lifespan) until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, ws="none", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def open_page(browser: Browser, base_url: str, **options: Any) -> Iterator[Page]:
    """A fresh browser context (no cookies shared between tests) in Belgian Dutch."""
    context = browser.new_context(base_url=base_url, locale="nl-BE", **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Every screen runs under the Content-Security-Policy (issue 10, item 13): anything it blocks fails.
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        yield page
        assert not blocked, f"the Content-Security-Policy blocked: {blocked}"
    finally:
        context.close()
