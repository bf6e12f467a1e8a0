"""No token, password or full national register number reaches a log line."""

from __future__ import annotations

import io
import logging

import pytest
import structlog

from rights.logging import configure_logging, scrub_text
from tests.api.conftest import Api, World

VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}


@pytest.fixture
def captured_logs():
    configure_logging("DEBUG", "json")
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    original = handler.stream
    handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(original)
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()


async def test_requests_leave_no_secrets_in_the_logs(api: Api, world: World, captured_logs: io.StringIO) -> None:
    nrn = world.numbers["an"]
    token = api.auth("service:desk")["Authorization"].split()[1]
    await api.client.post("/v1/check", headers={"Authorization": f"Bearer {token}"},
                          json={"person": nrn, "organisation": world.dupre["id"], **VOP})
    await api.call("GET", f"/v1/persons/{nrn}/claims", f"person:{nrn}", expect=200)
    await api.call("GET", "/v1/persons/85.07.30-033.28", f"person:{nrn}", expect=200)
    structlog.get_logger("test").info("login", authorization=f"Bearer {token}", password="hunter2", note=f"nn {nrn}")
    output = captured_logs.getvalue()
    assert '"request_id"' in output and "/v1/persons/85.07.30-***.**/claims" in output
    assert nrn not in output and "033.28" not in output
    assert token not in output and token[:20] not in output
    assert "hunter2" not in output


@pytest.mark.parametrize(("text", "expected"), [
    ("85073003328", "85.07.30-***.**"),
    ("user 85.07.30-033.28 logged in", "user 85.07.30-***.** logged in"),
    ("85073003329 (bad check digits still masked)", "*********** (bad check digits still masked)"),
    ("enterprise 0207509031 stays", "enterprise 0207509031 stays"),
    ("Authorization: Bearer abc.def", "Authorization: Bearer [token]"),
])
def test_scrub_text(text: str, expected: str) -> None:
    assert scrub_text(text) == expected
