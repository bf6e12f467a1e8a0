"""``rights mail``: drain the outbox once, or show what waits in it (``rights serve`` runs the worker
itself when RIGHTS_SMTP_HOST is set)."""

from __future__ import annotations

import asyncio

import click


@click.group("mail")
def mail_group() -> None:
    """The e-mail outbox (helpline forwards)."""


@mail_group.command("send")
@click.option("--smtp-host", default=None, help="Overrides RIGHTS_SMTP_HOST.")
@click.option("--smtp-port", type=int, default=None, help="Overrides RIGHTS_SMTP_PORT.")
def send(smtp_host: str | None, smtp_port: int | None) -> None:
    """Send every due e-mail now, then stop (for cron, or a separate worker process)."""
    from rights.cli import _settings
    from rights.mail.sender import OutboxWorker, SmtpSender
    from rights.mail.sql import SqlOutbox
    from rights.storage.engine import build_engine

    settings = _settings(smtp_host=smtp_host, smtp_port=smtp_port)
    if not settings.smtp_host:
        raise click.ClickException("no SMTP relay: set RIGHTS_SMTP_HOST or pass --smtp-host")

    async def run() -> int:
        engine = build_engine(settings.database)
        try:
            sender = SmtpSender(settings.smtp_host, settings.smtp_port, settings.mail_from)
            return await OutboxWorker(SqlOutbox(engine), sender).run_once()
        finally:
            await engine.dispose()

    click.echo(f"sent {asyncio.run(run())} e-mail(s)")


@mail_group.command("status")
def status() -> None:
    """How many e-mails are pending, being sent, sent and failed (no addresses)."""
    from rights.cli import _settings
    from rights.mail.sql import SqlOutbox
    from rights.storage.engine import build_engine

    settings = _settings()

    async def run() -> dict[str, int]:
        engine = build_engine(settings.database)
        try:
            counts: dict[str, int] = {}
            for m in await SqlOutbox(engine).list():
                counts[m.status.value] = counts.get(m.status.value, 0) + 1
            return counts
        finally:
            await engine.dispose()

    counts = asyncio.run(run())
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "outbox is empty")
