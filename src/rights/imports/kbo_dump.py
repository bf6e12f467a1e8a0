"""The KBO open-data dump as a stream of enterprises, merged from its files by entity number.

``enterprise.csv``, ``denomination.csv`` and ``address.csv`` are sorted by entity number in the real
monthly dumps (enterprises ``0…``/``1…`` before establishment units ``2…``–``8…``), so one pass
over the three files side by side, each a cursor, assembles an enterprise in constant memory. An
unsorted file is refused (ImportAbort) rather than half-imported. ``establishment.csv`` is read in a
separate pass (see kbo.py): it is not keyed by enterprise number.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rights.imports import report as r
from rights.imports.rows import Archive, Bad, ImportAbort, Source, kbo_number, valid_date

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


@dataclass(frozen=True, slots=True)
class Meta:
    """``meta.csv``: which extract this is. A dump without it is not a KBO open-data extract."""

    snapshot: datetime.date
    number: int
    type: str  # "full" or "update"
    timestamp: str

    @classmethod
    def read(cls, archive: Archive) -> Meta:
        values: dict[str, str] = {}
        for _line, row, problem in Source(archive.path / "meta.csv", None, archive=archive).rows():
            if problem is None and len(row) >= 2:
                values[row[0].strip()] = row[1].strip()
        missing = [k for k in ("SnapshotDate", "ExtractNumber", "ExtractType") if not values.get(k)]
        if missing:
            raise ImportAbort(f"meta.csv: {', '.join(missing)} missing")
        try:
            day, month, year = (int(x) for x in values["SnapshotDate"].split("-"))
            snapshot, number = datetime.date(year, month, day), int(values["ExtractNumber"])
        except ValueError:
            raise ImportAbort(f"meta.csv: SnapshotDate {values['SnapshotDate']!r} or ExtractNumber "
                              f"{values['ExtractNumber']!r} unreadable") from None  # fmt: skip
        kind = values["ExtractType"].lower()
        if kind not in ("full", "update"):
            raise ImportAbort(f"meta.csv: ExtractType {values['ExtractType']!r} is neither full nor update")
        return cls(snapshot, number, kind, values.get("ExtractTimestamp", ""))

    def describe(self) -> str:
        return f"{self.type} extract {self.number} of {self.snapshot.isoformat()}"


class KboDump:
    """A full extract: a folder or the published zip with ``meta.csv`` saying ``ExtractType=full``."""

    def __init__(self, path: Path, *, archive: Archive | None = None, meta: Meta | None = None) -> None:
        self.directory = path
        self.archive = archive or Archive(path)
        self.meta = meta or Meta.read(self.archive)
        if self.meta.type != "full":
            raise ImportAbort(f"{path.name} is an update extract (meta.csv ExtractType=update, extract "
                              f"{self.meta.number}): it is applied as an update, never as a full dump")  # fmt: skip
        a = self.archive
        self.enterprise = Source(path / "enterprise.csv", ENTERPRISE, archive=a)
        self.denomination = Source(path / "denomination.csv", DENOMINATION, archive=a)
        self.address = Source(path / "address.csv", ADDRESS, archive=a)
        self.establishment = Source(path / "establishment.csv", ESTABLISHMENT, archive=a)

    def dump_id(self) -> str:
        """Identifies this dump: meta.csv's extract number and timestamp, and the files' sizes."""
        parts = [str(self.meta.number), self.meta.timestamp, self.meta.snapshot.isoformat()]
        sizes = ",".join(str(s.size) for s in (self.enterprise, self.denomination, self.address,
                                               self.establishment))  # fmt: skip
        return "/".join(parts)[:80] + "#" + hashlib.sha1(sizes.encode()).hexdigest()[:16]

    def enterprise_keys(self) -> Iterator[str]:
        """A first, light pass before anything is written: the enterprise numbers present, in order.

        Also checks that denomination.csv, address.csv and establishment.csv are sorted, so an unsorted
        file is refused before the import reports (or writes) anything. A row whose number is unreadable
        is not present.
        """
        for source in (self.denomination, self.address, self.establishment):
            _check_sorted(self.archive, source.name)
        previous = ""
        with self.archive.open(self.enterprise.name) as f:
            for line, raw in enumerate(f, 1):
                m = _LEADING_NUMBER.match(raw)
                key = kbo_number(m[1].decode())[0] if m else None
                if key is None:
                    continue  # the header, or a bad row the import reports
                if key <= previous:
                    raise ImportAbort(f"{self.enterprise.name} is not sorted by enterprise number at line {line}")
                previous = key
                yield key

    def unit_names(self, bad: Bad) -> Iterator[tuple[int, str, str, list[tuple[str, str, str]]]]:
        """``(line, unit number, enterprise number, the unit's names)`` for every unit in establishment.csv.

        Both establishment.csv and the units' part of denomination.csv (entity numbers 2…–8…, after
        every enterprise) are sorted by unit number: a merge, in constant memory.
        """
        names = _Cursor(Source(self.denomination.path, DENOMINATION, archive=self.archive), _ignore, _denomination)
        for line, row, problem in self.establishment.rows():
            number, reason = kbo_number(row[0], "2345678") if row else (None, r.NUMBER)
            owner, owner_reason = kbo_number(row[2]) if problem is None else (None, None)
            if problem is None and number is not None and not valid_date(row[1]):
                problem = r.DATE
            if problem or number is None or owner is None:
                bad(self.establishment.name, line, problem or reason or owner_reason or r.NUMBER, number or row[0])
                continue
            yield line, number, owner, [v for v in names.take(number) if v is not None]

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
            # no name of its own (it may sit on a unit): imported all the same, findable by number
            if problem is not None:
                ent.problem = problem
                bad(self.enterprise.name, line, problem, key)
            yield ent


_LEADING_NUMBER = re.compile(rb'(?:\xef\xbb\xbf)?"?([0-9]{10}|[0-9]{4}\.[0-9]{3}\.[0-9]{3}|[0-9]\.[0-9]{3}\.[0-9]{3}\.[0-9]{3})"?[,\r\n]')


def _check_sorted(archive: Archive, name: str) -> None:
    """Refuse ``name`` unless the entity numbers its rows start with ascend. A fast scan of the raw
    lines (no CSV parsing, no decoding): lines not starting with a number (the header, the rest of a
    value spanning lines) are passed over, and so are numbers failing their check digits."""
    previous = b""
    with archive.open(name) as f:
        for line, raw in enumerate(f, 1):
            m = _LEADING_NUMBER.match(raw)
            if m is None:
                continue
            key = m[1].replace(b".", b"")
            if key < previous:  # only then are the check digits worth checking: a bad number is no order
                if kbo_number(key.decode(), "012345678")[0] is None:
                    continue
                if kbo_number(previous.decode(), "012345678")[0] is not None:
                    raise ImportAbort(f"{name} is not sorted by entity number at line {line}")
            previous = key


def _ignore(file: str, line: int, reason: str, key: str | None) -> None:
    """Bad rows of a second pass over a file were reported by the first."""


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


__all__ = ["Enterprise", "KboDump", "Meta", "PREFERENCE"]
