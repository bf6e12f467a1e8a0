"""Successions: organisations that merge, split, are absorbed or renumbered (issue 17).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Plain SQLAlchemy types only (no imports from rights.storage).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "successions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("effective_at", _time(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(255), nullable=False),
        sa.Column("entered_at", _time(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignments", _json(), nullable=False),
        sa.Column("plan", _json()),
        sa.Column("applied_at", _time()),
        sa.Column("applied_by", sa.String(255)),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_successions")),
    )
    op.create_index("ix_successions_status", "successions", ["status"])
    op.create_table(
        "succession_organisations",
        sa.Column("succession_id", sa.String(64), nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["succession_id"], ["successions.id"],
                                name=op.f("fk_succession_organisations_succession_id_successions")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_succession_organisations_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("succession_id", "organisation_id", name=op.f("pk_succession_organisations")),
    )
    op.create_index("ix_succession_organisations_organisation_id", "succession_organisations", ["organisation_id"])


def downgrade() -> None:
    op.drop_index("ix_succession_organisations_organisation_id", table_name="succession_organisations")
    op.drop_table("succession_organisations")
    op.drop_index("ix_successions_status", table_name="successions")
    op.drop_table("successions")
