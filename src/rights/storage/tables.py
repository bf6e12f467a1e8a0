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

from rights.storage.chain import GENESIS

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
HASH = String(64)  # SHA-256, hex

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

# Mandates between organisations (issue 3): the mandator lets the holder act for it.
mandates = Table(
    "mandates",
    metadata,
    Column("id", ID, primary_key=True),
    Column("mandator_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("holder_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("applications", _json(), nullable=False),
    Column("measures", _json(), nullable=False),
    Column("valid_from", UTCDateTime, nullable=False),
    Column("valid_until", UTCDateTime),
    Column("proposed_by", String(255), nullable=False),
    Column("proposed_at", UTCDateTime, nullable=False),
    Column("mandator_accepted_by", String(255)),
    Column("mandator_accepted_at", UTCDateTime),
    Column("holder_accepted_by", String(255)),
    Column("holder_accepted_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("revoked_by", String(255)),
    Column("revoke_reason", Text),
    Column("version", Integer, nullable=False),
    Index("ix_mandates_mandator_id", "mandator_id"),
    Index("ix_mandates_holder_id", "holder_id"),
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
    # The hash chain (rights.storage.chain): the previous entry's hash and this entry's own.
    Column("prev_hash", HASH, nullable=False),
    Column("hash", HASH, nullable=False),
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
    Column("prev_hash", HASH, nullable=False),
    Column("hash", HASH, nullable=False),
    Index("ix_audit_events_organisation_id_id", "organisation_id", "id"),
)

revision_counter = Table(
    "revision_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
    # The heads of the two hash chains, so entries removed from the end are noticed too.
    Column("changes_hash", HASH, nullable=False, server_default=GENESIS),
    Column("audit_id", BigInteger, nullable=False, server_default="0"),
    Column("audit_hash", HASH, nullable=False, server_default=GENESIS),
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

# --- register imports (issue 4, rights.imports; see docs/imports.md) --------------------------------

# Every name an organisation is known by besides ``organisations.name``/``short_name`` (KBO names in
# other languages, abbreviations, commercial names). Search indexes both this and organisations.
organisation_names = Table(
    "organisation_names",
    metadata,
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # name | abbreviation | commercial_name
    Column("language", String(2), nullable=False),  # nl | fr | de | en | "" (unknown)
    Column("name", String(512), nullable=False),
    Column("search_name", String(1024), nullable=False),  # normalise_search_text(name)
    PrimaryKeyConstraint("organisation_id", "position"),
)

# Which organisation a register entry (source, key) became, and a fingerprint of what the register
# said last time: unchanged entries cost a comparison, not a write.
register_records = Table(
    "register_records",
    metadata,
    Column("source", String(16), nullable=False),  # kbo | ovo | schools
    Column("source_key", String(64), nullable=False),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("missing_run", Integer),  # the import run that found it gone; ceased when that run completes
    PrimaryKeyConstraint("source", "source_key"),
    Index("ix_register_records_organisation_id", "organisation_id"),
)

# One row per import run: its checkpoint lets a rerun after a crash resume where the last commit ended.
import_runs = Table(
    "import_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),
    Column("dump_id", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # running | completed
    Column("phase", String(16), nullable=False),
    Column("checkpoint", String(64), nullable=False),
    Column("state", _json(), nullable=False),  # counts so far and the input lines reached
    Column("report_path", Text),
    Column("report_offset", BigInteger, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Index("ix_import_runs_source_id", "source", "id"),
)

# --- LDAP directory (issue 6, rights.directory; see docs/ldap.md) -----------------------------------

# Provenance: which rights entity a directory entry (or a pair of entries) became. ``owned`` is true
# only for what the sync itself created; reconciliation updates and ends owned entities only.
directory_links = Table(
    "directory_links",
    metadata,
    Column("key", String(255), primary_key=True),  # org:<uuid> | person:<uuid> | wr:… | adm:…
    Column("kind", String(16), nullable=False),
    Column("entity_id", ID, nullable=False),
    Column("entry_uuid", String(64), nullable=False),  # the entry whose presence justifies it
    Column("dn", String(1024), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("owned", Boolean, nullable=False),
    Column("gone_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_directory_links_kind_entity_id", "kind", "entity_id"),
    Index("ix_directory_links_entry_uuid", "entry_uuid"),
)

# The consumer's replica of the in-scope directory entries (mapped attributes only).
directory_entries = Table(
    "directory_entries",
    metadata,
    Column("entry_uuid", String(64), primary_key=True),
    Column("dn", String(1024), nullable=False),
    Column("attributes", _json(), nullable=False),
)

# Sync state per stream ("in": cookie + status; "out": provisioning revision + status).
directory_state = Table(
    "directory_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("cookie", Text),
    Column("revision", BigInteger, nullable=False),
    Column("synced_at", UTCDateTime),
    Column("status", _json(), nullable=False),
)

# What provisioning last published per group, so drift (hand edits) can be told from rights changes.
directory_groups = Table(
    "directory_groups",
    metadata,
    Column("dn", String(1024), primary_key=True),
    Column("members", _json(), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
)

# --- organisation search (issue 4, rights.storage.search; see docs/search.md) -----------------------

# Derived, kept current by triggers (migration 0004): one row per searchable normalised name, i.e.
# organisations.search_name (position -1) and every organisation_names.search_name (its position).
# SQLite indexes it with an FTS5 trigram table, PostgreSQL with a pg_trgm GIN index (both in 0004 only).
search_names = Table(
    "search_names",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("organisation_id", ID, nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(1024), nullable=False),
    Index("ix_search_names_organisation_id_position", "organisation_id", "position", unique=True),
    Index("ix_search_names_name", "name", postgresql_ops={"name": "text_pattern_ops"}),
)

# Every word that occurs in a searchable name (never pruned: a stale word only costs a miss), so a
# mistyped word can be corrected by probing its one-edit variants.
search_words = Table("search_words", metadata, Column("word", String(255), primary_key=True))

# --- e-mail outbox (issue 4, rights.mail; see docs/helpline.md) -------------------------------------

# One row per e-mail to send. A worker claims rows (status "sending" with a lease and a claim token)
# in a transaction, sends through SMTP, then marks them "sent"; an expired lease makes a row claimable
# again, a transient failure puts it back to "pending" at ``next_attempt_at``.
outbox = Table(
    "outbox",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("reply_to", String(320)),
    Column("subject", String(255), nullable=False),
    Column("body", Text, nullable=False),
    Column("organisation_id", ID),
    Column("status", String(16), nullable=False),  # pending | sending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("claim_token", String(64)),
    Column("lease_until", UTCDateTime),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

# --- self-registration requests (issue 5, rights.domain.services.requests; see docs/screens.md) -----

# A person's request for a right in an organisation, decided by its local administrators. Approval
# creates the grant (``grant_id``) in the same transaction; nothing is deleted.
access_requests = Table(
    "access_requests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("person_id", ID, ForeignKey("persons.id"), nullable=False),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("role", String(128), nullable=False),
    Column("measure", String(128)),
    Column("motivation", Text, nullable=False),
    Column("contact_email", String(320)),
    Column("status", String(16), nullable=False),  # pending | approved | refused | withdrawn
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", String(255)),
    Column("decision_reason", Text),
    Column("grant_id", ID),
    Index("ix_access_requests_organisation_id_status", "organisation_id", "status"),
    Index("ix_access_requests_person_id", "person_id"),
)

# --- recertification campaigns (issue 5, rights.domain.campaigns; migration 0008) -------------------

# A campaign asks administrators to confirm or revoke old grants before a deadline.
recert_campaigns = Table(
    "recert_campaigns",
    metadata,
    Column("id", ID, primary_key=True),
    Column("title", String(255), nullable=False),
    Column("min_age_days", Integer, nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("started_by", String(255), nullable=False),
    Column("organisation_id", ID, ForeignKey("organisations.id")),  # NULL: every organisation
    Column("status", String(16), nullable=False),  # open | closed
    Column("closed_at", UTCDateTime),
    Index("ix_recert_campaigns_status", "status"),
)

# One row per grant snapshotted at the start: pending until confirmed, revoked or found gone.
recert_items = Table(
    "recert_items",
    metadata,
    Column("id", ID, primary_key=True),
    Column("campaign_id", ID, ForeignKey("recert_campaigns.id"), nullable=False),
    Column("grant_id", ID, ForeignKey("grants.id"), nullable=False),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("status", String(16), nullable=False),  # pending | confirmed | revoked | expired_before
    Column("decided_by", String(255)),
    Column("decided_at", UTCDateTime),
    Column("reason", Text),
    Column("reminded_at", UTCDateTime),
    Index("ix_recert_items_campaign_id_grant_id", "campaign_id", "grant_id", unique=True),
    Index("ix_recert_items_organisation_id_status", "organisation_id", "status"),
    Index("ix_recert_items_grant_id", "grant_id"),
)

# --- shared rate limits (issue 15, rights.storage.ratelimit; see docs/helpline.md) ------------------

# Hits per caller key per limit per calendar minute, shared by every process on the database. Rows of
# past minutes are deleted as processes move on; the table holds about one row per active caller.
rate_limit_windows = Table(
    "rate_limit_windows",
    metadata,
    Column("key", String(255), primary_key=True),  # <limit>:<caller kind>:<subject> (never a full NRN)
    Column("minute", BigInteger, primary_key=True),  # Unix time // 60
    Column("hits", Integer, nullable=False),
)


# --- successions (issue 17, rights.domain.succession; migration 0011) --------------------------------

# Predecessor(s) succeeded by successor(s); the plan as carried out is kept in ``plan``.
successions = Table(
    "successions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(16), nullable=False),  # merger | absorption | split | renumbering
    Column("source", String(16), nullable=False),  # decree | kbo | register
    Column("effective_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("entered_by", String(255), nullable=False),
    Column("entered_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),  # proposed | applied | withdrawn
    Column("assignments", _json(), nullable=False),
    Column("plan", _json()),
    Column("applied_at", UTCDateTime),
    Column("applied_by", String(255)),
    Column("version", Integer, nullable=False),
    Index("ix_successions_status", "status"),
)

# Which organisations a succession names, on which side, in order: found by organisation.
succession_organisations = Table(
    "succession_organisations",
    metadata,
    Column("succession_id", ID, ForeignKey("successions.id"), nullable=False),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False),
    Column("side", String(16), nullable=False),  # predecessor | successor
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("succession_id", "organisation_id"),
    Index("ix_succession_organisations_organisation_id", "organisation_id"),
)
