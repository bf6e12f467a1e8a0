"""``rights import organisations FILE``: the Flemish organisation register (OVO) export, JSON lines.

One JSON object per line with the register's field names (docs/imports.md)::

    {"ovoNumber": "OVO002949", "name": "Digitaal Vlaanderen", "shortName": "DV", "kboNumber": "0316.380.940",
     "validity": {"start": "2020-01-01", "end": null}, "keys": [{"keyTypeName": "NIS", "value": "44021"}],
     "parents": [{"ovoNumber": "OVO000001", "validity": {"start": null, "end": null}}], "changeId": 17,
     "relations": [{"relationName": "Heeft als opvolger", "relatedOrganisationOvoNumber": "OVO003001"}]}

Entries become ``flemish_entity`` organisations (an entity already imported from KBO under the same
enterprise number is taken over, not duplicated); an entity whose validity ended is ``ceased``; the
current parent is linked once every entry is in. An ended entry related to its successor ("heeft als
opvolger" / "is opvolger van") is proposed as a succession, never applied (rights.imports.successions). A few ten thousand rows: one batch per 1,000, the
same register_records fingerprints as the KBO import (unchanged entries are not rewritten).
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import msgspec

from rights.domain import identifiers as ids
from rights.domain.catalogue import Catalogue
from rights.imports import report as r
from rights.imports.entries import Entry, import_entries
from rights.imports.report import BadRowReport
from rights.imports.rows import ImportAbort
from rights.imports.successions import Link, proposals, propose, relation_direction


class _Validity(msgspec.Struct, frozen=True):
    start: str | None = None
    end: str | None = None


class _Key(msgspec.Struct, frozen=True):
    keyTypeName: str = ""  # noqa: N815 - the register's field names
    value: str = ""


class _Parent(msgspec.Struct):
    ovoNumber: str | None = None  # noqa: N815 - our JSON-lines form
    parentOrganisationId: str | None = None  # noqa: N815 - the register's API: the parent's id
    validity: _Validity = _Validity()


class _Relation(msgspec.Struct):
    relationName: str = ""  # noqa: N815 - the register's field names
    relatedOrganisationOvoNumber: str | None = None  # noqa: N815
    relatedOrganisationId: str | None = None  # noqa: N815 - the related organisation's register id
    validity: _Validity = _Validity()


class OvoRow(msgspec.Struct):
    ovoNumber: str  # noqa: N815
    name: str = ""
    shortName: str | None = None  # noqa: N815
    kboNumber: str | None = None  # noqa: N815
    validity: _Validity = _Validity()
    keys: list[_Key] = []
    parents: list[_Parent] = []
    relations: list[_Relation] = []
    changeId: int | None = None  # noqa: N815
    id: str | None = None  # the register's own id (a UUID), which its API's parents refer to


def _date(text: str | None) -> datetime.date | None:
    return None if not text else datetime.date.fromisoformat(text)


def _current(validity: _Validity, today: datetime.date) -> bool:
    start, end = _date(validity.start), _date(validity.end)
    return (start is None or start <= today) and (end is None or today <= end)


_AT = re.compile(r"at `\$\.?([^`]*)`")


def _raw_rows(path: Path) -> Iterator[tuple[int, bytes]]:
    """The export's objects: a JSON array as the register's API answers (position 1, 2, …), or JSON lines."""
    data = path.read_bytes()
    body = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if body.startswith(b"["):
        try:
            items = msgspec.json.decode(body, type=list[msgspec.Raw])
        except msgspec.DecodeError as exc:
            raise ImportAbort(f"{path.name}: not a whole JSON array ({exc}); cut off?") from None
        for position, raw in enumerate(items, 1):
            yield position, bytes(raw)
        return
    for line, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), 1):
        if raw.strip():
            yield line, raw


def _key_of(raw: bytes) -> str | None:
    try:
        value = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    key = value.get("ovoNumber") if isinstance(value, dict) else None
    return key if isinstance(key, str) else None


class _Bad(Exception):
    def __init__(self, reason: str, field: str) -> None:
        self.reason, self.field = reason, field


def _check(field: str, normalise, value: str):  # type: ignore[no-untyped-def]
    try:
        return normalise(value)
    except ids.IdentifierError as exc:
        raise _Bad(r.CHECKSUM if exc.reason == "checksum" else r.INVALID, field) from None


def _entry(row: OvoRow, line: int, today: datetime.date) -> Entry:
    code = _check("ovoNumber", ids.normalise_ovo_code, row.ovoNumber)
    kbo = _check("kboNumber", ids.normalise_enterprise_number, row.kboNumber) if row.kboNumber else None
    for where, validity in [("validity", row.validity)] + [(f"parents[{i}].validity", p.validity)
                                                           for i, p in enumerate(row.parents)]:  # fmt: skip
        for part in ("start", "end"):
            try:
                _date(getattr(validity, part))
            except ValueError:
                raise _Bad(r.DATE, f"{where}.{part}") from None
    # an entry that ended may carry the NIS code of a municipality that has since merged away
    nis_rule = ids.normalise_nis_code if _current(row.validity, today) else ids.normalise_nis_reference
    nis = [_check(f"keys[{i}].value", nis_rule, k.value)
           for i, k in enumerate(row.keys) if k.keyTypeName.upper() == "NIS"]  # fmt: skip
    parent = None
    for i, p in enumerate(row.parents):
        if _current(p.validity, today):
            if p.ovoNumber:
                parent = _check(f"parents[{i}].ovoNumber", ids.normalise_ovo_code, p.ovoNumber)
            else:
                parent = p.parentOrganisationId and "id:" + p.parentOrganisationId
            break
    name = " ".join(row.name.split())
    if not name:
        raise _Bad(r.MISSING_NAME, "name")
    return Entry(
        key=code, line=line, type="flemish_entity", name=name, short_name=(row.shortName or "").strip() or None,
        identifiers={"ovo_code": code, "enterprise_number": kbo, "nis_code": nis[0] if nis else None},
        active=_current(row.validity, today), parent_key=parent,
    )  # fmt: skip


def _links(row: OvoRow, code: str, line: int) -> list[Link]:
    """The successions an entry's relations state, by OVO code (a register id is resolved later)."""
    out = []
    for i, rel in enumerate(row.relations):
        direction = relation_direction(rel.relationName)
        if direction is None:
            continue
        field = f"relations[{i}].relatedOrganisationOvoNumber"
        if rel.relatedOrganisationOvoNumber:
            other = _check(field, ids.normalise_ovo_code, rel.relatedOrganisationOvoNumber)
        elif rel.relatedOrganisationId:
            other = "id:" + rel.relatedOrganisationId
        else:
            raise _Bad(r.INVALID, field)
        out.append(Link(code, other, line, field) if direction == "succeeded_by" else Link(other, code, line, field))
    return out


def read_ovo(path: Path, rep: BadRowReport, today: datetime.date,
             successions: tuple[list[Link], dict[str, datetime.date]] | None = None) -> list[Entry]:  # fmt: skip
    """Every valid entry; each bad one reported with its OVO number (as written) and the field at fault.

    ``successions``, when given, collects the "succeeded by" links the entries state and each ended
    entry's last day of validity."""
    decoder = msgspec.json.Decoder(OvoRow)
    entries, by_id = [], {}
    links, ended = successions if successions is not None else ([], {})
    for line, raw in _raw_rows(path):
        try:
            row = decoder.decode(raw)
        except UnicodeDecodeError:
            rep.bad(path.name, line, r.ENCODING, _key_of(raw))
            continue
        except msgspec.ValidationError as exc:
            m = _AT.search(str(exc))
            rep.bad(path.name, line, r.INVALID, _key_of(raw), m[1] if m else None)
            continue
        except msgspec.DecodeError:
            rep.bad(path.name, line, r.INVALID, _key_of(raw))
            continue
        try:
            entry = _entry(row, line, today)
            links.extend(_links(row, entry.key, line))
        except _Bad as bad:
            rep.bad(path.name, line, bad.reason, row.ovoNumber, None if bad.field == "ovoNumber" else bad.field)
            continue
        if row.id:
            by_id[row.id] = entry.key
        if end := _date(row.validity.end):
            ended[entry.key] = end
        entries.append(entry)
    for e in entries:  # the register's API names a parent by its id: its OVO number is in the same export
        if e.parent_key and e.parent_key.startswith("id:"):
            e.parent_key = by_id.get(e.parent_key[3:], e.parent_key[3:])
    def resolve(key: str) -> str:  # a related organisation named by its register id: its OVO number
        return by_id.get(key[3:], key) if key.startswith("id:") else key

    links[:] = [Link(resolve(k.predecessor), resolve(k.successor), k.line, k.field) for k in links]
    return entries


async def import_organisations(store, path: Path, *, report: Path | None = None,  # type: ignore[no-untyped-def]
                               catalogue: Catalogue | None = None) -> dict[str, int]:
    """Import the export; then propose the successions it states (``catalogue``: the policies to check
    them by, the bundled ones when not given)."""
    rep = BadRowReport(report)
    try:
        links: list[Link] = []
        ended: dict[str, datetime.date] = {}
        entries = read_ovo(path, rep, datetime.date.today(), (links, ended))
        dump_id = hashlib.sha1(path.read_bytes()).hexdigest()
        counts = await import_entries(store, "ovo", dump_id, entries, rep, parent_kind="ovo_code")
        # a relation to an organisation outside the export (still "id:…") cannot be proposed
        found = proposals([k for k in links if not k.predecessor.startswith("id:")
                           and not k.successor.startswith("id:")], ended)  # fmt: skip
        if found:
            if catalogue is None:
                from rights.policies import default_policies_dir, load_catalogue

                catalogue = load_catalogue(default_policies_dir())
            counts.update(await propose(store, catalogue, "ovo", path.name, found, rep))
            counts["bad_rows"] = rep.count
        return counts
    finally:
        rep.close()


__all__ = ["import_organisations", "read_ovo"]
