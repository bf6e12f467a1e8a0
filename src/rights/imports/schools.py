"""``rights import schools FILE``: the education institutions list, ``;``-separated UTF-8 with a BOM.

Columns (header row, names as in docs/imports.md)::

    instellingsnummer;naam;straat;huisnummer;postcode;gemeente;soort;schoolbestuur

``schoolbestuur`` is the enterprise number of the school board (school group); when an organisation
with that number is known (e.g. from the KBO import) it becomes the institution's parent.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rights.domain import identifiers as ids
from rights.imports import report as r
from rights.imports.entries import Entry, import_entries
from rights.imports.report import BadRowReport
from rights.imports.rows import Source

HEADER = ("instellingsnummer", "naam", "straat", "huisnummer", "postcode", "gemeente", "soort", "schoolbestuur")


def read_schools(path: Path, rep: BadRowReport) -> list[Entry]:
    entries = []
    for line, row, problem in Source(path, HEADER, delimiter=";").rows():
        if problem is not None:
            rep.bad(path.name, line, problem, row[0] if row else None)
            continue
        try:
            number = ids.normalise_institution_number(row[0])
        except ids.IdentifierError:
            rep.bad(path.name, line, r.INVALID, row[0], "instellingsnummer")
            continue
        try:  # the board's number is its own field: a wrong one is not the school's number's fault
            board = ids.normalise_enterprise_number(row[7]) if row[7].strip() else None
        except ids.IdentifierError as exc:
            rep.bad(path.name, line, r.CHECKSUM if exc.reason == "checksum" else r.INVALID, number, "schoolbestuur")
            continue
        name = " ".join(row[1].split())
        if not name:
            rep.bad(path.name, line, r.MISSING_NAME, number, "naam")
            continue
        address = {"street": row[2].strip(), "house_number": row[3].strip(), "box": "",
                   "postal_code": row[4].strip(), "municipality": row[5].strip(), "country": "BE"}  # fmt: skip
        entries.append(Entry(key=number, line=line, type="education_institution", name=name, short_name=None,
                             identifiers={"institution_number": number}, address=address, parent_key=board))  # fmt: skip
    return entries


async def import_schools(store, path: Path, *, report: Path | None = None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rep = BadRowReport(report)
    try:
        entries = read_schools(path, rep)
        dump_id = hashlib.sha1(path.read_bytes()).hexdigest()
        return await import_entries(store, "schools", dump_id, entries, rep, parent_kind="enterprise_number")
    finally:
        rep.close()


__all__ = ["HEADER", "import_schools", "read_schools"]
