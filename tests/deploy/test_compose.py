"""deploy/compose.yaml brings up what the README promises, with every setting the code knows."""

from __future__ import annotations

import re

import click
import pytest

from rights.cli import main
from rights.settings import ENVIRONMENT_VARIABLES
from tests.deploy.helpers import (
    DEPLOY,
    ROOT,
    documented_settings,
    load_compose,
    rights_command,
    service_environment,
)

RIGHTS_SERVICES = ("rights", "mail-worker", "recertify", "directory-follower")


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


def test_the_stack_has_every_part_the_readme_promises(compose: dict) -> None:
    services = compose["services"]
    assert set(services) >= {"postgres", *RIGHTS_SERVICES, "mailcatcher"}
    assert rights_command(services["rights"]) == ["serve"]
    assert rights_command(services["mail-worker"]) == ["mail", "work"]
    assert rights_command(services["recertify"]) == ["recertify", "tick"]
    assert rights_command(services["directory-follower"]) == ["ldap", "follow", "--lock"]
    assert services["rights"]["ports"] == ["8000:8000"] and services["mailcatcher"]["ports"] == ["8025:8025"]
    targets = re.findall(r"^FROM \S+ AS (\S+)$", (DEPLOY / "Containerfile").read_text(), flags=re.M)
    assert services["rights"]["build"]["target"] in targets and services["mailcatcher"]["build"]["target"] in targets
    assert targets[-1] == "production", "the default target (the last stage) must be the production image"


def test_every_setting_reaches_the_rights_services(compose: dict) -> None:
    known = set(ENVIRONMENT_VARIABLES)
    assert known == documented_settings()
    for name in RIGHTS_SERVICES:
        env = service_environment(compose["services"][name])
        assert set(env) == known, (name, sorted(known ^ set(env)))


def test_demo_login_and_mail_are_configured(compose: dict) -> None:
    services = compose["services"]
    api = service_environment(services["rights"])
    worker = service_environment(services["mail-worker"])
    # Development mode: the demo persona picker, demo seeds and tokens from a generated key.
    assert api["RIGHTS_ENV"] == "development" and api["RIGHTS_SEED_WHEN_EMPTY"] == "true"
    assert api["RIGHTS_SESSION_SECRET"], "without a session secret the screens are not served"
    assert api["RIGHTS_OIDC_ISSUER"] == "" and api["RIGHTS_DEV_SIGNING_KEY"] == ""
    # The shell can point the stack at a real provider.
    real = service_environment(services["rights"], {"RIGHTS_OIDC_ISSUER": "https://idp.example.be",
                                                    "RIGHTS_OIDC_CLIENT_ID": "rights-screens"})
    assert real["RIGHTS_OIDC_ISSUER"] == "https://idp.example.be" and real["RIGHTS_OIDC_CLIENT_ID"] == "rights-screens"
    # One sender: the worker sends through the catcher, the API only queues.
    assert (worker["RIGHTS_SMTP_HOST"], worker["RIGHTS_SMTP_PORT"]) == ("mailcatcher", "1025")
    assert api["RIGHTS_SMTP_HOST"] == ""
    for name in RIGHTS_SERVICES:
        env = service_environment(services[name])
        assert env["RIGHTS_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["RIGHTS_DATABASE_URL"]
        assert env["RIGHTS_SESSION_SECRET"] == api["RIGHTS_SESSION_SECRET"], "one session secret for all"


def test_every_service_command_exists_in_the_cli(compose: dict) -> None:
    for name in RIGHTS_SERVICES:
        args = rights_command(compose["services"][name])
        ctx = main.make_context("rights", list(args), resilient_parsing=True)
        command: click.Command = main
        rest = list(args)
        while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
            command = command.get_command(ctx, rest.pop(0))
            assert command is not None, (name, args)
        options = {opt for p in command.params for opt in p.opts}
        assert all(a in options for a in rest if a.startswith("-")), (name, rest, options)


def test_documented_compose_commands_match(compose: dict) -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "docker compose -f deploy/compose.yaml up --build" in readme
    assert "http://localhost:8025" in readme and "http://localhost:8000/helpline/login" in readme
    assert "deploy/compose.yaml" in (ROOT / "README.md").read_text(encoding="utf-8")
    mapping = compose["services"]["directory-follower"]["volumes"][1]
    default = re.search(r":-([^}]+)\}", mapping).group(1)
    assert (DEPLOY / default).resolve().is_file()
