"""seeds/demo.yaml stays true to the identifiers' checks and to the policies.

The demo seed is read here with plain pyyaml, independently of the seed loader, and every fact in it is
put through the same checks and rules the service applies: identifiers, the catalogue, who may
appoint administrators, and every grant (ensure_administers + ensure_grantable).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from rights.domain import identifiers as ids
from rights.domain import rules
from rights.domain.catalogue import Catalogue
from rights.domain.decisions import decide
from rights.domain.errors import DomainError
from rights.domain.model import (
    Address,
    Administrator,
    ContactCard,
    Grant,
    Organisation,
    OrgIdentifiers,
    OrgStatus,
    OrgType,
    Person,
    UserType,
    WorkRelation,
)
from rights.policies import default_policies_dir, load_catalogue

SEED = Path(__file__).resolve().parents[1] / "seeds" / "demo.yaml"
NOW = datetime.now(UTC)

ORG_FIELDS = {"key", "type", "name", "short_name", "identifiers", "address", "parent", "status"}
PERSON_FIELDS = {"key", "national_number", "given_name", "family_name", "email", "frozen"}
ADMIN_FIELDS = {"organisation", "person", "main", "applications", "contact"}
GRANT_FIELDS = {"organisation", "person", "role", "measure", "days", "granted_by", "reason"}
NORMALISE = {
    "enterprise_number": ids.normalise_enterprise_number,
    "nis_code": ids.normalise_nis_code,
    "ovo_code": ids.normalise_ovo_code,
    "institution_number": ids.normalise_institution_number,
}


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    assert set(data) == {
        "organisations", "persons", "legal_representatives", "administrators", "work_relations", "grants",
    }
    return data


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(default_policies_dir())


def _identifiers(raw: dict[str, Any]) -> OrgIdentifiers:
    values: dict[str, Any] = {k: NORMALISE[k](v) for k, v in raw.items() if k != "establishment_numbers"}
    values["establishment_numbers"] = tuple(
        ids.normalise_establishment_number(n) for n in raw.get("establishment_numbers", ())
    )
    return OrgIdentifiers(**values)


@pytest.fixture(scope="module")
def orgs(seed: dict[str, Any]) -> dict[str, Organisation]:
    out: dict[str, Organisation] = {}
    for raw in seed["organisations"]:
        assert set(raw) == ORG_FIELDS, raw["key"]
        assert raw["key"] not in out, f"duplicate organisation key {raw['key']}"
        assert set(raw["identifiers"]) <= set(NORMALISE) | {"establishment_numbers"}, raw["key"]
        out[raw["key"]] = Organisation(
            id=raw["key"], type=OrgType(raw["type"]), name=raw["name"], short_name=raw["short_name"],
            status=OrgStatus(raw["status"]), identifiers=_identifiers(raw["identifiers"]),
            address=msgspec.convert(raw["address"], Address), parent_id=raw["parent"],
        )
    return out


@pytest.fixture(scope="module")
def persons(seed: dict[str, Any]) -> dict[str, Person]:
    out: dict[str, Person] = {}
    for raw in seed["persons"]:
        assert set(raw) == PERSON_FIELDS, raw["key"]
        assert raw["key"] not in out, f"duplicate person key {raw['key']}"
        number = ids.parse_national_number(raw["national_number"])
        out[raw["key"]] = Person(
            id=raw["key"], national_number=number.value, given_name=raw["given_name"],
            family_name=raw["family_name"], email=raw["email"], frozen=raw["frozen"],
        )
    return out


@pytest.fixture(scope="module")
def legal_reps(seed: dict[str, Any], orgs: dict[str, Organisation], persons: dict[str, Person]) -> set[tuple[str, str]]:
    reps = {(r["organisation"], r["person"]) for r in seed["legal_representatives"]}
    for org, person in reps:
        assert org in orgs and person in persons, (org, person)
        assert orgs[org].type is OrgType.COMPANY, "legal representatives come from the KBO: companies only"
    return reps


@pytest.fixture(scope="module")
def admins(
    seed: dict[str, Any], orgs: dict[str, Organisation], persons: dict[str, Person],
    legal_reps: set[tuple[str, str]], catalogue: Catalogue,
) -> list[Administrator]:
    """Appoint the administrators in file order, each appointment judged by the rules."""
    out: list[Administrator] = []
    for k, raw in enumerate(seed["administrators"]):
        assert set(raw) == ADMIN_FIELDS, raw
        org, person = raw["organisation"], raw["person"]
        assert org in orgs and person in persons, raw
        for app in raw["applications"] or ():
            catalogue.application(app)
        present = [a for a in out if a.organisation_id == org]
        if not present:
            # The first main administrator: a legal representative for themself, or else the platform.
            assert raw["main"], f"the first administrator of {org} must be main"
            by_rep = (org, person) in legal_reps
            actor, platform = (person if by_rep else None), not by_rep
        else:
            actor, platform = next(a.person_id for a in present if a.main), False
        rules.ensure_may_appoint(
            actor_person_id=actor, platform_admin=platform, admins=present,
            legal_representatives=[p for o, p in legal_reps if o == org], target_person_id=person, main=raw["main"],
        )
        out.append(
            Administrator(
                id=f"adm-{k}", organisation_id=org, person_id=person, main=raw["main"],
                applications=tuple(raw["applications"]) if raw["applications"] is not None else None,
                contact=msgspec.convert(raw["contact"], ContactCard), appointed_by=actor,
            )
        )
    return out


@pytest.fixture(scope="module")
def work_relations(
    seed: dict[str, Any], orgs: dict[str, Organisation], persons: dict[str, Person], catalogue: Catalogue
) -> list[WorkRelation]:
    out: list[WorkRelation] = []
    for k, raw in enumerate(seed["work_relations"]):
        assert set(raw) == {"organisation", "person", "user_type"}, raw
        org, person = orgs[raw["organisation"]], persons[raw["person"]]
        user_type = UserType(raw["user_type"])
        rules.ensure_user_type_allowed(catalogue.org_type(org.type), user_type)
        out.append(
            WorkRelation(
                id=f"wr-{k}", person_id=person.id, organisation_id=org.id, user_type=user_type,
                started_at=NOW - timedelta(days=1),
            )
        )
    pairs = Counter((w.organisation_id, w.person_id) for w in out)
    assert [p for p, n in pairs.items() if n > 1] == []
    return out


@pytest.fixture(scope="module")
def grants(
    seed: dict[str, Any], orgs: dict[str, Organisation], persons: dict[str, Person], catalogue: Catalogue,
    admins: list[Administrator], work_relations: list[WorkRelation],
) -> list[Grant]:
    out: list[Grant] = []
    for k, raw in enumerate(seed["grants"]):
        assert set(raw) == GRANT_FIELDS, raw
        assert isinstance(raw["reason"], str) and isinstance(raw["days"], int), raw
        org, holder, actor = orgs[raw["organisation"]], persons[raw["person"]], persons[raw["granted_by"]]
        role = catalogue.role(raw["role"])
        valid_until = NOW + timedelta(days=raw["days"])
        try:
            rules.ensure_administers([a for a in admins if a.organisation_id == org.id], actor.id, role.application)
            rules.ensure_grantable(
                role=role, measure=raw["measure"], org=org, holder=holder, actor_person_id=actor.id,
                work_relations=work_relations, valid_from=NOW, valid_until=valid_until, now=NOW,
            )
        except DomainError as e:
            pytest.fail(f"grants[{k}] {raw}: refused ({e.code}): {e}")
        out.append(
            Grant(
                id=f"gr-{k}", person_id=holder.id, organisation_id=org.id, role=role.code, measure=raw["measure"],
                valid_from=NOW, valid_until=valid_until, granted_by=actor.id, granted_at=NOW, reason=raw["reason"],
            )
        )
    same = Counter((g.person_id, g.organisation_id, g.role, g.measure) for g in out)
    assert [g for g, n in same.items() if n > 1] == [], "the service refuses a second overlapping grant"
    return out


def test_organisations(orgs: dict[str, Organisation], catalogue: Catalogue) -> None:
    assert 24 <= len(orgs) <= 40
    assert {o.type for o in orgs.values()} == set(OrgType)
    statuses = Counter(o.status for o in orgs.values())
    assert statuses[OrgStatus.FROZEN] == 1 and statuses[OrgStatus.CEASED] == 1
    for org in orgs.values():
        for kind in catalogue.org_type(org.type).required_identifiers:
            assert getattr(org.identifiers, kind.value), f"{org.id} needs a {kind}"
        assert catalogue.organisation_code(org), org.id
        if org.parent_id is not None:
            assert org.parent_id in orgs and org.parent_id != org.id
        if org.identifiers.nis_code:
            assert ids.nis_municipality_name(org.identifiers.nis_code) in org.name
    for field in ("enterprise_number", "ovo_code", "institution_number", "nis_code"):
        values = [getattr(o.identifiers, field) for o in orgs.values() if getattr(o.identifiers, field)]
        assert len(values) == len(set(values)), f"duplicate {field}"
    schools = [o for o in orgs.values() if o.type is OrgType.EDUCATION_INSTITUTION and o.parent_id]
    assert schools and all(orgs[s.parent_id].type is OrgType.COMPANY for s in schools if s.parent_id)


def test_public_identifiers(orgs: dict[str, Organisation]) -> None:
    assert orgs["affligem"].identifiers == OrgIdentifiers(enterprise_number="0207509031", nis_code="23105")
    assert orgs["digitaal-vlaanderen"].identifiers.ovo_code == "OVO002949"
    assert orgs["gent"].identifiers.nis_code == "44021"
    assert orgs["antwerpen"].identifiers.nis_code == "11002"
    assert orgs["pajottegem"].identifiers.nis_code == "23106"


def test_persons(persons: dict[str, Person]) -> None:
    assert 20 <= len(persons) <= 45
    numbers = [ids.parse_national_number(p.national_number) for p in persons.values()]
    assert len({n.value for n in numbers}) == len(numbers)
    assert any(n.kind is ids.NationalNumberKind.BIS for n in numbers)
    assert any(n.birth_date and n.birth_date.year >= 2000 for n in numbers)
    assert sum(p.frozen for p in persons.values()) == 1
    for p in persons.values():
        assert p.email is None or ("@" in p.email and " " not in p.email), p.id


def test_administrators(admins: list[Administrator], orgs: dict[str, Organisation]) -> None:
    administered = {a.organisation_id for a in admins}
    assert [k for k in orgs if k not in administered] == ["bloemenwinkel-zonnebloem"]
    for org in administered:
        assert any(a.main for a in admins if a.organisation_id == org), org


def test_grants_follow_the_rules(grants: list[Grant], catalogue: Catalogue) -> None:
    roles = {g.role for g in grants}
    assert {"DWSEOrganisatieverantwoordelijke", "Opleidingsverlof", "LoketLokaleBesturen", "WebEdisonBeheerder"} <= roles
    assert {g.measure for g in grants if g.role == "DWSEOrganisatieverantwoordelijke"} == {"VOP", "IMW", "AWI"}


def test_the_vop_story(
    orgs: dict[str, Organisation], persons: dict[str, Person], legal_reps: set[tuple[str, str]],
    admins: list[Administrator], work_relations: list[WorkRelation], grants: list[Grant], catalogue: Catalogue,
) -> None:
    bakery = [a for a in admins if a.organisation_id == "bakkerij-peeters"]
    # Bert, legal representative, appointed himself; he appointed Sofie.
    assert ("bakkerij-peeters", "bert") in legal_reps
    assert (bakery[0].person_id, bakery[0].main, bakery[0].appointed_by) == ("bert", True, "bert")
    assert (bakery[1].person_id, bakery[1].main, bakery[1].appointed_by) == ("sofie", False, "bert")
    vop = [g for g in grants if (g.person_id, g.measure) == ("an", "VOP")]
    assert [(g.organisation_id, g.granted_by) for g in vop] == [("bakkerij-peeters", "sofie")]
    decision = decide(
        org=orgs["bakkerij-peeters"], person=persons["an"], role=catalogue.role("DWSEOrganisatieverantwoordelijke"),
        measure="VOP", grants=grants, work_relations=work_relations, at=NOW,
    )
    assert decision.allowed
    assert persons["an"].national_number == "85073003328"
