"""The ``rights`` command: one sub-command per concern, each a few lines calling the service.

Imports happen inside the commands so ``rights --help`` stays fast and side-effect free.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import click

from rights.settings import Settings, SettingsError, load_settings

DEMO_PRINCIPALS = (
    # (shell variable, who, kind, subject): the persons are those of seeds/demo.yaml
    (
        "BERT_TOKEN",
        "Bert, legal representative and main administrator of Bakkerij Peeters",
        "person",
        "62110402174",
    ),
    ("SOFIE_TOKEN", "Sofie, local administrator of Bakkerij Peeters", "person", "90021714288"),
    ("AN_TOKEN", "An, employee of Bakkerij Peeters who holds the VOP right", "person", "85073003328"),
    ("HELPLINE_TOKEN", "a 1700 helpline operator", "helpline", "operator-demo"),
    ("DESK_TOKEN", "the WSE-loket (service client: checks only)", "service", "wse-loket"),
    ("PLATFORM_TOKEN", "a platform administrator", "platform", "platform-demo"),
)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(os.environ, **overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _services(settings: Settings):
    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.storage import create_store

    catalogue = load_catalogue(settings.policies_dir or default_policies_dir())
    return build_services(create_store(settings.database), catalogue)


def _seeds_dir(settings: Settings) -> Path:
    from rights.policies import default_policies_dir

    return settings.seeds_dir or default_policies_dir().parent / "seeds"


@click.group()
def main() -> None:
    """rights: who may act for which organisation, with which right, on which measure."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the latest schema."""
    from rights.storage.migrate import upgrade_sync

    settings = _settings()
    upgrade_sync(settings.database, service_role=settings.database_service_role or None)
    click.echo("database is at the latest revision")


@main.group()
def index() -> None:
    """The decision index's snapshot (RIGHTS_INDEX_SNAPSHOT)."""


@index.command("snapshot")
@click.option("--to", "path", type=click.Path(path_type=Path), default=None,
              help="file to write (default: RIGHTS_INDEX_SNAPSHOT)")
def index_snapshot(path: Path | None) -> None:
    """Write a fresh snapshot from the store, so the next start catches up fewer changes."""
    from rights.domain.keeper import IndexKeeper

    settings = _settings()
    path = path or settings.index_snapshot
    if path is None:
        raise click.ClickException("RIGHTS_INDEX_SNAPSHOT is not set and no --to was given")
    services = _services(settings)

    async def run() -> int:
        keeper = IndexKeeper(services.core.store, services.core.catalogue, snapshot=path)
        try:
            await keeper.build()  # streams the store once, filling the index and the file together
        finally:
            await services.core.store.close()
        return keeper.revision

    from rights.domain.snapshot import SnapshotError, read_header

    revision = asyncio.run(run())
    try:
        written = read_header(path).revision == revision
    except SnapshotError:
        written = False
    if not written:
        raise click.ClickException(f"no snapshot written to {path} (an empty change log, or not writable)")
    click.echo(f"snapshot of revision {revision} written to {path}")


async def _seed(settings: Settings, only_if_empty: bool) -> dict[str, int] | None:
    services = _services(settings)
    try:
        if only_if_empty:
            async with services.core.store.read() as tx:
                if await tx.latest_revision() > 0:
                    return None
        return await _seed_with(services, settings)
    finally:
        await services.core.store.close()


async def _seed_with(services, settings: Settings) -> dict[str, int]:
    from rights.seeding import seed_directory

    return await seed_directory(services, _seeds_dir(settings))


@main.command()
def seed() -> None:
    """Load the demo data (idempotent: a second run changes nothing)."""
    settings = _settings()
    if settings.production:
        raise click.ClickException("demo seeds are refused in production")
    counts = asyncio.run(_seed(settings, only_if_empty=False)) or {}
    click.echo("created: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@main.command()
@click.option(
    "--as", "as_", required=True, help="person:NRN | helpline:NAME | service:CLIENT | platform:NAME"
)
@click.option("--ttl", default=12 * 3600, show_default=True, help="Lifetime in seconds")
@click.option("--scope", "scopes", multiple=True,
              help="An extra scope for a service client, e.g. rights:list-persons (repeatable)")
def token(as_: str, ttl: int, scopes: tuple[str, ...]) -> None:
    """Mint a development token (only with a development key, never in production)."""
    from rights.api.tokens import TokenError, mint_dev_token
    from rights.domain.ports import PrincipalKind

    kinds = {
        "person": PrincipalKind.PERSON,
        "helpline": PrincipalKind.HELPLINE,
        "service": PrincipalKind.SERVICE,
        "platform": PrincipalKind.PLATFORM_ADMIN,
    }
    kind, _, subject = as_.partition(":")
    if kind not in kinds or not subject:
        raise click.BadParameter(
            "use person:NRN, helpline:NAME, service:CLIENT or platform:NAME", param_hint="--as"
        )
    settings = _settings()
    if ttl > settings.token_max_lifetime_seconds:
        raise click.BadParameter(
            f"the service refuses tokens living longer than {settings.token_max_lifetime_seconds} s "
            "(RIGHTS_TOKEN_MAX_LIFETIME_SECONDS)", param_hint="--ttl")
    try:
        click.echo(mint_dev_token(settings, kinds[kind], subject, ttl_seconds=ttl, scopes=scopes))
    except (TokenError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--person", required=True, help="National register number or person id")
@click.option("--organisation", required=True, help="Any identifier form or organisation id")
@click.option("--role", required=True)
@click.option("--measure", default=None)
def check(person: str, organisation: str, role: str, measure: str | None) -> None:
    """Ask the question the desk asks, directly against the database."""
    from rights.domain.commands import CheckQuestion
    from rights.domain.errors import DomainError
    from rights.domain.ports import Caller, PrincipalKind

    async def run() -> None:
        services = _services(_settings())
        try:
            caller = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="cli")
            answer = await services.checks.check(
                caller, CheckQuestion(person=person, organisation=organisation, role=role, measure=measure)
            )
        finally:
            await services.core.store.close()
        verdict = "ALLOWED" if answer.verdict.allowed else "DENIED"
        click.echo(f"{verdict} ({answer.verdict.reason}) at revision {answer.revision}")
        if answer.succeeded_by:
            click.echo(f"succeeded by {', '.join(answer.succeeded_by)}: answered for {answer.organisation_id}")
        if not answer.verdict.allowed:
            sys.exit(1)

    try:
        asyncio.run(run())
    except DomainError as exc:
        raise click.ClickException(f"{exc.field}: {exc.message_en}") from None


@main.group()
def policy() -> None:
    """The rights catalogue in policies/."""


@policy.command("test")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None, help="policies directory")
def policy_test(directory: Path | None) -> None:
    """Validate the policy files and run their test cases."""
    from rights.policies import PolicyError, default_policies_dir, load_catalogue
    from rights.policies.testing import run_policy_tests

    directory = directory or _settings().policies_dir or default_policies_dir()
    try:
        catalogue = load_catalogue(directory)
        results = run_policy_tests(directory, catalogue)
    except PolicyError as exc:
        raise click.ClickException(str(exc)) from None
    failed = [r for r in results if not r.passed]
    for r in failed:
        click.echo(f"FAIL {r.file} :: {r.name}")
        for failure in r.failures():
            click.echo(f"  {failure}")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(1)


@main.command()
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@click.option("--workers", default=None, type=click.IntRange(0, 256),
              help="server processes (default: RIGHTS_WORKERS; 0 or unset: one per core)")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Run the HTTP service. In development: create, migrate and seed the database, print demo tokens."""
    from rights.api.server import run_server
    from rights.logging import configure_logging
    from rights.storage.migrate import upgrade_sync

    settings = _settings(host=host, port=port, workers=workers)
    configure_logging(settings.log_level, settings.log_format)
    if not settings.production:
        from rights.api.tokens import ensure_dev_key

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        ensure_dev_key(settings.dev_signing_key)  # type: ignore[arg-type]
    upgrade_sync(settings.database, service_role=settings.database_service_role or None)
    if not settings.production and settings.seed_when_empty:
        counts = asyncio.run(_seed(settings, only_if_empty=True))
        if counts:
            click.echo("loaded demo data: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    from rights.directory.available import LdapMissing

    try:
        from rights.api.app import create_app

        create_app(settings)  # refuse to start here, with one clear sentence, rather than in every worker
    except LdapMissing as exc:
        raise click.ClickException(str(exc)) from None
    if not settings.production:
        _print_welcome(settings)
    run_server(settings, overrides={"host": host, "port": port, "workers": workers})


def _print_welcome(settings: Settings) -> None:
    from rights.api.tokens import mint_dev_token
    from rights.domain.ports import PrincipalKind

    kinds = {
        "person": PrincipalKind.PERSON,
        "helpline": PrincipalKind.HELPLINE,
        "service": PrincipalKind.SERVICE,
        "platform": PrincipalKind.PLATFORM_ADMIN,
    }
    base = settings.base_url
    click.echo(f"\nrights ({settings.environment.value}) on {settings.database}")
    click.echo(f"  API      {base}/v1/…")
    click.echo(f"  OpenAPI  {base}/schema   (YAML: {base}/schema/openapi.yaml; readable reference: {base}/docs)")
    click.echo(f"  health   {base}/healthz  {base}/readyz  metrics {base}/metrics")
    click.echo(f"  screens  {base}/helpline/login   (DEMO persona picker: Bert, Sofie, An or Koen → /beheer;"
               " the helpline operator → /helpline)")
    click.echo("\nDEMO tokens, signed with the development key, valid 12 hours. Paste into a shell:\n")
    for var, who, kind, subject in DEMO_PRINCIPALS:
        click.echo(f"  # {who}")
        click.echo(f"  export {var}={mint_dev_token(settings, kinds[kind], subject)}")
    click.echo("\nThen ask what the WSE-loket asks (may An act for Bakkerij Peeters on the VOP?):\n")
    click.echo(
        f'  curl -s -X POST {base}/v1/check -H "Authorization: Bearer $DESK_TOKEN" '
        '-H \'Content-Type: application/json\' -d \'{"person": "85073003328", '
        '"organisation": "BE 0723.145.688", "role": "DWSEOrganisatieverantwoordelijke", '
        '"measure": "VOP"}\''
    )
    click.echo("\nor what the 1700 helpline asks (who administers Bakkerij Peeters?):\n")
    click.echo(
        f"  curl -s '{base}/v1/helpline/lookup?q=bakkerij%20peeters' -H \"Authorization: Bearer $HELPLINE_TOKEN\"\n"
    )
    click.echo("More in README.md. Stop with Ctrl-C.\n")


from rights.imports.cli import convert_group, generate_group, import_group  # noqa: E402 - registered last, imports lazily

main.add_command(import_group)
main.add_command(generate_group)
main.add_command(convert_group)

from rights.directory.cli import ldap_group  # noqa: E402 - registered last, imports lazily

main.add_command(ldap_group)

from rights.mail.cli import mail_group  # noqa: E402 - registered last, imports lazily

main.add_command(mail_group)

from rights.recertify import recertify_group  # noqa: E402 - registered last, imports lazily

main.add_command(recertify_group)

from rights.audit_cli import audit_group  # noqa: E402 - registered last, imports lazily

main.add_command(audit_group)

from rights.succession_cli import succession_group  # noqa: E402 - imports lazily

main.add_command(succession_group)
