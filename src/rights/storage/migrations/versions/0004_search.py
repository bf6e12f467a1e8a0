"""Organisation search: SQLite FTS5 trigram and PostgreSQL pg_trgm (issue 4).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

``search_names`` holds every searchable normalised name (organisations.search_name at position -1,
organisation_names.search_name at their position); ``search_words`` every word in them. Triggers keep
both current, so the store's write paths and the register imports need do nothing. SQLite indexes the
names with an FTS5 trigram table (external content), PostgreSQL with a pg_trgm GIN index; statement
triggers with transition tables keep PostgreSQL bulk imports set-based. The FTS5 table and the GIN
index are not in tables.py: ``rights.storage.search.include_name`` hides them from drift checks.
Plain SQLAlchemy types only (no imports from rights.storage).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A normalised name holds only word characters and single spaces (normalise_search_text), so turning
# its spaces into '","' makes a JSON array of its words.
_SQLITE_WORDS = """INSERT OR IGNORE INTO search_words(word)
    SELECT value FROM json_each('["' || replace(new.name, ' ', '","') || '"]')
    WHERE length(value) BETWEEN 3 AND 64;"""

SQLITE = [
    "CREATE VIRTUAL TABLE search_names_fts USING fts5("
    "name, content='search_names', content_rowid='id', tokenize='trigram')",
    f"""CREATE TRIGGER search_names_ai AFTER INSERT ON search_names BEGIN
        INSERT INTO search_names_fts(rowid, name) VALUES (new.id, new.name);
        {_SQLITE_WORDS}
    END""",
    """CREATE TRIGGER search_names_ad AFTER DELETE ON search_names BEGIN
        INSERT INTO search_names_fts(search_names_fts, rowid, name) VALUES ('delete', old.id, old.name);
    END""",
    f"""CREATE TRIGGER search_names_au AFTER UPDATE OF name ON search_names BEGIN
        INSERT INTO search_names_fts(search_names_fts, rowid, name) VALUES ('delete', old.id, old.name);
        INSERT INTO search_names_fts(rowid, name) VALUES (new.id, new.name);
        {_SQLITE_WORDS}
    END""",
    """CREATE TRIGGER organisations_search_ai AFTER INSERT ON organisations BEGIN
        INSERT INTO search_names(organisation_id, position, name) VALUES (new.id, -1, new.search_name);
    END""",
    """CREATE TRIGGER organisations_search_au AFTER UPDATE OF search_name ON organisations
    WHEN new.search_name IS NOT old.search_name BEGIN
        UPDATE search_names SET name = new.search_name WHERE organisation_id = new.id AND position = -1;
    END""",
    """CREATE TRIGGER organisations_search_ad AFTER DELETE ON organisations BEGIN
        DELETE FROM search_names WHERE organisation_id = old.id AND position = -1;
    END""",
    """CREATE TRIGGER organisation_names_search_ai AFTER INSERT ON organisation_names BEGIN
        INSERT INTO search_names(organisation_id, position, name)
        VALUES (new.organisation_id, new.position, new.search_name);
    END""",
    """CREATE TRIGGER organisation_names_search_au AFTER UPDATE ON organisation_names BEGIN
        DELETE FROM search_names WHERE organisation_id = old.organisation_id AND position = old.position;
        INSERT INTO search_names(organisation_id, position, name)
        VALUES (new.organisation_id, new.position, new.search_name);
    END""",
    """CREATE TRIGGER organisation_names_search_ad AFTER DELETE ON organisation_names BEGIN
        DELETE FROM search_names WHERE organisation_id = old.organisation_id AND position = old.position;
    END""",
]
SQLITE_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS {name}"
        for name in (
            "search_names_ai", "search_names_ad", "search_names_au", "organisations_search_ai",
            "organisations_search_au", "organisations_search_ad", "organisation_names_search_ai",
            "organisation_names_search_au", "organisation_names_search_ad",
        )
    ),
    "DROP TABLE IF EXISTS search_names_fts",
]


def _pg_trigger(table: str, op_: str, body: str, refs: str) -> list[str]:
    name = f"rights_search_{table}_{op_.lower()}"
    return [
        f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {body} RETURN NULL; END $$""",
        f"CREATE TRIGGER {name} AFTER {op_} ON {table} REFERENCING {refs} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
    ]


_PG_WORDS = """INSERT INTO search_words(word)
    SELECT DISTINCT w FROM new_rows, unnest(string_to_array(new_rows.name, ' ')) AS w
    WHERE length(w) BETWEEN 3 AND 64 ON CONFLICT DO NOTHING;"""
_NEW, _OLD, _BOTH = "NEW TABLE AS new_rows", "OLD TABLE AS old_rows", "OLD TABLE AS old_rows NEW TABLE AS new_rows"
_PG_TRIGGERS = [
    ("search_names", "INSERT", _PG_WORDS, _NEW),
    ("search_names", "UPDATE", _PG_WORDS, _BOTH),
    ("organisations", "INSERT", "INSERT INTO search_names(organisation_id, position, name) "
     "SELECT id, -1, search_name FROM new_rows;", _NEW),
    ("organisations", "UPDATE", "UPDATE search_names s SET name = n.search_name FROM new_rows n "
     "WHERE s.organisation_id = n.id AND s.position = -1 AND s.name <> n.search_name;", _BOTH),
    ("organisations", "DELETE", "DELETE FROM search_names s USING old_rows o "
     "WHERE s.organisation_id = o.id AND s.position = -1;", _OLD),
    ("organisation_names", "INSERT", "INSERT INTO search_names(organisation_id, position, name) "
     "SELECT organisation_id, position, search_name FROM new_rows;", _NEW),
    ("organisation_names", "UPDATE", "DELETE FROM search_names s USING old_rows o "
     "WHERE s.organisation_id = o.organisation_id AND s.position = o.position; "
     "INSERT INTO search_names(organisation_id, position, name) "
     "SELECT organisation_id, position, search_name FROM new_rows;", _BOTH),
    ("organisation_names", "DELETE", "DELETE FROM search_names s USING old_rows o "
     "WHERE s.organisation_id = o.organisation_id AND s.position = o.position;", _OLD),
]
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_search_names_name_trgm ON search_names USING gin (name gin_trgm_ops)",
    *(sql for spec in _PG_TRIGGERS for sql in _pg_trigger(*spec)),
]
POSTGRES_DROP = [
    *(f"DROP TRIGGER IF EXISTS rights_search_{t}_{o.lower()} ON {t}" for t, o, _, _ in _PG_TRIGGERS),
    *(f"DROP FUNCTION IF EXISTS rights_search_{t}_{o.lower()}()" for t, o, _, _ in _PG_TRIGGERS),
    "DROP INDEX IF EXISTS ix_search_names_name_trgm",
]

BACKFILL = [
    "INSERT INTO search_names(organisation_id, position, name) SELECT id, -1, search_name FROM organisations",
    "INSERT INTO search_names(organisation_id, position, name) "
    "SELECT organisation_id, position, search_name FROM organisation_names",
]


def upgrade() -> None:
    op.create_table(
        "search_names",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_names")),
    )
    op.create_index(
        "ix_search_names_organisation_id_position", "search_names", ["organisation_id", "position"], unique=True
    )
    op.create_index(
        "ix_search_names_name", "search_names", ["name"], postgresql_ops={"name": "text_pattern_ops"}
    )
    op.create_table(
        "search_words",
        sa.Column("word", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_words")),
    )
    for sql in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRES:
        op.execute(sql)
    for sql in BACKFILL:
        op.execute(sql)


def downgrade() -> None:
    for sql in SQLITE_DROP if op.get_bind().dialect.name == "sqlite" else POSTGRES_DROP:
        op.execute(sql)
    op.drop_table("search_words")
    op.drop_table("search_names")
