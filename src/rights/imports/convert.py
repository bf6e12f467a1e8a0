"""``rights convert schools``: the education department's published list into the import's own format.

The department publishes its list of institutions as a spreadsheet or CSV whose column names and
separator vary between releases; ``rights import schools`` reads one fixed header (schools.HEADER).
This picks the published columns by name (known spellings, case and accents ignored, or ``--map``),
sniffs the separator, reads UTF-8 (with or without BOM) or, failing that, Windows-1252 (what a
spreadsheet saves as "CSV"), and writes ``;``-separated UTF-8 with a BOM. It changes no value: the
import checks them, and names the field of any that is wrong.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

from rights.imports.rows import ImportAbort
from rights.imports.schools import HEADER

# Spellings seen in the department's lists and in spreadsheets made from them, folded (see _fold).
KNOWN = {
    "instellingsnummer": ("instellingsnummer", "instellingsnr", "instelnr", "inst nr", "instelling nummer", "nummer"),
    "naam": ("naam", "instellingsnaam", "naam instelling", "naam school", "schoolnaam"),
    "straat": ("straat", "straatnaam", "adres straat"),
    "huisnummer": ("huisnummer", "huisnr", "nr"),
    "postcode": ("postcode", "post code", "postnummer"),
    "gemeente": ("gemeente", "deelgemeente", "woonplaats", "plaats"),
    "soort": ("soort", "soort instelling", "onderwijsniveau", "niveau", "type"),
    "schoolbestuur": ("schoolbestuur", "ondernemingsnummer schoolbestuur", "kbo nummer schoolbestuur",
                      "ondernemingsnummer bestuur", "kbo bestuur", "bestuur"),  # fmt: skip
}
REQUIRED = ("instellingsnummer", "naam")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def convert_schools(source: Path, target: Path, mapping: dict[str, str] | None = None) -> dict[str, int]:
    """Write ``target`` in the import's format from the published list ``source``; returns the counts."""
    text = _decode(source.read_bytes())
    first = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=";,\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise ImportAbort(f"{source.name}: empty file")
    folded = {_fold(h): i for i, h in enumerate(header)}
    columns: dict[str, int | None] = {}
    for ours in HEADER:
        wanted = (mapping or {}).get(ours)
        if wanted is not None:
            if _fold(wanted) not in folded:
                raise ImportAbort(f"{source.name}: no column {wanted!r} (for {ours}); columns: {header}")
            columns[ours] = folded[_fold(wanted)]
        else:
            columns[ours] = next((folded[k] for k in KNOWN[ours] if k in folded), None)
    missing = [c for c in REQUIRED if columns[c] is None]
    if missing:
        raise ImportAbort(f"{source.name}: no column for {', '.join(missing)}; columns: {header};"
                          " name them with --map instellingsnummer=COLUMN")  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(HEADER)
    rows = 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        writer.writerow([row[i].strip() if i is not None and i < len(row) else "" for i in columns.values()])
        rows += 1
    target.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    return {"rows": rows, "columns_found": sum(1 for i in columns.values() if i is not None)}


__all__ = ["KNOWN", "convert_schools"]
