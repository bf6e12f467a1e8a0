"""Issue 11, item 4: the organisation register and the schools list as their sources publish them.

A bad row names its key and the field at fault; the command's exit code is non-zero when rows were
refused. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rights.domain.identifiers import IdentifierKind
from rights.imports.register import import_organisations
from rights.imports.report import read_report
from rights.imports.schools import import_schools
from rights.storage import SqlStore

RIGHTS = str(Path(sys.executable).with_name("rights"))
VALID = {"start": "2010-01-01", "end": None}


def api_export(path: Path) -> Path:
    """The shape the register's search API answers: a JSON array, parents by the register's own id."""
    path.write_text(json.dumps([
        {"id": "a1", "ovoNumber": "OVO000001", "name": "Vlaamse overheid", "validity": VALID, "parents": []},
        {"id": "b2", "ovoNumber": "OVO002949", "name": "Digitaal Vlaanderen", "shortName": "DV", "validity": VALID,
         "kboNumber": "0207.509.031", "keys": [{"keyTypeName": "NIS", "value": "23105"}],
         "parents": [{"parentOrganisationId": "a1", "parentOrganisationName": "Vlaamse overheid", "validity": VALID}]},
        {"id": "c3", "ovoNumber": "OVO000101", "name": "Fout nummer", "kboNumber": "0207.509.032", "validity": VALID},
        {"id": "d4", "ovoNumber": "OVO000102", "name": "Foute datum", "validity": {"start": "2010-13-01"}},
        {"id": "e5", "ovoNumber": "OVO000103", "name": 17},
        {"id": "f6", "ovoNumber": "OVO000104", "name": "Fout NIS", "keys": [{"keyTypeName": "NIS", "value": "9"}]},
    ], indent=2), encoding="utf-8")  # fmt: skip
    return path


async def test_register_api_export_is_accepted_and_bad_rows_name_key_and_field(store: SqlStore, tmp_path: Path) -> None:
    counts = await import_organisations(store, api_export(tmp_path / "ovo.json"), report=tmp_path / "bad.jsonl")
    assert (counts["created"], counts["parents"], counts["bad_rows"]) == (2, 1, 4)
    got = {(b.line, b.reason, b.key, b.field) for b in read_report(tmp_path / "bad.jsonl")}
    assert got == {
        (3, "checksum", "OVO000101", "kboNumber"),
        (4, "date", "OVO000102", "validity.start"),
        (5, "invalid", "OVO000103", "name"),
        (6, "invalid", "OVO000104", "keys[0].value"),
    }
    async with store.read() as tx:
        dv = await tx.find_organisation(IdentifierKind.OVO_CODE, "OVO002949")
        top = await tx.find_organisation(IdentifierKind.OVO_CODE, "OVO000001")
    assert dv is not None and top is not None and dv.parent_id == top.id and dv.identifiers.nis_code == "23105"


async def test_wrong_board_number_is_reported_against_the_board(store: SqlStore, tmp_path: Path) -> None:
    path = tmp_path / "scholen.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join([
        "instellingsnummer;naam;straat;huisnummer;postcode;gemeente;soort;schoolbestuur",
        "12345;Basisschool De Regenboog;Kerkstraat;1;1790;Affligem;basisonderwijs;0207.509.032",
        "1234567;Te lang;;;;;;",
    ]).encode() + b"\n")  # fmt: skip
    counts = await import_schools(store, path, report=tmp_path / "bad.jsonl")
    assert counts["bad_rows"] == 2
    assert {(b.line, b.reason, b.key, b.field) for b in read_report(tmp_path / "bad.jsonl")} == {
        (2, "checksum", "012345", "schoolbestuur"), (3, "invalid", "1234567", "instellingsnummer")}  # fmt: skip


async def test_commands_exit_non_zero_when_rows_were_refused(store: SqlStore, store_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "RIGHTS_DATABASE_URL": store_url, "RIGHTS_DATA_DIR": str(tmp_path),
           "RIGHTS_SEED_WHEN_EMPTY": "false"}  # fmt: skip
    run = subprocess.run([RIGHTS, "import", "organisations", str(api_export(tmp_path / "ovo.json"))], env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 1 and "rows refused: 4" in run.stderr, run.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"ovoNumber": "OVO000001", "name": "Vlaamse overheid", "validity": VALID}]))
    run = subprocess.run([RIGHTS, "import", "organisations", str(good)], env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    cut = tmp_path / "cut.json"
    cut.write_bytes(api_export(tmp_path / "whole.json").read_bytes()[:300])
    run = subprocess.run([RIGHTS, "import", "organisations", str(cut)], env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert run.returncode == 2 and "not a whole JSON array" in run.stderr


async def test_published_school_list_is_converted_then_imported(store: SqlStore, tmp_path: Path) -> None:
    from rights.imports.convert import convert_schools

    # as a spreadsheet saves it: Windows-1252, comma-separated, the department's own column names and order
    published = tmp_path / "onderwijsinstellingen.csv"
    published.write_bytes("\r\n".join([
        "Instellingsnummer,Instellingsnaam,Straatnaam,Huisnummer,Postcode,Gemeente,Onderwijsniveau,KBO-nummer bestuur",
        "12345,Athénée Royal,Rue Haute,3,4000,Liège,secundair,0207.509.031",
        '23456,"Basisschool De Regenboog, Affligem",Kerkstraat,1,1790,Affligem,basis,',
    ]).encode("cp1252"))  # fmt: skip
    ours = tmp_path / "scholen.csv"
    counts = convert_schools(published, ours, {"schoolbestuur": "KBO-nummer bestuur"})
    assert counts == {"rows": 2, "columns_found": 8}
    assert ours.read_bytes().startswith(b"\xef\xbb\xbfinstellingsnummer;naam;")
    imported_counts = await import_schools(store, ours)
    assert imported_counts["created"] == 2 and imported_counts["bad_rows"] == 1  # the board is not known here
    async with store.read() as tx:
        school = await tx.find_organisation(IdentifierKind.INSTITUTION_NUMBER, "012345")
    assert school is not None and school.name == "Athénée Royal" and school.address.municipality == "Liège"
