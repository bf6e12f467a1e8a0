"""``rights mail``: drain the outbox once (``send``) or until stopped (``work``), or show what waits in it
(``rights serve`` runs the worker itself when RIGHTS_SMTP_HOST is set)."""

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


@mail_group.command("work")
@click.option("--smtp-host", default=None, help="Overrides RIGHTS_SMTP_HOST.")
@click.option("--smtp-port", type=int, default=None, help="Overrides RIGHTS_SMTP_PORT.")
@click.option("--poll-seconds", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              help="How often the outbox is read.")
def work(smtp_host: str | None, smtp_port: int | None, poll_seconds: float) -> None:
    """Send due e-mails until stopped (SIGTERM or Ctrl-C): the outbox worker as its own process.

    Several workers (and `rights serve` with RIGHTS_SMTP_HOST set) may run at once: each e-mail is
    claimed by one of them."""
    import signal

    from rights.cli import _settings
    from rights.logging import configure_logging
    from rights.mail.sender import OutboxWorker, SmtpSender
    from rights.mail.sql import SqlOutbox
    from rights.storage.engine import build_engine

    settings = _settings(smtp_host=smtp_host, smtp_port=smtp_port)
    if not settings.smtp_host:
        raise click.ClickException("no SMTP relay: set RIGHTS_SMTP_HOST or pass --smtp-host")
    configure_logging(settings.log_level, settings.log_format)

    async def run() -> None:
        engine = build_engine(settings.database)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        sender = SmtpSender(settings.smtp_host, settings.smtp_port, settings.mail_from)
        worker = OutboxWorker(SqlOutbox(engine), sender, poll_seconds=poll_seconds)
        worker.start()
        click.echo(f"outbox worker: sending through {settings.smtp_host}:{settings.smtp_port}")
        try:
            await stop.wait()
        finally:
            await worker.stop()
            await engine.dispose()

    asyncio.run(run())


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
