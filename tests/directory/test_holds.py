"""Issue 11 items 7 and 8 on a real slapd: a changed national number is held as an identity conflict
(nothing moves) until an operator confirms it; the sync never removes an organisation's last
administrator: it holds the removal, applies it once another administrator exists, or when an operator
confirms. Holds are on the status and /metrics, logged (masked) and audited once; confirmations are
audited as the operator."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client import REGISTRY

from rights.cli import main
from rights.directory.mapping import load_mapping
from rights.directory.reconcile import SYSTEM as PLATFORM
from rights.directory.status import directory_status
from rights.directory.syncrepl import follow, sync_once
from rights.domain.commands import Appointment
from rights.domain.services import Services
from tests.directory.conftest import AN, BERT, GROUPS, KIM, add_admins, mapping_yaml, populate
from tests.directory.slapd import Slapd
from tests.directory.test_full_sync import facts


async def audit_actions(services: Services) -> list[tuple[str, str]]:
    async with services.core.store.read() as tx:
        return [(e.action, e.actor) for _, e in await tx.audit_events(limit=1000)]


async def cli(store_url: str, slapd: Slapd, tmp_path: Path, *args: str):
    env = {"RIGHTS_DATABASE_URL": store_url, "RIGHTS_DATA_DIR": str(tmp_path),
           "RIGHTS_LDAP_MAPPING": str(mapping_yaml(slapd, tmp_path))}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


# --- item 7: an identity must not move -------------------------------------------------------------


async def test_a_changed_national_number_is_held_until_an_operator_confirms(
    slapd: Slapd, mapping, services: Services, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    d = populate(slapd)
    await sync_once(services.core, mapping)
    before = await facts(services)
    slapd.modify(d["an"], employeeNumber=KIM, sn="Peeters-Maes")
    report = await sync_once(services.core, mapping)
    after = await facts(services)
    # nothing moved: the old number still answers with An and her relation; the new one knows nobody
    assert after["an"] is not None and after["an"].id == before["an"].id and after["an"].family_name == "Peeters"
    assert after["kim"] is None
    assert [w.id for w in after["an_wr"]] == [w.id for w in before["an_wr"]] and after["an_wr"][0].ended_at is None
    line = next(a.line() for a in report.actions if a.op == "=")
    assert report.counts["held"] == 1 and report.counts["skipped"] == 0
    assert "held: national number changed from 85.07.30-***.** to 93.05.18-***.**" in line
    status = await directory_status(services.core.store)
    [conflict] = status["sync"]["identity_conflicts"]
    assert conflict["person_id"] == before["an"].id and conflict["dn"].lower() == d["an"].lower()
    assert REGISTRY.get_sample_value("rights_directory_identity_conflicts") == 1
    await sync_once(services.core, mapping)  # still held, audited once
    assert [a for a, _ in await audit_actions(services)].count("directory_identity_conflict") == 1
    text = json.dumps(status) + report.text() + capsys.readouterr().out
    assert "directory_identity_conflict" in text
    assert AN not in text and KIM not in text, "a full national number reached the status, report or log"

    done = await cli(store_url, slapd, tmp_path, "ldap", "confirm-identity", conflict["key"], "--by", "jan")
    assert done.exit_code == 0, done.output
    assert AN not in done.output and KIM not in done.output
    f = await facts(services)
    assert f["an"] is None and f["kim"].id == before["an"].id and f["kim"].family_name == "Peeters-Maes"
    assert [w.id for w in f["kim_wr"]] == [w.id for w in before["an_wr"]]  # the same person, corrected
    assert ("directory_identity_confirmed", "operator:jan") in await audit_actions(services)
    assert (await directory_status(services.core.store))["sync"]["identity_conflicts"] == []
    again = await sync_once(services.core, mapping)
    assert again.counts == {"created": 0, "updated": 0, "ended": 0, "skipped": 0, "held": 0,
                            "unchanged": again.unchanged}
    assert REGISTRY.get_sample_value("rights_directory_identity_conflicts") == 0


async def test_a_new_number_that_belongs_to_someone_else_cannot_be_confirmed(
    slapd: Slapd, mapping, services: Services, store_url: str, tmp_path: Path
) -> None:
    d = populate(slapd)
    await sync_once(services.core, mapping)
    slapd.modify(d["an"], employeeNumber=BERT)
    await sync_once(services.core, mapping)
    f = await facts(services)
    [conflict] = (await directory_status(services.core.store))["sync"]["identity_conflicts"]
    assert conflict["new_number_taken_by"] == f["bert"].id
    refused = await cli(store_url, slapd, tmp_path, "ldap", "confirm-identity", conflict["key"], "--by", "jan")
    assert refused.exit_code == 1 and "already belongs to person" in refused.output
    assert BERT not in refused.output
    assert (await facts(services))["an"].id == f["an"].id  # nothing changed
    unknown = await cli(store_url, slapd, tmp_path, "ldap", "confirm-identity", "no-such-key", "--by", "jan")
    assert unknown.exit_code == 1 and "nothing is held" in unknown.output


# --- item 8: never leave an organisation without an administrator ----------------------------------


async def test_the_last_administrator_is_held_then_released_when_another_exists(
    slapd: Slapd, mapping, services: Services
) -> None:
    d = populate(slapd)
    await sync_once(services.core, mapping)
    slapd.delete(d["admins"])  # Bert, Digitaal Vlaanderen's only administrator, leaves the group
    report = await sync_once(services.core, mapping)
    f = await facts(services)
    assert [(a.person_id, a.removed_at) for a in f["dv_admins"]] == [(f["bert"].id, None)]
    assert any("held:" in a.line() and "Digitaal Vlaanderen would have no administrator left" in a.line()
               for a in report.actions)
    status = await directory_status(services.core.store)
    [held] = status["sync"]["held_removals"]
    assert held["organisation_id"] == f["dv"].id and held["held_because"] == "last_administrator"
    assert REGISTRY.get_sample_value("rights_directory_held_removals") == 1
    await sync_once(services.core, mapping)
    assert [a for a, _ in await audit_actions(services)].count("directory_removal_held") == 1  # audited once
    add_admins(slapd, "OVO002949", d["an"])  # another administrator: the held removal goes through
    await sync_once(services.core, mapping)
    f = await facts(services)
    active = {a.person_id for a in f["dv_admins"] if a.removed_at is None}
    assert active == {f["an"].id}
    assert (await directory_status(services.core.store))["sync"]["held_removals"] == []
    assert REGISTRY.get_sample_value("rights_directory_held_removals") == 0


async def test_an_operator_confirms_a_held_removal(
    slapd: Slapd, mapping, services: Services, store_url: str, tmp_path: Path
) -> None:
    d = populate(slapd)
    await sync_once(services.core, mapping)
    slapd.delete(d["admins"])
    await sync_once(services.core, mapping)
    [held] = (await directory_status(services.core.store))["sync"]["held_removals"]
    status = await cli(store_url, slapd, tmp_path, "ldap", "status")
    assert held["key"] in status.output
    done = await cli(store_url, slapd, tmp_path, "ldap", "confirm-removal", held["key"], "--by", "jan")
    assert done.exit_code == 0 and "no longer an administrator of Digitaal Vlaanderen" in done.output
    f = await facts(services)
    [bert] = f["dv_admins"]
    assert bert.removed_at is not None and bert.removed_by == "operator:jan"
    assert ("directory_removal_confirmed", "operator:jan") in await audit_actions(services)
    assert ("administrator_removed", "operator:jan") in await audit_actions(services)
    again = await sync_once(services.core, mapping)  # nothing is held or done twice
    assert again.counts["ended"] == 0 and again.held_removals == []
    twice = await cli(store_url, slapd, tmp_path, "ldap", "confirm-removal", held["key"], "--by", "jan")
    assert twice.exit_code == 1 and "nothing is held" in twice.output


async def test_follow_releases_a_held_removal_once_an_administrator_is_appointed_by_hand(
    slapd: Slapd, mapping, services: Services
) -> None:
    d = populate(slapd)
    stop = asyncio.Event()
    task = asyncio.create_task(follow(services.core, mapping, stop))

    async def until(predicate, what: str) -> None:
        for _ in range(1200):  # a bound of about a minute, not a speed requirement
            if await predicate():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"never happened: {what}")

    async def held() -> bool:
        status = await directory_status(services.core.store)
        return bool(status and status["sync"].get("held_removals"))

    try:
        await until(lambda: has_admin(services, "bert"), "Bert appointed from the directory")
        slapd.delete(d["admins"])
        await until(held, "the removal held")
        f = await facts(services)
        await services.people.appoint(PLATFORM, f["dv"].id, Appointment(person=f["an"].id, main=True))
        await until(lambda: no_admin(services, "bert"), "the held removal applied by follow")
        assert not await held()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    f = await facts(services)
    assert {a.person_id for a in f["dv_admins"] if a.removed_at is None} == {f["an"].id}


async def has_admin(services: Services, name: str) -> bool:
    f = await facts(services)
    return f[name] is not None and any(a.person_id == f[name].id and a.removed_at is None for a in f["dv_admins"])


async def no_admin(services: Services, name: str) -> bool:
    return not await has_admin(services, name)


async def test_the_last_main_administrator_is_held_too(slapd: Slapd, services: Services, tmp_path: Path) -> None:
    d = populate(slapd)  # Bert: an administrator (not main) of Digitaal Vlaanderen
    path = mapping_yaml(slapd, tmp_path)
    path.write_text(path.read_text().replace("operators:", f"""  - base: {GROUPS}
    filter: (&(objectClass=groupOfNames)(cn=hoofdbeheerders-*))
    organisation: {{attribute: cn, pattern: "^hoofdbeheerders-(?P<key>.+)$", identifier: ovo_code}}
    main: true
operators:"""))
    mapping = load_mapping(path)
    main_group = f"cn=hoofdbeheerders-OVO002949,{GROUPS}"
    slapd.add(main_group, objectClass="groupOfNames", cn="hoofdbeheerders-OVO002949", member=d["an"])
    await sync_once(services.core, mapping)
    slapd.delete(main_group)  # An, the only main administrator, leaves; Bert (not main) stays
    await sync_once(services.core, mapping)
    f = await facts(services)
    assert {(a.person_id, a.main) for a in f["dv_admins"] if a.removed_at is None} == {
        (f["an"].id, True), (f["bert"].id, False)}
    [held] = (await directory_status(services.core.store))["sync"]["held_removals"]
    assert held["held_because"] == "last_main_administrator"
