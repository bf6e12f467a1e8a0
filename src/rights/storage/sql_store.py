"""The SQL implementation of the :class:`rights.domain.ports.Store` port (SQLite and PostgreSQL).

Writers are serialised: on PostgreSQL every write transaction first locks the ``revision_counter``
row (``SELECT … FOR UPDATE``); on SQLite it starts with ``BEGIN IMMEDIATE`` (see ``engine.py``). So
revisions commit in revision order and a read-modify-write inside ``write()`` is safe. The same
serialisation orders the hash chains of ``changes`` and ``audit_events`` (``rights.storage.chain``): a
write reads the chains' heads from ``revision_counter`` once (on PostgreSQL with the lock it takes
anyway), appends with them in memory and writes them back once, just before commit.

Driver errors never leave this module: unique-key clashes the domain cares about become
:class:`~rights.domain.errors.Conflict`, anything else :class:`~rights.storage.engine.StorageError`
with a generic message (the driver's error is kept as ``__cause__`` for the logs).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any

from sqlalchemy import Executable, Result, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rights.domain.errors import Conflict, DomainError, NotFound
from rights.domain.identifiers import IdentifierKind
from rights.domain.lookup import NameHit
from rights.domain.model import (
    Administrator,
    AuditEvent,
    ChainBreak,
    ChainHead,
    Change,
    Grant,
    LegalRepresentative,
    Organisation,
    OrgIdentifiers,
    OrgStatus,
    OrgType,
    Person,
    WorkRelation,
)
from rights.domain.ports import Clock, SystemClock
from rights.domain.text import normalise_search_text
from rights.storage import chain, rows, search
from rights.storage.engine import WRITE_OPTION, StorageError, StorageUnavailable, unreachable, violation
from rights.storage.sql_mandates import MandateQueries
from rights.storage.sql_recert import RecertQueries
from rights.storage.sql_requests import RequestQueries
from rights.storage.sql_successions import SuccessionQueries
from rights.storage.tables import (
    administrators,
    audit_events,
    changes,
    grants,
    legal_representatives,
    organisation_identifiers,
    organisation_names,
    organisations,
    persons,
    revision_counter,
    work_relations,
)

_COUNTER = revision_counter.c.id == 1
SHORT_NAME_POSITION = 20_000  # = storage.registers.ENTRY_NAMES
CHANGES_CHANNEL = "rights_changes"


class _Heads:
    """The ``revision_counter`` row inside one write: revision and the two chains' heads."""

    __slots__ = ("audit_hash", "audit_id", "changes_hash", "dirty", "revision")

    def __init__(self, revision: int, changes_hash: str, audit_id: int, audit_hash: str) -> None:
        self.revision, self.changes_hash = int(revision), changes_hash
        self.audit_id, self.audit_hash = int(audit_id), audit_hash
        self.dirty = False


@contextmanager
def _wrapped(message: str = "storage failure") -> Iterator[None]:
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        if unreachable(exc):
            raise StorageUnavailable() from exc
        raise StorageError(message) from exc


class SqlStore:
    def __init__(self, engine: AsyncEngine, *, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self._postgres = engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqlTx]:
        """One transaction: committed when the block ends normally, rolled back on any exception."""
        async with self._transaction(write=True) as conn:
            tx = SqlTx(conn, self.clock, write=True)
            if self._postgres:
                await tx._load_heads(lock=True)
            yield tx
            await tx._save_heads()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqlTx]:
        """A consistent snapshot, always rolled back (PostgreSQL also refuses writes in it)."""
        async with self._transaction(write=False) as conn:
            yield SqlTx(conn, self.clock)

    @asynccontextmanager
    async def _transaction(self, *, write: bool) -> AsyncIterator[AsyncConnection]:
        conn = self.engine.connect()
        try:
            with _wrapped():
                await conn.start()
                if write:
                    await conn.execution_options(**{WRITE_OPTION: True})
                elif self._postgres:
                    await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
                trans = await conn.begin()
            try:
                yield conn
            except BaseException:
                with suppress(SQLAlchemyError, OSError):  # the body's exception is the one to report
                    await trans.rollback()
                raise
            with _wrapped():
                await (trans.commit() if write else trans.rollback())
        finally:
            with suppress(SQLAlchemyError, OSError):
                await asyncio.shield(conn.close())

    async def subscribe(self, on_change):  # type: ignore[no-untyped-def]
        """PostgreSQL pushes committed writes (LISTEN/NOTIFY); SQLite cannot, so callers poll."""
        if not self._postgres:
            return None
        from rights.storage.notify import listen

        return await listen(self.engine.url, CHANGES_CHANNEL, on_change)

    async def ping(self) -> None:
        with _wrapped("storage unavailable"):
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")

    async def close(self) -> None:
        await self.engine.dispose()


class SqlTx(MandateQueries, RequestQueries, RecertQueries, SuccessionQueries):
    """Implements :class:`rights.domain.ports.Tx` on one connection inside one transaction."""

    def __init__(self, conn: AsyncConnection, clock: Clock, *, write: bool = False) -> None:
        self._conn = conn
        self._clock = clock
        self._write = write
        self._heads: _Heads | None = None

    @property
    def connection(self) -> AsyncConnection:
        """This transaction's connection, for adapters with their own tables (register imports writing
        set-based, rights.directory)."""
        return self._conn

    # --- plumbing ----------------------------------------------------------------------------


    async def _exec(self, stmt: Executable, params: Sequence[dict[str, Any]] | None = None) -> Result[Any]:
        with _wrapped():
            return await self._conn.execute(stmt, params)

    async def _all(self, stmt: Executable) -> list[rows.Row]:
        return list((await self._exec(stmt)).mappings().all())

    async def _one(self, stmt: Executable) -> rows.Row | None:
        return (await self._exec(stmt)).mappings().first()

    async def _guarded(
        self,
        steps: Sequence[tuple[Executable, Any]],
        *,
        unique: DomainError,
        foreign_key: DomainError | None = None,
    ) -> None:
        """Run ``steps`` in a savepoint; on a clash nothing of them is written and the transaction goes on."""
        try:
            async with self._conn.begin_nested():
                for stmt, params in steps:
                    await self._conn.execute(stmt, params)
        except IntegrityError as exc:
            kind = violation(exc)
            if kind == "unique":
                raise unique from None
            if kind == "foreign_key" and foreign_key is not None:
                raise foreign_key from None
            raise StorageError() from exc
        except (SQLAlchemyError, OSError) as exc:
            if unreachable(exc):
                raise StorageUnavailable() from exc
            raise StorageError() from exc

    async def _organisations(self, org_rows: list[rows.Row]) -> list[Organisation]:
        if not org_rows:
            return []
        ids = [r["id"] for r in org_rows]
        found = await self._all(
            select(organisation_identifiers)
            .where(organisation_identifiers.c.organisation_id.in_(ids))
            .order_by(organisation_identifiers.c.organisation_id, organisation_identifiers.c.position)
        )
        by_org: dict[str, list[rows.Row]] = {}
        for row in found:
            by_org.setdefault(row["organisation_id"], []).append(row)
        return [
            rows.organisation_from_row(r, rows.identifiers_from_rows(by_org.get(r["id"], ())))
            for r in org_rows
        ]

    # --- organisations -----------------------------------------------------------------------

    async def get_organisation(self, org_id: str) -> Organisation | None:
        found = await self._organisations(
            await self._all(select(organisations).where(organisations.c.id == org_id))
        )
        return found[0] if found else None

    async def find_organisation(self, kind: IdentifierKind, value: str) -> Organisation | None:
        t = organisation_identifiers
        stmt = select(organisations).join(t, t.c.organisation_id == organisations.c.id)
        found = await self._organisations(
            await self._all(stmt.where(t.c.kind == IdentifierKind(kind).value, t.c.value == value))
        )
        return found[0] if found else None

    async def list_organisations(
        self, *, org_type: OrgType | None = None, after: str | None = None, limit: int = 50
    ) -> list[Organisation]:
        stmt = select(organisations).order_by(organisations.c.id).limit(limit)
        if org_type is not None:
            stmt = stmt.where(organisations.c.type == OrgType(org_type).value)
        if after is not None:
            stmt = stmt.where(organisations.c.id > after)
        return await self._organisations(await self._all(stmt))

    async def search_organisations(self, text: str, *, limit: int = 20) -> list[Organisation]:
        needle = normalise_search_text(text)
        if not needle:
            return []
        active_first = case((organisations.c.status == OrgStatus.ACTIVE.value, 0), else_=1)
        stmt = (
            select(organisations)
            .where(organisations.c.search_name.contains(needle, autoescape=True))
            .order_by(active_first, organisations.c.search_name, organisations.c.name, organisations.c.id)
            .limit(limit)
        )
        return await self._organisations(await self._all(stmt))

    async def search_names(
        self, terms: Sequence[str], *, limit: int = 50, enough: int | None = None, contains: bool = True
    ) -> list[NameHit]:
        with _wrapped():
            hits = await search.name_hits(self._conn, terms, limit=limit, enough=enough, contains=contains)
        return [
            NameHit(organisation_id=i, name=n, status=OrgStatus(s), organisation_name=o) for i, n, s, o in hits
        ]

    async def get_organisations(self, org_ids: Collection[str]) -> list[Organisation]:
        """Those of ``org_ids`` that exist, in no particular order."""
        if not org_ids:
            return []
        return await self._organisations(await self._all(select(organisations).where(organisations.c.id.in_(org_ids))))

    async def known_words(self, words: Collection[str]) -> set[str]:
        with _wrapped():
            return await search.known_words(self._conn, words)

    def _identifier_steps(self, org_id: str, identifiers: OrgIdentifiers) -> list[tuple[Executable, Any]]:
        id_rows = rows.identifier_rows(org_id, identifiers)
        return [(insert(organisation_identifiers), id_rows)] if id_rows else []

    def _short_name_steps(self, org: Organisation) -> list[tuple[Executable, Any]]:
        """The short name as a searchable name of its own (position 20,000, as the register imports write
        it), so that typing just an abbreviation ("DV") finds the organisation as an exact name."""
        n = organisation_names.c
        steps: list[tuple[Executable, Any]] = [
            (delete(organisation_names).where(n.organisation_id == org.id, n.position == SHORT_NAME_POSITION), None)
        ]
        if org.short_name:
            row = {"organisation_id": org.id, "position": SHORT_NAME_POSITION, "kind": "abbreviation", "language": "",
                   "name": org.short_name, "search_name": normalise_search_text(org.short_name)}  # fmt: skip
            steps.append((insert(organisation_names), [row]))
        return steps

    async def add_organisation(self, org: Organisation) -> None:
        now = self._clock.now()
        values = rows.organisation_values(org) | {"created_at": now, "updated_at": now}
        await self._guarded(
            [(insert(organisations).values(values), None), *self._identifier_steps(org.id, org.identifiers),
             *self._short_name_steps(org)],  # fmt: skip
            unique=Conflict("duplicate_identifier", "identifiers"),
            foreign_key=NotFound("unknown_parent", "parent"),
        )

    async def save_organisation(self, org: Organisation) -> None:
        if await self._one(select(organisations.c.id).where(organisations.c.id == org.id)) is None:
            raise NotFound("unknown_organisation", "id")
        values = rows.organisation_values(org) | {"updated_at": self._clock.now()}
        await self._guarded(
            [
                (update(organisations).where(organisations.c.id == org.id).values(values), None),
                (
                    delete(organisation_identifiers).where(
                        organisation_identifiers.c.organisation_id == org.id
                    ),
                    None,
                ),
                *self._identifier_steps(org.id, org.identifiers),
                *self._short_name_steps(org),
            ],
            unique=Conflict("duplicate_identifier", "identifiers"),
            foreign_key=NotFound("unknown_parent", "parent"),
        )

    # --- persons -----------------------------------------------------------------------------

    async def get_person(self, person_id: str) -> Person | None:
        row = await self._one(select(persons).where(persons.c.id == person_id))
        return None if row is None else rows.person_from_row(row)

    async def find_person(self, national_number: str) -> Person | None:
        row = await self._one(select(persons).where(persons.c.national_number == national_number))
        return None if row is None else rows.person_from_row(row)

    async def add_person(self, person: Person) -> None:
        await self._guarded(
            [(insert(persons).values(rows.person_values(person)), None)],
            unique=Conflict("duplicate_person", "national_number"),
        )

    async def save_person(self, person: Person) -> None:
        if await self._one(select(persons.c.id).where(persons.c.id == person.id)) is None:
            raise NotFound("unknown_person", "id")
        stmt = update(persons).where(persons.c.id == person.id).values(rows.person_values(person))
        await self._guarded([(stmt, None)], unique=Conflict("duplicate_person", "national_number"))

    # --- work relations and legal representatives --------------------------------------------

    async def work_relations(
        self, *, person_id: str | None = None, organisation_id: str | None = None
    ) -> list[WorkRelation]:
        stmt = select(work_relations).order_by(work_relations.c.started_at, work_relations.c.id)
        if person_id is not None:
            stmt = stmt.where(work_relations.c.person_id == person_id)
        if organisation_id is not None:
            stmt = stmt.where(work_relations.c.organisation_id == organisation_id)
        return [rows.work_relation_from_row(r) for r in await self._all(stmt)]

    async def get_work_relation(self, relation_id: str) -> WorkRelation | None:
        row = await self._one(select(work_relations).where(work_relations.c.id == relation_id))
        return None if row is None else rows.work_relation_from_row(row)

    async def add_work_relation(self, relation: WorkRelation) -> None:
        await self._exec(insert(work_relations).values(rows.work_relation_values(relation)))

    async def save_work_relation(self, relation: WorkRelation) -> None:
        values = rows.work_relation_values(relation)
        result = await self._exec(
            update(work_relations).where(work_relations.c.id == relation.id).values(values)
        )
        if result.rowcount == 0:
            raise NotFound("unknown_work_relation", "id")

    async def legal_representatives(self, organisation_id: str) -> list[LegalRepresentative]:
        t = legal_representatives
        found = await self._all(
            select(t).where(t.c.organisation_id == organisation_id).order_by(t.c.person_id)
        )
        return [
            LegalRepresentative(organisation_id=r["organisation_id"], person_id=r["person_id"]) for r in found
        ]

    async def add_legal_representative(self, rep: LegalRepresentative) -> None:
        values = {"organisation_id": rep.organisation_id, "person_id": rep.person_id}
        await self._guarded(
            [(insert(legal_representatives).values(values), None)],
            unique=Conflict("duplicate_person", "person"),
        )

    # --- administrators ----------------------------------------------------------------------

    def _administrators(self) -> Any:
        t = administrators
        return select(t).order_by(t.c.appointed_at.asc().nulls_first(), t.c.id)

    async def administrators(
        self, organisation_id: str, *, include_removed: bool = False
    ) -> list[Administrator]:
        stmt = self._administrators().where(administrators.c.organisation_id == organisation_id)
        if not include_removed:
            stmt = stmt.where(administrators.c.removed_at.is_(None))
        return [rows.administrator_from_row(r) for r in await self._all(stmt)]

    async def administrations_of(self, person_id: str) -> list[Administrator]:
        """The person's active administrator appointments, over every organisation."""
        stmt = self._administrators().where(
            administrators.c.person_id == person_id, administrators.c.removed_at.is_(None)
        )
        return [rows.administrator_from_row(r) for r in await self._all(stmt)]

    async def add_administrator(self, admin: Administrator) -> None:
        await self._exec(insert(administrators).values(rows.administrator_values(admin)))

    async def save_administrator(self, admin: Administrator) -> None:
        values = rows.administrator_values(admin)
        result = await self._exec(
            update(administrators).where(administrators.c.id == admin.id).values(values)
        )
        if result.rowcount == 0:
            raise NotFound("unknown_administrator", "id")

    # --- grants ------------------------------------------------------------------------------

    async def get_grant(self, grant_id: str) -> Grant | None:
        row = await self._one(select(grants).where(grants.c.id == grant_id))
        return None if row is None else rows.grant_from_row(row)

    async def grants(
        self,
        *,
        person_id: str | None = None,
        organisation_id: str | None = None,
        role: str | None = None,
        measure: str | None = None,
    ) -> list[Grant]:
        stmt = select(grants).order_by(grants.c.granted_at, grants.c.id)
        for column, value in (
            (grants.c.person_id, person_id),
            (grants.c.organisation_id, organisation_id),
            (grants.c.role, role),
            (grants.c.measure, measure),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        return [rows.grant_from_row(r) for r in await self._all(stmt)]

    async def add_grant(self, grant: Grant) -> None:
        await self._exec(insert(grants).values(rows.grant_values(grant)))

    async def save_grant(self, grant: Grant, *, expected_version: int) -> None:
        """Compare-and-set on ``version``: refused with ``version_conflict`` if someone changed it first."""
        stmt = (
            update(grants)
            .where(grants.c.id == grant.id, grants.c.version == expected_version)
            .values(rows.grant_values(grant))
        )
        if (await self._exec(stmt)).rowcount == 1:
            return
        current = (await self._exec(select(grants.c.version).where(grants.c.id == grant.id))).scalar()
        if current is None:
            raise NotFound("unknown_grant", "id")
        raise Conflict("version_conflict", "version", actual=current)

    # --- change log and audit ----------------------------------------------------------------

    async def _load_heads(self, *, lock: bool = False) -> _Heads:
        """The chains' heads, read once per transaction (PostgreSQL: with the writers' row lock)."""
        if self._heads is None:
            t = revision_counter
            stmt = select(t.c.value, t.c.changes_hash, t.c.audit_id, t.c.audit_hash).where(_COUNTER)
            row = (await self._exec(stmt.with_for_update() if lock else stmt)).one()
            self._heads = _Heads(*row)
        return self._heads

    async def _save_heads(self) -> None:
        """Write the heads back once, just before commit (``SqlStore.write``), if anything was appended."""
        heads = self._heads
        if heads is not None and heads.dirty:
            await self._exec(update(revision_counter).where(_COUNTER).values(
                value=heads.revision, changes_hash=heads.changes_hash,
                audit_id=heads.audit_id, audit_hash=heads.audit_hash,
            ))
            heads.dirty = False

    async def _appending(self) -> _Heads:
        if not self._write:  # a read transaction is rolled back, and is not serialised with the writers
            raise RuntimeError("the change log and the audit trail are appended to only inside Store.write()")
        return await self._load_heads()

    async def record(self, *, kind: str, entity: str, entity_id: str, data: dict, actor: str | None) -> int:
        heads = await self._appending()
        revision = heads.revision + 1
        values = {
            "revision": revision,
            "at": self._clock.now(),
            "kind": kind,
            "entity": entity,
            "entity_id": entity_id,
            "actor": actor,
            "data": data,
            "prev_hash": heads.changes_hash,
        }
        values["hash"] = chain.entry_hash(chain.CHANGES, heads.changes_hash, values)
        await self._exec(insert(changes).values(values))
        heads.revision, heads.changes_hash, heads.dirty = revision, values["hash"], True
        if self._conn.dialect.name == "postgresql":
            # Delivered at commit, in commit order: other processes' indexes wake up at once.
            await self._exec(select(func.pg_notify(CHANGES_CHANNEL, str(revision))))
        return revision

    async def changes(
        self, *, entity: str | None = None, entity_id: str | None = None, after: int = 0, limit: int = 100
    ) -> list[Change]:
        stmt = select(changes).where(changes.c.revision > after).order_by(changes.c.revision).limit(limit)
        if entity is not None:
            stmt = stmt.where(changes.c.entity == entity)
        if entity_id is not None:
            stmt = stmt.where(changes.c.entity_id == entity_id)
        return [rows.change_from_row(r) for r in await self._all(stmt)]

    async def change_hash(self, revision: int) -> str | None:
        return (await self._exec(select(changes.c.hash).where(changes.c.revision == revision))).scalar()

    async def latest_revision(self) -> int:
        if self._heads is not None:  # this transaction's own appends, not yet written back
            return self._heads.revision
        return int((await self._exec(select(revision_counter.c.value).where(_COUNTER))).scalar_one())

    async def audit(self, event: AuditEvent) -> None:
        """Append to the audit trail's chain. Only inside ``SqlStore.write()``: that serialises appends
        (an audited read opens its own short ``write()``; never nest one ``write()`` in another)."""
        heads = await self._appending()
        values = rows.audit_values(event) | {"id": heads.audit_id + 1, "prev_hash": heads.audit_hash}
        values["hash"] = chain.entry_hash(chain.AUDIT, heads.audit_hash, values)
        await self._exec(insert(audit_events).values(values))
        heads.audit_id, heads.audit_hash, heads.dirty = values["id"], values["hash"], True

    async def chain_heads(self) -> tuple[ChainHead, ChainHead]:
        """The heads of the change log and the audit trail (what ``GET /v1/audit/head`` shows)."""
        heads = await self._load_heads()
        found = []
        for table, key, position, hash_ in (
            (changes, changes.c.revision, heads.revision, heads.changes_hash),
            (audit_events, audit_events.c.id, heads.audit_id, heads.audit_hash),
        ):
            at = (await self._exec(select(table.c.at).where(key == position))).scalar() if position else None
            found.append(ChainHead(table=str(table.name), position=position, hash=hash_, at=at))
        return found[0], found[1]

    async def verify_chains(self, anchors: Mapping[str, tuple[int, str]] | None = None) -> list[ChainBreak]:
        """Walk both chains from their first entry; the first broken entry of each, if any.

        ``anchors`` maps a table name to a (position, hash) head witnessed earlier: that entry must still
        be in the chain with that hash.
        """
        heads = await self._load_heads()
        found = []
        for table, order, head in (
            (changes, changes.c.revision, (heads.revision, heads.changes_hash)),
            (audit_events, audit_events.c.id, (heads.audit_id, heads.audit_hash)),
        ):
            walker = chain.Walker(str(table.name), (anchors or {}).get(table.name))
            with _wrapped():
                result = await self._conn.stream(select(table).order_by(order).execution_options(yield_per=2000))
                async for row in result.mappings():
                    if not walker.step(row):
                        break
                await result.close()
            if (broken := walker.finish(*head)) is not None:
                found.append(broken)
        return found

    async def audit_events(
        self, *, organisation_id: str | None = None, after_id: int = 0, limit: int = 100,
        before_id: int | None = None, actions: Sequence[str] | None = None,
    ) -> list[tuple[int, AuditEvent]]:
        if before_id is None:  # oldest first, after a cursor
            stmt = select(audit_events).where(audit_events.c.id > after_id).order_by(audit_events.c.id)
        else:  # newest first, before a cursor (a screen's pages)
            stmt = select(audit_events).where(audit_events.c.id < before_id, audit_events.c.id > after_id) \
                .order_by(audit_events.c.id.desc())
        stmt = stmt.limit(limit)
        if organisation_id is not None:
            stmt = stmt.where(audit_events.c.organisation_id == organisation_id)
        if actions is not None:
            stmt = stmt.where(audit_events.c.action.in_(list(actions)))
        return [rows.audit_from_row(r) for r in await self._all(stmt)]
