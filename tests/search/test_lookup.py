"""One table of helpline lookups, run against SQLite and PostgreSQL (``store`` is parametrised).

Each case: the operator's query, the organisations expected first (in order) and how the first matched.
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from rights.domain import lookup
from rights.domain.lookup import MatchKind
from rights.domain.model import Organisation, OrgIdentifiers, OrgStatus, OrgType
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import build_services
from rights.domain.text import normalise_search_text
from rights.policies import default_policies_dir, load_catalogue
from rights.storage import SqlStore
from rights.storage.tables import audit_events, organisation_names


def org(org_id: str, name: str, *, type: OrgType = OrgType.COMPANY, **kw: object) -> Organisation:
    return Organisation(id=org_id, type=type, name=name, **kw)  # type: ignore[arg-type]


WORLD = [
    org("dupre", "Boulangerie Dupré", identifiers=OrgIdentifiers(
        enterprise_number="0403019261", establishment_numbers=("2147812701",))),
    org("peeters", "Bakkerij Peeters", identifiers=OrgIdentifiers(enterprise_number="0353456320")),
    org("peeters-old", "Bakkerij Peeters", status=OrgStatus.CEASED),
    org("peeters-j", "Bakkerij Peeters-Janssens BV"),
    org("zonne", "Bloemenwinkel De Zonnèbloem", identifiers=OrgIdentifiers(enterprise_number="1000000021")),
    org("affligem", "Gemeente Affligem", type=OrgType.LOCAL_GOVERNMENT,
        identifiers=OrgIdentifiers(enterprise_number="0207509031", nis_code="23105")),
    org("dv", "Agentschap Digitaal Vlaanderen", type=OrgType.FLEMISH_ENTITY, short_name="DV",
        identifiers=OrgIdentifiers(ovo_code="OVO002949")),
    org("school", "Sint-Jozefscollege", type=OrgType.EDUCATION_INSTITUTION,
        identifiers=OrgIdentifiers(institution_number="012345")),
    org("garage", "Garage Lefèvre & Fils", identifiers=OrgIdentifiers(enterprise_number="0426994097")),
]
# Names the KBO import adds (docs/imports.md): a commercial name and an abbreviation.
OTHER_NAMES = [("dupre", "commercial_name", "fr", "Au Bon Pain d'Antan"), ("garage", "abbreviation", "nl", "GLF")]

CASES = [
    # identifiers in every common form
    ("0403019261", ["dupre"], MatchKind.IDENTIFIER),
    ("0403.019.261", ["dupre"], MatchKind.IDENTIFIER),
    ("BE 0403.019.261", ["dupre"], MatchKind.IDENTIFIER),
    ("be0403019261", ["dupre"], MatchKind.IDENTIFIER),
    ("403019261", ["dupre"], MatchKind.IDENTIFIER),  # the old 9-digit number
    ("2.147.812.701", ["dupre"], MatchKind.ESTABLISHMENT),
    ("OVO002949", ["dv"], MatchKind.IDENTIFIER),
    ("DV", ["dv"], MatchKind.NAME_EXACT),  # a two-letter short name (issue 11)
    ("ovo 002949", ["dv"], MatchKind.IDENTIFIER),
    ("23105", ["affligem"], MatchKind.IDENTIFIER),
    ("12345", ["school"], MatchKind.IDENTIFIER),  # public lists drop the leading zero
    # mistyped enterprise numbers: one wrong digit, two swapped digits
    ("0403.019.361", ["dupre"], MatchKind.SUGGESTION),
    ("0403.091.261", ["dupre"], MatchKind.SUGGESTION),
    ("BE 0207.590.031", ["affligem"], MatchKind.SUGGESTION),
    ("2.147.812.710", ["dupre"], MatchKind.SUGGESTION),  # an establishment unit, swapped
    # names: exact, case and accents, partial, any order
    ("Boulangerie Dupré", ["dupre"], MatchKind.NAME_EXACT),
    ("BOULANGERIE DUPRE", ["dupre"], MatchKind.NAME_EXACT),
    ("bloemenwinkel de zonnebloem", ["zonne"], MatchKind.NAME_EXACT),
    ("zonnèbloem", ["zonne"], MatchKind.NAME),
    ("lefevre", ["garage"], MatchKind.NAME),
    ("boulang", ["dupre"], MatchKind.NAME_PREFIX),
    ("digitaal vla", ["dv"], MatchKind.NAME),
    ("peeters bakkerij", ["peeters", "peeters-j", "peeters-old"], MatchKind.NAME_WORDS),
    # ranking: the exact name first, active before ceased, then longer names
    ("bakkerij peeters", ["peeters", "peeters-old", "peeters-j"], MatchKind.NAME_EXACT),
    # typos: one, two in different words, a swap, a missing and an extra letter
    ("bakkerij peetres", ["peeters", "peeters-j", "peeters-old"], MatchKind.NAME_TYPO),
    ("bakkerj peeterz", ["peeters", "peeters-j", "peeters-old"], MatchKind.NAME_TYPO),
    ("boulangrie dupre", ["dupre"], MatchKind.NAME_TYPO),
    ("gemeente afflligem", ["affligem"], MatchKind.NAME_TYPO),
    ("zonnebleom", ["zonne"], MatchKind.NAME_TYPO),
    # other names from the register: commercial name, abbreviation
    ("au bon pain", ["dupre"], MatchKind.NAME_PREFIX),
    ("glf", ["garage"], MatchKind.NAME_EXACT),
    # nothing to find
    ("   ", [], None),
    ("x", [], None),
    ("qwertyuiop", [], None),
    ("0403.019.999", [], None),  # no valid number nearby that exists
    ("85.07.30-033.28", [], None),  # a national register number is never searched for
]


@pytest.fixture
async def world(store: SqlStore) -> SqlStore:
    async with store.write() as tx:
        for o in WORLD:
            await tx.add_organisation(o)
        await tx.connection.execute(insert(organisation_names), [
            {"organisation_id": o, "position": i, "kind": k, "language": lang, "name": n,
             "search_name": normalise_search_text(n)}
            for i, (o, k, lang, n) in enumerate(OTHER_NAMES)
        ])
    return store


async def test_lookup_cases(world: SqlStore) -> None:
    # One database per backend for the whole table; each mismatch is listed with its query.
    wrong = []
    async with world.read() as tx:
        for query, expected, kind in CASES:
            found = await lookup.find(tx, query, limit=10)
            got = ([m.organisation.id for m in found], found[0].kind if found else None)
            if got != (expected, kind):
                wrong.append((query, got, (expected, kind)))
    assert wrong == []


async def test_limits_and_renames_are_searchable_at_once(world: SqlStore) -> None:
    async with world.read() as tx:
        assert len(await lookup.find(tx, "bakkerij", limit=2)) == 2
        assert len(await lookup.find(tx, "bakkerij", limit=1)) == 1
    async with world.write() as tx:  # triggers keep the index current on update
        renamed = next(o for o in WORLD if o.id == "zonne")
        await tx.save_organisation(Organisation(**{**{f: getattr(renamed, f) for f in renamed.__struct_fields__},
                                                   "name": "Bloemen Zonnewende", "version": 2}))
        await tx.connection.execute(organisation_names.delete().where(organisation_names.c.organisation_id == "garage"))
    async with world.read() as tx:
        assert [m.organisation.id for m in await lookup.find(tx, "zonnewende")] == ["zonne"]
        assert await lookup.find(tx, "zonnebloem") == []
        assert await lookup.find(tx, "glf") == []


async def test_the_helpline_says_how_it_matched_and_never_audits_a_personal_number(world: SqlStore) -> None:
    services = build_services(world, load_catalogue(default_policies_dir()))
    operator = Caller(kind=PrincipalKind.HELPLINE, subject="helpline:op-1")
    cards = await services.helpline.lookup(operator, "0403.019.361")
    assert [(c.organisation.id, c.match) for c in cards] == [("dupre", "suggestion")]
    assert await services.helpline.lookup(operator, "85.07.30-033.28") == []
    async with world.read() as tx:
        details = [r.details for r in (await tx.connection.execute(select(audit_events))).all()]
    assert [d["query"] for d in details] == ["0403.019.361", "85.07.30-***.**"]
    assert "033.28" not in repr(details)


def test_number_suggestions_are_valid_and_near() -> None:
    assert ("enterprise_number", "0403019261") in lookup.number_suggestions("0403019361")
    assert ("enterprise_number", "0403019261") in lookup.number_suggestions("0403091261")
    for _, number in lookup.number_suggestions("0207590031"):
        assert 97 - int(number[:8]) % 97 == int(number[8:])
        assert sum(a != b for a, b in zip(number, "0207590031", strict=True)) <= 2
    assert lookup.number_suggestions("12345") == []
