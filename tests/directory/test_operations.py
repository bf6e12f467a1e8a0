"""Operations: the CLI, /readyz details, the example mappings, and the local filter evaluator."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rights.cli import main
from rights.directory.filters import parse_filter
from rights.directory.mapping import load_mapping
from rights.directory.sync import full_sync
from rights.domain.services import build_services
from rights.policies import default_policies_dir, load_catalogue
from rights.storage import create_store
from rights.storage.migrate import upgrade_sync
from tests.api.conftest import Api
from tests.directory.conftest import AN, mapping_yaml, populate
from tests.directory.slapd import Slapd

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("name", ["ldap-openldap.yaml", "ldap-active-directory.yaml"])
def test_example_mappings_load(name: str) -> None:
    mapping = load_mapping(DOCS / "examples" / name)
    assert mapping.union_filter().startswith("(|")


def test_filters_sort_entries_like_the_server() -> None:
    f = parse_filter("(&(objectClass=groupOfNames)(|(cn=beheerders-*)(cn=LB\\2a))(!(ou=x)))")
    assert f.matches({"objectclass": ["groupOfNames"], "CN": ["Beheerders-OVO002949"]})
    assert f.matches({"objectClass": ["groupofnames"], "cn": ["lb*"]})
    assert not f.matches({"objectClass": ["groupOfNames"], "cn": ["beheerders-1"], "ou": ["X"]})
    with pytest.raises(ValueError, match="unsupported"):
        parse_filter("(cn:caseExactMatch:=x)")


def test_cli_sync_dry_run_then_sync_then_status(slapd: Slapd, tmp_path: Path) -> None:
    populate(slapd)
    db = f"sqlite+aiosqlite:///{tmp_path}/rights.db"
    upgrade_sync(db)
    env = {"RIGHTS_DATABASE_URL": db, "RIGHTS_DATA_DIR": str(tmp_path),
           "RIGHTS_LDAP_MAPPING": str(mapping_yaml(slapd, tmp_path))}
    runner = CliRunner()
    dry = runner.invoke(main, ["ldap", "sync", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("dry run: nothing was written\n+ organisation")
    done = runner.invoke(main, ["ldap", "sync", "--full"], env=env)
    assert done.exit_code == 0 and "9 created" in done.output and AN not in done.output
    again = runner.invoke(main, ["ldap", "sync"], env=env)  # incremental from the stored cookie
    assert again.exit_code == 0 and "0 created" in again.output, again.output
    status = runner.invoke(main, ["ldap", "status"], env=env)
    assert '"status": "ok"' in status.output and '"mode": "syncrepl"' in status.output
    slapd.stop()
    down = runner.invoke(main, ["ldap", "sync", "--full"], env=env)
    assert down.exit_code == 1 and "directory unavailable: Can't contact LDAP server" in down.output
    missing = runner.invoke(main, ["ldap", "sync"], env={**env, "RIGHTS_LDAP_MAPPING": ""})
    assert missing.exit_code == 1 and "--mapping" in missing.output


async def test_readyz_shows_the_directory_status(slapd: Slapd, mapping, api: Api) -> None:
    assert "directory" not in (await api.call("GET", "/readyz", expect=200)).json()
    populate(slapd)
    store = create_store(api.settings.database)
    try:
        await full_sync(build_services(store, load_catalogue(default_policies_dir())).core, mapping)
    finally:
        await store.close()
    body = (await api.call("GET", "/readyz", expect=200)).json()
    assert body["directory"]["status"] == "ok"
    assert body["directory"]["sync"]["entries"] == {"organisations": 2, "persons": 3, "administrator_groups": 1}
    assert body["directory"]["sync"]["last_run"]["created"] == 9
