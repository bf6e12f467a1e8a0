"""A local cache of the service's own check answers, kept true by following ``/v1/changes``.

Unlike ``rights.client.LocalDecisionCache`` (server package), this cache never decides anything itself: it
remembers the answers the server gave, keyed by the normalised question, and drops every answer a change
in the feed could affect. It needs httpx and msgspec only (through :mod:`rights_client.http`).

The rules (docs/client.md, "The light decision cache"):

* ``revision`` is the last change of the feed the cache has applied. A cached answer is valid as of
  ``revision``: no applied change since the server answered could affect it. It is served with
  ``revision`` as its revision, so it keeps the revision's promise (every change up to and including it,
  none after).
* Before answering from the cache it follows the feed when the last poll is older than ``max_lag`` seconds,
  or when the caller needs a later revision (``at_least_revision``, or the client's own writes).
* A change drops every answer for each organisation it names; a grant or mandate change is attributed
  through the ids the answers and earlier changes carried; anything it cannot attribute drops everything.
* An answer to a question without ``at`` depends on the clock too: it is kept at most ``max_age`` seconds,
  and a yes never beyond the validity end of the grant that gave it.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from rights_client.http import AsyncRightsClient, RightsClient
from rights_client.wire import Change, ChangePage, CheckAnswer

Key = tuple[str, str, str, str | None, str | None]
_ORG = "org_"
_ANY = "*"  # the bucket of answers any grant, mandate or organisation change could alter
# Changes that never alter a check's answer (a request only becomes a right through grant_created).
HARMLESS_KINDS = frozenset({"access_request_submitted", "access_request_withdrawn", "access_request_refused"})
_SEPARATORS = re.compile(r"[\s.\-/]")


def normalise(person: str, organisation: str, role: str, measure: str | None, at: datetime | None) -> Key:
    """One key for the spellings of one question (``BE 0723.145.688`` and ``0723145688`` alike)."""
    person = _SEPARATORS.sub("", person.strip())
    organisation = _SEPARATORS.sub("", organisation.strip()).upper()
    if organisation.startswith("BE") and organisation[2:].isdigit():
        organisation = organisation[2:]
    if organisation.startswith("ORG_"):
        organisation = organisation.lower()
    moment = at.astimezone(UTC).isoformat() if at is not None else None
    return (person, organisation, role.strip(), (measure or "").strip() or None, moment)


@dataclass
class _Entry:
    answer: CheckAnswer
    expires: float | None  # monotonic clock; None: a question with ``at`` (only changes can stale it)
    bucket: str | None


@dataclass
class _State:
    """The cache's memory and the eviction rules; no I/O (shared by the blocking and the async cache)."""

    max_age: float
    revision: int = 0
    entries: dict[Key, _Entry] = field(default_factory=dict)
    by_org: dict[str | None, set[Key]] = field(default_factory=dict)  # bucket (see _bucket) -> keys
    owners: dict[str, set[str]] = field(default_factory=dict)  # grant or mandate id -> organisation ids
    # (revision, everything?, organisations) of the last changes applied, to vet an answer asked meanwhile
    log: deque[tuple[int, bool, frozenset[str]]] = field(default_factory=lambda: deque(maxlen=10_000))
    hits: int = 0
    misses: int = 0
    evictions: int = 0

    def lookup(self, key: Key) -> CheckAnswer | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.expires is not None and time.monotonic() >= entry.expires:
            self._drop({key})
            return None
        self.hits += 1
        return msgspec.structs.replace(entry.answer, revision=max(self.revision, entry.answer.revision))

    def store(self, key: Key, answer: CheckAnswer, asked_at: bool) -> bool:
        """Keep ``answer`` unless a change after its revision, already applied, could affect it."""
        self._learn(answer.grant_id, answer.organisation_id)
        self._learn(answer.mandate_id, answer.organisation_id)
        bucket = _bucket(answer)
        if answer.revision > self.revision:
            return False  # the cache has not applied every change the answer reflects
        if answer.revision < self.revision:
            if not self.log or self.log[0][0] > answer.revision + 1:
                return False  # the changes since the answer are no longer known here
            for revision, every, orgs in self.log:
                if revision > answer.revision and (every or bucket in (None, _ANY) or bucket in orgs):
                    return False
        expires = None if asked_at else time.monotonic() + self.max_age
        if not asked_at and answer.allowed and answer.explanation:
            until = _valid_until(answer.explanation)  # the grant's end, or the mandate's if sooner
            if until is not None:
                left = (until - datetime.now(UTC)).total_seconds()
                expires = min(expires or float("inf"), time.monotonic() + max(0.0, left))
        self._drop({key})
        self.entries[key] = _Entry(msgspec.structs.replace(answer, explanation=None), expires, bucket)
        self.by_org.setdefault(bucket, set()).add(key)
        return True

    def apply(self, page: ChangePage) -> None:
        """Apply the page's changes in order, dropping every answer each could affect."""
        for change in page.items:
            if change.revision <= self.revision:
                continue
            every, orgs = self._affects(change)
            if every or orgs:
                self.log.append((change.revision, every, frozenset(orgs)))
            if every:
                self._drop(set(self.entries))
            elif orgs:
                # "unknown organisation" may have become known; an answer that went through mandates
                # depends on the holders' grants too, which the cache cannot see: both go on any such change
                keys = self.by_org.get(None, set()) | self.by_org.get(_ANY, set())
                for org in orgs:
                    keys |= self.by_org.get(org, set())
                self._drop(keys)
            self.revision = change.revision

    def _affects(self, change: Change) -> tuple[bool, set[str]]:
        """(everything?, the organisations whose answers it could change)."""
        if change.kind in HARMLESS_KINDS:
            return False, set()
        orgs = set(_org_ids(change.data))
        if change.entity == "organisation" and change.entity_id.startswith(_ORG):
            orgs.add(change.entity_id)
        if change.entity in ("grant", "mandate"):
            orgs |= self.owners.get(change.entity_id, set())
            if not orgs:
                return True, set()  # cannot attribute it: drop everything
            for org in orgs:
                self._learn(change.entity_id, org)
            return False, orgs
        if change.entity == "organisation" and orgs:
            return False, orgs
        return True, set()  # persons, successions, imports, …: drop everything

    def _learn(self, owned: str | None, organisation: str | None) -> None:
        if owned and organisation:
            self.owners.setdefault(owned, set()).add(organisation)

    def _drop(self, keys: set[Key]) -> set[Key]:
        for key in keys:
            entry = self.entries.pop(key, None)
            if entry is not None:
                self.evictions += 1
                self.by_org.get(entry.bucket, set()).discard(key)
        return keys


def _bucket(answer: CheckAnswer) -> str | None:
    """The organisation whose changes alone can alter the answer; ``_ANY`` when mandates are involved.

    A yes by a direct grant, or a no where the organisation gave no mandate (its explanation lists only
    the direct reason), depends on that organisation's grants and mandates alone. An answer through a
    mandate, or a no that weighed mandates, also depends on the holders' grants, which it does not name;
    an answer for a succeeded organisation on every successor's.
    """
    if answer.organisation_id is None:
        return None
    if answer.mandate_id is not None or answer.succeeded_by:  # the holders' or the successors' grants too
        return _ANY
    if answer.allowed and answer.grant_id is not None:
        return answer.organisation_id
    reasons = (answer.explanation or {}).get("reasons")
    if not answer.allowed and isinstance(reasons, list) and len(reasons) <= 1:
        return answer.organisation_id
    return _ANY


def _org_ids(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        if value.startswith(_ORG):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _org_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _org_ids(item)


def _valid_until(explanation: dict[str, Any]) -> datetime | None:
    ends = []
    for part in ("grant", "mandate"):
        item = explanation.get(part)
        if not isinstance(item, dict) or not isinstance(item.get("valid_until"), str):
            continue
        try:
            until = datetime.fromisoformat(item["valid_until"])
        except ValueError:
            continue
        ends.append(until if until.tzinfo else until.replace(tzinfo=UTC))
    return min(ends, default=None)


class _Policy:
    client: RightsClient | AsyncRightsClient
    max_lag: float
    _state: _State
    _polled: float

    def _stale(self, needed: int | None) -> bool:
        return time.monotonic() - self._polled >= self.max_lag or (needed or 0) > self._state.revision

    def _needed(self, at_least_revision: int | None) -> int | None:
        return at_least_revision if at_least_revision is not None else (self.client.written_revision or None)

    @property
    def revision(self) -> int:
        """The last change of the feed applied: every cached answer reflects it."""
        return self._state.revision

    @property
    def stats(self) -> dict[str, int]:
        s = self._state
        return {"entries": len(s.entries), "hits": s.hits, "misses": s.misses, "evictions": s.evictions,
                "revision": s.revision}

    def clear(self) -> None:
        self._state.entries.clear()
        self._state.by_org.clear()


class DecisionCache(_Policy):
    """The blocking cache: ``cache = DecisionCache(client); cache.check(person, organisation, role, measure)``.

    Thread-safe. ``max_lag``: seconds an answer may be served without asking the feed for news;
    ``max_age``: seconds an answer to a question without ``at`` is kept at most.
    """

    def __init__(self, client: RightsClient, *, max_lag: float = 1.0, max_age: float = 60.0,
                 page_size: int = 1000) -> None:
        self.client, self.max_lag, self.page_size = client, max_lag, page_size
        self._state = _State(max_age=max_age)
        self._polled = float("-inf")
        self._lock = threading.RLock()

    def start(self) -> int:
        """Skip the feed's history: a new cache holds nothing a past change could affect."""
        with self._lock:
            latest = self.client.changes(after=0, limit=1).latest_revision
            self._state.revision = max(self._state.revision, latest)
            return self.sync()

    def sync(self) -> int:
        """Follow ``/v1/changes`` from the last revision applied to the end; returns the revision."""
        with self._lock:
            while True:
                page = self.client.changes(after=self._state.revision, limit=self.page_size)
                self._state.apply(page)
                if not page.items or self._state.revision >= page.latest_revision:
                    break
            self._polled = time.monotonic()
            return self._state.revision

    def check(self, person: str, organisation: str, role: str, measure: str | None = None, *,
              at: datetime | None = None, at_least_revision: int | None = None) -> CheckAnswer:
        key = normalise(person, organisation, role, measure, at)
        needed = self._needed(at_least_revision)
        with self._lock:
            if self._stale(needed):
                self.sync()
            if (needed or 0) <= self._state.revision and (hit := self._state.lookup(key)) is not None:
                return hit
            self._state.misses += 1
        answer = self.client.check(person, organisation, role, measure, at=at, at_least_revision=needed,
                                   explain=True)
        with self._lock:
            if answer.revision > self._state.revision:
                self.sync()  # never hold an answer newer than the changes applied
            self._state.store(key, answer, at is not None)
        return msgspec.structs.replace(answer, explanation=None)


class AsyncDecisionCache(_Policy):
    """The async twin of :class:`DecisionCache` (one event loop; ``follow()`` polls the feed in a task)."""

    def __init__(self, client: AsyncRightsClient, *, max_lag: float = 1.0, max_age: float = 60.0,
                 page_size: int = 1000) -> None:
        self.client, self.max_lag, self.page_size = client, max_lag, page_size
        self._state = _State(max_age=max_age)
        self._polled = float("-inf")
        self._lock = asyncio.Lock()

    async def start(self) -> int:
        async with self._lock:
            latest = (await self.client.changes(after=0, limit=1)).latest_revision
            self._state.revision = max(self._state.revision, latest)
        return await self.sync()

    async def sync(self) -> int:
        async with self._lock:
            return await self._sync()

    async def _sync(self) -> int:
        while True:
            page = await self.client.changes(after=self._state.revision, limit=self.page_size)
            self._state.apply(page)
            if not page.items or self._state.revision >= page.latest_revision:
                break
        self._polled = time.monotonic()
        return self._state.revision

    async def follow(self, interval: float = 1.0) -> None:
        """Poll the feed every ``interval`` seconds until cancelled (``asyncio.create_task(cache.follow())``)."""
        while True:
            await self.sync()
            await asyncio.sleep(interval)

    async def check(self, person: str, organisation: str, role: str, measure: str | None = None, *,
                    at: datetime | None = None, at_least_revision: int | None = None) -> CheckAnswer:
        key = normalise(person, organisation, role, measure, at)
        needed = self._needed(at_least_revision)
        async with self._lock:
            if self._stale(needed):
                await self._sync()
            if (needed or 0) <= self._state.revision and (hit := self._state.lookup(key)) is not None:
                return hit
            self._state.misses += 1
        answer = await self.client.check(person, organisation, role, measure, at=at, at_least_revision=needed,
                                         explain=True)
        async with self._lock:
            if answer.revision > self._state.revision:
                await self._sync()
            self._state.store(key, answer, at is not None)
        return msgspec.structs.replace(answer, explanation=None)
