"""Streaming CSV input with the checks every register file shares: encoding, column count, numbers, dates.

Files are read as bytes line by line and decoded here, so one badly encoded line is a bad row with
its line number instead of an exception that ends the import.
"""

from __future__ import annotations

import csv
import datetime
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from rights.imports import report as r

Bad = Callable[..., None]  # (file, line, reason, key, field=None)


class ImportAbort(Exception):
    """The input cannot be imported at all (missing file, wrong header, unsorted file): nothing is ceased."""

    exit_code = 2


class ImportHeld(ImportAbort):
    """The input is readable but applying it needs an operator's say-so (stale dump, mass ceasing).

    ``lines`` lists what was held (e.g. the organisations it would cease), for the report.
    """

    exit_code = 3

    def __init__(self, message: str, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.lines = lines or []


class Archive:
    """Where a dump's files are: a folder, or a zip as published, read member by member (never unpacked)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.members: dict[str, zipfile.ZipInfo] = {}
        if path.is_dir():
            return
        if not path.is_file():
            raise ImportAbort(f"{path}: no such file or folder")
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ImportAbort(f"{path.name}: not a readable zip archive ({exc}); truncated download?") from None
        for info in self.zip.infolist():
            if not info.is_dir():
                self.members.setdefault(info.filename.rsplit("/", 1)[-1], info)

    def has(self, name: str) -> bool:
        return name in self.members if self.zip is not None else (self.path / name).is_file()

    def names(self) -> list[str]:
        if self.zip is not None:
            return sorted(self.members)
        return sorted(p.name for p in self.path.iterdir() if p.is_file())

    def size(self, name: str) -> int:
        return self.members[name].file_size if self.zip is not None else (self.path / name).stat().st_size

    def open(self, name: str) -> IO[bytes]:
        if self.zip is not None:
            return self.zip.open(self.members[name])  # a stream: decompressed as it is read
        return open(self.path / name, "rb")  # noqa: SIM115 - the caller closes it

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


class Source:
    """One CSV file: yields ``(line, fields, problem)``; tracks bytes read for the progress bar."""

    def __init__(
        self, path: Path, header: tuple[str, ...] | None, *, delimiter: str = ",", archive: Archive | None = None
    ) -> None:
        self.archive = archive or Archive(path.parent)
        if not self.archive.has(path.name):
            raise ImportAbort(f"{path.name}: file not found in {self.archive.path}")
        self.path = path
        self.name = path.name
        self.header = header
        self.delimiter = delimiter
        self.size = self.archive.size(path.name)
        self.position = 0  # bytes read
        self.line = 0  # the last line handed out
        self.columns: list[str] = []

    def _lines(self, bad_lines: set[int]) -> Iterator[str]:
        with self.archive.open(self.name) as f:
            for number, raw in enumerate(_checked(f, self.name), 1):
                self.position += len(raw)
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]  # UTF-8 byte order mark
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError:
                    bad_lines.add(number)
                    yield raw.decode("utf-8", "replace")

    def rows(self) -> Iterator[tuple[int, list[str], str | None]]:
        """Every data row; ``problem`` is a report reason (encoding, column count) or None."""
        bad_lines: set[int] = set()
        reader = csv.reader(self._lines(bad_lines), delimiter=self.delimiter)
        first = next(reader, None)
        if first is None:
            raise ImportAbort(f"{self.name}: empty file")
        self.columns = [c.strip() for c in first]
        if self.header is not None and tuple(self.columns) != self.header:
            raise ImportAbort(f"{self.name}: unexpected header {first!r}, expected {list(self.header)!r}")
        width = len(self.columns)
        for row in reader:
            line = self.line = reader.line_num
            if bad_lines and line in bad_lines:
                bad_lines.discard(line)
                yield line, row, r.ENCODING
            elif len(row) != width:
                yield line, row, r.COLUMNS
            elif row:
                yield line, row, None


def _checked(f: IO[bytes], name: str) -> Iterator[bytes]:
    """The file's lines; a damaged zip member (CRC error, cut short) stops the import, ceasing nothing."""
    try:
        yield from f
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ImportAbort(f"{name}: damaged or truncated archive member ({exc})") from None


def kbo_number(text: str, first_digits: str = "01") -> tuple[str | None, str | None]:
    """``"0207.509.031"`` -> ``("0207509031", None)``; otherwise ``(None, reason)``.

    Inline rather than ``rights.domain.identifiers`` because it runs millions of times per import;
    tests check both agree.
    """
    s = text.replace(".", "").replace(" ", "")
    if len(s) == 9 and first_digits == "01":
        s = "0" + s  # old nine-digit form
    if len(s) != 10 or not s.isascii() or not s.isdigit() or s[0] not in first_digits:
        return None, r.NUMBER
    if 97 - int(s[:8]) % 97 != int(s[8:]):
        return None, r.CHECKSUM
    return s, None


_DATE = re.compile(r"(\d\d)-(\d\d)-(\d{4})")
_dates: dict[str, bool] = {}  # a dump has a few ten thousand distinct dates: remember each verdict


def valid_date(text: str) -> bool:
    """A ``DD-MM-YYYY`` date that exists."""
    known = _dates.get(text)
    if known is not None:
        return known
    m = _DATE.fullmatch(text)
    ok = False
    if m:
        try:
            datetime.date(int(m[3]), int(m[2]), int(m[1]))
            ok = True
        except ValueError:
            pass
    if len(_dates) < 200_000:
        _dates[text] = ok
    return ok


__all__ = ["Archive", "Bad", "ImportAbort", "ImportHeld", "Source", "kbo_number", "valid_date"]
