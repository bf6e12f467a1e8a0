"""Issue 10, item 14: the authorisation matrix, every operation of the OpenAPI document x every kind of caller.

The expected outcome of each cell is declared in one readable table beside the route permissions
(``src/rights/api/authz_matrix.yaml``). One app and one seeded database serve the whole matrix (per
backend); the test reports every differing cell at once. An operation without a row fails the test.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rights.api.tokens import mint_dev_token
from rights.domain.ports import PrincipalKind
from tests.api.conftest import PLATFORM, Api, appoint_and_employ, build_world, national_number

METHODS = ("get", "post", "put", "patch", "delete")
HELPLINE, DESK = "helpline:1700", "service:wse-loket"
VOP = {"role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}
NUMBERS = {"norole": national_number("660606", 61), "lena": national_number("910203", 77),
           "rik": national_number("820304", 55), "tom": national_number("750505", 12),
           "pim": national_number("930708", 9), "quinten": national_number("010101", 23, born_2000=True)}


def load_matrix() -> tuple[list[str], dict[str, list[str]]]:
    raw = yaml.safe_load((files("rights.api") / "authz_matrix.yaml").read_text(encoding="utf-8"))
    callers = raw["callers"].split()
    rows = {op: str(cells).split() for op, cells in raw["operations"].items()}
    return callers, rows


def openapi_operations(document: dict[str, Any]) -> set[str]:
    return {f"{m.upper()} {path}" for path, item in document["paths"].items() for m in item if m in METHODS}


def until(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@dataclass
class Seeded:
    ids: dict[str, str]
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)


def requests_for(ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """What each operation sends: path parameters (default: Dupré, Rik, Rik's grant …) and a body that
    passes validation, so that the answer is about who asks, not about a malformed request."""
    spare = {"org": ids["spare"]}
    return {
        "GET /schema/{path}": {"path": {"path": "swagger"}},
        "GET /v1/organisations": {"params": {"limit": 5}},
        "POST /v1/organisations": {"json": {"type": "flemish_entity", "name": "Matrixagentschap",
                                            "identifiers": {"ovo_code": "OVO000123"}}},
        "PATCH /v1/organisations/{org}": {"path": spare, "json": {"short_name": "Spare"}},
        "POST /v1/organisations/{org}/freeze": {"path": spare, "json": {"reason": "matrix"}},
        "POST /v1/organisations/{org}/unfreeze": {"path": spare, "json": {"reason": "matrix"}},
        "POST /v1/organisations/{org}/cease": {"path": spare, "json": {"reason": "matrix"}},
        "POST /v1/organisations/{org}/legal-representatives": {"path": spare, "json": {"person": ids["pim"]}},
        "POST /v1/organisations/{org}/administrators": {"json": {"person": ids["pim"]}},
        "PATCH /v1/organisations/{org}/administrators/{person}/contact": {"path": {"person": ids["tom"]},
                                                                          "json": {"disclose": True}},
        "DELETE /v1/organisations/{org}/administrators/{person}": {"path": {"person": ids["tom"]},
                                                                   "params": {"reason": "matrix"}},
        "POST /v1/organisations/{org}/work-relations": {"json": {"person": ids["pim"], "user_type": "permanent"}},
        "POST /v1/organisations/{org}/work-relations/{relation}/end": {"json": {"reason": "matrix"}},
        "POST /v1/persons": {"json": {"national_number": national_number("680809", 31), "given_name": "Mia",
                                      "family_name": "Matrix"}},
        "POST /v1/persons/{person}/freeze": {"json": {"reason": "matrix"}},
        "POST /v1/persons/{person}/unfreeze": {"json": {"reason": "matrix"}},
        "POST /v1/grants": {"json": {"person": ids["rik"], "organisation": ids["dupre"],
                                     "role": "DWSEOrganisatieverantwoordelijke", "measure": "IMW"}},
        "POST /v1/grants/{grant_id}/revoke": {"path": {"grant_id": ids["grant_revoke"]}, "json": {"reason": "matrix"}},
        "PATCH /v1/grants/{grant_id}/validity": {"json": {"valid_until": until(200)}},
        "POST /v1/check": {"json": {"person": ids["rik"], "organisation": ids["dupre"], **VOP}},
        "POST /v1/check/batch": {"json": {"questions": [{"person": ids["rik"], "organisation": ids["dupre"], **VOP}]}},
        "POST /v1/mandates": {"json": {"mandator": ids["dupre"], "holder": ids["other"], "applications": ["KIOSK"]}},
        "POST /v1/mandates/{mandate_id}/accept": {"json": {}},
        "POST /v1/mandates/{mandate_id}/revoke": {"path": {"mandate_id": ids["mandate_revoke"]},
                                                  "json": {"reason": "matrix"}},
        "POST /v1/requests": {"json": {"organisation": ids["dupre"], "role": "DWSEOrganisatieverantwoordelijke",
                                       "measure": "AWI", "motivation": "Voor de matrix."}},
        "POST /v1/requests/{request_id}/approve": {"json": {"valid_until": until(100)}},
        "POST /v1/requests/{request_id}/refuse": {"path": {"request_id": ids["request_refuse"]},
                                                  "json": {"reason": "matrix"}},
        "POST /v1/requests/{request_id}/withdraw": {"path": {"request_id": ids["request_withdraw"]}},
        "GET /v1/helpline/lookup": {"params": {"q": "dupré"}},
        "POST /v1/recertifications": {"json": {"title": "Matrix", "min_age_days": 0, "deadline": until(10)}},
    }


async def seed(api: Api) -> Seeded:
    """The matrix's world: Dupré with its administrators and employees, another company, a spare one."""
    w = await build_world(api)
    await appoint_and_employ(api, w)
    bert, sofie, an, zoe = (f"person:{w.numbers[k]}" for k in ("bert", "sofie", "an", "zoe"))
    names = {"norole": ("Nora", "Rol"), "lena": ("Lena", "Wouters"), "rik": ("Rik", "Janssen"),
             "tom": ("Tom", "Tijdelijk"), "pim": ("Pim", "Nieuw"), "quinten": ("Quinten", "Weg")}
    ids = {"dupre": w.dupre["id"], "other": w.other["id"], "an": w.an["id"]}
    for key, (given, family) in names.items():
        ids[key] = (await api.call("POST", "/v1/persons", PLATFORM, expect=201, json={
            "national_number": NUMBERS[key], "given_name": given, "family_name": family})).json()["person"]["id"]
    ids["spare"] = (await api.call("POST", "/v1/organisations", PLATFORM, expect=201, json={
        "type": "flemish_entity", "name": "Reserveagentschap", "identifiers": {"ovo_code": "OVO000777"}},
    )).json()["organisation"]["id"]
    org = w.dupre["id"]
    await api.call("POST", f"/v1/organisations/{org}/administrators", bert, expect=201,
                   json={"person": ids["lena"], "applications": ["KIOSK"]})
    await api.call("POST", f"/v1/organisations/{org}/administrators", bert, expect=201, json={"person": ids["tom"]})
    await api.call("POST", f"/v1/organisations/{w.other['id']}/administrators", PLATFORM, expect=201,
                   json={"person": w.zoe["id"], "main": True})
    for key in ("rik", "quinten"):
        rel = (await api.call("POST", f"/v1/organisations/{org}/work-relations", sofie, expect=201,
                              json={"person": ids[key], "user_type": "permanent"})).json()["work_relation"]
        ids[f"relation_{key}"] = rel["id"]
    await api.call("POST", "/v1/grants", sofie, expect=201, json={"person": w.an["id"], "organisation": org, **VOP})
    ids["grant"] = (await api.call("POST", "/v1/grants", sofie, expect=201, json={
        "person": ids["rik"], "organisation": org, **VOP})).json()["grant"]["id"]
    ids["grant_revoke"] = (await api.call("POST", "/v1/grants", sofie, expect=201, json={
        "person": ids["rik"], "organisation": org, "role": "DWSEOrganisatieverantwoordelijke", "measure": "AWI",
    })).json()["grant"]["id"]
    for key in ("mandate", "mandate_revoke"):
        ids[key] = (await api.call("POST", "/v1/mandates", bert, expect=201, json={
            "mandator": org, "holder": w.other["id"], "applications": ["WSELoket"],
            "measures": ["VOP" if key == "mandate" else "IMW"]})).json()["mandate"]["id"]
    await api.call("POST", f"/v1/mandates/{ids['mandate_revoke']}/accept", zoe, expect=200, json={})
    for key, measure in (("request", "IMW"), ("request_refuse", "AWI")):
        ids[key] = (await api.call("POST", "/v1/requests", an, expect=201, json={
            "organisation": org, "role": "DWSEOrganisatieverantwoordelijke", "measure": measure,
            "motivation": "Voor de matrix."})).json()["request"]["id"]
    ids["request_withdraw"] = (await api.call("POST", "/v1/requests", an, expect=201, json={
        "organisation": org, "role": "VLAIOInkomGebruiker", "motivation": "Voor de matrix."})).json()["request"]["id"]
    await api.call("POST", "/v1/recertifications", PLATFORM, expect=201,
                   json={"title": "Vooraf", "min_age_days": 0, "deadline": until(30)})
    seeded = Seeded(ids)
    seeded.tokens = tokens(api, w.numbers)
    return seeded


def tokens(api: Api, numbers: dict[str, str]) -> dict[str, dict[str, str]]:
    s = api.settings
    now = int(time.time())
    forged = jwt.encode({"iss": s.dev_issuer, "aud": s.oidc_audience, "sub": "ops", "iat": now, "exp": now + 600,
                         s.roles_claim: [s.platform_admin_role]}, Ed25519PrivateKey.generate(), algorithm="EdDSA")
    expired = mint_dev_token(s, PrincipalKind.PLATFORM_ADMIN, "ops", ttl_seconds=-3600)
    out = {"anon": {}, "expired": {"Authorization": f"Bearer {expired}"},
           "wrongkey": {"Authorization": f"Bearer {forged}"}}
    people = {"norole": NUMBERS["norole"], "employee": numbers["an"], "otheradm": numbers["zoe"],
              "limited": NUMBERS["lena"], "local": numbers["sofie"], "main": numbers["bert"]}
    for key, number in people.items():
        out[key] = api.auth(f"person:{number}")
    out |= {"helpline": api.auth(HELPLINE), "service": api.auth(DESK), "platform": api.auth(PLATFORM)}
    return out


def test_every_operation_of_the_openapi_document_has_a_row(api_app_schema: dict[str, Any]) -> None:
    callers, rows = load_matrix()
    assert callers == ["anon", "expired", "wrongkey", "norole", "employee", "otheradm", "limited", "local", "main",
                       "helpline", "service", "platform"]
    assert {op: len(cells) for op, cells in rows.items() if len(cells) != len(callers)} == {}
    assert {c for cells in rows.values() for c in cells} <= {"401", "403", "404", "ok"}
    operations = openapi_operations(api_app_schema)
    assert sorted(operations - set(rows)) == [], "operations without a row in src/rights/api/authz_matrix.yaml"
    assert sorted(set(rows) - operations) == [], "rows for operations that no longer exist"


@pytest.fixture
def api_app_schema(tmp_path: Any) -> dict[str, Any]:
    from rights.api.app import create_app
    from rights.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/schema.db",
                              seed_when_empty=False))
    return app.openapi_schema.to_schema()


def outcome(status: int, expected: str) -> str:
    if status in (401, 403) or (status == 404 and expected == "404"):
        return str(status)
    return "ok"


async def test_the_matrix(api: Api) -> None:
    callers, rows = load_matrix()
    seeded = await seed(api)
    ids = seeded.ids
    defaults = {"org": ids["dupre"], "person": ids["rik"], "grant_id": ids["grant"], "relation": ids["relation_quinten"],
                "mandate_id": ids["mandate"], "request_id": ids["request"], "path": "swagger",
                "succession_id": "suc_none"}  # platform staff get 404 (not refused), everyone else 403
    sends = requests_for(ids)
    wrong: list[str] = []
    for op, cells in rows.items():
        method, template = op.split(" ", 1)
        spec = sends.get(op, {})
        path = template.format(**{**defaults, **spec.get("path", {})})
        for caller, expected in zip(callers, cells, strict=True):
            r = await api.client.request(method, path, headers=seeded.tokens[caller], json=spec.get("json"),
                                         params=spec.get("params"))
            if r.status_code >= 500 or outcome(r.status_code, expected) != expected:
                detail = r.json().get("code") if r.headers.get("content-type", "").endswith("json") else ""
                wrong.append(f"{op:<64} {caller:<9} expected {expected:<3} got {r.status_code} {detail}")
    assert wrong == [], "\n" + "\n".join(wrong)
