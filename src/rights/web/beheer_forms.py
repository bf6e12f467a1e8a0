"""The /beheer forms: read what was typed, say per field what is wrong and how to fix it.

Each ``*_errors`` returns field -> message (already in the user's language, naming the field) and
never drops what the user typed: the screens render the form again from the same dict.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from rights.domain.catalogue import Catalogue
from rights.domain.errors import DomainError
from rights.web.i18n import Texts

_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]+\.[^@\s<>\"]{2,}$")
_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$|^\s*(\d{4})-(\d{2})-(\d{2})\s*$")

# Which form field a refusal of the core concerns (DomainError.field -> the screen's field).
FIELD_OF = {"person": "person", "role": "right", "measure": "right", "valid_until": "valid_until",
            "valid_from": "valid_until", "reason": "reason", "applications": "applications",
            "application": "applications"}
LABEL_OF = {"person": "f_person", "right": "f_right", "valid_until": "f_valid_until", "reason": "f_reason",
            "applications": "f_applications", "email": "f_email"}


def text_of(data: dict[str, Any], key: str, limit: int = 1000) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).strip()[:limit]


def list_of(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    return [str(v) for v in (value if isinstance(value, list) else [value]) if str(v)]


def parse_day(value: str) -> date | None:
    """dd/mm/yyyy (also with . or -) or ISO yyyy-mm-dd (what a date picker posts); None if neither."""
    m = _DATE.match(value)
    if not m:
        return None
    d, mo, y = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(6), m.group(5), m.group(4))
    try:
        return date(int(y), int(mo), int(d))
    except ValueError:
        return None


def until_of(day: date, now: datetime) -> datetime:
    """A validity "until and including" a day, counted in whole days from now (so the maximum fits)."""
    return now + timedelta(days=(day - now.date()).days)


def grant_errors(form: dict[str, str], t: Texts, *, person_ok: bool, right_ok: bool) -> dict[str, str]:
    errors = {}
    if not person_ok:
        errors["person"] = t.err_person
    if not right_ok:
        errors["right"] = t.err_right
    if form["valid_until"] and parse_day(form["valid_until"]) is None:
        errors["valid_until"] = t.err_date
    if not 3 <= len(form["reason"]) <= 1000:
        errors["reason"] = t.err_reason
    return errors


def reason_errors(form: dict[str, str], t: Texts) -> dict[str, str]:
    return {} if 3 <= len(form["reason"]) <= 1000 else {"reason": t.err_reason}


def appoint_errors(form: dict[str, Any], t: Texts, *, person_ok: bool, known_apps: set[str]) -> dict[str, str]:
    errors = {}
    if not person_ok:
        errors["person"] = t.err_person
    if not set(form["applications"]) <= known_apps:
        errors["applications"] = t.err_application
    if form["email"] and (len(form["email"]) > 320 or not _EMAIL.match(form["email"])):
        errors["email"] = t.err_email_opt
    return errors


# The refusal's parameters that hold a catalogue code, which a screen says by its name.
_NAMED = ("application", "role", "purpose")


def in_words(exc: DomainError, lang: str, catalogue: Catalogue | None = None) -> str:
    """A refusal of the core as a sentence for a person: the catalogue's names, never a code such as
    ``VLAIOInkom`` (the API's problem keeps the codes for programs)."""
    if catalogue is not None:
        params = dict(exc.params)
        for key in _NAMED:
            code = params.get(key)
            if isinstance(code, str):
                named = catalogue.applications.get(code) or catalogue.roles.get(code)
                params[key] = named.name if named is not None else code
        exc = type(exc)(exc.code, exc.field, **params)
    return exc.message_en if lang == "en" else exc.message_nl


def domain_errors(exc: DomainError, t: Texts, lang: str, default: str,
                  catalogue: Catalogue | None = None, fields: tuple[str, ...] | None = None) -> dict[str, str]:
    """A refusal of the core as a form error on its field, prefixed with the field's label; when the
    page does not show that field (``fields``), on the page's ``default`` field instead."""
    field = FIELD_OF.get(exc.field or "", default)
    if fields is not None and field not in fields:
        field = default
    message = in_words(exc, lang, catalogue)
    return {field: f"{t[LABEL_OF[field]]}: {message}" if field in LABEL_OF else message}
