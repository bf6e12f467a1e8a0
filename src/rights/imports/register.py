"""``rights import organisations FILE``: the Flemish organisation register (OVO) export, JSON lines.

One JSON object per line with the register's field names (docs/imports.md)::

    {"ovoNumber": "OVO002949", "name": "Digitaal Vlaanderen", "shortName": "DV", "kboNumber": "0316.380.940",
     "validity": {"start": "2020-01-01", "end": null}, "keys": [{"keyTypeName": "NIS", "value": "44021"}],
     "parents": [{"ovoNumber": "OVO000001", "validity": {"start": null, "end": null}}], "changeId": 17}

Entries become ``flemish_entity`` organisations (an entity already imported from KBO under the same
enterprise number is taken over, not duplicated); an entity whose validity ended is ``ceased``; the
current parent is linked once every entry is in. A few ten thousand rows: one batch per 1,000, the
same register_records fingerprints as the KBO import (unchanged entries are not rewritten).
"""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import msgspec

from rights.domain import identifiers as ids
from rights.imports import report as r
from rights.imports.entries import Entry, import_entries
from rights.imports.report import BadRowReport


class _Validity(msgspec.Struct, frozen=True):
    start: str | None = None
    end: str | None = None


class _Key(msgspec.Struct, frozen=True):
    keyTypeName: str = ""  # noqa: N815 - the register's field names
    value: str = ""


class _Parent(msgspec.Struct):
    ovoNumber: str  # noqa: N815
    validity: _Validity = _Validity()


class OvoRow(msgspec.Struct):
    ovoNumber: str  # noqa: N815
    name: str = ""
    shortName: str | None = None  # noqa: N815
    kboNumber: str | None = None  # noqa: N815
    validity: _Validity = _Validity()
    keys: list[_Key] = []
    parents: list[_Parent] = []
    changeId: int | None = None  # noqa: N815


def _date(text: str | None) -> datetime.date | None:
    return None if not text else datetime.date.fromisoformat(text)


def _current(validity: _Validity, today: datetime.date) -> bool:
    start, end = _date(validity.start), _date(validity.end)
    return (start is None or start <= today) and (end is None or today <= end)


def read_ovo(path: Path, rep: BadRowReport, today: datetime.date) -> list[Entry]:
    decoder = msgspec.json.Decoder(OvoRow)
    entries = []
    with open(path, "rb") as f:
        for line, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                row = decoder.decode(raw)
            except (msgspec.DecodeError, UnicodeDecodeError) as exc:
                rep.bad(path.name, line, r.ENCODING if "UTF-8" in str(exc) else r.INVALID)
                continue
            try:
                code = ids.normalise_ovo_code(row.ovoNumber)
                kbo = ids.normalise_enterprise_number(row.kboNumber) if row.kboNumber else None
                nis = [ids.normalise_nis_code(k.value) for k in row.keys if k.keyTypeName.upper() == "NIS"]
                active = _current(row.validity, today)
                parents = [p for p in row.parents if _current(p.validity, today)]
                parent = ids.normalise_ovo_code(parents[0].ovoNumber) if parents else None
            except ids.IdentifierError as exc:
                rep.bad(path.name, line, r.CHECKSUM if exc.reason == "checksum" else r.INVALID, row.ovoNumber)
                continue
            except ValueError:
                rep.bad(path.name, line, r.DATE, row.ovoNumber)
                continue
            name = " ".join(row.name.split())
            if not name:
                rep.bad(path.name, line, r.MISSING_NAME, code)
                continue
            entries.append(
                Entry(
                    key=code, line=line, type="flemish_entity", name=name, short_name=row.shortName or None,
                    identifiers={"ovo_code": code, "enterprise_number": kbo, "nis_code": nis[0] if nis else None},
                    active=active, parent_key=parent,
                )  # fmt: skip
            )
    return entries


async def import_organisations(store, path: Path, *, report: Path | None = None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rep = BadRowReport(report)
    try:
        entries = read_ovo(path, rep, datetime.date.today())
        dump_id = hashlib.sha1(path.read_bytes()).hexdigest()
        return await import_entries(store, "ovo", dump_id, entries, rep, parent_kind="ovo_code")
    finally:
        rep.close()


__all__ = ["import_organisations", "read_ovo"]
