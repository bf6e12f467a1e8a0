"""The bad-rows report: one JSON line per skipped input row (file, line, reason, key), and the counts.

A resumed import truncates the report back to where it stood at the last commit and mutes rows it had
already reported (line numbers at or below the checkpoint's), so a kill and a rerun give the same
report as one uninterrupted run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import IO

import msgspec


class BadRow(msgspec.Struct, frozen=True):
    file: str
    line: int  # the line; in a JSON-array export, the element's position (1 = first)
    reason: str
    key: str | None = None  # the row's own key (enterprise, OVO or institution number) as written
    field: str | None = None  # the field at fault, when it is not the key itself


# reasons, as written in the report (docs/imports.md lists them)
CHECKSUM = "checksum"  # an enterprise or establishment number failing the mod-97 check
NUMBER = "number_format"  # not a number of the expected shape at all
MISSING_NAME = "missing_name"
COLUMNS = "column_count"
DATE = "date"  # not a valid DD-MM-YYYY date
ENCODING = "encoding"  # not valid UTF-8
UNKNOWN_CODE = "unknown_code"  # e.g. a denomination language or type KBO does not define
UNKNOWN_ENTERPRISE = "unknown_enterprise"  # an establishment of an enterprise we do not have
UNKNOWN_PARENT = "unknown_parent"
INVALID = "invalid"  # a field that fails its own check (OVO code, NIS code, institution number…)


class BadRowReport:
    """Appends bad rows to ``path`` (JSON lines); ``None`` keeps only the counts."""

    def __init__(self, path: Path | None, *, offset: int = 0, reported: dict[str, int] | None = None) -> None:
        self.path = path
        self.reasons: Counter[str] = Counter()
        self._reported = dict(reported or {})  # file -> last line already in the report
        self._encoder = msgspec.json.Encoder()
        self._file: IO[bytes] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "r+b" if path.exists() else "wb")  # noqa: SIM115 - closed in close()
            self._file.truncate(offset)
            self._file.seek(offset)

    def bad(self, file: str, line: int, reason: str, key: str | None = None, field: str | None = None) -> None:
        if line <= self._reported.get(file, 0):
            return  # reported by the run this one resumes
        self.reasons[reason] += 1
        if self._file is not None:
            row = BadRow(file, line, reason, key, field)
            self._file.write(self._encoder.encode(row) + b"\n")

    @property
    def count(self) -> int:
        return sum(self.reasons.values())

    def offset(self) -> int:
        """Flush and return the report's length: what a checkpoint records."""
        if self._file is None:
            return 0
        self._file.flush()
        return self._file.tell()

    def truncate(self, offset: int) -> None:
        """Drop what was written after ``offset`` (a committed length): lines of a read that failed."""
        if self._file is not None:
            self._file.truncate(offset)
            self._file.seek(offset)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_report(path: Path) -> list[BadRow]:
    decoder = msgspec.json.Decoder(BadRow)
    return [decoder.decode(line) for line in path.read_bytes().splitlines() if line.strip()]


__all__ = ["BadRow", "BadRowReport", "read_report"]
