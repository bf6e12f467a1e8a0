"""`rights import kbo` on SQLite and PostgreSQL: first load, idempotence, monthly re-import, bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from rights.domain.identifiers import IdentifierKind
from rights.domain.model import Address, OrgStatus, OrgType
from rights.imports.kbo import import_kbo
from rights.imports.report import read_report
from rights.imports.rows import ImportAbort
from rights.storage import SqlStore
from tests.imports.kbo_dumps import (
    AFFLIGEM,
    BAKERY,
    BREWERY,
    EST_1,
    EST_2,
    PERSON,
    base_dump,
    dotted,
    imported,
    q,
    scalar,
    write_dump,
)  # fmt: skip

N = lambda dotted: dotted.replace(".", "")  # noqa: E731


async def test_first_import_builds_organisations_names_and_establishments(store: SqlStore, tmp_path: Path) -> None:
    counts = await import_kbo(store, base_dump(tmp_path / "dump"), report=tmp_path / "bad.jsonl")
    assert counts["created"] == 4 and counts["established"] == 2 and counts["bad_rows"] == 0
    async with store.read() as tx:
        town = await tx.find_organisation(IdentifierKind.ENTERPRISE_NUMBER, N(AFFLIGEM))
        bakery = await tx.find_organisation(IdentifierKind.ESTABLISHMENT_NUMBER, N(EST_2))
        brewery = await tx.find_organisation(IdentifierKind.ENTERPRISE_NUMBER, N(BREWERY))
        person = await tx.find_organisation(IdentifierKind.ENTERPRISE_NUMBER, N(PERSON))
    assert town is not None and town.type is OrgType.LOCAL_GOVERNMENT and town.name == "Gemeente Affligem"
    assert bakery is not None and bakery.type is OrgType.COMPANY
    assert (bakery.name, bakery.short_name) == ("Bakkerij Peeters", "BP")  # Dutch first
    assert bakery.identifiers.enterprise_number == N(BAKERY)
    assert set(bakery.identifiers.establishment_numbers) == {N(EST_1), N(EST_2)}
    assert bakery.address == Address(street="Kerkstraat", house_number="12", box="A", postal_code="1790",
                                     municipality="Affligem", country="BE")  # fmt: skip
    assert brewery is not None and brewery.name == "Brasserie de l'Étoile" and brewery.address.street == "Rue Haute"
    assert person is not None and person.name == "Frituur Çelik" and person.address is None
    # the other names are kept, folded for search
    # (the French name, the abbreviation, the commercial name and the commercial name of its unit EST_1)
    names = await scalar(store, f"SELECT count(*) FROM organisation_names WHERE organisation_id = '{bakery.id}'")
    assert names == 4
    assert await scalar(store, "SELECT organisation_id FROM organisation_names WHERE kind = 'unit_name'"
                               " AND name = 'Bakkerij Peeters Markt'") == bakery.id  # fmt: skip
    folded = await scalar(store, "SELECT search_name FROM organisation_names WHERE name = 'Het Gouden Brood'")
    assert folded == "het gouden brood"
    assert await scalar(store, "SELECT search_name FROM organisations WHERE name = 'Brasserie de l''Étoile'") == (
        "brasserie de l etoile"
    )


async def test_second_identical_import_changes_nothing(store: SqlStore, tmp_path: Path) -> None:
    dump = base_dump(tmp_path / "dump")
    await import_kbo(store, dump)
    before = await imported(store)
    revision = await scalar(store, "SELECT value FROM revision_counter")
    counts = await import_kbo(store, dump, force=True)  # the same extract again: only when forced
    assert {k: v for k, v in counts.items() if v} == {"unchanged": 4}
    assert await imported(store) == before  # same versions: nothing was rewritten
    # the only change-log entry is the run's own completion record
    assert await scalar(store, "SELECT value FROM revision_counter") == revision + 1
    assert await scalar(store, "SELECT kind FROM changes ORDER BY revision DESC LIMIT 1") == "register_import_completed"
    assert await scalar(store, "SELECT count(*) FROM organisation_identifiers") == 6


async def test_next_month_updates_names_and_addresses_and_ceases_the_missing(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, base_dump(tmp_path / "m0"))
    new_dotted = dotted(2_100_150)  # a new enterprise, numbered between existing ones
    new_number = N(new_dotted)
    month1 = write_dump(
        tmp_path / "m1",
        [  # the brewery is gone
            q(AFFLIGEM, "AC", "000", "2", "411", "", "01-01-1977"),
            q(BAKERY, "AC", "000", "2", "610", "", "15-03-2012"),
            q(new_dotted, "AC", "000", "2", "017", "", "01-09-2025"),
            q(PERSON, "AC", "000", "1", "", "", "30-11-2001"),
        ],
        [
            q(AFFLIGEM, "2", "001", "Gemeente Affligem"),
            q(BAKERY, "2", "001", "Bakkerij Peeters & Zonen"),
            q(new_dotted, "2", "001", "Jeugdhuis Ouzo VZW"),
            q(PERSON, "2", "003", "Frituur Çelik"),
        ],
        [
            q(AFFLIGEM, "REGO", "", "", "1790", "Affligem", "Affligem", "Bellestraat", "", "7", "", "", ""),
            q(BAKERY, "REGO", "", "", "1785", "Merchtem", "", "Stationsstraat", "", "1", "", "", ""),
        ],
        [q(EST_1, "01-01-2013", BAKERY), q(EST_2, "01-01-2014", BAKERY)],
    )
    before = await imported(store)
    counts = await import_kbo(store, month1, confirm_cease=1)  # 1 of 4 is more than 0.5 %: confirmed
    assert (counts["created"], counts["updated"], counts["unchanged"], counts["ceased"]) == (1, 2, 1, 1)
    after = await imported(store)
    assert after[N(BAKERY)][1:6] == ("Bakkerij Peeters & Zonen", None, "active", "1785", "Stationsstraat")
    assert after[N(BAKERY)][6] == before[N(BAKERY)][6] + 1
    assert after[N(AFFLIGEM)][1] == "Gemeente Affligem"  # the French name left: only names changed
    # gone from the register: ceased, never deleted, identifiers and history kept
    assert after[N(BREWERY)][1:4] == ("Brasserie de l'Étoile", None, "ceased")
    assert after[new_number][0:2] == ("company", "Jeugdhuis Ouzo VZW")
    assert await scalar(store, "SELECT count(*) FROM organisation_names WHERE name = 'Boulangerie Peeters'") == 0
    # once more: nothing to do; then the brewery comes back and is active again
    again = await import_kbo(store, month1, force=True)
    assert (again["created"], again["updated"], again["ceased"]) == (0, 0, 0)
    back = await import_kbo(store, base_dump(tmp_path / "m2"), confirm_cease=1)
    assert back["ceased"] == 1 and back["updated"] == 3  # bakery, Affligem, brewery reactivated
    assert (await imported(store))[N(BREWERY)][3] == "active"
    assert (await imported(store))[new_number][3] == "ceased"


async def test_every_kind_of_bad_row_is_skipped_and_reported(store: SqlStore, tmp_path: Path) -> None:
    good = dotted(2_000_000)
    dump = write_dump(
        tmp_path / "bad",
        [
            q(good, "AC", "000", "2", "610", "", "01-01-2001"),  # line 2: fine
            q("0200.000.198", "AC", "000", "2", "610", "", "01-01-2001"),  # 3: broken checksum
            q(AFFLIGEM, "AC", "000", "2", "411", "", "31-02-1977"),  # 4: no such date
            q(BAKERY, "AC", "000", "2", "610", ""),  # 5: six columns
            q(BREWERY, "AC", "000", "2", "014", "", "02-05-1990"),  # 6: no denomination at all
            q(PERSON, "AC", "000", "1", "", "", "1990/05/02"),  # 8: not DD-MM-YYYY (7 is raw below)
        ],
        [
            q(good, "2", "001", "Goed Bedrijf"),
            q(AFFLIGEM, "2", "001", "Gemeente Affligem"),
            q(BAKERY, "2", "001", "Bakkerij Peeters"),
            q(BREWERY, "2", "001", "   "),  # line 5: an empty name
            q(PERSON, "9", "001", "Frituur"),  # line 6: no such language
        ],
        [],
        [q(EST_1, "01-01-2013", good), q("2.100.000.000", "01-01-2013", good)],  # line 3: checksum
        raw_enterprise_lines={6: b'"' + dotted(2_100_150).encode() + b'","A\xe9","000","2","610","","01-01-2001"'},  # Latin-1
    )
    counts = await import_kbo(store, dump, report=tmp_path / "report.jsonl")
    # the brewery has no name at all: imported under its number, so a lookup by number still finds it
    assert counts["created"] == 2 and counts["skipped"] == 4
    got = {(b.file, b.line, b.reason) for b in read_report(tmp_path / "report.jsonl")}
    assert got == {
        ("enterprise.csv", 3, "checksum"),
        ("enterprise.csv", 4, "date"),
        ("enterprise.csv", 5, "column_count"),
        ("enterprise.csv", 7, "encoding"),
        ("enterprise.csv", 8, "date"),
        ("denomination.csv", 5, "missing_name"),
        ("denomination.csv", 6, "unknown_code"),
        ("establishment.csv", 3, "checksum"),
    }
    assert counts["bad_rows"] == len(got)
    # a bad row is still "seen": the next import does not cease what this one skipped
    assert await scalar(store, "SELECT count(*) FROM organisations WHERE status = 'ceased'") == 0


async def test_unsorted_or_empty_dumps_are_refused_before_anything_is_ceased(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, base_dump(tmp_path / "m0"))
    unsorted = write_dump(
        tmp_path / "unsorted",
        [q(BAKERY, "AC", "000", "2", "610", "", "15-03-2012"), q(AFFLIGEM, "AC", "000", "2", "411", "", "01-01-1977")],
        [q(AFFLIGEM, "2", "001", "Gemeente Affligem"), q(BAKERY, "2", "001", "Bakkerij Peeters")], [], [],
    )  # fmt: skip
    with pytest.raises(ImportAbort, match="not sorted"):
        await import_kbo(store, unsorted)
    with pytest.raises(ImportAbort, match="no enterprises"):
        await import_kbo(store, write_dump(tmp_path / "empty", [], [], [], []))
    assert await scalar(store, "SELECT count(*) FROM organisations WHERE status = 'ceased'") == 0
    assert OrgStatus.ACTIVE.value == "active"
