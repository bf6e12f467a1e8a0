"""`rights import organisations` (OVO JSON lines) and `rights import schools` (;-separated, BOM)."""

from __future__ import annotations

import json
from pathlib import Path

from rights.domain.identifiers import IdentifierKind
from rights.domain.model import OrgStatus, OrgType
from rights.imports.kbo import import_kbo
from rights.imports.register import import_organisations
from rights.imports.report import read_report
from rights.imports.schools import import_schools
from rights.storage import SqlStore
from tests.imports.kbo_dumps import BAKERY, base_dump


def ovo_line(code: str, name: str, **fields: object) -> str:
    return json.dumps({"ovoNumber": code, "name": name, "validity": {"start": "2015-01-01", "end": None},
                       "keys": [], "parents": [], "changeId": 1, **fields}, ensure_ascii=False)  # fmt: skip


async def test_organisation_register_entities_parents_and_bad_rows(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, base_dump(tmp_path / "kbo"))
    export = tmp_path / "ovo.jsonl"
    export.write_text("\n".join([
        ovo_line("OVO000001", "Vlaamse overheid"),
        ovo_line("OVO002949", "Digitaal Vlaanderen", shortName="DV", kboNumber=BAKERY,
                 keys=[{"keyTypeName": "NIS", "value": "44021"}],
                 parents=[{"ovoNumber": "OVO000001", "validity": {"start": None, "end": None}}]),
        ovo_line("OVO000099", "Opgeheven agentschap", validity={"start": "2001-01-01", "end": "2010-12-31"}),
        ovo_line("OVO12", "Te kort"),  # line 4: not an OVO code
        ovo_line("OVO000100", "  "),  # line 5: no name
        ovo_line("OVO000101", "Fout nummer", kboNumber="0207.509.032"),  # line 6: checksum
        "{not json",  # line 7
        ovo_line("OVO000102", "Wees", parents=[{"ovoNumber": "OVO999999"}]),  # line 8: unknown parent
    ]) + "\n", encoding="utf-8")  # fmt: skip
    counts = await import_organisations(store, export, report=tmp_path / "ovo-bad.jsonl")
    assert (counts["created"], counts["updated"], counts["parents"]) == (3, 1, 1)
    async with store.read() as tx:
        dv = await tx.find_organisation(IdentifierKind.OVO_CODE, "OVO002949")
        top = await tx.find_organisation(IdentifierKind.OVO_CODE, "OVO000001")
        gone = await tx.find_organisation(IdentifierKind.OVO_CODE, "OVO000099")
    # the KBO organisation with the same enterprise number was taken over, not duplicated
    assert dv is not None and dv.type is OrgType.FLEMISH_ENTITY and dv.identifiers.enterprise_number == BAKERY.replace(".", "")
    assert dv.identifiers.nis_code == "44021" and dv.parent_id == top.id and dv.short_name == "DV"
    assert dv.identifiers.establishment_numbers  # kept from KBO
    assert gone is not None and gone.status is OrgStatus.CEASED
    got = {(b.line, b.reason) for b in read_report(tmp_path / "ovo-bad.jsonl")}
    assert got == {(4, "invalid"), (5, "missing_name"), (6, "checksum"), (7, "invalid"), (8, "unknown_parent")}
    again = await import_organisations(store, export)
    assert (again["created"], again["updated"], again["parents"], again["unchanged"]) == (0, 0, 0, 4)
    # the KBO re-import leaves a Flemish entity's own name alone
    await import_kbo(store, base_dump(tmp_path / "kbo2"))
    async with store.read() as tx:
        assert (await tx.find_organisation(IdentifierKind.OVO_CODE, "OVO002949")).name == "Digitaal Vlaanderen"


async def test_schools_list_with_bom_and_school_board_parents(store: SqlStore, tmp_path: Path) -> None:
    await import_kbo(store, base_dump(tmp_path / "kbo"))
    board = BAKERY  # stands in for a school group's enterprise number
    rows = [
        "instellingsnummer;naam;straat;huisnummer;postcode;gemeente;soort;schoolbestuur",
        f"12345;Basisschool De Regenboog;Kerkstraat;1;1790;Affligem;basisonderwijs;{board}",
        "23456;Athénée Royal;Rue Haute;3;4000;Liège;secundair onderwijs;",
        "1234567;Te lang;;;;;;",  # line 4: seven digits
        "34567;;Straat;1;1000;Brussel;;",  # line 5: no name
        "45678;Kapot;Straat;1",  # line 6: column count
    ]
    path = tmp_path / "scholen.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(rows).encode() + b"\n")
    counts = await import_schools(store, path, report=tmp_path / "schools-bad.jsonl")
    assert (counts["created"], counts["parents"], counts["bad_rows"]) == (2, 1, 3)
    async with store.read() as tx:
        school = await tx.find_organisation(IdentifierKind.INSTITUTION_NUMBER, "012345")
        group = await tx.find_organisation(IdentifierKind.ENTERPRISE_NUMBER, board.replace(".", ""))
    assert school is not None and school.type is OrgType.EDUCATION_INSTITUTION and school.parent_id == group.id
    assert school.address is not None and school.address.municipality == "Affligem"
    assert {(b.line, b.reason) for b in read_report(tmp_path / "schools-bad.jsonl")} == {
        (4, "invalid"), (5, "missing_name"), (6, "column_count")}  # fmt: skip
    again = await import_schools(store, path)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
