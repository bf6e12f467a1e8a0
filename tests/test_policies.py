"""The repository's policies: the catalogue loads, every policy test case passes, broken files are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import msgspec
import pytest

from rights.domain import rules
from rights.domain.catalogue import Catalogue
from rights.domain.model import Organisation, OrgIdentifiers, OrgType
from rights.policies import (
    LoadedCase,
    PolicyError,
    default_policies_dir,
    load_catalogue,
    load_policy_cases,
    run_policy_case,
    run_policy_tests,
)

POLICIES = default_policies_dir()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(POLICIES)


# --- every policy test case is one test ------------------------------------------------------------


@pytest.mark.parametrize("loaded", [pytest.param(c, id=c.id) for c in load_policy_cases(POLICIES)])
def test_policy_case(loaded: LoadedCase, catalogue: Catalogue) -> None:
    result = run_policy_case(loaded, catalogue)
    assert result.passed, "\n".join(result.failures())


DECISION_REASONS = {
    "allowed", "unknown_organisation", "unknown_person", "unknown_role", "unknown_measure",
    "organisation_frozen", "organisation_ceased", "person_frozen", "no_grant", "grant_revoked",
    "grant_expired", "grant_not_yet_valid", "work_relation_inactive",
}
RULE_CODES = {
    "allowed", "already_administrator", "not_main_administrator", "last_administrator",
    "last_main_administrator", "not_an_administrator", "application_not_administered",
    "validity_ends_before_start", "validity_in_past", "validity_too_long", "user_type_not_allowed",
    "organisation_frozen", "organisation_ceased", "person_frozen", "role_not_for_organisation_type",
    "role_not_grantable_by_organisation_type", "measure_required", "unknown_measure", "unknown_role",
    "self_grant_forbidden", "work_relation_required",
}


def test_the_cases_exercise_every_reason_and_rule(catalogue: Catalogue) -> None:
    results = run_policy_tests(POLICIES, catalogue)
    checks = {a for r in results for s, a in zip(r.steps, r.actual, strict=True) if s.startswith("checks")}
    attempts = {a for r in results for s, a in zip(r.steps, r.actual, strict=True) if s.startswith("attempts")}
    assert DECISION_REASONS - checks == set()
    assert RULE_CODES - attempts == set()


# --- the real catalogue ----------------------------------------------------------------------------


def test_default_policies_dir_is_the_repository_one() -> None:
    assert POLICIES == Path(__file__).resolve().parents[1] / "policies"


def test_the_wse_right_and_its_measures(catalogue: Catalogue) -> None:
    role = catalogue.role("DWSEOrganisatieverantwoordelijke")
    assert role.name == "DWSE Organisatieverantwoordelijke"
    assert role.application == "WSELoket"
    measures = {m.code: m for m in role.measures}
    assert measures["VOP"].name == "Vlaamse Ondersteuningspremie" and measures["VOP"].historic
    assert measures["IMW"].name == "Individueel Maatwerk" and not measures["IMW"].historic
    assert measures["AWI"].name == "Aanwervingsincentive"
    assert set(role.org_types) == set(OrgType)
    assert role.requires_work_relation and not role.self_grant
    assert catalogue.role("DWSEOpleider").name == "DWSE Opleider"
    assert catalogue.role("Opleidingsverlof").application == "WSEOpleidingsverlof"


def test_the_rights_named_in_the_domain(catalogue: Catalogue) -> None:
    names = {r.name for r in catalogue.roles.values()}
    assert {
        "VLAIO Inkom Gebruiker", "KIOSK Aanvrager", "SSM Mandaatbeheerder", "SSM Mandaatuitvoerder",
        "Loket voor Lokale Besturen", "SubsidiepuntGebruiker", "WebEdison Beheerder", "Leerlingenvervoer Gebruiker",
    } <= names
    lb = catalogue.role("LoketLokaleBesturen")
    assert [m.code for m in lb.measures] == ["Toezicht", "Mandatenbeheer", "BBC-DR", "Berichtencentrum"]
    assert lb.org_types == (OrgType.LOCAL_GOVERNMENT,)
    assert catalogue.role("VLAIOInkomGebruiker").org_types == (OrgType.COMPANY,)
    assert catalogue.role("SubsidiepuntGebruiker").self_grant
    dv = catalogue.role("DVMetadataVlaanderenGebruiker")
    assert OrgType.FLEMISH_ENTITY in dv.grantors and dv.measure("hoofdeditor") is not None
    assert {catalogue.role(c).org_types for c in ("WebEdisonBeheerder", "LeerlingenvervoerGebruiker")} == {
        (OrgType.EDUCATION_INSTITUTION,)
    }
    # Every rule of the catalogue is used by some role.
    roles = list(catalogue.roles.values())
    assert any(not r.requires_work_relation for r in roles)
    assert any(r.user_types is not None for r in roles)
    assert any(set(r.grantors) < set(r.org_types) for r in roles)


def test_the_four_organisation_types(catalogue: Catalogue) -> None:
    groups = {t: p.target_group for t, p in catalogue.org_types.items()}
    assert groups == {
        OrgType.COMPANY: "EA", OrgType.LOCAL_GOVERNMENT: "LB", OrgType.FLEMISH_ENTITY: "GID",
        OrgType.EDUCATION_INSTITUTION: "OV",
    }
    assert "civil_servant" not in catalogue.org_type(OrgType.COMPANY).user_types
    assert "helpdesk.edison@ond.vlaanderen.be" in catalogue.org_type(OrgType.EDUCATION_INSTITUTION).guidance_nl
    ids = OrgIdentifiers(enterprise_number="0207509031", ovo_code="OVO002949", institution_number="012345")
    codes = {t: catalogue.organisation_code(Organisation(id="x", type=t, name="x", identifiers=ids)) for t in OrgType}
    assert codes == {
        OrgType.COMPANY: "0207509031", OrgType.LOCAL_GOVERNMENT: "0207509031",
        OrgType.FLEMISH_ENTITY: "OVO002949", OrgType.EDUCATION_INSTITUTION: "OV012345",
    }


def test_codes_fit_in_token_claims(catalogue: Catalogue) -> None:
    for role in catalogue.roles.values():
        assert role.code.isalnum(), role.code
        for m in role.measures:
            assert " " not in m.code and ":" not in m.code


# --- broken policy files are refused, naming the file and the key ------------------------------------


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    return target


def corrupt(policies: Path, file: str, old: str, new: str) -> None:
    path = policies / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refused(policies: Path) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_catalogue(policies)
    err = info.value
    assert err.file in str(err) and err.key in str(err)
    return err


@pytest.mark.parametrize(
    ("file", "old", "new", "key"),
    [
        pytest.param(
            "catalogue/wse.yaml", "max_validity_days: 1095", "max_validity_days: drie jaar",
            "$[0].roles[0].max_validity_days", id="wrong-type",
        ),
        pytest.param(
            "catalogue/wse.yaml", "      requires_work_relation: true\n",
            "      requires_work_relation: true\n      colour: blue\n", "$[0].roles[0].colour", id="unknown-key",
        ),
        pytest.param(
            "catalogue/onderwijs.yaml", "default_validity_days: 365\n\n- code: Leerlingenvervoer",
            "default_validity_days: 3650\n\n- code: Leerlingenvervoer", "$[0].roles[0].default_validity_days",
            id="default-longer-than-max",
        ),
        pytest.param(
            "catalogue/wse.yaml", "default_validity_days: 365", "default_validity_days: 0",
            "$[0].roles[0].default_validity_days", id="default-zero",
        ),
        pytest.param(
            "catalogue/lokale-besturen.yaml", "- code: BBC-DR", "- code: BBC DR",
            "$[0].roles[0].measures[2].code", id="measure-code-with-space",
        ),
        pytest.param(
            "catalogue/wse.yaml", "- code: AWI", "- code: IMW", "$[0].roles[0].measures[2].code",
            id="duplicate-measure",
        ),
        pytest.param(
            "catalogue/vlaio.yaml", "- code: VLAIOInkomGebruiker", "- code: 'VLAIO:Inkom'",
            "$[0].roles[0].code", id="role-code-with-colon",
        ),
        pytest.param(
            "catalogue/digitaal-vlaanderen.yaml", "granted_by_org_types: [flemish_entity]",
            "granted_by_org_types: [company]", "$[0].roles[0].granted_by_org_types[0]", id="granted-by-not-subset",
        ),
        pytest.param(
            "catalogue/vlaio.yaml", "      requires_work_relation: true",
            "      requires_work_relation: true\n      user_types: [civil_servant]", "$[0].roles[0].user_types[0]",
            id="user-type-not-allowed-by-org-types",
        ),
        pytest.param(
            "catalogue/ssm.yaml", "org_types: [company, local_government, flemish_entity, education_institution]",
            "org_types: [company, local_governmnet]", "$[0].roles[0].org_types[1]", id="unknown-org-type",
        ),
        pytest.param(
            "catalogue/wse.yaml", "- code: WSELoket\n", "- code: KIOSK\n", "$[0].code",
            id="duplicate-application",
        ),
        pytest.param(
            "organisation-types.yaml", "  target_group: GID\n", "", "$[2].target_group",
            id="org-type-missing-field",
        ),
        pytest.param(
            "catalogue/wse.yaml", "      max_validity_days: 1095\n",
            "      max_validity_days: 1095\n      max_validity_days: 30\n", "$[0].roles[0].max_validity_days",
            id="repeated-key",
        ),
    ],
)
def test_broken_catalogue_is_refused(policies: Path, file: str, old: str, new: str, key: str) -> None:
    corrupt(policies, file, old, new)
    err = refused(policies)
    assert (err.file, err.key) == (file, key)


def test_duplicate_role_code_across_files(policies: Path) -> None:
    # Files are read in name order: vlaio.yaml before wse.yaml, so wse.yaml holds the duplicate.
    corrupt(policies, "catalogue/vlaio.yaml", "- code: VLAIOInkomGebruiker", "- code: DWSEOpleider")
    err = refused(policies)
    assert (err.file, err.key) == ("catalogue/wse.yaml", "$[0].roles[1].code")
    assert "catalogue/vlaio.yaml" in str(err)


def test_yaml_syntax_error_names_the_line(policies: Path) -> None:
    corrupt(policies, "catalogue/ssm.yaml", "  name: Mandatenbeheer (SSM)", '  name: "Mandatenbeheer (SSM)')
    err = refused(policies)
    assert err.file == "catalogue/ssm.yaml"
    assert err.key.startswith("line ")
    assert "not valid YAML" in err.message


def test_org_type_without_policy(policies: Path) -> None:
    text = (policies / "organisation-types.yaml").read_text(encoding="utf-8")
    (policies / "organisation-types.yaml").write_text(text.split("- type: education_institution")[0], encoding="utf-8")
    err = refused(policies)
    # onderwijs.yaml is the first file (in name order) whose first role needs the missing type.
    assert (err.file, err.key) == ("catalogue/onderwijs.yaml", "$[0].roles[0].org_types[0]")
    assert "education_institution" in err.message


# --- broken policy test files ----------------------------------------------------------------------

CASE = """
- name: broken
  now: 2026-06-01T00:00:00Z
  organisations: [{key: bakkerij, type: company}]
  persons: [{key: an}]
  work_relations: [{organisation: bakkerij, person: an, user_type: permanent}]
  checks:
    - {person: an, organisation: bakkerij, role: VLAIOInkomGebruiker, expect: no_grant}
"""


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        pytest.param("person: an, organisation", "person: ann, organisation", "$[0].checks[0].person", id="unknown-person"),
        pytest.param("{organisation: bakkerij, person: an,", "{organisation: bakery, person: an,",
                     "$[0].work_relations[0].organisation", id="unknown-organisation"),
        pytest.param(", expect: no_grant}", "}", "$[0].checks[0].expect", id="missing-expect"),
        pytest.param("expect: no_grant}", "expect: no_grant, colour: blue}", "$[0].checks[0].colour", id="unknown-key"),
        pytest.param("now: 2026-06-01T00:00:00Z", "now: 2026-06-01T00:00:00", "$[0].now", id="time-without-zone"),
        pytest.param("user_type: permanent", "user_type: boss", "$[0].work_relations[0].user_type", id="bad-user-type"),
        pytest.param("  checks:\n    - {person: an, organisation: bakkerij, role: VLAIOInkomGebruiker, expect: no_grant}",
                     "  attempts:\n    - {action: appoint, actor: an, person: an, organisation: bakkerij, days: 3, expect: x}",
                     "$[0].attempts[0].days", id="field-not-used-by-action"),
        pytest.param("  checks:\n    - {person: an, organisation: bakkerij, role: VLAIOInkomGebruiker, expect: no_grant}",
                     "  attempts:\n    - {action: grant, person: an, organisation: bakkerij, role: X, expect: x}",
                     "$[0].attempts[0].actor", id="grant-without-actor"),
    ],
)
def test_broken_case_file_is_refused(policies: Path, catalogue: Catalogue, old: str, new: str, key: str) -> None:
    (policies / "tests" / "zz-broken.yaml").write_text(CASE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        run_policy_tests(policies, catalogue)
    assert (info.value.file, info.value.key) == ("tests/zz-broken.yaml", key)
    assert info.value.file in str(info.value) and key in str(info.value)


def test_case_grant_of_a_role_missing_from_the_catalogue(policies: Path, catalogue: Catalogue) -> None:
    case = CASE.replace(
        "  checks:",
        "  grants: [{person: an, organisation: bakkerij, role: VLAIOInkom, valid_from: 2026-01-01T00:00:00Z,"
        " valid_until: 2027-01-01T00:00:00Z}]\n  checks:",
    )
    (policies / "tests" / "zz-broken.yaml").write_text(case, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        run_policy_tests(policies, catalogue)
    assert (info.value.file, info.value.key) == ("tests/zz-broken.yaml", "$[0].grants[0].role")


def test_the_tests_folder_itself_can_be_given(catalogue: Catalogue) -> None:
    assert [r.id for r in run_policy_tests(POLICIES / "tests", catalogue)] == [
        r.id for r in run_policy_tests(POLICIES, catalogue)
    ]


# --- the policy tests can fail ---------------------------------------------------------------------


def _widen(catalogue: Catalogue, role_code: str, **changes: object) -> Catalogue:
    apps = [
        msgspec.structs.replace(
            app,
            roles=tuple(msgspec.structs.replace(r, **changes) if r.code == role_code else r for r in app.roles),
        )
        for app in catalogue.applications.values()
    ]
    return Catalogue(apps, catalogue.org_types.values(), catalogue.successions.values())


def _failures(catalogue: Catalogue) -> dict[str, list[str]]:
    return {r.id: r.failures() for r in run_policy_tests(POLICIES, catalogue) if not r.passed}


def test_widening_a_role_makes_a_case_fail(catalogue: Catalogue) -> None:
    wider = _widen(catalogue, "LoketLokaleBesturen", org_types=(OrgType.LOCAL_GOVERNMENT, OrgType.COMPANY))
    failed = _failures(wider)
    case = "tests/grants.yaml::The bakery's administrators grant within the catalogue rules"
    assert list(failed) == [case]
    assert failed[case] == [
        "attempts[8] grant by bert: an @ bakkerij LoketLokaleBesturen-Toezicht: "
        "expected role_not_for_organisation_type, got allowed"
    ]


def test_dropping_self_grant_makes_a_case_fail(catalogue: Catalogue) -> None:
    failed = _failures(_widen(catalogue, "SubsidiepuntGebruiker", self_grant=False))
    assert any("expected allowed, got self_grant_forbidden" in f for fs in failed.values() for f in fs)


def test_a_weakened_rule_makes_cases_fail(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "ensure_may_remove", lambda **_: None)
    failed = _failures(catalogue)
    assert "tests/administrators.yaml::The last administrator of an organisation cannot be removed" in failed
