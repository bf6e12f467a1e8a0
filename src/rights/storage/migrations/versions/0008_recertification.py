"""Recertification campaigns: administrators confirm or revoke old grants before a deadline (issue 5).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

Plain SQLAlchemy types only (no imports from rights.storage).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recert_campaigns",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("min_age_days", sa.Integer(), nullable=False),
        sa.Column("deadline", _time(), nullable=False),
        sa.Column("started_at", _time(), nullable=False),
        sa.Column("started_by", sa.String(255), nullable=False),
        sa.Column("organisation_id", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_at", _time()),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_recert_campaigns_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recert_campaigns")),
    )
    op.create_index("ix_recert_campaigns_status", "recert_campaigns", ["status"])
    op.create_table(
        "recert_items",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("grant_id", sa.String(64), nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(255)),
        sa.Column("decided_at", _time()),
        sa.Column("reason", sa.Text()),
        sa.Column("reminded_at", _time()),
        sa.ForeignKeyConstraint(["campaign_id"], ["recert_campaigns.id"],
                                name=op.f("fk_recert_items_campaign_id_recert_campaigns")),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"], name=op.f("fk_recert_items_grant_id_grants")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_recert_items_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recert_items")),
    )
    op.create_index("ix_recert_items_campaign_id_grant_id", "recert_items", ["campaign_id", "grant_id"], unique=True)
    op.create_index("ix_recert_items_organisation_id_status", "recert_items", ["organisation_id", "status"])
    op.create_index("ix_recert_items_grant_id", "recert_items", ["grant_id"])


def downgrade() -> None:
    op.drop_index("ix_recert_items_grant_id", table_name="recert_items")
    op.drop_index("ix_recert_items_organisation_id_status", table_name="recert_items")
    op.drop_index("ix_recert_items_campaign_id_grant_id", table_name="recert_items")
    op.drop_table("recert_items")
    op.drop_index("ix_recert_campaigns_status", table_name="recert_campaigns")
    op.drop_table("recert_campaigns")
