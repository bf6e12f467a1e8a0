"""A local copy of the decision index, kept current from ``GET /v1/changes``, for in-process answers.

The cache replays the change feed from revision 0 into the same :class:`DecisionIndex` the server
uses, then applies only what is new at each :meth:`LocalDecisionCache.sync`. It answers ``check`` in
a few microseconds, at its own revision (``answer.revision``), without a network round trip.

What the feed does not carry, the cache cannot know, so it says so rather than guess:

* national register numbers: the feed masks them, so a question about a person must name the
  person's id (``per_…``); a national number raises :class:`NotCached` (ask the server instead:
  :meth:`answer` does that for you);
* organisations created or changed only by a register import (KBO, organisation register): the import
  logs one summary entry per batch, without the organisations. Such an organisation is known by id
  once a grant names it (as active, without identifiers); by identifier it is :class:`NotCached`.
  Freezes and status changes made through the API are in the feed and are applied.
* ``at`` (as-of) questions and explanations are the server's: they need the stored history;
* organisations named in an applied succession (merger, absorption, split, renumbering): the feed has
  one summary change per succession, so questions about them are :class:`NotCached`.

An answer reports revision R exactly when it reflects every change up to R and none after (the
revision's promise, docs/api.md), also for readers on other threads than the one that syncs: a page of
changes is applied between two steps of a generation counter (odd while applying), and a reader that
saw the counter move while it answered answers again. That costs a reader two attribute reads, no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from rights_client import AsyncRightsClient, Change, CheckAnswer

from rights.domain import identifiers as ids
from rights.domain.catalogue import Application, Catalogue, OrgTypePolicy
from rights.domain.index import DecisionIndex
from rights.domain.model import Grant, Mandate, Organisation, OrgStatus, Person, WorkRelation

_PERSON, _ORG = "per_", "org_"
T = TypeVar("T")


class NotCached(LookupError):
    """The question needs something the change feed does not carry (see the module docstring)."""


def _convert(data: Any, type_: type[T]) -> T:
    return msgspec.convert(data, type_, strict=False)


class LocalDecisionCache:
    def __init__(self, client: AsyncRightsClient, *, catalogue: Catalogue | None = None,
                 page_size: int = 1000) -> None:
        self.client = client
        self.page_size = page_size
        self._catalogue = catalogue
        self.index: DecisionIndex | None = None
        self._grants: dict[str, Grant] = {}
        self._mandates: dict[str, Mandate] = {}
        self._task: asyncio.Task[None] | None = None
        self._generation = 0  # odd while a page is being applied (see the module docstring)
        self.skipped_imports = 0  # import batches seen: organisations they touched are not in the feed
        self.succession_organisations: set[str] = set()  # moved by a succession: the server answers
        self.last_error: Exception | None = None

    @property
    def revision(self) -> int:
        return self.index.revision if self.index is not None else 0

    # --- keeping current ---------------------------------------------------------------------------

    async def sync(self) -> int:
        """Replay every change after the cache's revision (all of them the first time); returns how many."""
        if self.index is None:
            if self._catalogue is None:  # the server's own catalogue, so roles and measures agree
                raw = await self.client.get("/v1/catalogue")  # whole, as the domain's types need it
                self._catalogue = Catalogue(
                    [_convert(a, Application) for a in raw["applications"]],
                    [_convert(t, OrgTypePolicy) for t in raw["organisation_types"]],
                )
            self.index = DecisionIndex(self._catalogue)
        applied = 0
        while True:
            page = await self.client.changes(after=self.index.revision, limit=self.page_size)
            self._generation += 1  # readers on other threads wait for the page and its revision
            try:
                for change in page.items:  # synchronous: readers on this loop cannot run in between
                    self._apply(change)
                    self.index.revision = change.revision
            finally:
                self._generation += 1
            applied += len(page.items)
            if not page.items or page.next_after >= page.latest_revision:
                return applied

    refresh = sync

    async def start(self, interval: float = 1.0) -> None:
        """Sync now, then keep syncing every ``interval`` seconds in the background."""
        await self.sync()
        self._task = asyncio.create_task(self._run(interval), name="rights-local-cache")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sync()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - a failed round is retried at the next one
                self.last_error = exc

    def _apply(self, c: Change) -> None:
        index, data, kind = self.index, c.data, c.kind
        assert index is not None
        if c.entity == "organisation":
            if kind in ("organisation_created", "organisation_updated"):
                index.put_organisation(_convert(data, Organisation))
            elif kind in ("organisation_frozen", "organisation_active", "organisation_ceased"):
                index.set_organisation_status(c.entity_id, OrgStatus(data["status"]))
        elif c.entity == "person":
            if kind in ("person_registered", "person_updated"):
                # The feed masks the national number: the cache never looks a person up by it.
                index.put_person(Person(id=c.entity_id, national_number="", given_name="", family_name="",
                                        frozen=bool(data.get("frozen"))))
            elif kind in ("person_frozen", "person_unfrozen"):
                index.set_person_frozen(c.entity_id, bool(data["frozen"]))
        elif c.entity == "work_relation" and "person_id" in data:
            index.put_work_relation(_convert(data, WorkRelation))
        elif c.entity == "grant":
            self._apply_grant(c)
        elif c.entity == "mandate":
            self._apply_mandate(c)
        elif c.entity == "import_run":
            self.skipped_imports += 1
        elif c.entity == "succession" and c.kind == "succession_applied":
            self.succession_organisations.update(data.get("organisation_ids", ()))

    def _apply_grant(self, c: Change) -> None:
        if c.kind == "grant_created":
            grant = _convert(c.data, Grant)
        elif (grant := self._grants.get(c.entity_id)) is None:
            return
        elif c.kind == "grant_revoked":
            grant = msgspec.structs.replace(grant, revoked_at=c.at)
        elif c.kind == "grant_validity_changed":
            grant = msgspec.structs.replace(grant, valid_from=_convert(c.data["valid_from"], datetime),
                                            valid_until=_convert(c.data["valid_until"], datetime))
        self._grants[grant.id] = grant
        self.index.put_grant(grant)  # type: ignore[union-attr]

    def _apply_mandate(self, c: Change) -> None:
        if c.kind == "mandate_proposed":
            m = _convert(c.data, Mandate)
        elif (m := self._mandates.get(c.entity_id)) is None:
            return
        elif c.kind == "mandate_accepted":
            m = msgspec.structs.replace(m, **{f"{c.data['side']}_accepted_at": c.at})
        elif c.kind == "mandate_revoked":
            m = msgspec.structs.replace(m, revoked_at=c.at)
        self._mandates[m.id] = m
        self.index.put_mandate(m)  # type: ignore[union-attr]

    # --- questions ---------------------------------------------------------------------------------

    def check(self, person: str, organisation: str, role: str, measure: str | None = None) -> CheckAnswer:
        """Answer now from the local copy, as the server would at this cache's revision."""
        index = self.index
        if index is None:
            raise NotCached("call sync() first")
        person_ref = person.strip() if person.strip().startswith(_PERSON) else _not_cached_person(person)
        org_key = _organisation_key(organisation)
        while True:
            generation = self._generation
            if generation & 1:  # another thread is applying a page
                time.sleep(0)
                continue
            try:
                answer = self._check(index, person_ref, org_key, organisation, role, measure)
            except Exception:
                if self._generation == generation:
                    raise
                continue  # the page being applied under us broke the answer: ask again
            if self._generation == generation:
                return answer

    def _check(self, index: DecisionIndex, person_ref: str, org_key: str, organisation: str, role: str,
               measure: str | None) -> CheckAnswer:
        revision = index.revision
        p = index.person_ix(person_ref)
        o = index.organisation_ix(org_key)
        if o is None and not organisation.strip().startswith(_ORG) and self.skipped_imports:
            raise NotCached("organisation identifiers from register imports are not in the change feed")
        if o is not None and self.succession_organisations and index.organisation_id(o) in self.succession_organisations:
            raise NotCached("a succession moved this organisation's rights: the server answers for its successor")
        v = index.check(p, o, role, measure, time.time())
        return CheckAnswer(allowed=v.allowed, reason=v.reason, grant_id=v.grant_id, mandate_id=v.mandate_id,
                           organisation_id=index.organisation_id(o) if o is not None else None,
                           revision=revision)

    async def answer(self, person: str, organisation: str, role: str, measure: str | None = None) -> CheckAnswer:
        """Locally when the cache can, otherwise from the server."""
        try:
            return self.check(person, organisation, role, measure)
        except NotCached:
            return await self.client.check(person, organisation, role, measure)


def _not_cached_person(ref: str) -> str:
    raise NotCached("the change feed masks national register numbers: ask by person id (per_…)")


def _organisation_key(ref: str) -> str:
    ref = ref.strip()
    if ref.startswith(_ORG):
        return ref
    try:
        kind, value = ids.parse_organisation_identifier(ref)
    except ids.IdentifierError:
        raise NotCached("not an organisation identifier: the server answers with the exact problem") from None
    return f"{kind.value}:{value}"
