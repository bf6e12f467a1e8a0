"""``rights succession``: enter, preview, apply, list and withdraw successions (issue 17).

Each body calls the same use cases as the API (rights.domain.services.successions), as the platform.
See docs/successions.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import click

from rights.recertify import BRUSSELS


def _run(call: Callable[[Any, Any], Awaitable[Any]]) -> Any:
    from rights.cli import _services, _settings
    from rights.domain.errors import DomainError
    from rights.domain.ports import Caller, PrincipalKind

    async def run() -> Any:
        services = _services(_settings())
        try:
            return await call(services, Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="cli"))
        finally:
            await services.core.store.close()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        raise click.ClickException(f"{exc.field}: {exc.message_en}") from None


def _echo_view(view: Any) -> None:
    s, plan = view.succession, view.plan
    names = {k: o.name for k, o in view.organisations.items()}
    click.echo(f"{s.id}  {s.kind.value}  {s.status.value}  effective {s.effective_at.isoformat()}")
    click.echo("  predecessors: " + ", ".join(f"{names.get(o, o)} ({o})" for o in s.predecessor_ids))
    click.echo("  successors:   " + ", ".join(f"{names.get(o, o)} ({o})" for o in s.successor_ids))
    for i in plan.items:
        right = f" {i.role}" + (f"-{i.measure}" if i.measure else "") if i.role else ""
        to = f" -> {names.get(i.to, i.to)}" if i.to and ">" not in i.to else (f" -> {i.to}" if i.to else "")
        click.echo(f"  {i.outcome:32} {i.item:14} {i.person_id or ''}{right} from {names.get(i.organisation_id)}{to}")
    moves = sum(1 for i in plan.items if i.moves)
    click.echo(f"  {moves} move(s), {len(plan.open_items)} left for a decision"
               + (f"; blocked: {', '.join(plan.blocking)}" if plan.blocking else ""))


@click.group("succession")
def succession_group() -> None:
    """Organisations that merge, split, are absorbed or renumbered: rights follow the organisation."""


@succession_group.command("enter")
@click.option("--kind", type=click.Choice(["merger", "absorption", "split", "renumbering"]), required=True)
@click.option("--source", type=click.Choice(["decree", "kbo", "register"]), default="decree", show_default=True)
@click.option("--predecessor", "predecessors", multiple=True, required=True, help="Any identifier or id; repeat.")
@click.option("--successor", "successors", multiple=True, required=True, help="Any identifier or id; repeat.")
@click.option("--effective", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"]), required=True,
              help="The date it takes effect (a day starts at 00:00 Brussels time).")
@click.option("--reason", required=True, help="Why: the decree, the KBO publication ...")
@click.option("--assign", "assignments", multiple=True, metavar="PERSON=ORGANISATION",
              help="Split: the successor a person goes to; repeat.")
def enter(kind: str, source: str, predecessors: tuple[str, ...], successors: tuple[str, ...], effective: datetime,
          reason: str, assignments: tuple[str, ...]) -> None:
    """Enter a succession (proposed) and print its plan; nothing moves until `apply`."""
    import msgspec

    from rights.domain.commands import NewSuccession

    cmd = msgspec.convert({
        "kind": kind, "source": source, "predecessors": predecessors, "successors": successors,
        "effective_at": effective if effective.tzinfo else effective.replace(tzinfo=BRUSSELS), "reason": reason,
        "assignments": dict(a.split("=", 1) for a in assignments if "=" in a)}, NewSuccession)

    async def call(services: Any, caller: Any) -> Any:
        w = await services.successions.enter(caller, cmd)
        return await services.successions.preview(caller, w.value.id)

    _echo_view(_run(call))


@succession_group.command("show")
@click.argument("succession_id")
def show(succession_id: str) -> None:
    """The succession and its plan (the preview while proposed, what was done once applied)."""
    _echo_view(_run(lambda services, caller: services.successions.get(caller, succession_id)))


@succession_group.command("apply")
@click.argument("succession_id")
@click.option("--assign", "assignments", multiple=True, metavar="PERSON=ORGANISATION")
def apply(succession_id: str, assignments: tuple[str, ...]) -> None:
    """Confirm: carry out the plan in one transaction and one change."""
    from rights.domain.commands import SuccessionApply

    cmd = SuccessionApply(assignments=dict(a.split("=", 1) for a in assignments if "=" in a))

    async def call(services: Any, caller: Any) -> Any:
        return await services.successions.apply(caller, succession_id, cmd)

    written = _run(call)
    _echo_view(written.value)
    click.echo(f"applied at revision {written.revision}")


@succession_group.command("list")
@click.option("--organisation", default=None, help="Only successions naming this organisation.")
def list_successions(organisation: str | None) -> None:
    for s in _run(lambda services, caller: services.successions.list(caller, organisation=organisation)):
        click.echo(f"{s.id}  {s.kind.value:11}  {s.status.value:9}  {s.effective_at.date().isoformat()}  "
                   f"{','.join(s.predecessor_ids)} -> {','.join(s.successor_ids)}")


@succession_group.command("withdraw")
@click.argument("succession_id")
@click.option("--reason", required=True)
def withdraw(succession_id: str, reason: str) -> None:
    _run(lambda services, caller: services.successions.withdraw(caller, succession_id, reason))
    click.echo(f"withdrawn {succession_id}")
