"""Register imports: KBO, organisation register, schools (issue 4).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Alternative names of organisations (searchable), register records (source key -> organisation, with a
fingerprint of the last import) and import runs (checkpoints for resuming). Plain SQLAlchemy types
only (no imports from rights.storage).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(column: str, table: str, owner: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{table}.id"], name=op.f(f"fk_{owner}_{column}_{table}"))


def upgrade() -> None:
    op.create_table(
        "organisation_names",
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("search_name", sa.String(length=1024), nullable=False),
        _fk("organisation_id", "organisations", "organisation_names"),
        sa.PrimaryKeyConstraint("organisation_id", "position", name=op.f("pk_organisation_names")),
    )
    op.create_table(
        "register_records",
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("missing_run", sa.Integer(), nullable=True),
        _fk("organisation_id", "organisations", "register_records"),
        sa.PrimaryKeyConstraint("source", "source_key", name=op.f("pk_register_records")),
    )
    op.create_index("ix_register_records_organisation_id", "register_records", ["organisation_id"])
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("dump_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("checkpoint", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("report_path", sa.Text(), nullable=True),
        sa.Column("report_offset", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    op.create_index("ix_import_runs_source_id", "import_runs", ["source", "id"])


def downgrade() -> None:
    for table in ("import_runs", "register_records", "organisation_names"):
        op.drop_table(table)
