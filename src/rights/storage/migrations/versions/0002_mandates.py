"""Mandates between organisations (issue 3).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Plain SQLAlchemy types only (no imports from rights.storage).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mandates",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("mandator_id", sa.String(64), nullable=False),
        sa.Column("holder_id", sa.String(64), nullable=False),
        sa.Column("applications", _json(), nullable=False),
        sa.Column("measures", _json(), nullable=False),
        sa.Column("valid_from", _time(), nullable=False),
        sa.Column("valid_until", _time()),
        sa.Column("proposed_by", sa.String(255), nullable=False),
        sa.Column("proposed_at", _time(), nullable=False),
        sa.Column("mandator_accepted_by", sa.String(255)),
        sa.Column("mandator_accepted_at", _time()),
        sa.Column("holder_accepted_by", sa.String(255)),
        sa.Column("holder_accepted_at", _time()),
        sa.Column("revoked_at", _time()),
        sa.Column("revoked_by", sa.String(255)),
        sa.Column("revoke_reason", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["mandator_id"], ["organisations.id"],
                                name=op.f("fk_mandates_mandator_id_organisations")),
        sa.ForeignKeyConstraint(["holder_id"], ["organisations.id"], name=op.f("fk_mandates_holder_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandates")),
    )
    op.create_index("ix_mandates_mandator_id", "mandates", ["mandator_id"])
    op.create_index("ix_mandates_holder_id", "mandates", ["holder_id"])


def downgrade() -> None:
    op.drop_index("ix_mandates_holder_id", table_name="mandates")
    op.drop_index("ix_mandates_mandator_id", table_name="mandates")
    op.drop_table("mandates")
