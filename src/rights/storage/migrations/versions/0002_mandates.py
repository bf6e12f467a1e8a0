"""Mandates between organisations (issue 3).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Reserved in the chain so that work on several features can migrate independently; it is filled in
by the feature that owns it. Plain SQLAlchemy types only (no imports from rights.storage).
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
