"""``rights mail send`` drains the outbox through a real SMTP server; ``status`` counts without addresses."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner

from rights.cli import main
from rights.mail.ports import NewMail
from rights.mail.sql import SqlOutbox
from rights.storage.engine import build_engine
from rights.storage.migrate import upgrade
from tests.conftest import run_in_thread


async def _queue_one(url: str) -> None:
    await upgrade(url)
    engine = build_engine(url)
    try:
        await SqlOutbox(engine).enqueue([NewMail(kind="t", recipient="a@example.be", subject="s", body="b")],
                                        now=datetime.now(UTC))
    finally:
        await engine.dispose()


def test_mail_send_and_status(sqlite_url: str, smtp, monkeypatch) -> None:
    inbox, port = smtp
    run_in_thread(_queue_one, sqlite_url)
    monkeypatch.setenv("RIGHTS_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    assert "pending 1" in runner.invoke(main, ["mail", "status"]).output
    refused = runner.invoke(main, ["mail", "send"])
    assert refused.exit_code != 0 and "RIGHTS_SMTP_HOST" in refused.output
    result = runner.invoke(main, ["mail", "send", "--smtp-host", "127.0.0.1", "--smtp-port", str(port)])
    assert result.exit_code == 0 and "sent 1 e-mail(s)" in result.output, result.output
    assert [m["To"] for m in inbox.messages] == ["a@example.be"]
    status = runner.invoke(main, ["mail", "status"]).output
    assert "sent 1" in status and "example.be" not in status
