"""The one CSV format of every export (issue 16): what a spreadsheet program in Belgium opens as it is.

``;`` between cells (Excel with Belgian regional settings expects it), UTF-8 with a byte order mark (so
accents survive), CRLF line ends, a header row in Dutch or, with ``lang="en"``, in English, and every cell
that a spreadsheet could run as a formula prefixed with a quote (CSV injection). The columns of each
export are listed in docs/screens.md; an upload may use any of the three names of a column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

BOM = "\ufeff"
DELIMITER = ";"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number (+32 470 00 00 02) is left as typed: digits and separators cannot call anything.
_PHONE = re.compile(r"\+\d[\d ./()-]*")


class Column(NamedTuple):
    key: str  # the export's own name for the column (stable; an upload may use it)
    nl: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl


def safe_cell(value: str) -> str:
    """No spreadsheet formulas: a cell starting like one is prefixed with a quote (phone numbers stay)."""
    if value.startswith(FORMULA_START) and not _PHONE.fullmatch(value):
        return "'" + value
    return value


def header_keys(columns: Sequence[Column]) -> dict[str, str]:
    """Every name a column may carry in a file (its key, Dutch and English label; any case) to its key."""
    out = {name.strip().lower(): c.key for c in columns for name in (c.nl, c.en)}
    out.update({c.key: c.key for c in columns})  # a column's own key always means that column
    return out


def write_csv(columns: Sequence[Column], rows: Iterable[Sequence[str]], lang: str = "nl") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([c.label(lang) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return (BOM + buf.getvalue()).encode("utf-8")


__all__ = ["BOM", "DELIMITER", "Column", "header_keys", "safe_cell", "write_csv"]
