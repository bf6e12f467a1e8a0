"""The CSV file of grants, read and checked without I/O: every way a file or a line is refused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from rights.domain import bulk, csvfile
from rights.domain.catalogue import Catalogue
from rights.domain.errors import DomainError
from rights.domain.model import (
    Administrator,
    ContactCard,
    Grant,
    Organisation,
    OrgType,
    Person,
    UserType,
    WorkRelation,
)
from rights.policies import default_policies_dir, load_catalogue

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
AN, SOFIE, KOEN, STRANGER = "85073003328", "90021714288", "79092305705", "90010100123"
HEADER = "national_number,role,measure,valid_until,reason\n"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(default_policies_dir())


def person(pid: str, nn: str, given: str) -> Person:
    return Person(id=pid, national_number=nn, given_name=given, family_name="Test")


PEOPLE = {AN: person("per_an", AN, "An"), SOFIE: person("per_sofie", SOFIE, "Sofie"),
          KOEN: person("per_koen", KOEN, "Koen"), STRANGER: person("per_x", STRANGER, "Xavier")}


def facts(*, org_type: OrgType = OrgType.COMPANY, grants: tuple[Grant, ...] = (),
          applications: tuple[str, ...] | None = None) -> bulk.Facts:
    org = Organisation(id="org_b", type=org_type, name="Bakkerij")
    admin = Administrator(id="adm_1", person_id="per_sofie", organisation_id=org.id, main=False,
                          applications=applications, contact=ContactCard(), appointed_at=NOW - timedelta(days=9),
                          appointed_by="x")
    relations = [WorkRelation(id=f"wr_{p}", person_id=p, organisation_id=org.id, user_type=UserType.PERMANENT,
                              started_at=NOW - timedelta(days=30)) for p in ("per_an", "per_sofie", "per_koen")]
    persons = {**PEOPLE, **{p.id: p for p in PEOPLE.values()}}
    return bulk.Facts(org=org, admins=[admin], actor_person_id="per_sofie", persons=persons,
                      work_relations=relations, grants=grants, now=NOW)


def check(text: str, catalogue: Catalogue, **kw: object) -> bulk.Plan:
    return bulk.plan(bulk.parse_file(text.encode()), facts(**kw), catalogue)  # type: ignore[arg-type]


def codes(plan: bulk.Plan, line: int) -> list[tuple[str, str | None]]:
    return [(p.code, p.field) for o in plan.outcomes if o.row.line == line for p in o.problems]


def file_refusal(data: bytes, **kw: int) -> str:
    with pytest.raises(DomainError) as info:
        bulk.parse_file(data, **kw)
    assert info.value.field == "file"
    return info.value.code


def test_a_good_file_plans_grants_and_accepts_both_separators_and_a_bom(catalogue: Catalogue) -> None:
    text = ("\ufeffnational_number;role;measure;valid_until;reason\r\n"
            "85.07.30-033.28;DWSEOrganisatieverantwoordelijke;AWI;;Aanwervingsincentive\r\n"
            "\r\n"
            f"{KOEN};VLAIOInkomGebruiker;;31/12/2026;\"KMO-portefeuille; boekhouder\"\r\n")
    plan = check(text, catalogue)
    assert plan.ok and [o.action for o in plan.outcomes] == ["grant", "grant"]
    assert [o.row.line for o in plan.outcomes] == [2, 4]  # the blank line keeps the numbering
    assert plan.outcomes[0].valid_until == NOW + timedelta(days=365)  # the role's default
    assert plan.outcomes[1].valid_until is not None and plan.outcomes[1].valid_until.date().isoformat() == "2026-12-31"
    assert plan.outcomes[1].row.reason == "KMO-portefeuille; boekhouder"


def test_the_person_column_of_the_export_is_accepted(catalogue: Catalogue) -> None:
    plan = check("person,role,measure,valid_until,reason,name,status\n"
                 "per_an,DWSEOrganisatieverantwoordelijke,AWI,2026-12-31,Aanwerving,An Test,active\n", catalogue)
    assert plan.ok and plan.outcomes[0].person == PEOPLE[AN]


def test_an_existing_right_is_skipped(catalogue: Catalogue) -> None:
    held = Grant(id="gr_1", person_id="per_an", organisation_id="org_b", role="DWSEOrganisatieverantwoordelijke",
                 measure="AWI", valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=20),
                 granted_by="per_sofie", granted_at=NOW)
    plan = check(HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,AWI,,Aanwerving\n", catalogue, grants=(held,))
    assert plan.ok and plan.outcomes[0].action == "skip" and plan.outcomes[0].existing == held
    revoked = Grant(**{**{f: getattr(held, f) for f in held.__struct_fields__}, "revoked_at": NOW})
    again = check(HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,AWI,,Aanwerving\n", catalogue, grants=(revoked,))
    assert again.outcomes[0].action == "grant"


@pytest.mark.parametrize(("line", "expected"), [
    (f"{AN[:-1]}9,DWSEOrganisatieverantwoordelijke,AWI,,reden", ("invalid_national_number", "national_number")),
    (",DWSEOrganisatieverantwoordelijke,AWI,,reden", ("bulk_missing_value", "national_number")),
    ("79092305704,DWSEOrganisatieverantwoordelijke,AWI,,reden", ("invalid_national_number", "national_number")),
    ("58031705394,DWSEOrganisatieverantwoordelijke,AWI,,reden", ("unknown_person", "national_number")),
    (f"{AN},NoSuchRole,,,reden", ("unknown_role", "role")),
    (f"{AN},,,,reden", ("bulk_missing_value", "role")),
    (f"{AN},LoketLokaleBesturen,Toezicht,,reden", ("role_not_for_organisation_type", "role")),
    (f"{AN},VLAIOInkomGebruiker,,,reden", ("application_not_administered", "role")),
    (f"{AN},DWSEOrganisatieverantwoordelijke,NOPE,,reden", ("unknown_measure", "measure")),
    (f"{AN},DWSEOrganisatieverantwoordelijke,,,reden", ("measure_required", "measure")),
    (f"{AN},DWSEOrganisatieverantwoordelijke,AWI,01/01/2099,reden", ("validity_too_long", "valid_until")),
    (f"{AN},DWSEOrganisatieverantwoordelijke,AWI,01/01/2020,reden", ("validity_ends_before_start", "valid_until")),
    (f"{AN},DWSEOrganisatieverantwoordelijke,AWI,31/02/2027,reden", ("bulk_bad_date", "valid_until")),
    (f"{AN},DWSEOrganisatieverantwoordelijke,AWI,,ok", ("bulk_bad_reason", "reason")),
    (f"{SOFIE},DWSEOrganisatieverantwoordelijke,AWI,,reden", ("self_grant_forbidden", "person")),
    (f"{STRANGER},DWSEOrganisatieverantwoordelijke,AWI,,reden", ("work_relation_required", "person")),
    (f"{AN},DWSEOrganisatieverantwoordelijke,AWI,,reden,extra", ("bulk_cell_count", "line")),
])
def test_each_bad_line_is_refused_on_its_column(catalogue: Catalogue, line: str, expected: tuple[str, str]) -> None:
    plan = check(HEADER + f"{KOEN},DWSEOrganisatieverantwoordelijke,AWI,,een goede regel\n" + line + "\n", catalogue,
                 applications=("WSELoket", "WSEOpleidingsverlof"))
    assert not plan.ok
    assert codes(plan, 2) == [] and plan.outcomes[0].action == "grant"
    assert expected in codes(plan, 3)


def test_the_maximum_validity_itself_is_accepted(catalogue: Catalogue) -> None:
    last = (NOW + timedelta(days=1095)).date().strftime("%d/%m/%Y")
    assert check(HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,AWI,{last},reden\n", catalogue).ok
    one_more = (NOW + timedelta(days=1096)).date().strftime("%d/%m/%Y")
    assert not check(HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,AWI,{one_more},reden\n", catalogue).ok


def test_a_role_held_but_not_granted_by_this_organisation_type(catalogue: Catalogue) -> None:
    plan = check(HEADER + f"{AN},DVMetadataVlaanderenGebruiker,editor,,reden\n", catalogue,
                 org_type=OrgType.LOCAL_GOVERNMENT)
    assert ("role_not_grantable_by_organisation_type", "role") in codes(plan, 2)


def test_a_line_with_several_mistakes_lists_them_all(catalogue: Catalogue) -> None:
    plan = check(HEADER + f"{AN[:-1]}0,NoSuchRole,,someday,x\n", catalogue)
    assert {c for c, _ in codes(plan, 2)} == {"invalid_national_number", "unknown_role", "bulk_bad_date",
                                               "bulk_bad_reason"}


def test_a_duplicate_line_is_an_error_even_written_differently(catalogue: Catalogue) -> None:
    plan = check(HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,AWI,,reden een\n"
                 f"{KOEN},DWSEOrganisatieverantwoordelijke,AWI,,reden\n"
                 "85.07.30-033.28,DWSEOrganisatieverantwoordelijke,AWI,31/12/2026,reden twee\n", catalogue)
    assert not plan.ok
    assert codes(plan, 4) == [("bulk_duplicate_line", "line")]
    assert plan.outcomes[2].problems[0].params == {"first": 2}


@pytest.mark.parametrize(("data", "code"), [
    (b"", "bulk_empty_file"),
    (b"  \r\n\r\n", "bulk_empty_file"),
    (b"\xef\xbb\xbf", "bulk_empty_file"),
    (HEADER.encode(), "bulk_no_lines"),
    (HEADER.encode() + b"\n\n", "bulk_no_lines"),
    (b"voornaam,role,measure,valid_until,reason\nx,y,z,,reden\n", "bulk_unknown_columns"),
    (b"role,measure,valid_until,reason\ny,z,,reden\n", "bulk_person_column"),
    (b"national_number,person,role,measure,valid_until,reason\n1,2,y,z,,reden\n", "bulk_person_column"),
    (b"national_number,role,measure,reason\n1,y,z,reden\n", "bulk_missing_columns"),
    (b"national_number,role,role,measure,valid_until,reason\n1,y,y,z,,reden\n", "bulk_unknown_columns"),
    (HEADER.encode() + "85073003328,Rôle,,,réden".encode("cp1252"), "bulk_not_utf8"),
    (b"PK\x03\x04\x00\x00binary", "bulk_not_utf8"),
    (HEADER.encode() + b'85073003328,"unclosed,,,reden\n', "bulk_bad_csv"),
])
def test_a_file_that_cannot_be_read_is_refused_whole(data: bytes, code: str) -> None:
    assert file_refusal(data) == code


def test_too_large_and_too_many_lines_are_refused() -> None:
    line = f"{AN},DWSEOrganisatieverantwoordelijke,AWI,,reden\n"
    assert file_refusal((HEADER + line * 3).encode(), max_lines=2) == "bulk_too_many_lines"
    assert bulk.parse_file((HEADER + line * 2).encode(), max_lines=2)
    assert file_refusal(b"x" * (bulk.MAX_BYTES + 1)) == "bulk_file_too_large"
    big = (HEADER + line * (bulk.MAX_LINES + 1)).encode()
    assert len(big) < bulk.MAX_BYTES and file_refusal(big) == "bulk_too_many_lines"


def test_normalised_copy_has_ids_not_national_numbers_and_the_same_plan(catalogue: Catalogue) -> None:
    text = HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,AWI,,Aanwerving, met komma\n"
    plan = check(text.replace("Aanwerving, met komma", '"Aanwerving, met komma"') + "\n" +
                 f"{KOEN},VLAIOInkomGebruiker,,,boekhouder\n", catalogue)
    assert plan.ok
    copy = bulk.normalised(plan.outcomes)
    assert AN not in copy and KOEN not in copy and "per_an" in copy
    again = bulk.plan(bulk.parse_file(copy.encode()), facts(), catalogue)
    assert again.fingerprint == plan.fingerprint and [o.row.line for o in again.outcomes] == [2, 4]


def test_export_is_excel_friendly_and_escapes_formulas() -> None:
    row = bulk.ExportRow(person="per_an", name="=HYPERLINK(\"http://x\")", national_number_masked="85.07.30-***.**",
                         application="WSE-loket", role="R", role_name="+Rol", measure="", measure_name="",
                         valid_from="2026-01-01", valid_until="2026-12-31", status="active", granted_by="@bert",
                         reason="-1+1\tcmd")
    data = bulk.export_csv([row])
    assert data.startswith(b"\xef\xbb\xbf")
    cells = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert cells[0] == [c.nl for c in bulk.EXPORT_COLUMNS]
    got = dict(zip(bulk.EXPORT_HEADER, cells[1], strict=True))
    assert got["name"] == "'=HYPERLINK(\"http://x\")" and got["role_name"] == "'+Rol"
    assert got["granted_by"] == "'@bert" and got["reason"] == "'-1+1\tcmd"
    assert all(csvfile.safe_cell(c + "x") == "'" + c + "x" for c in ("=", "+", "-", "@", "\t", "\r"))
    assert csvfile.safe_cell("Bakkerij") == "Bakkerij"


def test_an_export_in_either_language_reads_back_as_an_upload() -> None:
    row = bulk.ExportRow(person="per_an", name="An Peeters", national_number_masked="85.07.30-***.**",
                         application="WSE-loket", role="DWSEOrganisatieverantwoordelijke", role_name="Rol",
                         measure="VOP", measure_name="Vlaamse Ondersteuningspremie", valid_from="2026-01-01",
                         valid_until="2026-12-31", status="active", granted_by="Sofie", reason="nodig")
    for lang in ("nl", "en"):
        rows = bulk.parse_file(bulk.export_csv([row], lang))
        assert [(r.by, r.ref, r.role, r.measure, r.reason) for r in rows] == [
            ("person", "per_an", "DWSEOrganisatieverantwoordelijke", "VOP", "nodig")], lang
    assert "actief" in bulk.export_csv([row]).decode("utf-8-sig")
