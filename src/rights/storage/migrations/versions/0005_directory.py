"""LDAP directory sync state and provenance (issue 6).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Reserved in the chain so that work on several features can migrate independently; it is filled in
by the feature that owns it. Plain SQLAlchemy types only (no imports from rights.storage).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "directory_links",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("entry_uuid", sa.String(length=64), nullable=False),
        sa.Column("dn", sa.String(length=1024), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("owned", sa.Boolean(), nullable=False),
        sa.Column("gone_at", _time(), nullable=True),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_directory_links")),
    )
    op.create_index("ix_directory_links_kind_entity_id", "directory_links", ["kind", "entity_id"])
    op.create_index("ix_directory_links_entry_uuid", "directory_links", ["entry_uuid"])
    op.create_table(
        "directory_entries",
        sa.Column("entry_uuid", sa.String(length=64), nullable=False),
        sa.Column("dn", sa.String(length=1024), nullable=False),
        sa.Column("attributes", _json(), nullable=False),
        sa.PrimaryKeyConstraint("entry_uuid", name=op.f("pk_directory_entries")),
    )
    op.create_table(
        "directory_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("cookie", sa.Text(), nullable=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("synced_at", _time(), nullable=True),
        sa.Column("status", _json(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_directory_state")),
    )
    op.create_table(
        "directory_groups",
        sa.Column("dn", sa.String(length=1024), nullable=False),
        sa.Column("members", _json(), nullable=False),
        sa.Column("published_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("dn", name=op.f("pk_directory_groups")),
    )


def downgrade() -> None:
    op.drop_table("directory_groups")
    op.drop_table("directory_state")
    op.drop_table("directory_entries")
    op.drop_index("ix_directory_links_entry_uuid", table_name="directory_links")
    op.drop_index("ix_directory_links_kind_entity_id", table_name="directory_links")
    op.drop_table("directory_links")
