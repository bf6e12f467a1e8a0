"""Full sync: into an empty and a populated rights, reconciliation of moves, renames and deletions,
bad entries skipped with a report line, and a dry run that writes nothing."""

from __future__ import annotations

from rights.directory.sync import full_sync
from rights.domain.commands import NewPerson, NewWorkRelation
from rights.domain.identifiers import IdentifierKind
from rights.domain.model import OrgType, UserType
from rights.domain.services import Services
from tests.directory.conftest import AN, BAD_NN, BERT, ENTITIES, KIM, SOFIE, add_org, add_person, populate
from tests.directory.slapd import Slapd

PLATFORM = __import__("rights.directory.reconcile", fromlist=["SYSTEM"]).SYSTEM


async def facts(services: Services) -> dict:
    async with services.core.store.read() as tx:
        dv = await tx.find_organisation(IdentifierKind.OVO_CODE, "OVO002949")
        wse = await tx.find_organisation(IdentifierKind.OVO_CODE, "OVO001833")
        out: dict = {"dv": dv, "wse": wse, "revision": await tx.latest_revision()}
        for name, nn in (("an", AN), ("bert", BERT), ("sofie", SOFIE), ("kim", KIM)):
            person = await tx.find_person(nn)
            out[name] = person
            out[f"{name}_wr"] = [] if person is None else await tx.work_relations(person_id=person.id)
        out["dv_admins"] = [] if dv is None else await tx.administrators(dv.id, include_removed=True)
        out["changes"] = await tx.changes(limit=1000)
    return out


async def test_full_sync_into_empty_rights_then_nothing_to_do(slapd: Slapd, mapping, services: Services) -> None:
    populate(slapd)
    report = await full_sync(services.core, mapping)
    assert report.counts["created"] == 2 + 3 + 3 + 1, report.text()
    f = await facts(services)
    assert f["dv"].name == "Digitaal Vlaanderen" and f["wse"].identifiers.ovo_code == "OVO001833"
    assert [w.organisation_id for w in f["an_wr"]] == [f["dv"].id]
    assert f["an_wr"][0].user_type is UserType.CIVIL_SERVANT
    assert [(a.person_id, a.main, a.appointed_by) for a in f["dv_admins"]] == [(f["bert"].id, False, "directory:sync")]
    # every write is in the change log, by the sync, and never with a full national number
    assert {c.actor for c in f["changes"]} == {"directory:sync"}
    assert not any(AN in str(c.data) for c in f["changes"])
    again = await full_sync(services.core, mapping)
    assert again.counts == {"created": 0, "updated": 0, "ended": 0, "skipped": 0, "held": 0, "unchanged": 9}
    assert (await facts(services))["revision"] == f["revision"]


async def test_full_sync_into_populated_rights_leaves_manual_data_alone(
    slapd: Slapd, mapping, services: Services
) -> None:
    populate(slapd)
    p = services.people
    an, _ = await p.register(PLATFORM, NewPerson(national_number=AN, given_name="Anneke", family_name="Manual"))
    from rights.domain.commands import IdentifiersInput, NewOrganisation

    org = await services.organisations.create(PLATFORM, NewOrganisation(
        type=OrgType.FLEMISH_ENTITY, name="DV by hand", identifiers=IdentifiersInput(ovo_code="OVO002949")))
    manual = await p.add_work_relation(PLATFORM, org.value.id, NewWorkRelation(person=an.value.id,
                                                                                user_type=UserType.EXTERNAL))
    await full_sync(services.core, mapping)
    slapd.delete(f"uid=an,ou=Digitaal Vlaanderen,{ENTITIES}")
    report = await full_sync(services.core, mapping)
    f = await facts(services)
    assert f["dv"].name == "DV by hand"  # not created by the sync: never renamed
    assert f["an"].given_name == "Anneke"
    assert [(w.id, w.ended_at) for w in f["an_wr"]] == [(manual.value.id, None)]  # manual relation untouched
    assert report.counts["ended"] == 0, report.text()


async def test_moves_renames_and_deletions(slapd: Slapd, mapping, services: Services, clock) -> None:
    d = populate(slapd)
    await full_sync(services.core, mapping)
    before = await facts(services)
    clock.advance(hours=1)
    slapd.rename(d["dv"], "ou=Digitaal Vlaanderen Agentschap")  # rename of an organisation (and its subtree)
    dv = f"ou=Digitaal Vlaanderen Agentschap,{ENTITIES}"
    slapd.rename(f"uid=an,{dv}", "uid=an", d["wse"])  # An moves to WSE
    slapd.delete(f"uid=bert,{dv}")  # Bert leaves: work relation and designation end
    slapd.modify(d["admins"], member=f"uid=an,{d['wse']}")
    report = await full_sync(services.core, mapping)
    f = await facts(services)
    assert f["dv"].id == before["dv"].id and f["dv"].name == "Digitaal Vlaanderen Agentschap"
    an_wr = {w.organisation_id: w for w in f["an_wr"]}
    assert an_wr[f["dv"].id].ended_at == clock.at and an_wr[f["wse"].id].ended_at is None
    assert [w.ended_at for w in f["bert_wr"]] == [clock.at]
    bert_admin = next(a for a in f["dv_admins"] if a.person_id == f["bert"].id)
    assert bert_admin.removed_at == clock.at and "removed" in bert_admin.removal_reason
    assert any(a.person_id == f["an"].id and a.active for a in f["dv_admins"])
    reasons = {c.data.get("reason") for c in f["changes"] if c.kind == "work_relation_ended"}
    assert "directory: no longer in organisation OVO002949" in reasons
    assert f["bert"] is not None  # persons are never deleted
    assert any(line.startswith("- work relation") for line in report.text().splitlines())


async def test_bad_entries_are_skipped_with_a_report_line(slapd: Slapd, mapping, services: Services) -> None:
    d = populate(slapd)
    add_person(slapd, "bad", d["dv"], BAD_NN, "Bad", "Number")
    slapd.add(f"uid=nonum,{d['dv']}", objectClass="inetOrgPerson", uid="nonum", cn="No Number", sn="Number")
    add_person(slapd, "kim", d["wse"], KIM, "Kim", "Maes")
    add_org(slapd, "Broken", "OVO12")  # wrong OVO length
    report = await full_sync(services.core, mapping)
    text = report.text()
    assert "! entry          uid=bad,ou=Digitaal Vlaanderen" in text
    assert "invalid national register number in employeeNumber (checksum)" in text
    assert "invalid ovo_code in businessCategory (length)" in text
    assert "uid=nonum,ou=Digitaal Vlaanderen,ou=entities,dc=example,dc=be  (missing required attribute employeeNumber)" in text
    assert BAD_NN not in text
    f = await facts(services)
    assert f["an"] is not None and f["kim"] is not None  # the rest went on


async def test_a_bad_edit_holds_what_the_entry_had(slapd: Slapd, mapping, services: Services) -> None:
    d = populate(slapd)
    await full_sync(services.core, mapping)
    slapd.modify(d["an"], employeeNumber=BAD_NN)
    report = await full_sync(services.core, mapping)
    assert report.counts["ended"] == 0 and report.counts["skipped"] == 1
    f = await facts(services)
    assert [w.ended_at for w in f["an_wr"]] == [None]


async def test_dry_run_prints_the_plan_and_writes_nothing(slapd: Slapd, mapping, services: Services) -> None:
    populate(slapd)
    report = await full_sync(services.core, mapping, dry_run=True)
    lines = report.text().splitlines()
    assert lines[0] == "dry run: nothing was written"
    assert any(line.startswith("+ organisation") and "OVO002949 Digitaal Vlaanderen" in line for line in lines)
    assert any(line.startswith("+ work relation") for line in lines)
    assert any(line.startswith("+ administrator") for line in lines)
    assert (await facts(services))["revision"] == 0
