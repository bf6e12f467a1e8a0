"""Tamper evidence (issue 10 item 9): hash-chain the change log and the audit trail; make them append-only.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Adds ``prev_hash``/``hash`` to ``changes`` and ``audit_events`` and the chains' heads to
``revision_counter``, then chains the rows already there, in revision and id order, with the same
function the store uses for new entries (``rights.storage.chain``: the one import from rights.storage
here, because old and new entries must be hashed identically).

Triggers refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of both tables for every role. On
PostgreSQL, when a service role is configured (``RIGHTS_DATABASE_SERVICE_ROLE``, passed as
``config.attributes["service_role"]`` by ``rights.storage.migrate`` or ``-x service_role=…``), UPDATE,
DELETE and TRUNCATE on them are also revoked from that role. See docs/security.md, "Tamper evidence".
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects.postgresql import JSONB

from rights.storage import chain

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("changes", "audit_events")
BATCH = 2000


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


_changes = sa.table(
    "changes",
    sa.column("revision", sa.BigInteger()), sa.column("at", _time()), sa.column("kind", sa.String()),
    sa.column("entity", sa.String()), sa.column("entity_id", sa.String()), sa.column("actor", sa.String()),
    sa.column("data", _json()), sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()),
)
_audit = sa.table(
    "audit_events",
    sa.column("id", sa.BigInteger()), sa.column("at", _time()), sa.column("actor", sa.String()),
    sa.column("actor_kind", sa.String()), sa.column("action", sa.String()),
    sa.column("organisation_id", sa.String()), sa.column("target", sa.String()),
    sa.column("request_id", sa.String()), sa.column("address", sa.String()), sa.column("details", _json()),
    sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()),
)


def _chain(conn: sa.Connection, table: sa.TableClause, key: str) -> tuple[int, str]:
    """Hash every row of ``table`` in ``key`` order, a page at a time; returns the head (position, hash)."""
    prev, last = chain.GENESIS, None
    update = sa.update(table).where(table.c[key] == sa.bindparam("k")).values(
        prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")
    )
    while True:
        page = sa.select(table).order_by(table.c[key]).limit(BATCH)
        if last is not None:
            page = page.where(table.c[key] > last)
        rows = conn.execute(page).mappings().all()
        if not rows:
            return (last or 0), prev
        pending = []
        for row in rows:
            digest = chain.entry_hash(table.name, prev, row)
            pending.append({"k": row[key], "p": prev, "h": digest})
            prev, last = digest, int(row[key])
        conn.execute(update, pending)


def _service_role() -> str | None:
    config = context.config
    return config.attributes.get("service_role") or context.get_x_argument(as_dictionary=True).get("service_role")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("prev_hash", sa.String(64)))
        op.add_column(table, sa.Column("hash", sa.String(64)))
    op.add_column("revision_counter", sa.Column("changes_hash", sa.String(64), nullable=False,
                                                server_default=chain.GENESIS))
    op.add_column("revision_counter", sa.Column("audit_id", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("revision_counter", sa.Column("audit_hash", sa.String(64), nullable=False,
                                                server_default=chain.GENESIS))

    conn = op.get_bind()
    _, changes_hash = _chain(conn, _changes, "revision")
    audit_id, audit_hash = _chain(conn, _audit, "id")
    conn.execute(
        sa.text("UPDATE revision_counter SET changes_hash = :c, audit_id = :a, audit_hash = :h WHERE id = 1"),
        {"c": changes_hash, "a": audit_id, "h": audit_hash},
    )
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
            batch.alter_column("hash", existing_type=sa.String(64), nullable=False)

    if conn.dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION rights_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'rights: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION rights_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION rights_append_only()")
        if role := _service_role():
            quoted = conn.dialect.identifier_preparer.quote(role)
            op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON changes, audit_events FROM {quoted}")
    else:
        for table in TABLES:
            for action in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, 'rights: {table} is append-only ({action} refused)'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS rights_append_only()")
    else:
        for table in TABLES:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("hash")
            batch.drop_column("prev_hash")
    with op.batch_alter_table("revision_counter") as batch:
        batch.drop_column("audit_hash")
        batch.drop_column("audit_id")
        batch.drop_column("changes_hash")
