"""Fixtures: a fresh slapd per test (≈0.1 s to start), the test CA, a mapping for it, and rights' services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rights.directory.mapping import Mapping, load_mapping
from rights.domain.services import Services, build_services
from rights.policies import default_policies_dir, load_catalogue
from rights.storage import SqlStore, create_store
from tests.api.conftest import api, api_settings  # noqa: F401 - the API fixtures, for /readyz
from tests.directory.slapd import ADMIN_DN, ADMIN_PW, SUFFIX, Slapd, make_ca

ENTITIES = f"ou=entities,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
STAFF = f"ou=staff,{SUFFIX}"
RIGHTS = f"ou=rights,{SUFFIX}"

# valid national register numbers (DOMAIN.md test vectors) and one with a bad check digit
AN, BERT, SOFIE, KIM = "85073003328", "62110402174", "90021714288", "93051822361"
BAD_NN = "85073003329"


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def slapd(tmp_path: Path, tls_files: tuple[Path, Path, Path]) -> Iterator[Slapd]:
    server = Slapd(tmp_path / "slapd", tls_files)
    server.start()
    try:
        base_entries(server)
        yield server
    finally:
        server.stop()


def base_entries(s: Slapd) -> None:
    s.add(SUFFIX, objectClass=["dcObject", "organization"], dc="example", o="Example")
    for dn in (ENTITIES, GROUPS, STAFF, RIGHTS):
        s.add(dn, objectClass="organizationalUnit", ou=dn.split(",")[0][3:])


def add_org(s: Slapd, ou: str, ovo: str, parent: str = ENTITIES) -> str:
    dn = f"ou={ou},{parent}"
    s.add(dn, objectClass="organizationalUnit", ou=ou, businessCategory=ovo)
    return dn


def add_person(s: Slapd, uid: str, org_dn: str, nn: str, given: str, family: str, **extra: str) -> str:
    dn = f"uid={uid},{org_dn}"
    s.add(dn, objectClass="inetOrgPerson", uid=uid, givenName=given, sn=family, cn=f"{given} {family}",
          employeeNumber=nn, mail=f"{uid}@example.be", **extra)
    return dn


def add_admins(s: Slapd, ovo: str, *members: str) -> str:
    dn = f"cn=beheerders-{ovo},{GROUPS}"
    s.add(dn, objectClass="groupOfNames", cn=f"beheerders-{ovo}", member=list(members))
    return dn


def populate(s: Slapd) -> dict[str, str]:
    """Two Flemish entities, three people, one administrators group."""
    dv = add_org(s, "Digitaal Vlaanderen", "OVO002949")
    wse = add_org(s, "Werk en Sociale Economie", "OVO001833")
    return {
        "dv": dv, "wse": wse,
        "an": add_person(s, "an", dv, AN, "An", "Peeters"),
        "bert": add_person(s, "bert", dv, BERT, "Bert", "Claes"),
        "sofie": add_person(s, "sofie", wse, SOFIE, "Sofie", "Janssens"),
        "admins": add_admins(s, "OVO002949", f"uid=bert,{dv}"),
    }


def mapping_yaml(s: Slapd, tmp: Path, **overrides: str) -> Path:
    (tmp / "bind.pw").write_text(ADMIN_PW + "\n")
    text = f"""
connection:
  uri: {overrides.get("uri", s.uri)}
  tls: {overrides.get("tls", "plain")}
  allow_plain: true
  ca_file: {s.ca}
  bind_dn: {ADMIN_DN}
  bind_password_file: {tmp / "bind.pw"}
  timeout_seconds: 2
  page_size: {overrides.get("page_size", "100")}
  retry_initial_seconds: 0.05
  retry_max_seconds: 0.2
sync:
  base: {SUFFIX}
  incremental: {overrides.get("incremental", "auto")}
  poll_seconds: 0.2
organisations:
  - base: {ENTITIES}
    filter: (&(objectClass=organizationalUnit)(businessCategory=OVO*))
    type: flemish_entity
    name: ou
    identifiers: {{ovo_code: businessCategory}}
persons:
  base: {ENTITIES}
  filter: (objectClass=inetOrgPerson)
  national_number: employeeNumber
  organisation: {{parent: true}}
  user_type: civil_servant
administrators:
  - base: {GROUPS}
    filter: (&(objectClass=groupOfNames)(cn=beheerders-*))
    organisation: {{attribute: cn, pattern: "^beheerders-(?P<key>.+)$", identifier: ovo_code}}
operators:
  user_base: {STAFF}
  user_filter: (uid={{username}})
  helpline_group: cn=helpline,{GROUPS}
  platform_admin_group: cn=platform,{GROUPS}
  max_failures_per_user: 3
  max_failures_per_address: 5
provisioning:
  base: {RIGHTS}
"""
    path = tmp / "mapping.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def mapping(slapd: Slapd, tmp_path: Path) -> Mapping:
    return load_mapping(mapping_yaml(slapd, tmp_path))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def services(store: SqlStore, clock: Clock) -> AsyncIterator[Services]:
    yield build_services(store, load_catalogue(default_policies_dir()), clock)


@pytest.fixture
async def sqlite_services(sqlite_url: str, clock: Clock) -> AsyncIterator[Services]:
    from rights.storage.migrate import upgrade

    await upgrade(sqlite_url)
    s = create_store(sqlite_url)
    try:
        yield build_services(s, load_catalogue(default_policies_dir()), clock)
    finally:
        await s.close()
