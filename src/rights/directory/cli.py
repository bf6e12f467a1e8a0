"""``rights ldap sync | follow | provision | status``: thin commands over rights.directory."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import click


def _load(mapping_path: Path | None):
    from rights.cli import _services, _settings
    from rights.directory.available import LdapMissing, require_ldap
    from rights.directory.mapping import MappingError, load_mapping

    try:
        require_ldap()
    except LdapMissing as exc:
        raise click.ClickException(str(exc)) from None
    settings = _settings()
    path = mapping_path or settings.ldap_mapping
    if path is None:
        raise click.ClickException("no mapping file: pass --mapping or set RIGHTS_LDAP_MAPPING")
    try:
        return _services(settings), load_mapping(path)
    except MappingError as exc:
        raise click.ClickException(str(exc)) from None


def _run(coro_fn) -> None:
    from rights.directory.client import DirectoryUnavailable

    try:
        asyncio.run(coro_fn())
    except DirectoryUnavailable as exc:
        raise click.ClickException(str(exc)) from None


mapping_option = click.option("--mapping", "mapping_path", type=click.Path(path_type=Path, dir_okay=False),
                              help="Mapping file (default: $RIGHTS_LDAP_MAPPING).")


@click.group("ldap")
def ldap_group() -> None:
    """LDAP directory: sync in, provision out (docs/ldap.md)."""


@ldap_group.command("sync")
@mapping_option
@click.option("--dry-run", is_flag=True, help="Print the plan as a diff; write nothing.")
@click.option("--full", is_flag=True, help="Read everything (paged search) instead of from the stored cookie.")
def sync_command(mapping_path: Path | None, dry_run: bool, full: bool) -> None:
    """Bring rights in step with the directory once."""
    services, mapping = _load(mapping_path)

    async def go() -> None:
        from rights.directory.syncrepl import sync_once

        try:
            report = await sync_once(services.core, mapping, full=full, dry_run=dry_run)
        finally:
            await services.core.store.close()
        click.echo(report.text(), nl=False)

    _run(go)


@ldap_group.command("follow")
@mapping_option
@click.option("--metrics-port", type=int, default=None, help="Serve Prometheus metrics on this port.")
@click.option("--repair-every", type=float, default=3600.0, show_default=True,
              help="Seconds between provisioning repair passes.")
@click.option("--lock", "hold_lock", is_flag=True,
              help="Run only while holding the database's follower lock (one active follower per deployment).")
def follow_command(mapping_path: Path | None, metrics_port: int | None, repair_every: float, hold_lock: bool) -> None:
    """Follow the directory (syncrepl, or polling) and publish grants, until SIGINT/SIGTERM."""
    services, mapping = _load(mapping_path)
    from rights.cli import _settings
    from rights.storage.locks import AdvisoryLock

    lock = AdvisoryLock(_settings().database, "rights ldap follow") if hold_lock else None

    async def go() -> None:
        from rights.directory.provision import provision_follow
        from rights.directory.syncrepl import follow

        if metrics_port:
            from prometheus_client import start_http_server

            start_http_server(metrics_port, addr="127.0.0.1")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            if lock is not None and not await lock.acquire(stop):
                return
            tasks = []
            if mapping.sync is not None:
                tasks.append(follow(services.core, mapping, stop))
            if mapping.provisioning is not None:
                tasks.append(provision_follow(services.core, mapping, stop, repair_every=repair_every))
            await asyncio.gather(*tasks)
        finally:
            if lock is not None:
                await lock.release()
            await services.core.store.close()

    _run(go)


@ldap_group.command("provision")
@mapping_option
@click.option("--repair", is_flag=True, help="Compare with the directory itself; fix and report hand edits.")
def provision_command(mapping_path: Path | None, repair: bool) -> None:
    """Publish active grants as groupOfNames entries once."""
    services, mapping = _load(mapping_path)
    if mapping.provisioning is None:
        raise click.ClickException("the mapping has no provisioning section")

    async def go() -> None:
        from rights.directory.provision import provision

        try:
            report, _ = await provision(services.core, mapping, repair=repair)
        finally:
            await services.core.store.close()
        click.echo(report.text(), nl=False)

    _run(go)


@ldap_group.command("status")
def status_command() -> None:
    """Last sync and provisioning runs, their counts and errors (as on /readyz)."""
    from rights.cli import _services, _settings
    from rights.directory.status import directory_status

    services = _services(_settings())

    async def go() -> None:
        try:
            click.echo(json.dumps(await directory_status(services.core.store), indent=2))
        finally:
            await services.core.store.close()

    asyncio.run(go())


by_option = click.option("--by", "operator", required=True,
                         help="Who confirms (your user name): recorded in the change log and the audit trail.")


@ldap_group.command("confirm-identity")
@mapping_option
@click.argument("key")
@by_option
def confirm_identity_command(mapping_path: Path | None, key: str, operator: str) -> None:
    """Accept a held national-number change (KEY: the entry UUID in `rights ldap status`) as a correction."""
    from rights.directory.holds import HoldError, confirm_identity
    from rights.domain.ports import Caller, PrincipalKind

    services, mapping = _load(mapping_path)
    caller = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject=f"operator:{operator}")

    async def go() -> None:
        try:
            click.echo(await confirm_identity(services.core, mapping, key, caller))
        except HoldError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            await services.core.store.close()

    asyncio.run(go())


@ldap_group.command("confirm-removal")
@click.argument("key")
@by_option
def confirm_removal_command(key: str, operator: str) -> None:
    """Apply a held removal of an organisation's last (main) administrator (KEY from `rights ldap status`)."""
    from rights.cli import _services, _settings
    from rights.directory.holds import HoldError, confirm_removal
    from rights.domain.ports import Caller, PrincipalKind

    services = _services(_settings())
    caller = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject=f"operator:{operator}")

    async def go() -> None:
        try:
            click.echo(await confirm_removal(services.core, key, caller))
        except HoldError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            await services.core.store.close()

    asyncio.run(go())
