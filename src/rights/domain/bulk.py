"""A CSV file of grants, and an organisation's grants as CSV: the pure part (no I/O).

Upload: :func:`parse_file` reads the bytes (UTF-8, with or without BOM; ``,`` or ``;``) into :class:`Row`\\ s,
refusing the whole file for what makes it unreadable (empty, too large, not UTF-8, wrong header, no lines).
:func:`plan` then checks every line against the facts a use case gathered in one transaction, with the
rules a single grant uses (``rules.ensure_grantable``, the administrator's applications, the catalogue),
and says per line what would happen: grant, skip (the person already holds this right) or the problems,
each on its column. The file is applied only when no line has a problem (``Plan.ok``).

Export: :func:`export_csv` writes :class:`ExportRow`\\ s for Excel: UTF-8 with BOM, ``;`` separated, CRLF,
every cell that a spreadsheet would read as a formula prefixed with ``'``. Never a full national number.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rights.domain import identifiers as ids
from rights.domain import rules
from rights.domain.catalogue import Catalogue, Measure, Role
from rights.domain.csvfile import Column, header_keys, write_csv
from rights.domain.errors import DomainError, InvalidInput, NotFound
from rights.domain.model import Administrator, Grant, Organisation, Person, WorkRelation

MAX_BYTES = 1024 * 1024
MAX_LINES = 5000
ID_COLUMNS = ("national_number", "person")
COLUMNS = ("role", "measure", "valid_until", "reason")
EXPORT_COLUMNS = (
    Column("person", "persoon-id", "person id"),
    Column("name", "naam", "name"),
    Column("national_number_masked", "rijksregisternummer (gemaskeerd)", "national register number (masked)"),
    Column("application", "toepassing", "application"),
    Column("role", "rolcode", "role code"),
    Column("role_name", "rol", "role name"),
    Column("measure", "maatregelcode", "measure code"),
    Column("measure_name", "maatregel", "measure name"),
    Column("valid_from", "geldig vanaf", "valid from"),
    Column("valid_until", "geldig tot en met", "valid until"),
    Column("status", "status", "status"),
    Column("granted_by", "toegekend door", "granted by"),
    Column("reason", "reden", "reason"),
)
EXPORT_HEADER = tuple(c.key for c in EXPORT_COLUMNS)
STATUS_LABELS = {"active": ("actief", "active"), "expired": ("verlopen", "expired"),
                 "revoked": ("ingetrokken", "revoked")}
# An upload reads any name of a column: its key, the Dutch or the English header of the export.
_HEADER_KEYS = header_keys((*EXPORT_COLUMNS, Column("national_number", "rijksregisternummer",
                                                    "national register number")))
# The export's informative columns: an exported file can be edited and uploaded again.
IGNORED_COLUMNS = frozenset(EXPORT_HEADER) - set(ID_COLUMNS) - set(COLUMNS)
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Row:
    """One line of the file as typed; ``ref`` is the person's national number (normalised when valid) or id."""

    line: int
    by: str  # "national_number" or "person": the column that identifies the person
    ref: str
    role: str
    measure: str
    valid_until: str
    reason: str
    problems: tuple[DomainError, ...] = ()


@dataclass(frozen=True)
class Facts:
    """What the rules need, gathered by the use case in one transaction."""

    org: Organisation
    admins: Sequence[Administrator]
    actor_person_id: str
    persons: Mapping[str, Person]  # by Row.ref
    work_relations: Sequence[WorkRelation]  # of this organisation
    grants: Sequence[Grant]  # of this organisation
    now: datetime


@dataclass(frozen=True)
class Outcome:
    row: Row
    person: Person | None
    action: str  # "grant", "skip" (already holds it) or "error"
    role: Role | None = None
    measure: Measure | None = None
    valid_until: datetime | None = None
    existing: Grant | None = None
    problems: tuple[DomainError, ...] = ()


@dataclass(frozen=True)
class Plan:
    outcomes: list[Outcome]
    fingerprint: str = ""
    applied: bool = False
    changed: bool = False  # apply found another plan than the preview promised: nothing was written

    @property
    def ok(self) -> bool:
        return all(o.action != "error" for o in self.outcomes)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)


# --- reading the file -------------------------------------------------------------------------


def _text(data: bytes, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise InvalidInput("bulk_file_too_large", "file", max_kib=max_bytes // 1024)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("bulk_not_utf8", "file") from None
    if "\x00" in text:  # a spreadsheet or other binary file, not CSV text
        raise InvalidInput("bulk_not_utf8", "file")
    if not text.strip():
        raise InvalidInput("bulk_empty_file", "file")
    return text


def _header(cells: list[str]) -> list[str]:
    header = [_HEADER_KEYS.get(c.strip().lower(), c.strip().lower()) for c in cells]
    unknown = [c for c in header if c not in (*ID_COLUMNS, *COLUMNS) and c not in IGNORED_COLUMNS]
    if unknown or len(set(header)) != len(header):
        doubles = sorted({c for c in header if header.count(c) > 1})
        raise InvalidInput("bulk_unknown_columns", "file", columns=", ".join(unknown + doubles))
    if sum(c in header for c in ID_COLUMNS) != 1:
        raise InvalidInput("bulk_person_column", "file")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput("bulk_missing_columns", "file", columns=", ".join(missing))
    return header


def _identity(by: str, value: str) -> tuple[str, tuple[DomainError, ...]]:
    if not value:
        return value, (InvalidInput("bulk_missing_value", by),)
    if by == "person":
        ok = value.startswith("per_") and len(value) <= 100 and value.isascii()
        return value, () if ok else (NotFound("unknown_person", by),)
    try:
        return ids.parse_national_number(value).value, ()
    except ids.IdentifierError as exc:
        return "", (InvalidInput("invalid_national_number", by, reason=exc.reason),)


def parse_file(data: bytes, *, max_bytes: int = MAX_BYTES, max_lines: int = MAX_LINES) -> list[Row]:
    """The file's lines; raises an InvalidInput on field ``file`` for what refuses the whole file."""
    text = _text(data, max_bytes)
    first = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if first.count(";") > first.count(",") else ",",
                        strict=True)
    rows: list[Row] = []
    header: list[str] | None = None
    try:
        for number, cells in enumerate(reader, start=1):
            if header is None:
                header = _header(cells)
                by = next(c for c in header if c in ID_COLUMNS)
                continue
            if not any(c.strip() for c in cells):
                continue  # blank lines are allowed (and keep the numbering)
            if len(rows) >= max_lines:
                raise InvalidInput("bulk_too_many_lines", "file", max_lines=max_lines)
            if len(cells) != len(header):
                problem = InvalidInput("bulk_cell_count", "line", got=len(cells), expected=len(header))
                rows.append(Row(number, by, "", "", "", "", "", (problem,)))
                continue
            value = {h: c.strip() for h, c in zip(header, cells, strict=True)}
            ref, problems = _identity(by, value[by])
            rows.append(Row(number, by, ref, value["role"], value["measure"], value["valid_until"],
                            value["reason"], problems))
    except csv.Error:
        raise InvalidInput("bulk_bad_csv", "file", line=reader.line_num) from None
    if not rows:
        raise InvalidInput("bulk_no_lines", "file")
    return rows


def parse_day(value: str) -> date | None:
    """dd/mm/yyyy (also with . or -) or yyyy-mm-dd; None if neither."""
    m = _DATE.match(value.strip())
    if not m:
        return None
    d, mo, y = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(6), m.group(5), m.group(4))
    try:
        return date(int(y), int(mo), int(d))
    except ValueError:
        return None


def until_of(day: date, now: datetime) -> datetime:
    """Until and including a day, in whole days from now (as on the grant form, so the maximum fits)."""
    return now + timedelta(days=(day - now.date()).days)


# --- checking every line ----------------------------------------------------------------------


def _check(row: Row, facts: Facts, catalogue: Catalogue) -> Outcome:
    problems = list(row.problems)
    person = facts.persons.get(row.ref) if row.ref and not row.problems else None
    if row.ref and not row.problems and person is None:
        problems.append(NotFound("unknown_person", row.by))
    role = measure = until = None
    if not any(p.code == "bulk_cell_count" for p in row.problems):  # such a line has nothing more to check
        try:
            if not row.role:
                raise InvalidInput("bulk_missing_value", "role")
            role = catalogue.role(row.role)
            if facts.org.type in role.org_types and facts.org.type in role.grantors:  # else: ensure_grantable says so
                rules.ensure_administers(facts.admins, facts.actor_person_id, role.application)
        except DomainError as exc:
            problems.append(exc)
            role = None
        if role is not None:
            try:
                measure = role.measure(row.measure or None)
            except DomainError as exc:
                problems.append(exc)
        day = parse_day(row.valid_until) if row.valid_until else None
        if row.valid_until and day is None:
            problems.append(InvalidInput("bulk_bad_date", "valid_until"))
        elif role is not None:
            until = until_of(day, facts.now) if day else facts.now + timedelta(days=role.default_validity_days)
        if not 3 <= len(row.reason) <= 1000:
            problems.append(InvalidInput("bulk_bad_reason", "reason"))
    if not problems and person is not None and role is not None and until is not None:
        try:  # every catalogue rule a single grant must satisfy (the same call as the grant form's check)
            rules.ensure_grantable(
                role=role, measure=row.measure or None, org=facts.org, holder=person,
                actor_person_id=facts.actor_person_id, work_relations=facts.work_relations,
                valid_from=facts.now, valid_until=until, now=facts.now)
        except DomainError as exc:
            problems.append(exc)
    if problems:
        return Outcome(row, person, "error", role, measure, until, problems=tuple(problems))
    assert person is not None and role is not None and until is not None
    existing = next((g for g in facts.grants if g.person_id == person.id and g.role == role.code
                     and (g.measure or None) == (row.measure or None) and g.revoked_at is None
                     and g.valid_until > facts.now and g.valid_from < until), None)
    return Outcome(row, person, "skip" if existing else "grant", role, measure, until, existing)


def plan(rows: Sequence[Row], facts: Facts, catalogue: Catalogue) -> Plan:
    """What every line would do; a line that repeats an earlier one (person, role, measure) is an error."""
    outcomes: list[Outcome] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in rows:
        outcome = _check(row, facts, catalogue)
        if row.ref and row.role:
            key = (outcome.person.id if outcome.person else row.ref, row.role, row.measure)
            if key in seen:
                duplicate = InvalidInput("bulk_duplicate_line", "line", first=seen[key])
                outcome = Outcome(row, outcome.person, "error", outcome.role, outcome.measure, outcome.valid_until,
                                  problems=(*outcome.problems, duplicate))
            else:
                seen[key] = row.line
        outcomes.append(outcome)
    return Plan(outcomes, fingerprint(outcomes))


def normalised(outcomes: Sequence[Outcome]) -> str:
    """The lines as CSV with the person's internal id instead of their national number (the apply form
    carries this, so a full national number never goes back to the browser); blank rows keep the numbering."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(("person", *COLUMNS))
    line = 1
    for o in outcomes:
        while line + 1 < o.row.line:
            writer.writerow(())
            line += 1
        writer.writerow((o.person.id if o.person else "", o.row.role, o.row.measure, o.row.valid_until,
                         o.row.reason))
        line += 1
    return buf.getvalue()


def fingerprint(outcomes: Sequence[Outcome]) -> str:
    """What the preview promised: each line's person, right, validity and action."""
    digest = hashlib.sha256()
    for o in outcomes:
        until = o.valid_until.date().isoformat() if o.valid_until else ""
        digest.update(f"{o.row.line}|{o.person.id if o.person else ''}|{o.row.role}|{o.row.measure}|{until}|"
                      f"{o.row.reason}|{o.action}\n".encode())
    return digest.hexdigest()


# --- the export -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRow:
    person: str
    name: str
    national_number_masked: str
    application: str
    role: str
    role_name: str
    measure: str
    measure_name: str
    valid_from: str
    valid_until: str
    status: str
    granted_by: str
    reason: str


def export_csv(rows: Sequence[ExportRow], lang: str = "nl") -> bytes:
    """The shared export format (rights.domain.csvfile); the upload reads it back in either language."""
    i = 1 if lang == "en" else 0
    return write_csv(EXPORT_COLUMNS, (
        [STATUS_LABELS[v][i] if c == "status" and v in STATUS_LABELS else v
         for c, v in ((c, getattr(r, c)) for c in EXPORT_HEADER)]
        for r in rows), lang)


def grant_status(grant: Grant, now: datetime) -> str:
    if grant.revoked_at is not None:
        return "revoked"
    return "active" if grant.valid_until > now else "expired"


def export_row(grant: Grant, holder: Person | None, granted_by: str, catalogue: Catalogue, now: datetime) -> ExportRow:
    role = catalogue.roles.get(grant.role)
    measure = next((m for m in role.measures if m.code == grant.measure), None) if role else None
    app = catalogue.applications.get(role.application) if role else None
    return ExportRow(
        person=grant.person_id, name=holder.display_name if holder else "",
        national_number_masked=ids.mask_national_number(holder.national_number) if holder else "",
        application=app.name if app else "", role=grant.role, role_name=role.name if role else "",
        measure=grant.measure or "", measure_name=measure.name if measure else "",
        valid_from=grant.valid_from.date().isoformat(),
        valid_until=grant.valid_until.date().isoformat(),
        status=grant_status(grant, now), granted_by=granted_by, reason=grant.reason)
