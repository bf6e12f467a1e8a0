"""Belgian identifiers: read any common written form, check it, return one normal form.

Every ``normalise_*`` function either returns the canonical string that is stored and compared, or
raises :class:`IdentifierError` with a ``kind`` and a short ``reason`` code. Pure stdlib plus
python-stdnum; no framework, no I/O except reading the bundled NIS list.

NIS codes: the bundled ``nis_codes.txt`` holds the 565 municipalities valid from 1 January 2025
(Statbel REFNIS with the 2025 mergers applied; the new codes of merged municipalities come from a
secondary source, see the file). It is read on first use. A deployment that loads a newer REFNIS list
calls :func:`use_nis_codes` at start-up. The comment beside each merged municipality names the codes it
replaced; those *former* codes still find the organisations registered under them
(:func:`normalise_nis_reference`, :func:`parse_organisation_identifier`) but are refused for a new
record (:func:`normalise_nis_code` raises :class:`MergedNisCodeError`).

National register and BIS numbers are personal data: errors never carry the number, ``repr`` shows
only the masked form, and :func:`mask_national_number` never echoes what it was given.
"""

from __future__ import annotations

import calendar
import datetime
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from stdnum.be import vat as _vat
from stdnum.util import clean as _clean

__all__ = [
    "NIS_CODES",
    "IdentifierError",
    "IdentifierKind",
    "FormerNisCode",
    "MergedNisCodeError",
    "NationalNumber",
    "NationalNumberKind",
    "format_enterprise_number",
    "format_establishment_number",
    "former_nis_code",
    "is_valid_iban_be",
    "mask_national_number",
    "nis_municipality_name",
    "normalise_enterprise_number",
    "normalise_establishment_number",
    "normalise_institution_number",
    "normalise_nis_code",
    "normalise_nis_reference",
    "normalise_ovo_code",
    "parse_national_number",
    "parse_organisation_identifier",
    "use_nis_codes",
]

_SEPARATORS = " .-/"
_MASK = "*" * 11
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() would accept "²" or Arabic-Indic digits


class IdentifierError(ValueError):
    """An identifier that cannot be read or fails its check.

    ``kind`` names the identifier (e.g. ``"enterprise_number"``), ``reason`` is a short code:
    ``empty``, ``format``, ``length``, ``first_digit``, ``checksum``, ``unknown_nis_code``,
    ``merged_nis_code``, ``date``.
    The message never contains the value, so it is safe to log.
    """

    def __init__(self, kind: str, reason: str, value: str) -> None:
        super().__init__(f"invalid {kind}: {reason}")
        self.kind = str(kind)  # plain str even when given an IdentifierKind
        self.reason = reason
        self.value = value


class IdentifierKind(enum.StrEnum):
    ENTERPRISE_NUMBER = "enterprise_number"
    ESTABLISHMENT_NUMBER = "establishment_number"
    OVO_CODE = "ovo_code"
    NIS_CODE = "nis_code"
    INSTITUTION_NUMBER = "institution_number"


def _is_digits(s: str) -> bool:
    return _DIGITS.fullmatch(s) is not None


def _digits(kind: str, text: object) -> str:
    """Strip the usual separators; refuse anything that is not then a run of ASCII digits."""
    if not isinstance(text, str):
        raise IdentifierError(kind, "format", "")
    s = _clean(text, _SEPARATORS).strip()
    if not s:
        raise IdentifierError(kind, "empty", text)
    if not _is_digits(s):
        raise IdentifierError(kind, "format", text)
    return s


def _mod97_ok(number: str) -> bool:
    # KBO rule: 97 - (first 8 digits mod 97) == last 2. Not stdnum's (a + b) % 97 == 0, which would
    # also accept check digits "00" where the rule demands 97.
    return 97 - int(number[:8]) % 97 == int(number[8:])


# --- enterprise and establishment unit numbers (KBO / BCE) ---


def normalise_enterprise_number(text: str) -> str:
    """``"BE 0207.509.031"``, ``"207509031"``, ... -> ``"0207509031"``."""
    kind = IdentifierKind.ENTERPRISE_NUMBER
    if not isinstance(text, str) or not text.strip():
        raise IdentifierError(kind, "empty" if isinstance(text, str) else "format", "")
    # stdnum's compact drops separators and the VAT prefix "BE" and gives old 9-digit numbers their 0.
    s = _vat.compact(text)
    if not _is_digits(s):
        raise IdentifierError(kind, "format", text)
    if len(s) != 10:
        raise IdentifierError(kind, "length", text)
    if s[0] not in "01":
        raise IdentifierError(kind, "first_digit", text)
    if not _mod97_ok(s):
        raise IdentifierError(kind, "checksum", text)
    return s


def format_enterprise_number(n: str) -> str:
    """Any accepted form -> ``"0207.509.031"``."""
    s = normalise_enterprise_number(n)
    return f"{s[:4]}.{s[4:7]}.{s[7:]}"


def normalise_establishment_number(text: str) -> str:
    """``"2.147.812.701"`` -> ``"2147812701"``; first digit 2-8, same mod-97 check."""
    kind = IdentifierKind.ESTABLISHMENT_NUMBER
    s = _digits(kind, text)
    if len(s) != 10:
        raise IdentifierError(kind, "length", text)
    if s[0] not in "2345678":
        raise IdentifierError(kind, "first_digit", text)
    if not _mod97_ok(s):
        raise IdentifierError(kind, "checksum", text)
    return s


def format_establishment_number(n: str) -> str:
    """Any accepted form -> ``"2.147.812.701"``."""
    s = normalise_establishment_number(n)
    return f"{s[0]}.{s[1:4]}.{s[4:7]}.{s[7:]}"


# --- OVO code (Flemish organisation register) ---


def normalise_ovo_code(text: str) -> str:
    """``"ovo002949"``, ``"OVO 002949"``, ``"OVO-002949"`` -> ``"OVO002949"``. No check digit exists."""
    kind = IdentifierKind.OVO_CODE
    if not isinstance(text, str) or not text.strip():
        raise IdentifierError(kind, "empty" if isinstance(text, str) else "format", "")
    s = text.strip().upper()
    if not s.startswith("OVO"):
        raise IdentifierError(kind, "format", text)
    rest = s[3:].lstrip(" -")
    if not _is_digits(rest):
        raise IdentifierError(kind, "format", text)
    if len(rest) != 6:  # the register zero-pads to six; five or seven digits is a typo, not a variant
        raise IdentifierError(kind, "length", text)
    return "OVO" + rest


# --- NIS code (municipality) ---


@dataclass(frozen=True, slots=True)
class FormerNisCode:
    """The code of a municipality that merged away, and the municipality it merged into."""

    code: str
    name: str
    merged_into: str  # the current NIS code
    merged_into_name: str
    since: datetime.date


class MergedNisCodeError(IdentifierError):
    """A former NIS code given where only a current one will do (registering a new organisation)."""

    def __init__(self, former: FormerNisCode, value: str) -> None:
        super().__init__(IdentifierKind.NIS_CODE, "merged_nis_code", value)
        self.former = former


# "# 2025: De Pinte 44012 + Nazareth 44048 (secondary source)" and
# "# absorbed Borsbeek (11007) on 2025-01-01 and kept its code": the mergers recorded beside each code.
_MERGED = re.compile(r"^(\d{4}): (.+?)(?: \(secondary source\))?$")
_MERGED_PART = re.compile(r"^(.+) (\d{5})$")
_ABSORBED = re.compile(r"^absorbed (.+?) \((\d{5})\) on (\d{4}-\d{2}-\d{2})")

_NisTable = tuple[dict[str, str], frozenset[str], dict[str, FormerNisCode]]
_nis: _NisTable | None = None
_bundled_former: dict[str, FormerNisCode] | None = None


def _former_from_comment(code: str, name: str, comment: str) -> list[FormerNisCode]:
    if m := _MERGED.match(comment):
        since = datetime.date(int(m[1]), 1, 1)
        parts = [_MERGED_PART.match(p.strip()) for p in m[2].split(" + ")]
        return [FormerNisCode(p[2], p[1], code, name, since) for p in parts if p and p[2] != code]
    if m := _ABSORBED.match(comment):
        return [FormerNisCode(m[2], m[1], code, name, datetime.date.fromisoformat(m[3]))]
    return []


def _load_bundled_nis() -> tuple[dict[str, str], dict[str, FormerNisCode]]:
    package = __name__.rpartition(".")[0]
    text = resources.files(package).joinpath("nis_codes.txt").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    former: dict[str, FormerNisCode] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line, _, comment = raw.partition("#")
        line = line.strip()
        if not line:
            continue
        code, _, name = line.partition(" ")
        if len(code) != 5 or not _is_digits(code):
            raise ValueError(f"nis_codes.txt line {lineno}: not a 5-digit NIS code")
        out[code] = name.strip()
        for f in _former_from_comment(code, out[code], comment.strip()):
            former[f.code] = f
    clash = sorted(set(former) & set(out))
    if clash:
        raise ValueError(f"nis_codes.txt: former codes still listed as current: {clash}")
    return out, former


def _nis_table() -> _NisTable:
    global _nis, _bundled_former
    if _nis is None:
        names, _bundled_former = _load_bundled_nis()
        _nis = (names, frozenset(names), _bundled_former)
    return _nis


def use_nis_codes(
    codes: Mapping[str, str] | Iterable[str] | None, former: Iterable[FormerNisCode] | None = None
) -> None:
    """Replace the municipality list (code -> name, or just codes); ``None`` restores the bundled one.

    ``former`` lists the codes that merged away; without it the bundled mergers stay known, except those
    whose code the new list has as current again (a list from before the merger).
    """
    global _nis, _bundled_former
    if codes is None:
        _nis = None
        return
    names = dict(codes) if isinstance(codes, Mapping) else dict.fromkeys(codes, "")
    bad = [c for c in names if len(c) != 5 or not _is_digits(c)]
    if bad:
        raise ValueError(f"not 5-digit NIS codes: {bad[:5]}")
    if former is None:
        if _bundled_former is None:
            _bundled_former = _load_bundled_nis()[1]
        former = _bundled_former.values()
    _nis = (names, frozenset(names), {f.code: f for f in former if f.code not in names})


def nis_municipality_name(code: str) -> str | None:
    """Name of a current municipality (as listed), or ``None`` when the code is not current."""
    return _nis_table()[0].get(code)


def former_nis_code(code: str) -> FormerNisCode | None:
    """The merger a former code took part in, or ``None`` when ``code`` is not a former NIS code."""
    return _nis_table()[2].get(code)


if TYPE_CHECKING:
    NIS_CODES: frozenset[str]


def __getattr__(name: str) -> frozenset[str]:
    # NIS_CODES is computed on first access (PEP 562) so importing this module reads no file.
    if name == "NIS_CODES":
        return _nis_table()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def normalise_nis_code(text: str) -> str:
    """Five digits that name a current municipality.

    The code of a municipality that merged away raises :class:`MergedNisCodeError`, which names the
    municipality it merged into: a new record must carry the current code.
    """
    s = normalise_nis_reference(text)
    former = _nis_table()[2].get(s)
    if former is not None:
        raise MergedNisCodeError(former, text)
    return s


def normalise_nis_reference(text: str) -> str:
    """A current NIS code, or a former one: what a reference to an existing organisation may carry.

    Organisations registered before a merger keep the code they had, and checks, claims and the helpline
    still find them by it (and, once a succession is applied, answer for the successor).
    """
    kind = IdentifierKind.NIS_CODE
    s = _digits(kind, text)
    if len(s) != 5:
        raise IdentifierError(kind, "length", text)
    table = _nis_table()
    if s not in table[1] and s not in table[2]:
        raise IdentifierError(kind, "unknown_nis_code", text)
    return s


# --- institution number (education) ---


def normalise_institution_number(text: str) -> str:
    """Up to six digits, zero-padded: public lists drop the leading zeros (``"12345"`` -> ``"012345"``)."""
    kind = IdentifierKind.INSTITUTION_NUMBER
    s = _digits(kind, text)
    if len(s) > 6:
        raise IdentifierError(kind, "length", text)
    if int(s) == 0:
        raise IdentifierError(kind, "format", text)
    return s.zfill(6)


# --- detection ---


def parse_organisation_identifier(text: str) -> tuple[IdentifierKind, str]:
    """Recognise which organisation identifier ``text`` is and return it normalised.

    A 5-digit string that is a current NIS code, or the former code of a municipality that merged away,
    is a NIS code; otherwise an institution number.
    Something shaped like an enterprise number with a bad check raises the enterprise-number error,
    so the user hears "wrong check digits" rather than "unrecognised".
    """
    kind = "organisation_identifier"
    if not isinstance(text, str) or not text.strip():
        raise IdentifierError(kind, "empty" if isinstance(text, str) else "format", "")
    upper = text.strip().upper()
    if upper.startswith("OVO"):
        return IdentifierKind.OVO_CODE, normalise_ovo_code(text)
    if upper.startswith("OV") and _is_digits(_clean(upper[2:], _SEPARATORS)):
        # The education target group's organisation code in claims: "OV" + the institution number.
        return IdentifierKind.INSTITUTION_NUMBER, normalise_institution_number(upper[2:])
    if upper.startswith("BE"):
        return IdentifierKind.ENTERPRISE_NUMBER, normalise_enterprise_number(text)
    s = _clean(upper, _SEPARATORS)
    if not _is_digits(s):
        raise IdentifierError(kind, "format", text)
    if len(s) == 9 or (len(s) == 10 and s[0] in "01"):
        return IdentifierKind.ENTERPRISE_NUMBER, normalise_enterprise_number(s)
    if len(s) == 10 and s[0] in "2345678":
        return IdentifierKind.ESTABLISHMENT_NUMBER, normalise_establishment_number(s)
    if len(s) == 5 and (s in _nis_table()[1] or s in _nis_table()[2]):
        return IdentifierKind.NIS_CODE, s
    if len(s) <= 6 and int(s) != 0:
        return IdentifierKind.INSTITUTION_NUMBER, normalise_institution_number(s)
    if len(s) == 10:  # first digit 9: neither an enterprise nor an establishment unit
        raise IdentifierError(kind, "first_digit", text)
    raise IdentifierError(kind, "length" if len(s) > 6 else "format", text)


# --- national register and BIS numbers ---


class NationalNumberKind(enum.StrEnum):
    NATIONAL_REGISTER = "national_register"
    BIS = "bis"


@dataclass(frozen=True, slots=True)
class NationalNumber:
    value: str  # 11 digits
    kind: NationalNumberKind
    birth_date: datetime.date | None  # None when month or day is unknown (0)

    @property
    def masked(self) -> str:
        """``"85.07.30-***.**"``: the birth-date part only; serial and check digits are hidden."""
        v = self.value
        return f"{v[0:2]}.{v[2:4]}.{v[4:6]}-***.**"

    @property
    def formatted(self) -> str:
        v = self.value
        return f"{v[0:2]}.{v[2:4]}.{v[4:6]}-{v[6:9]}.{v[9:11]}"

    def __repr__(self) -> str:  # keeps the full number out of logs and tracebacks
        return f"NationalNumber({self.masked!r}, kind={self.kind.value!r})"


def parse_national_number(text: str) -> NationalNumber:
    """``"85073003328"``, ``"85.07.30-033.28"``, ``"85 07 30 033 28"`` -> :class:`NationalNumber`."""
    kind = "national_number"
    try:
        s = _digits(kind, text)
    except IdentifierError as e:
        raise IdentifierError(kind, e.reason, "") from None  # never keep the personal number around
    if len(s) != 11:
        raise IdentifierError(kind, "length", "")
    base, check = int(s[:9]), int(s[9:])
    # Births from 2000 on compute the check over "2" + the nine digits; whichever rule holds gives the
    # century (2 000 000 000 mod 97 = 68, so at most one rule can hold).
    if 97 - base % 97 == check:
        year = 1900 + int(s[:2])
    elif 97 - (2_000_000_000 + base) % 97 == check:
        year = 2000 + int(s[:2])
    else:
        raise IdentifierError(kind, "checksum", "")
    month, day = int(s[2:4]), int(s[4:6])
    nn_kind = NationalNumberKind.NATIONAL_REGISTER
    if 20 <= month <= 32 or 40 <= month <= 52:  # BIS: month + 20 (sex unknown) or + 40 (sex known)
        nn_kind, month = NationalNumberKind.BIS, month % 20
    if month > 12:
        raise IdentifierError(kind, "date", "")
    if month == 0:
        # Unknown month, or the day's serials ran out and the register moved on to 00/dd: the day part
        # then carries no date, so it is only bounded.
        if day > 31:
            raise IdentifierError(kind, "date", "")
        birth = None
    elif day == 0:
        birth = None
    elif day > calendar.monthrange(year, month)[1]:
        raise IdentifierError(kind, "date", "")
    else:
        birth = datetime.date(year, month, day)
    if year > datetime.date.today().year or (birth is not None and birth > datetime.date.today()):
        raise IdentifierError(kind, "date", "")
    return NationalNumber(value=s, kind=nn_kind, birth_date=birth)


def mask_national_number(text: str) -> str:
    """Masked form of a valid number; ``"***********"`` for anything else (the input is never echoed)."""
    try:
        return parse_national_number(text).masked
    except IdentifierError:
        return _MASK


# --- Belgian IBAN ---


def is_valid_iban_be(text: str) -> bool:
    """``BEkk`` + 12 digits, ISO 7064 mod 97-10 and the Belgian account check.

    Not stdnum.be.iban: it also requires the bank code to be in its bundled bank list, which rejects
    valid accounts of banks it does not know (e.g. BE68 5390 0754 7034).
    """
    if not isinstance(text, str):
        return False
    s = _clean(text, " -").strip().upper()
    if not re.fullmatch(r"BE[0-9]{14}", s):
        return False
    # ISO 13616: move the country code and check to the end, letters as numbers (B=11, E=14).
    if int(s[4:] + "1114" + s[2:4]) % 97 != 1:
        return False
    bban = s[4:]
    return (int(bban[:10]) % 97 or 97) == int(bban[10:])
