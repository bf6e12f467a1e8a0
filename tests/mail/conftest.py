"""Outboxes to run one conformance suite against (memory, SQLite, PostgreSQL), and a real SMTP server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from rights.mail.memory import MemoryOutbox
from rights.mail.sql import SqlOutbox
from rights.storage.engine import build_engine


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def outbox(request: pytest.FixtureRequest) -> AsyncIterator[MemoryOutbox | SqlOutbox]:
    if request.param == "memory":
        yield MemoryOutbox()
        return
    from rights.storage.migrate import upgrade
    from tests.conftest import run_in_thread

    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    run_in_thread(upgrade, url)
    engine = build_engine(url)
    try:
        yield SqlOutbox(engine)
    finally:
        await engine.dispose()


@dataclass
class Inbox:
    """What a real SMTP server (aiosmtpd) on a loopback port received."""

    messages: list[Message] = field(default_factory=list)
    refuse: str | None = None  # e.g. "550 no such user" or "451 try later" to refuse every message

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
        if self.refuse:
            return self.refuse
        msg = message_from_bytes(envelope.content)
        msg["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
