"""Incremental sync: RFC 4533 content synchronisation (python-ldap's ``ldap.syncrepl``), or polling on
``modifyTimestamp`` when the server offers no syncprov.

The consumer's callbacks only collect events; the async side commits them with the cookie that covers
them (``sync.apply_batch``): the whole refresh phase as one batch, then one batch whenever the persist
stream goes quiet. An event not yet committed is simply received again after a restart, because the
server resumes from the last committed cookie; applying a batch is idempotent (the replica is state).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import ldap
import msgspec
import structlog
from ldap.ldapobject import LDAPObject
from ldap.syncrepl import SyncreplConsumer

from rights.directory import metrics
from rights.directory import state as st
from rights.directory.client import (
    UNAVAILABLE,
    Backoff,
    DirectoryUnavailable,
    connect,
    decode_attributes,
    dependency_error,
    describe,
    entry_uuid,
    paged_search,
    supports_syncrepl,
)
from rights.directory.mapping import Mapping
from rights.directory.reconcile import Report
from rights.directory.sync import STREAM, Batch, apply_batch, full_sync, record_error
from rights.domain.services.base import Core

log = structlog.get_logger("rights.directory")
POLL_TIMEOUT = 0.3  # seconds without a message before a persist batch is committed
TS = "ts:"  # cookie prefix of the modifyTimestamp fallback
REFRESH_REQUIRED = 4096  # RFC 4533 e-syncRefreshRequired
UNWILLING = 53  # what OpenLDAP answers to a cookie newer than its own context CSN


class DirectoryError(DirectoryUnavailable):
    """The directory answered, but with an error (not a lost connection); handled like unavailability."""


class RefreshRequired(Exception):
    """The server cannot continue from our cookie: only a refresh from nothing brings us in step."""


def refresh_reason(exc: ldap.LDAPError) -> str | None:
    """Why ``exc`` means "start again from a complete refresh", or None when it does not."""
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    if info.get("result") == REFRESH_REQUIRED:
        return "e-syncRefreshRequired" + (f" ({info['info']})" if info.get("info") else "")
    if info.get("result") == UNWILLING and "newer than provider" in str(info.get("info", "")):
        # e.g. slapd restored from a backup, or killed before it checkpointed its context CSN
        return f"consumer state is newer than provider ({info.get('desc', 'unwilling to perform')})"
    return None


class Session:
    """What one syncrepl search has delivered since the last commit."""

    def __init__(self, cookie: str | None, uuid_name: str) -> None:
        self.start_cookie = self.cookie = cookie
        self.uuid_name = uuid_name
        self.batch = Batch(upserts={}, deletes=set(), mode="syncrepl")
        self.present: set[str] = set()
        self.seen: set[str] = set()
        self.refreshing = True
        self.refresh_ended = False
        self.received = 0  # entries and deletes delivered by the server (the tests read it)
        self.dirty = False

    def entry(self, dn: str, attrs: dict[str, list[bytes]], uuid: str) -> None:
        self.received += 1
        self.seen.add(uuid)
        self.batch.upsert(uuid, dn, decode_attributes(attrs, self.uuid_name))
        self.dirty = True

    def delete(self, uuids: list[str]) -> None:
        self.received += len(uuids)
        for uuid in uuids:
            self.batch.delete(uuid)
        self.dirty = True

    def present_(self, uuids: list[str] | None, refresh_deletes: bool) -> None:
        if uuids is None:
            if not refresh_deletes:  # end of a present phase: whatever was not presented is gone
                self.batch.complete = set(self.present)
            self.present = set()
        elif refresh_deletes:
            self.delete(uuids)
        else:
            self.present.update(uuids)
            self.seen.update(uuids)

    def set_cookie(self, cookie: str | bytes) -> None:
        self.cookie = cookie.decode() if isinstance(cookie, bytes) else cookie
        self.dirty = True

    def end_refresh(self) -> None:
        self.refreshing, self.refresh_ended = False, True
        if self.start_cookie is None and self.batch.complete is None:
            self.batch.complete = set(self.seen)  # a refresh from nothing is the complete picture

    def take(self) -> Batch:
        batch, self.batch = self.batch, Batch(upserts={}, deletes=set(), mode="syncrepl")
        batch.cookie, self.dirty, self.refresh_ended = self.cookie, False, False
        return batch


class Consumer(LDAPObject, SyncreplConsumer):
    def __init__(self, uri: str, session: Session) -> None:
        super().__init__(uri)
        self.session = session

    def syncrepl_get_cookie(self):
        return self.session.cookie

    def syncrepl_set_cookie(self, cookie):
        self.session.set_cookie(cookie)

    def syncrepl_entry(self, dn, attributes, uuid):
        self.session.entry(dn, attributes, uuid)

    def syncrepl_delete(self, uuids):
        self.session.delete(uuids)

    def syncrepl_present(self, uuids, refreshDeletes=False):  # noqa: N803 - python-ldap's name
        self.session.present_(uuids, refreshDeletes)

    def syncrepl_refreshdone(self):
        self.session.end_refresh()


async def _cookie(core: Core) -> str | None:
    async with core.store.read() as tx:
        return (await st.get_state(tx, STREAM)).cookie


async def syncrepl_session(
    core: Core, mapping: Mapping, *, persist: bool, stop: asyncio.Event | None = None,
    on_commit=None,
) -> Session:
    """One syncrepl search: refreshOnly (returns when done) or refreshAndPersist (runs until ``stop``)."""
    assert mapping.sync is not None
    cookie = await _cookie(core)
    session = Session(None if cookie is None or cookie.startswith(TS) else cookie, mapping.sync.uuid_attribute)
    conn: Consumer = await asyncio.to_thread(connect, mapping.connection, lambda uri: Consumer(uri, session))
    try:
        msgid = await asyncio.to_thread(
            conn.syncrepl_search, mapping.sync.base, ldap.SCOPE_SUBTREE,
            mode="refreshAndPersist" if persist else "refreshOnly",
            filterstr=mapping.union_filter(), attrlist=mapping.attributes())
        holds = Holds()
        while stop is None or not stop.is_set():
            idle = False
            try:
                more = await asyncio.to_thread(conn.syncrepl_poll, msgid=msgid, timeout=POLL_TIMEOUT)
            except ldap.TIMEOUT:
                more, idle = True, True
            if not more:  # refreshOnly: SearchResultDone
                session.end_refresh()
                await _commit(core, mapping, session, on_commit)
                break
            if (session.refresh_ended or (idle and not session.refreshing and session.dirty)
                    or (idle and not session.refreshing and await holds.rights_changed(core))):
                await holds.committed(core, await _commit(core, mapping, session, on_commit))
    except UNAVAILABLE as exc:
        raise DirectoryUnavailable(describe(exc)) from None
    except ldap.LDAPError as exc:
        if (reason := refresh_reason(exc)) is None:
            raise DirectoryError(describe(exc, "directory error")) from None
        raise RefreshRequired(reason) from None
    finally:
        with suppress(ldap.LDAPError):
            await asyncio.to_thread(conn.unbind_s)
    return session


async def _commit(core: Core, mapping: Mapping, session: Session, on_commit) -> Report:
    report = await apply_batch(core, mapping, session.take())
    if on_commit is not None:
        on_commit(report)
    if report.actions:
        log.info("directory_batch_applied", **report.counts)
    return report


class Holds:
    """While a batch holds an administrator removal, a quiet persist stream still re-reconciles (an
    empty batch) once rights itself changed, e.g. an administrator was appointed by hand: the removal
    then goes through without waiting for the next directory change."""

    def __init__(self) -> None:
        self.revision: int | None = None  # the change log's revision after the last batch, while holding
        self.checked = 0.0

    async def committed(self, core: Core, report: Report) -> None:
        self.revision = None
        if report.held_removals:
            async with core.store.read() as tx:
                self.revision = await tx.latest_revision()

    async def rights_changed(self, core: Core) -> bool:
        loop = asyncio.get_running_loop()
        if self.revision is None or loop.time() - self.checked < 1.0:
            return False
        self.checked = loop.time()
        async with core.store.read() as tx:
            return await tx.latest_revision() > self.revision


def _poll_read(mapping: Mapping, since: str | None) -> tuple[list, set[str], str | None]:
    """Entries modified since ``since`` and the UUIDs of everything in scope (for deletions)."""
    assert mapping.sync is not None
    uuid_name, cfg = mapping.sync.uuid_attribute, mapping.connection
    conn = connect(cfg)
    try:
        flt = mapping.union_filter()
        changed_filter = f"(&{flt}(modifyTimestamp>={since}))" if since else flt
        changed, latest = [], since
        for page in paged_search(conn, mapping.sync.base, changed_filter,
                                 [*mapping.attributes(), "modifyTimestamp"], cfg.page_size):
            for dn, attrs in page:
                stamp = next((v[0].decode() for k, v in attrs.items() if k.lower() == "modifytimestamp"), None)
                attrs = {k: v for k, v in attrs.items() if k.lower() != "modifytimestamp"}
                if (uuid := entry_uuid(attrs, uuid_name)) is not None:
                    changed.append((uuid, dn, decode_attributes(attrs, uuid_name)))
                if stamp and (latest is None or stamp > latest):
                    latest = stamp
        everything = {u for page in paged_search(conn, mapping.sync.base, flt, [uuid_name], cfg.page_size)
                      for _, attrs in page if (u := entry_uuid(attrs, uuid_name)) is not None}
        return changed, everything, latest
    finally:
        with suppress(ldap.LDAPError):
            conn.unbind_s()


async def poll_once(core: Core, mapping: Mapping) -> Report:
    """The fallback: re-read what changed since the last stamp (``>=``: re-reading is harmless)."""
    cookie = await _cookie(core)
    since = cookie[len(TS):] if cookie and cookie.startswith(TS) else None
    changed, everything, latest = await asyncio.to_thread(_poll_read, mapping, since)
    batch = Batch(upserts={}, deletes=set(), complete=everything, mode="poll",
                  cookie=f"{TS}{latest}" if latest else cookie)
    for uuid, dn, attrs in changed:
        batch.upsert(uuid, dn, attrs)
    return await apply_batch(core, mapping, batch)


async def _mode(mapping: Mapping) -> str:
    assert mapping.sync is not None
    if mapping.sync.incremental != "auto":
        return mapping.sync.incremental

    def probe() -> bool:
        conn = connect(mapping.connection)
        try:
            return supports_syncrepl(conn)
        except UNAVAILABLE as exc:
            raise DirectoryUnavailable(describe(exc)) from None
        except ldap.LDAPError as exc:
            raise DirectoryError(describe(exc, "directory error")) from None
        finally:
            with suppress(ldap.LDAPError):
                conn.unbind_s()

    return "syncrepl" if await asyncio.to_thread(probe) else "poll"


async def _refresh_from_nothing(core: Core, reason: str) -> None:
    """Forget the cookie and note why, so the next session is a complete refresh (entries not in it are gone)."""
    log.warning("directory_full_refresh", reason=reason)
    metrics.FULL_REFRESHES.inc()
    async with core.store.write() as tx:
        state = await st.get_state(tx, STREAM)
        await st.save_state(tx, msgspec.structs.replace(state, cookie=None, status={
            **state.status, "last_full_refresh": {"at": core.now().isoformat(), "reason": reason}}))


async def _incremental(core: Core, mapping: Mapping, *, persist: bool, stop: asyncio.Event | None = None,
                       on_commit=None) -> None:
    """One syncrepl session; when the server refuses our cookie, a complete refresh, and carry on."""
    try:
        await syncrepl_session(core, mapping, persist=persist, stop=stop, on_commit=on_commit)
    except RefreshRequired as exc:
        await _refresh_from_nothing(core, str(exc))
        await syncrepl_session(core, mapping, persist=persist, stop=stop, on_commit=on_commit)


async def sync_once(core: Core, mapping: Mapping, *, full: bool = False, dry_run: bool = False) -> Report:
    """``rights ldap sync``: a syncrepl refresh from the stored cookie (or from nothing), or a poll.

    A failure is kept on the status (``--dry-run`` writes nothing, not even that) and raised."""
    if dry_run:
        return await full_sync(core, mapping, dry_run=True)
    try:
        if full:
            return await full_sync(core, mapping)
        cookie = await _cookie(core)
        reports: list[Report] = []
        if await _mode(mapping) == "syncrepl" and not (cookie or "").startswith(TS):
            # without a cookie this is a complete refresh, which leaves the cookie to resume from
            await _incremental(core, mapping, persist=False, on_commit=reports.append)
            return reports[-1] if reports else Report(actions=[])
        return await poll_once(core, mapping)
    except (DirectoryUnavailable, RefreshRequired, ldap.LDAPError) as exc:
        error = describe(exc, "directory error") if isinstance(exc, ldap.LDAPError) else str(exc)
        await record_error(core, error, incremental=not full)
        raise DirectoryUnavailable(error) from None


async def follow(core: Core, mapping: Mapping, stop: asyncio.Event, on_commit=None) -> None:
    """``rights ldap follow``: keep rights in step until ``stop``. A directory error never ends it: it is
    recorded on the status, and the loop reconnects with capped exponential back-off and jitter."""
    assert mapping.sync is not None
    backoff = Backoff(mapping.connection.retry_initial_seconds, mapping.connection.retry_max_seconds)

    def committed(report: Report) -> None:
        backoff.reset()
        if on_commit is not None:
            on_commit(report)

    while not stop.is_set():
        try:
            if await _mode(mapping) == "syncrepl":
                await _incremental(core, mapping, persist=True, stop=stop, on_commit=committed)
            else:
                committed(await poll_once(core, mapping))
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), mapping.sync.poll_seconds)
            continue
        except (DirectoryUnavailable, RefreshRequired) as exc:
            error = str(exc)
        except ldap.LDAPError as exc:  # anything python-ldap raises outside the session's own handling
            error = describe(exc, "directory error")
        except Exception as exc:  # a database outage (or a bug) must not end follow either
            error = dependency_error(exc)
        delay = backoff.next_delay()
        log.warning("directory_unavailable", error=error, retry_in=round(delay, 2))
        try:
            await record_error(core, error, incremental=True)
        except Exception as exc:  # noqa: BLE001 - the database may be down too; follow still goes on
            log.warning("directory_status_not_saved", error=type(exc).__name__)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
