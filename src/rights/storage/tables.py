"""The relational schema, as SQLAlchemy Core tables. Migrations (``migrations/``) must match it exactly.

Enumerations are stored as their string values; times as ``timestamptz`` on PostgreSQL and as UTC
text on SQLite, always read back timezone-aware (see :class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware in and out: stored as UTC, read back with ``tzinfo=UTC`` on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store only takes timezone-aware times")
        value = value.astimezone(UTC)
        # SQLite keeps text without an offset: store the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json() -> Any:
    # SQL NULL for None (not the JSON literal null); jsonb on PostgreSQL.
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


ID = String(64)
CODE = String(64)

organisations = Table(
    "organisations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("type", String(32), nullable=False),
    Column("name", String(512), nullable=False),
    Column("short_name", String(255)),
    Column("search_name", String(1024), nullable=False),
    Column("status", String(16), nullable=False),
    Column("address", _json()),
    Column("parent_id", ID, ForeignKey("organisations.id")),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_organisations_type_id", "type", "id"),
    Index("ix_organisations_parent_id", "parent_id"),
)

# One row per identifier; an organisation's establishment numbers are several rows, so that looking one
# up answers the enterprise's organisation. The primary key (kind, value) is the uniqueness rule.
organisation_identifiers = Table(
    "organisation_identifiers",
    metadata,
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("value", String(64), nullable=False),
    # keeps the order of establishment numbers as given
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("kind", "value"),
    Index("ix_organisation_identifiers_organisation_id", "organisation_id"),
)

persons = Table(
    "persons",
    metadata,
    Column("id", ID, primary_key=True),
    Column("national_number", String(11), nullable=False, unique=True),
    Column("given_name", String(255), nullable=False),
    Column("family_name", String(255), nullable=False),
    Column("email", String(320)),
    Column("frozen", Boolean, nullable=False),
)

work_relations = Table(
    "work_relations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("person_id", ID, ForeignKey("persons.id"), nullable=False),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("user_type", String(32), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("blocked", Boolean, nullable=False),
    Index("ix_work_relations_person_id", "person_id"),
    Index("ix_work_relations_organisation_id", "organisation_id"),
)

legal_representatives = Table(
    "legal_representatives",
    metadata,
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("person_id", ID, ForeignKey("persons.id"), nullable=False),
    PrimaryKeyConstraint("organisation_id", "person_id"),
    Index("ix_legal_representatives_person_id", "person_id"),
)

administrators = Table(
    "administrators",
    metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("person_id", ID, ForeignKey("persons.id"), nullable=False),
    Column("main", Boolean, nullable=False),
    Column("applications", _json()),  # NULL: every application
    Column("contact_email", String(320)),
    Column("contact_phone", String(64)),
    Column("contact_disclose", Boolean, nullable=False),
    Column("appointed_by", String(255)),
    Column("appointed_at", UTCDateTime),
    Column("removed_at", UTCDateTime),
    Column("removed_by", String(255)),
    Column("removal_reason", Text),
    Index("ix_administrators_organisation_id", "organisation_id"),
    Index("ix_administrators_person_id", "person_id"),
)

grants = Table(
    "grants",
    metadata,
    Column("id", ID, primary_key=True),
    Column("person_id", ID, ForeignKey("persons.id"), nullable=False),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("role", String(128), nullable=False),
    Column("measure", String(128)),
    Column("valid_from", UTCDateTime, nullable=False),
    Column("valid_until", UTCDateTime, nullable=False),
    Column("granted_by", String(255), nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("revoked_by", String(255)),
    Column("revoke_reason", Text),
    Column("version", Integer, nullable=False),
    Index("ix_grants_person_id_organisation_id_role", "person_id", "organisation_id", "role"),
    Index("ix_grants_organisation_id", "organisation_id"),
)

changes = Table(
    "changes",
    metadata,
    Column("revision", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", CODE, nullable=False),
    Column("entity", CODE, nullable=False),
    Column("entity_id", String(255), nullable=False),
    Column("actor", String(255)),
    Column("data", _json(), nullable=False),
    Index("ix_changes_entity_entity_id", "entity", "entity_id"),
)

audit_events = Table(
    "audit_events",
    metadata,
    # INTEGER PRIMARY KEY is SQLite's autoincrementing rowid; BIGINT would not be.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("actor_kind", String(32), nullable=False),
    Column("action", CODE, nullable=False),
    Column("organisation_id", ID),  # no foreign key: the trail outlives what it mentions
    Column("target", String(255)),
    Column("request_id", String(128)),
    Column("address", String(64)),
    Column("details", _json(), nullable=False),
    Index("ix_audit_events_organisation_id_id", "organisation_id", "id"),
)

revision_counter = Table(
    "revision_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

__all__ = [
    "NAMING_CONVENTION",
    "UTCDateTime",
    "administrators",
    "audit_events",
    "changes",
    "grants",
    "legal_representatives",
    "metadata",
    "organisation_identifiers",
    "organisations",
    "persons",
    "revision_counter",
    "work_relations",
]
