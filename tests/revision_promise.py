"""The revision promise, checked against the change log (shared by the one- and two-process tests).

An answer that reports revision R must reflect every change up to and including R and none after. The
tests toggle one right (grant, revoke, grant a new one, …) while readers ask about it; afterwards the
change log says, for every revision, whether the right was held and by which grant, and each recorded
answer must say exactly that at the revision it reported.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Seen:
    """One answer: what it was (``how``), the revision it reported, and the grant it said allows (or
    None); answers that name no grant (claims) say ``HELD`` and are compared on held or not."""

    how: str
    revision: int
    grant_id: str | None


HELD = "held"


class Log:
    """From the change log: which of ``grant_ids`` allowed the question at each revision (or None)."""

    def __init__(self, changes: Iterable[tuple[int, str, str]], grant_ids: set[str]) -> None:
        self.revisions: list[int] = []
        self.holders: list[str | None] = []
        holder: str | None = None
        for revision, kind, entity_id in sorted(changes):
            if entity_id not in grant_ids:
                continue
            if kind == "grant_created":
                holder = entity_id
            elif kind == "grant_revoked" and holder == entity_id:
                holder = None
            else:
                continue
            self.revisions.append(revision)
            self.holders.append(holder)

    def at(self, revision: int) -> str | None:
        i = bisect.bisect_right(self.revisions, revision)
        return self.holders[i - 1] if i else None

    def broken(self, seen: Iterable[Seen]) -> list[str]:
        """Every answer that does not reflect exactly the revision it reports, described."""
        return [f"{s.how} at revision {s.revision}: said {s.grant_id}, the log says {self.at(s.revision)}"
                for s in seen if not self._agrees(s)]

    def _agrees(self, s: Seen) -> bool:
        holder = self.at(s.revision)
        return holder is not None if s.grant_id == HELD else holder == s.grant_id
