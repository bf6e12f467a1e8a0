"""The helpline's search: which organisations does what the caller said point to, closest first.

Pure logic over two store calls (``Tx.search_names``, ``Tx.known_words``): the query is classified
(identifier, mistyped enterprise or establishment number, personal number, name); identifiers answer
by exact match; a number failing its mod-97 check yields the valid numbers one wrong digit or two
swapped adjacent digits away ("did you mean"); names are searched accent- and case-free, and a word
that occurs in no name is replaced by the known words one edit away (substitution, insertion,
deletion, adjacent swap) — so a typo in each of two words is tolerated. Ranking is done here, not in
SQL, so SQLite and PostgreSQL answer in the same order.
"""

from __future__ import annotations

import enum
import itertools
import re
from typing import TYPE_CHECKING

import msgspec

from rights.domain import identifiers as ids
from rights.domain.model import Organisation, OrgStatus
from rights.domain.text import normalise_search_text

if TYPE_CHECKING:
    from rights.domain.ports import Tx

CANDIDATES = 20  # rows per probe the store returns for ranking
MIN_TYPO_WORD = 4  # shorter words are too ambiguous to correct
MAX_CORRECTIONS = 6  # alternative spellings tried per query
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_SEPARATORS = re.compile(r"[\s./-]+")


class MatchKind(enum.StrEnum):
    IDENTIFIER = "identifier"  # enterprise number, OVO, NIS or institution number, exactly
    ESTABLISHMENT = "establishment"  # an establishment unit number: the enterprise it belongs to
    SUGGESTION = "suggestion"  # a valid number the mistyped one could have been
    NAME_EXACT = "name_exact"
    NAME_PREFIX = "name_prefix"
    NAME = "name"  # the name contains the query
    NAME_WORDS = "name_words"  # the name contains every word of the query, in any order
    NAME_TYPO = "name_typo"  # found after correcting a mistyped word


class NameHit(msgspec.Struct, frozen=True, kw_only=True):
    """One searchable name (normalised) of an organisation, as the store found it: enough to rank."""

    organisation_id: str
    name: str
    status: OrgStatus
    organisation_name: str


class Match(msgspec.Struct, frozen=True, kw_only=True):
    organisation: Organisation
    kind: MatchKind
    matched: str  # the normalised identifier or name that matched


# --- numbers -----------------------------------------------------------------------------------


def _mod97(number: str) -> bool:
    return 97 - int(number[:8]) % 97 == int(number[8:])


def number_suggestions(digits: str) -> list[tuple[ids.IdentifierKind, str]]:
    """Valid enterprise/establishment numbers one wrong digit or one adjacent swap from ``digits``.

    Mod 97 catches every such error, so a valid number is never "corrected"; and the candidates are
    few (about one per 97 variants). Sorted, enterprise numbers first.
    """
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return []
    variants = {digits[:i] + d + digits[i + 1 :] for i in range(10) for d in "0123456789" if d != digits[i]}
    variants |= {digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :] for i in range(9)}
    found = []
    for v in variants - {digits}:
        if _mod97(v):
            kind = ids.IdentifierKind.ENTERPRISE_NUMBER if v[0] in "01" else ids.IdentifierKind.ESTABLISHMENT_NUMBER
            if v[0] != "9":
                found.append((kind, v))
    return sorted(found, key=lambda kv: (kv[0] != ids.IdentifierKind.ENTERPRISE_NUMBER, kv[1]))


def _number_digits(q: str) -> str:
    s = _SEPARATORS.sub("", q.strip().upper())
    s = s.removeprefix("BE")
    return "0" + s if len(s) == 9 else s


# --- names -------------------------------------------------------------------------------------


def one_edit_variants(word: str) -> set[str]:
    """Every string one substitution, insertion, deletion or adjacent swap away (Norvig)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _ALPHABET}
    out |= {a + c + b for a, b in splits for c in _ALPHABET}
    out.discard(word)
    return out


def _trigrams(s: str) -> set[str]:
    grams: set[str] = set()
    for w in s.split():
        padded = f"  {w} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def closeness(a: str, b: str) -> float:
    """pg_trgm's similarity: shared word trigrams over all trigrams of both (1.0 = same words)."""
    ta, tb = _trigrams(a), _trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def _tier(needle: str, terms: list[str], name: str) -> int | None:
    if name == needle:
        return 0
    if name.startswith(needle):
        return 1
    if needle in name:
        return 2
    if all(t in name for t in terms):
        return 3
    return None


_TIER_KINDS = (MatchKind.NAME_EXACT, MatchKind.NAME_PREFIX, MatchKind.NAME, MatchKind.NAME_WORDS)


def rank(query: str, hits: list[tuple[NameHit, bool]], limit: int) -> list[tuple[NameHit, MatchKind]]:
    """Best name per organisation; closest first, active before not, then by similarity and name.

    ``hits`` pairs each hit with whether it came from a corrected spelling (ranked after the rest).
    """
    terms = query.split()
    best: dict[str, tuple[tuple, NameHit, MatchKind]] = {}
    for hit, corrected in hits:
        tier = None if corrected else _tier(query, terms, hit.name)
        key = (
            4 if tier is None else tier,
            hit.status is not OrgStatus.ACTIVE,
            -round(closeness(query, hit.name), 6),
            hit.organisation_name,
            hit.organisation_id,
        )
        if hit.organisation_id not in best or key < best[hit.organisation_id][0]:
            best[hit.organisation_id] = (key, hit, MatchKind.NAME_TYPO if tier is None else _TIER_KINDS[tier])
    return [(h, k) for _, h, k in sorted(best.values(), key=lambda khk: khk[0])][:limit]


async def _corrections(tx: Tx, terms: list[str], known: set[str]) -> list[list[str]]:
    """Alternative term lists with each unknown word replaced by known words one edit away."""
    options: list[list[str]] = []
    variants: dict[str, set[str]] = {}
    for t in terms:
        if t not in known and len(t) >= MIN_TYPO_WORD:
            variants[t] = one_edit_variants(t)
    real = await tx.known_words(set().union(*variants.values())) if variants else set()
    for t in terms:
        if t in variants:
            fixes = sorted(variants[t] & real, key=lambda w: (-closeness(t, w), w))
            options.append(fixes[:3] or [t])
        else:
            options.append([t])
    combos = [list(c) for c in itertools.islice(itertools.product(*options), MAX_CORRECTIONS + 1)]
    return [c for c in combos if c != terms][:MAX_CORRECTIONS]


async def search_names(tx: Tx, text: str, *, limit: int) -> list[Match]:
    query = normalise_search_text(text)
    if len(query) < 2:
        return []
    terms = query.split()
    known = await tx.known_words(set(terms))
    # A word in no name (other than the last, which may be half typed) cannot be in the name: the
    # trigram probe, the costliest, would only scan the other words' long posting lists for nothing.
    hopeless = any(len(t) >= 3 and t not in known for t in terms[:-1])
    hits = [
        (h, False) for h in await tx.search_names(terms, limit=CANDIDATES, enough=limit, contains=not hopeless)
    ]
    found = rank(query, hits, limit)
    if len(found) < limit and any(len(t) >= MIN_TYPO_WORD for t in terms):
        for fixed in await _corrections(tx, terms, known):  # likeliest first; stop when the page is full
            hits += [(h, True) for h in await tx.search_names(fixed, limit=CANDIDATES, enough=limit)]
            found = rank(query, hits, limit)
            if len(found) >= limit:
                break
    # only now read the few shown whole (identifiers, address), in one go
    orgs = {o.id: o for o in await tx.get_organisations([h.organisation_id for h, _ in found])}
    return [
        Match(organisation=orgs[h.organisation_id], kind=k, matched=h.name)
        for h, k in found
        if h.organisation_id in orgs
    ]


# --- the lookup --------------------------------------------------------------------------------


def looks_like_personal_number(q: str) -> bool:
    """Eleven digits: a national register or BIS number, which is never searched for."""
    s = _SEPARATORS.sub("", q.strip())
    return len(s) == 11 and s.isascii() and s.isdigit()


async def find(tx: Tx, q: str, *, limit: int = 10) -> list[Match]:
    q = q.strip()
    if not q or looks_like_personal_number(q):
        return []
    try:
        kind, value = ids.parse_organisation_identifier(q)
    except ids.IdentifierError as exc:
        if exc.reason == "checksum":
            matches = []
            for k, v in number_suggestions(_number_digits(q)):
                org = await tx.find_organisation(k, v)
                if org is not None and all(m.organisation.id != org.id for m in matches):
                    matches.append(Match(organisation=org, kind=MatchKind.SUGGESTION, matched=v))
            return matches[:limit]
        return await search_names(tx, q, limit=limit)
    org = await tx.find_organisation(kind, value)
    if org is not None:
        how = MatchKind.ESTABLISHMENT if kind is ids.IdentifierKind.ESTABLISHMENT_NUMBER else MatchKind.IDENTIFIER
        return [Match(organisation=org, kind=how, matched=value)]
    # A short number may also be part of a name ("Sint-Jan 2"): fall back to names.
    return await search_names(tx, q, limit=limit)


__all__ = [
    "Match", "MatchKind", "NameHit", "closeness", "find", "looks_like_personal_number",
    "number_suggestions", "one_edit_variants", "rank", "search_names",
]
