"""Initial schema: organisations, people, administrators, grants, change log, audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Plain SQLAlchemy types only (no imports from rights.storage): history must not move when the models
do. tests/storage/test_migrations.py checks that the result matches tables.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _id(name: str, **kwargs: object) -> sa.Column:
    return sa.Column(name, sa.String(length=64), **kwargs)


def _fk(column: str, table: str, owner: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{table}.id"], name=op.f(f"fk_{owner}_{column}_{table}"))


def upgrade() -> None:
    op.create_table(
        "organisations",
        _id("id", nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("short_name", sa.String(length=255), nullable=True),
        sa.Column("search_name", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("address", _json(), nullable=True),
        _id("parent_id", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        _fk("parent_id", "organisations", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    op.create_index("ix_organisations_parent_id", "organisations", ["parent_id"])
    op.create_index("ix_organisations_type_id", "organisations", ["type", "id"])

    op.create_table(
        "organisation_identifiers",
        _id("organisation_id", nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("organisation_id", "organisations", "organisation_identifiers"),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_organisation_identifiers")),
    )
    op.create_index(
        "ix_organisation_identifiers_organisation_id", "organisation_identifiers", ["organisation_id"]
    )

    op.create_table(
        "persons",
        _id("id", nullable=False),
        sa.Column("national_number", sa.String(length=11), nullable=False),
        sa.Column("given_name", sa.String(length=255), nullable=False),
        sa.Column("family_name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("national_number", name=op.f("uq_persons_national_number")),
    )

    op.create_table(
        "work_relations",
        _id("id", nullable=False),
        _id("person_id", nullable=False),
        _id("organisation_id", nullable=False),
        sa.Column("user_type", sa.String(length=32), nullable=False),
        sa.Column("started_at", _time(), nullable=False),
        sa.Column("ended_at", _time(), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        _fk("organisation_id", "organisations", "work_relations"),
        _fk("person_id", "persons", "work_relations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_relations")),
    )
    op.create_index("ix_work_relations_organisation_id", "work_relations", ["organisation_id"])
    op.create_index("ix_work_relations_person_id", "work_relations", ["person_id"])

    op.create_table(
        "legal_representatives",
        _id("organisation_id", nullable=False),
        _id("person_id", nullable=False),
        _fk("organisation_id", "organisations", "legal_representatives"),
        _fk("person_id", "persons", "legal_representatives"),
        sa.PrimaryKeyConstraint("organisation_id", "person_id", name=op.f("pk_legal_representatives")),
    )
    op.create_index("ix_legal_representatives_person_id", "legal_representatives", ["person_id"])

    op.create_table(
        "administrators",
        _id("id", nullable=False),
        _id("organisation_id", nullable=False),
        _id("person_id", nullable=False),
        sa.Column("main", sa.Boolean(), nullable=False),
        sa.Column("applications", _json(), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("contact_phone", sa.String(length=64), nullable=True),
        sa.Column("contact_disclose", sa.Boolean(), nullable=False),
        sa.Column("appointed_by", sa.String(length=255), nullable=True),
        sa.Column("appointed_at", _time(), nullable=True),
        sa.Column("removed_at", _time(), nullable=True),
        sa.Column("removed_by", sa.String(length=255), nullable=True),
        sa.Column("removal_reason", sa.Text(), nullable=True),
        _fk("organisation_id", "organisations", "administrators"),
        _fk("person_id", "persons", "administrators"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_administrators")),
    )
    op.create_index("ix_administrators_organisation_id", "administrators", ["organisation_id"])
    op.create_index("ix_administrators_person_id", "administrators", ["person_id"])

    op.create_table(
        "grants",
        _id("id", nullable=False),
        _id("person_id", nullable=False),
        _id("organisation_id", nullable=False),
        sa.Column("role", sa.String(length=128), nullable=False),
        sa.Column("measure", sa.String(length=128), nullable=True),
        sa.Column("valid_from", _time(), nullable=False),
        sa.Column("valid_until", _time(), nullable=False),
        sa.Column("granted_by", sa.String(length=255), nullable=False),
        sa.Column("granted_at", _time(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("revoked_at", _time(), nullable=True),
        sa.Column("revoked_by", sa.String(length=255), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("organisation_id", "organisations", "grants"),
        _fk("person_id", "persons", "grants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
    )
    op.create_index("ix_grants_organisation_id", "grants", ["organisation_id"])
    op.create_index(
        "ix_grants_person_id_organisation_id_role", "grants", ["person_id", "organisation_id", "role"]
    )

    op.create_table(
        "changes",
        sa.Column("revision", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=255), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("data", _json(), nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_changes")),
    )
    op.create_index("ix_changes_entity_entity_id", "changes", ["entity", "entity_id"])

    op.create_table(
        "audit_events",
        # INTEGER PRIMARY KEY is SQLite's autoincrementing rowid; BIGINT would not be.
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("at", _time(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("actor_kind", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=True),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("details", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_organisation_id_id", "audit_events", ["organisation_id", "id"])

    counter = op.create_table(
        "revision_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_revision_counter_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision_counter")),
    )
    op.bulk_insert(counter, [{"id": 1, "value": 0}])


def downgrade() -> None:
    for table in (
        "revision_counter",
        "audit_events",
        "changes",
        "grants",
        "administrators",
        "legal_representatives",
        "work_relations",
        "persons",
        "organisation_identifiers",
        "organisations",
    ):
        op.drop_table(table)  # drops the table's indexes with it
