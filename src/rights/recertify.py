"""``rights recertify``: start a recertification campaign, list campaigns, and the periodic tick
(reminders, then the deadlines) for cron or a Kubernetes CronJob. See docs/operations.md."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click

BRUSSELS = ZoneInfo("Europe/Brussels")


def end_of_day(day: date) -> datetime:
    """``--deadline 2027-03-31`` means: decided before 1 April 2027 00:00 in Brussels."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=BRUSSELS)


@click.group("recertify")
def recertify_group() -> None:
    """Recertification campaigns: administrators confirm or revoke old grants before a deadline."""


@recertify_group.command("start")
@click.option("--title", required=True, help="Shown to administrators and in the revoke reason.")
@click.option("--older-than-days", type=click.IntRange(0, 36_500), required=True,
              help="Grants at least this many days old (since granted, started or last confirmed).")
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="Last day (Brussels time) to decide; what is not confirmed is revoked after it.")
@click.option("--organisation", default=None, help="Only this organisation (any identifier form or id).")
def start(title: str, older_than_days: int, deadline: datetime, organisation: str | None) -> None:
    """Start a campaign over every active grant old enough (all organisations, or one)."""
    from rights.cli import _services, _settings
    from rights.domain.errors import DomainError
    from rights.domain.ports import Caller, PrincipalKind
    from rights.domain.services.recertification import NewCampaign

    async def run():  # noqa: ANN202
        services = _services(_settings())
        try:
            caller = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="cli")
            return await services.recertification.start(caller, NewCampaign(
                title=title, min_age_days=older_than_days, deadline=end_of_day(deadline.date()),
                organisation=organisation))
        finally:
            await services.core.store.close()

    try:
        started = asyncio.run(run()).value
    except DomainError as exc:
        raise click.ClickException(f"{exc.field}: {exc.message_en}") from None
    c = started.campaign
    click.echo(f"started {c.id} '{c.title}': {started.items} grant(s) to recertify before {c.deadline.isoformat()}")


@recertify_group.command("list")
def list_campaigns() -> None:
    """Campaigns, newest first, with how many items are pending, confirmed, revoked, expired."""
    from rights.cli import _services, _settings
    from rights.domain.ports import Caller, PrincipalKind

    async def run():  # noqa: ANN202
        services = _services(_settings())
        try:
            return await services.recertification.campaigns(Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="cli"))
        finally:
            await services.core.store.close()

    for o in asyncio.run(run()):
        counts = ", ".join(f"{k} {v}" for k, v in o.counts.items())
        click.echo(f"{o.campaign.id}  {o.campaign.status.value:6}  deadline {o.campaign.deadline.isoformat()}  "
                   f"'{o.campaign.title}'  {counts}")


@recertify_group.command("tick")
@click.option("--remind-every-days", type=click.IntRange(1, 365), default=7, show_default=True,
              help="At most one reminder per organisation per this many days.")
def tick(remind_every_days: int) -> None:
    """Queue reminders, then revoke what was not confirmed by each passed deadline (safe to run often,
    twice, or from two places at once)."""
    from rights.cli import _services, _settings
    from rights.mail.reminders import OutboxReminders
    from rights.mail.sql import SqlOutbox

    settings = _settings()

    async def run():  # noqa: ANN202
        services = _services(settings)
        try:
            queue = OutboxReminders(SqlOutbox(services.core.store.engine))
            return await services.recertification.tick(queue, base_url=settings.base_url,
                                                       every_days=remind_every_days)
        finally:
            await services.core.store.close()

    r = asyncio.run(run())
    click.echo(f"reminders queued {r.reminders}; campaigns closed {r.closed}: "
               f"revoked {r.revoked}, already ended {r.expired}")
