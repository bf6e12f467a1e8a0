"""The KBO open-data dump as a stream of enterprises, merged from its files by entity number.

``enterprise.csv``, ``denomination.csv`` and ``address.csv`` are sorted by entity number in the real
monthly dumps (enterprises ``0…``/``1…`` before establishment units ``2…``–``8…``), so one pass
over the three files side by side, each a cursor, assembles an enterprise in constant memory. An
unsorted file is refused (ImportAbort) rather than half-imported. ``establishment.csv`` is read in a
separate pass (see kbo.py): it is not keyed by enterprise number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rights.imports import report as r
from rights.imports.rows import Bad, ImportAbort, Source, kbo_number, valid_date

ENTERPRISE = ("EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise", "JuridicalForm",
              "JuridicalFormCAC", "StartDate")  # fmt: skip
DENOMINATION = ("EntityNumber", "Language", "TypeOfDenomination", "Denomination")
ADDRESS = ("EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "MunicipalityNL",
           "MunicipalityFR", "StreetNL", "StreetFR", "HouseNumber", "Box", "ExtraAddressInfo",
           "DateStrikingOff")  # fmt: skip
ESTABLISHMENT = ("EstablishmentNumber", "StartDate", "EnterpriseNumber")

LANGUAGES = {"0": "", "1": "fr", "2": "nl", "3": "de", "4": "en"}
PREFERENCE = {"nl": 0, "fr": 1, "de": 2, "en": 3, "": 4}  # Dutch first, then French, German, English
DENOMINATION_KINDS = {"001": "name", "002": "abbreviation", "003": "commercial_name"}


@dataclass(slots=True)
class Enterprise:
    key: str  # ten digits
    line: int
    juridical_form: str
    names: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, language, name)
    address: dict[str, str] | None = None
    problem: str | None = None  # a bad row: seen (so not gone) but not imported


class KboDump:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.enterprise = Source(directory / "enterprise.csv", ENTERPRISE)
        self.denomination = Source(directory / "denomination.csv", DENOMINATION)
        self.address = Source(directory / "address.csv", ADDRESS)
        self.establishment = Source(directory / "establishment.csv", ESTABLISHMENT)

    def dump_id(self) -> str:
        """Identifies this dump: meta.csv's extract number and timestamp, and the files' sizes."""
        meta = self.directory / "meta.csv"
        parts = []
        if meta.is_file():
            for _line, row, problem in Source(meta, None).rows():
                if problem is None and row[0] in ("ExtractNumber", "ExtractTimestamp", "SnapshotDate"):
                    parts.append(row[1])
        sizes = ",".join(str(s.size) for s in (self.enterprise, self.denomination, self.address,
                                               self.establishment))  # fmt: skip
        return "/".join(parts)[:80] + "#" + hashlib.sha1(sizes.encode()).hexdigest()[:16]

    def enterprises(self, bad: Bad) -> Iterator[Enterprise]:
        names = _Cursor(self.denomination, bad, _denomination)
        addresses = _Cursor(self.address, bad, _address)
        previous = ""
        for line, row, problem in self.enterprise.rows():
            key, reason = kbo_number(row[0]) if row else (None, r.NUMBER)
            if key is None:
                bad(self.enterprise.name, line, problem or reason or r.NUMBER, row[0] if row else None)
                continue
            if key <= previous:
                raise ImportAbort(f"{self.enterprise.name} is not sorted by enterprise number at line {line}")
            previous = key
            ent = Enterprise(key, line, row[4] if problem is None else "")
            ent.names = [v for v in names.take(key) if v is not None]
            found = [v for v in addresses.take(key) if v is not None]
            ent.address = found[0] if found else None
            if problem is None and not valid_date(row[6]):
                problem = r.DATE
            if problem is None and not ent.names:
                problem = r.MISSING_NAME
            if problem is not None:
                ent.problem = problem
                bad(self.enterprise.name, line, problem, key)
            yield ent


def _denomination(row: list[str]) -> tuple[tuple[str, str, str] | None, str | None]:
    language, kind = LANGUAGES.get(row[1]), DENOMINATION_KINDS.get(row[2])
    if language is None or kind is None:
        return None, r.UNKNOWN_CODE
    name = " ".join(row[3].split())
    if not name:
        return None, r.MISSING_NAME
    return (kind, language, name), None


def _address(row: list[str]) -> tuple[dict[str, str] | None, str | None]:
    if row[12] and not valid_date(row[12]):
        return None, r.DATE
    if row[1] != "REGO" or row[12]:
        return None, None  # not the seat, or struck off: not used, not bad
    return {
        "street": row[7] or row[8],
        "house_number": row[9],
        "box": row[10],
        "postal_code": row[4],
        "municipality": row[5] or row[6],
        "country": row[2] or "BE",
    }, None


class _Cursor:
    """Walks a file sorted by entity number alongside enterprise.csv, one entity at a time."""

    def __init__(self, source: Source, bad: Bad, parse) -> None:  # type: ignore[no-untyped-def]
        self.source = source
        self._rows = source.rows()
        self._bad = bad
        self._parse = parse
        self._last = ""
        self._pending: tuple[str, object] | None = None
        self._done = False

    def _next(self) -> tuple[str, object] | None:
        for line, row, problem in self._rows:
            key, reason = kbo_number(row[0], "012345678") if row else (None, r.NUMBER)
            if key is None or problem is not None:
                self._bad(self.source.name, line, problem or reason or r.NUMBER, key or (row[0] if row else None))
                continue
            if key < self._last:
                raise ImportAbort(f"{self.source.name} is not sorted by entity number at line {line}")
            self._last = key
            value, reason = self._parse(row)
            if reason is not None:
                self._bad(self.source.name, line, reason, key)
            return key, value
        self._done = True
        return None

    def take(self, key: str) -> list:  # type: ignore[type-arg]
        """The parsed rows of ``key``, after skipping those of entities before it (orphans)."""
        out = []
        while True:
            if self._pending is None:
                if self._done:
                    return out
                self._pending = self._next()
                if self._pending is None:
                    return out
            pkey, value = self._pending
            if pkey > key:
                return out
            if pkey == key:
                out.append(value)
            self._pending = None


__all__ = ["Enterprise", "KboDump", "PREFERENCE"]
