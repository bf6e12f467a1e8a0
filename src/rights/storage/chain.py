"""Hash chains over the change log (``changes``) and the audit trail (``audit_events``): tamper evidence.

Every entry carries ``prev_hash`` (the ``hash`` of the entry before it in the same table, or
:data:`GENESIS` for the first) and ``hash = SHA-256(prev_hash ‖ canonical content)``. The canonical
content is the entry's own columns (with its revision or id, and the table's name) encoded as msgspec
JSON with sorted keys, after one JSON round trip so that what is hashed at write time is exactly what
is read back (datetimes as RFC 3339 UTC text, tuples as lists, enum members as values), and numbers in
one form each (see ``_numbers``).

Changing, deleting, inserting or reordering one row breaks either its own hash or the link of the row
after it; removing entries from the end is caught by the heads kept in ``revision_counter``
(``value``/``changes_hash`` and ``audit_id``/``audit_hash``), and rewriting a whole tail consistently
is caught by comparing with a head an outside party witnessed (``GET /v1/audit/head``, the
``audit_head`` log line; see docs/security.md, "Tamper evidence").

This module is pure (hashlib + msgspec); the migrations use it too, so old rows and new ones are hashed
the same way. Changing the encoding needs a migration that re-chains.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import msgspec

from rights.domain.model import ChainBreak

GENESIS = "0" * 64
CHANGES = "changes"
AUDIT = "audit_events"

CHANGE_FIELDS = ("revision", "at", "kind", "entity", "entity_id", "actor", "data")
AUDIT_FIELDS = (
    "id", "at", "actor", "actor_kind", "action", "organisation_id", "target", "request_id", "address", "details",
)

_plain = msgspec.json.Encoder()
_sorted = msgspec.json.Encoder(order="sorted")


def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


_EXACT = 2**53  # integers beyond this are not all exact as floats


def _numbers(value: Any) -> Any:
    """One form per number, whatever the database gave back: PostgreSQL's jsonb keeps numbers as decimals,
    so 1e20 returns as an integer and -0.0 as 0. Integral floats within 2**53 become ints, numbers beyond
    it floats."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if abs(value) >= _EXACT:
        return float(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def canonical(table: str, values: Any) -> bytes:
    """The bytes hashed for one entry of ``table``; ``values`` maps at least the table's fields."""
    fields = CHANGE_FIELDS if table == CHANGES else AUDIT_FIELDS
    content = {name: _utc(values[name]) for name in fields}
    content["table"] = str(table)
    return _sorted.encode(_numbers(msgspec.json.decode(_plain.encode(content))))


def entry_hash(table: str, prev_hash: str, values: Any) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(table, values)).hexdigest()


class Walker:
    """Checks one chain entry by entry, in order; ``broken`` is the first problem found."""

    def __init__(self, table: str, anchor: tuple[int, str] | None = None) -> None:
        self.table = table
        self.anchor = anchor  # (position, hash) an outside party witnessed earlier
        self.last_hash = GENESIS
        self.last_position = 0
        self.count = 0
        self.broken: ChainBreak | None = None

    def _fail(self, position: int | None, problem: str) -> None:
        if self.broken is None:
            self.broken = ChainBreak(table=self.table, position=position, problem=problem)

    def step(self, row: Any) -> bool:
        """Check the next row; False once the chain is broken (the caller may stop reading)."""
        if self.broken is not None:
            return False
        position = int(row["revision" if self.table == CHANGES else "id"])
        if self.table == CHANGES and position != self.last_position + 1:
            self._fail(position, f"expected revision {self.last_position + 1}: an entry is missing or was inserted")
        elif row["prev_hash"] != self.last_hash:
            self._fail(position, "prev_hash does not match the entry before it: an entry was deleted, inserted "
                                 "or moved")
        elif row["hash"] != entry_hash(self.table, self.last_hash, row):
            self._fail(position, "hash does not match the content: the entry was changed")
        elif self.anchor is not None and position == self.anchor[0] and row["hash"] != self.anchor[1]:
            self._fail(position, "hash differs from the witnessed head: the chain was rewritten up to here")
        self.last_hash = row["hash"]
        self.last_position = position
        self.count += 1
        return self.broken is None

    def finish(self, head_position: int, head_hash: str) -> ChainBreak | None:
        """Compare the end of the walk with the head kept in ``revision_counter`` (and the anchor)."""
        if self.broken is None and self.anchor is not None and self.anchor[0] > self.last_position:
            self._fail(self.anchor[0], "the witnessed head is no longer in the chain: entries were removed")
        if self.broken is None and self.last_position != head_position:
            self._fail(None, f"the last entry is {self.last_position} but the recorded head is {head_position}: "
                             "entries were removed from or added at the end")
        elif self.broken is None and self.last_hash != head_hash:
            self._fail(None, "the last entry's hash differs from the recorded head: the end was rewritten")
        return self.broken


__all__ = ["AUDIT", "CHANGES", "GENESIS", "Walker", "canonical", "entry_hash"]
