"""Issue 17: the organisation register states a succession; the import proposes it, never applies it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rights.domain.commands import NewPerson, NewSuccession, NewWorkRelation, SuccessionApply
from rights.domain.identifiers import IdentifierKind
from rights.domain.model import SuccessionKind, SuccessionSource, SuccessionStatus, UserType
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import build_services
from rights.domain.services.base import Core
from rights.domain.services.successions import SuccessionService
from rights.imports.register import import_organisations
from rights.imports.report import read_report
from rights.imports.successions import relation_direction
from rights.policies import default_policies_dir, load_catalogue
from rights.storage import SqlStore
from tests.api.conftest import national_number

PLATFORM = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="platform:ops")


def entry(code: str, name: str, *, end: str | None = None, start: str = "2015-01-01", uuid: str | None = None,
          relations: tuple[tuple[str, str], ...] = (), keys: list[dict[str, str]] | None = None) -> str:  # fmt: skip
    rels = [{"relationName": n, ("relatedOrganisationId" if o.startswith("u-") else "relatedOrganisationOvoNumber"): o,
             "validity": {"start": None, "end": None}} for n, o in relations]  # fmt: skip
    return json.dumps({"ovoNumber": code, "name": name, "validity": {"start": start, "end": end}, "keys": keys or [],
                       "parents": [], "relations": rels, "id": uuid})  # fmt: skip


def export(path: Path) -> Path:
    path.write_text("\n".join([
        # renumbering: the old entity ended and names its successor
        entry("OVO000099", "Agentschap Oud", end="2024-12-31", relations=(("Heeft als opvolger", "OVO000200"),)),
        entry("OVO000200", "Agentschap Nieuw", start="2025-01-01"),
        # merger: the new one names both predecessors by the register's ids (its API's form)
        entry("OVO000301", "Dienst West", end="2024-12-31", uuid="u-301"),
        entry("OVO000302", "Dienst Oost", end="2024-12-31", uuid="u-302"),
        entry("OVO000303", "Dienst West-Oost", start="2025-01-01",
              relations=(("is opvolger van", "u-301"), ("Is  Opvolger van", "u-302"))),
        # split: one ended entity, two successors
        entry("OVO000401", "Departement Groot", end="2023-06-30",
              relations=(("heeft als opvolger", "OVO000402"), ("heeft als opvolger", "OVO000403"))),
        entry("OVO000402", "Departement Noord", start="2023-07-01"),
        entry("OVO000403", "Departement Zuid", start="2023-07-01"),
        # still valid: a successor relation alone proposes nothing; other relations are not successions
        entry("OVO000501", "Nog actief", relations=(("heeft als opvolger", "OVO000200"),
                                                    ("werkt samen met", "OVO000099"))),
        # line 10: a successor outside the register export and the service
        entry("OVO000601", "Wees", end="2024-12-31", relations=(("heeft als opvolger", "OVO999999"),)),
        # line 11: a related OVO code that is not one
        entry("OVO000701", "Fout", end="2024-12-31", relations=(("heeft als opvolger", "OVO12"),)),
        # an entry that ended keeps the NIS code of a municipality merged away since; line 13 is current
        entry("OVO000801", "Gemeente De Pinte", end="2024-12-31", keys=[{"keyTypeName": "NIS", "value": "44012"}]),
        entry("OVO000802", "Nieuw De Pinte", keys=[{"keyTypeName": "NIS", "value": "44012"}]),
    ]) + "\n", encoding="utf-8")  # fmt: skip
    return path


def test_relation_names_read_in_both_directions() -> None:
    assert relation_direction(" Heeft  als opvolger ") == "succeeded_by"
    assert relation_direction("Is opvolger van") == "succeeds"
    assert relation_direction("werkt samen met") is None


async def test_the_register_proposes_successions_once_and_never_applies_them(store: SqlStore, tmp_path: Path) -> None:
    path = export(tmp_path / "ovo.jsonl")
    counts = await import_organisations(store, path, report=tmp_path / "bad.jsonl")
    assert counts["successions_proposed"] == 3 and counts["successions_known"] == 0
    bad = {(b.line, b.reason, b.key, b.field) for b in read_report(tmp_path / "bad.jsonl")}
    assert bad == {(10, "unknown_organisation", "OVO000601", "relations[0].relatedOrganisationOvoNumber"),
                   (11, "invalid", "OVO000701", "relations[0].relatedOrganisationOvoNumber"),
                   (13, "invalid", "OVO000802", "keys[0].value")}  # fmt: skip
    async with store.read() as tx:
        depinte = await tx.find_organisation(IdentifierKind.NIS_CODE, "44012")
    assert depinte is not None and depinte.identifiers.ovo_code == "OVO000801"

    service = SuccessionService(Core(store=store, catalogue=load_catalogue(default_policies_dir())))
    found = await service.list(PLATFORM)
    by_kind = {s.kind: s for s in found}
    assert sorted(by_kind) == sorted([SuccessionKind.RENUMBERING, SuccessionKind.MERGER, SuccessionKind.SPLIT])
    assert all(s.status is SuccessionStatus.PROPOSED and s.source is SuccessionSource.REGISTER for s in found)
    assert all(s.entered_by == "import:ovo" and s.plan is None for s in found)
    brussels = ZoneInfo("Europe/Brussels")
    assert by_kind[SuccessionKind.RENUMBERING].effective_at == datetime(2025, 1, 1, tzinfo=brussels)
    assert by_kind[SuccessionKind.SPLIT].effective_at == datetime(2023, 7, 1, tzinfo=brussels)
    view = await service.get(PLATFORM, by_kind[SuccessionKind.MERGER].id)
    names = {view.organisations[o].name for o in view.succession.predecessor_ids}
    assert names == {"Dienst West", "Dienst Oost"}
    assert [view.organisations[o].name for o in view.succession.successor_ids] == ["Dienst West-Oost"]
    async with store.read() as tx:  # nothing applied: only the proposals were written
        kinds = [c.kind for c in await tx.changes(limit=1000)]
    assert "succession_entered" in kinds and "succession_applied" not in kinds

    # Re-importing proposes nothing twice, also after a platform administrator withdrew a proposal.
    await service.withdraw(PLATFORM, by_kind[SuccessionKind.SPLIT].id, "the register is wrong here")
    again = await import_organisations(store, path)
    assert again["successions_proposed"] == 0 and again["successions_known"] == 3
    assert len(await service.list(PLATFORM)) == 3

    # Only a platform administrator's confirmation applies one.
    applied = await service.apply(PLATFORM, by_kind[SuccessionKind.RENUMBERING].id, SuccessionApply())
    assert applied.value.succession.status is SuccessionStatus.APPLIED


async def test_an_existing_successor_is_proposed_as_an_absorption_and_a_hand_entry_is_kept(
    store: SqlStore, tmp_path: Path
) -> None:
    """A successor that already has users cannot be new (renumbering): the import proposes an absorption.
    A predecessor a platform administrator already entered a succession for is left alone."""
    services = build_services(store, load_catalogue(default_policies_dir()))
    path = tmp_path / "ovo.jsonl"
    path.write_text("\n".join([
        entry("OVO000901", "Agentschap Klein", end="2024-12-31"),
        entry("OVO000902", "Agentschap Groot", start="2010-01-01"),
        entry("OVO000903", "Agentschap Apart", end="2024-12-31"),
    ]) + "\n", encoding="utf-8")  # fmt: skip
    await import_organisations(store, path)
    person = (await services.people.register(PLATFORM, NewPerson(
        national_number=national_number("800101", 31), given_name="An", family_name="Test")))[0].value  # fmt: skip
    await services.people.add_work_relation(PLATFORM, "OVO000902", NewWorkRelation(person=person.id,
                                                                                   user_type=UserType("civil_servant")))
    by_hand = await services.successions.enter(PLATFORM, NewSuccession(
        kind=SuccessionKind.ABSORPTION, predecessors=("OVO000903",), successors=("OVO000902",),
        effective_at=datetime(2025, 1, 1, tzinfo=ZoneInfo("Europe/Brussels")), reason="besluit"))  # fmt: skip

    path.write_text("\n".join([
        entry("OVO000901", "Agentschap Klein", end="2024-12-31", relations=(("heeft als opvolger", "OVO000902"),)),
        entry("OVO000902", "Agentschap Groot", start="2010-01-01"),
        entry("OVO000903", "Agentschap Apart", end="2024-12-31", relations=(("heeft als opvolger", "OVO000902"),)),
    ]) + "\n", encoding="utf-8")  # fmt: skip
    counts = await import_organisations(store, path)
    # 901 and 903 name the same successor: one proposal (a merger, then an absorption, by the policy),
    # refused as a whole because 903 already has the hand-entered succession.
    assert (counts["successions_proposed"], counts["successions_known"]) == (0, 1)
    assert [s.id for s in await services.successions.list(PLATFORM)] == [by_hand.value.id]

    path.write_text("\n".join([
        entry("OVO000901", "Agentschap Klein", end="2024-12-31", relations=(("heeft als opvolger", "OVO000902"),)),
        entry("OVO000902", "Agentschap Groot", start="2010-01-01"),
    ]) + "\n", encoding="utf-8")  # fmt: skip
    counts = await import_organisations(store, path)
    assert counts["successions_proposed"] == 1
    proposed = [s for s in await services.successions.list(PLATFORM) if s.id != by_hand.value.id]
    assert [(s.kind, s.source, s.status) for s in proposed] == [
        (SuccessionKind.ABSORPTION, SuccessionSource.REGISTER, SuccessionStatus.PROPOSED)]
