"""Issue 11, item 3: names that must find their organisation (SQLite FTS5 and PostgreSQL pg_trgm).

Units' commercial names, an enterprise whose only name is its unit's, the Dutch KBO name of an entity
the organisation register took over, a two-letter abbreviation, and a clean report after an unsorted
file stopped an import.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rights.domain.lookup import find
from rights.imports.kbo import import_kbo
from rights.imports.register import import_organisations
from rights.imports.rows import ImportAbort
from rights.storage import SqlStore
from tests.imports.kbo_dumps import dotted, establishment_number, q, write_dump

SHOP, SOLE, TOWN = dotted(4_000_000), dotted(4_000_100), dotted(4_000_200)
SHOP_UNIT, SOLE_UNIT = establishment_number(40_000_000), establishment_number(40_000_100)
N = lambda d: d.replace(".", "")  # noqa: E731


def dump(path: Path) -> Path:
    return write_dump(
        path,
        [q(SHOP, "AC", "000", "2", "610", "", "01-01-2001"), q(SOLE, "AC", "000", "1", "", "", "01-01-2001"),
         q(TOWN, "AC", "000", "2", "411", "", "01-01-1977")],  # fmt: skip
        [q(SHOP, "2", "001", "Lejeune Retail"), q(TOWN, "2", "001", "Vlaamse Gemeenschap"),
         q(TOWN, "1", "001", "Communauté flamande"), q(TOWN, "2", "002", "BL"),
         # the units' names, after every enterprise as in the published file
         q(SHOP_UNIT, "2", "003", "Winkel Lejeune"), q(SOLE_UNIT, "2", "003", "Frituur De Kaai")],  # fmt: skip
        [],
        [q(SHOP_UNIT, "01-01-2010", SHOP), q(SOLE_UNIT, "01-01-2012", SOLE)],
    )


async def names(store: SqlStore, query: str) -> list[tuple[str, str]]:
    async with store.read() as tx:
        return [(m.organisation.name, m.matched) for m in await find(tx, query)]


async def test_units_names_find_their_enterprise(store: SqlStore, tmp_path: Path) -> None:
    counts = await import_kbo(store, dump(tmp_path / "d"))
    # one unit name added to its enterprise's names; the other became its nameless enterprise's name
    assert counts["created"] == 3 and counts["unit_names"] == 1 and counts["bad_rows"] == 0
    assert (await names(store, "winkel lejeune"))[0] == ("Lejeune Retail", "winkel lejeune")
    # an enterprise whose only name sits on its unit: imported, named after it, found by number and name
    assert (await names(store, N(SOLE))) == [("Frituur De Kaai", N(SOLE))]
    assert (await names(store, "frituur de kaai"))[0][0] == "Frituur De Kaai"
    assert (await names(store, SOLE_UNIT))[0][0] == "Frituur De Kaai"
    # a two-letter abbreviation
    assert (await names(store, "BL"))[0][0] == "Vlaamse Gemeenschap"


async def test_dutch_kbo_name_still_finds_an_entity_the_register_took_over(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, dump(tmp_path / "d"))
    export = tmp_path / "ovo.json"
    export.write_text(json.dumps([{"ovoNumber": "OVO000001", "name": "Vlaamse overheid", "shortName": "VO",
                                   "kboNumber": TOWN, "validity": {"start": "2000-01-01", "end": None}}]))  # fmt: skip
    await import_organisations(store, export)
    for query in ("vlaamse gemeenschap", "communauté flamande", "vlaamse overheid", "VO", "BL"):
        assert (await names(store, query))[0][0] == "Vlaamse overheid", query
    # and still after the next KBO month rewrites the enterprise's names
    d2 = dump(tmp_path / "d2")
    text = (d2 / "denomination.csv").read_text(encoding="utf-8").replace("Communauté flamande", "Communauté fl.")
    (d2 / "denomination.csv").write_text(text, encoding="utf-8")
    await import_kbo(store, d2)
    for query in ("vlaamse gemeenschap", "communaute fl", "vlaamse overheid"):
        assert (await names(store, query))[0][0] == "Vlaamse overheid", query


async def test_an_unsorted_file_leaves_no_misleading_missing_name_lines(store: SqlStore, tmp_path: Path) -> None:
    d = dump(tmp_path / "d")
    lines = (d / "denomination.csv").read_bytes().split(b"\r\n")
    lines[1], lines[2] = lines[2], lines[1]  # SHOP's and TOWN's names swapped: not sorted
    (d / "denomination.csv").write_bytes(b"\r\n".join(lines))
    report = tmp_path / "bad.jsonl"
    with pytest.raises(ImportAbort, match="denomination.csv is not sorted"):
        await import_kbo(store, d, report=report)
    assert not report.exists() or report.read_text() == ""
