"""Name search in SQL: candidates for the lookup (``rights.domain.lookup`` ranks them).

Three cheap probes, each capped, instead of one ranked scan over millions of names: the exact name and
names starting with the query use the B-tree on ``search_names.name``; names containing every word of
the query use the trigram index (SQLite FTS5 ``trigram``, PostgreSQL ``pg_trgm`` GIN via ``LIKE``).
Ranking happens in Python over at most a few hundred rows, identically on both databases.

Names are stored normalised (``normalise_search_text``), so they contain only word characters and
single spaces: quoting them for FTS5 needs no escaping, and ``LIKE`` patterns are escaped anyway.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from rights.storage.tables import organisations, search_names, search_words

# Trigram indexes cannot serve words shorter than this; they only rank.
MIN_INDEXED_WORD = 3
# Objects the migration makes that tables.py cannot describe (FTS5 table and its shadow tables, the
# GIN index): drift checks and autogenerate skip them.
_UNMODELLED_TABLE_PREFIX = "search_names_fts"
_UNMODELLED_INDEXES = frozenset({"ix_search_names_name_trgm"})


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name`` hook: hide the search objects autogenerate cannot see from drift checks."""
    if type_ == "table" and name is not None and name.startswith(_UNMODELLED_TABLE_PREFIX):
        return False
    return not (type_ == "index" and name in _UNMODELLED_INDEXES)


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def name_hits(
    conn: AsyncConnection, terms: Sequence[str], *, limit: int, enough: int | None = None, contains: bool = True
) -> list[tuple[str, str, str, str]]:
    """``(organisation_id, matched name, status, organisation name)`` for names equal to, starting with,
    or containing every term, at most ``limit`` per probe. Light rows: only the few ranked first are
    read whole afterwards. The probes run closest first and stop once ``enough`` organisations are
    found, since a later probe's rows would rank below them anyway; after an exact hit the (costliest)
    trigram probe is skipped."""
    phrase = " ".join(terms)
    if not phrase:
        return []
    t, o = search_names, organisations
    columns = (t.c.organisation_id, t.c.name, o.c.status, o.c.name.label("organisation_name"))
    joined = t.join(o, o.c.id == t.c.organisation_id)
    postgres = conn.dialect.name == "postgresql"
    probes = [select(*columns).select_from(joined).where(t.c.name == phrase).limit(limit)]
    if postgres:  # text_pattern_ops index: LIKE 'prefix%' is a range scan whatever the collation
        probes.append(
            select(*columns).select_from(joined)
            .where(t.c.name.like(_like_escape(phrase) + "%", escape="\\"))
            .limit(limit)
        )
    else:  # BINARY collation: U+10FFFF sorts after every character a name can hold
        probes.append(
            select(*columns).select_from(joined)
            .where(t.c.name > phrase, t.c.name < phrase + "\U0010ffff")
            .limit(limit)
        )
    indexed = [w for w in dict.fromkeys(terms) if len(w) >= MIN_INDEXED_WORD]
    if contains and (words := indexed):
        if postgres:
            probes.append(
                select(*columns).select_from(joined)
                .where(*(t.c.name.like(f"%{_like_escape(w)}%", escape="\\") for w in words))
                .limit(limit)
            )
        else:
            probes.append(
                text(
                    "SELECT s.organisation_id, s.name, o.status, o.name FROM search_names_fts f "
                    "JOIN search_names s ON s.id = f.rowid JOIN organisations o ON o.id = s.organisation_id "
                    "WHERE search_names_fts MATCH :q LIMIT :n"
                ).bindparams(q=" AND ".join(f'"{w}"' for w in words), n=limit)
            )
    seen: dict[tuple[str, str, str, str], None] = {}
    for i, probe in enumerate(probes):
        if i == 2 and any(row[1] == phrase for row in seen):
            break  # a whole name was typed: names merely containing its words are noise
        for row in (await conn.execute(probe)).all():
            seen.setdefault(tuple(row), None)  # type: ignore[arg-type]
        if enough is not None and len({row[0] for row in seen}) >= enough:
            break
    return list(seen)


async def known_words(conn: AsyncConnection, words: Collection[str]) -> set[str]:
    """Those of ``words`` that occur in some searchable name."""
    wanted = sorted({w for w in words if MIN_INDEXED_WORD <= len(w) <= 64})
    found: set[str] = set()
    for start in range(0, len(wanted), 900):  # SQLite's bound-parameter limit is 999 on old builds
        chunk = wanted[start : start + 900]
        found.update((await conn.execute(select(search_words.c.word).where(search_words.c.word.in_(chunk)))).scalars())
    return found


__all__ = ["MIN_INDEXED_WORD", "include_name", "known_words", "name_hits"]
