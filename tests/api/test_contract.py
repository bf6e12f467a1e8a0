"""Issue 13, item 2: every problem an operation can answer is documented, with one shared ``Problem`` schema.

The authorisation matrix's requests (every operation as every kind of caller, on a seeded database) are
sent again here, and each answer's status and content type must be declared for its operation in the
OpenAPI document; a problem's body must carry the ``Problem`` schema's required fields. The generated
inputs of tests/api/test_fuzz.py check the same with schemathesis' conformance checks.
"""

from __future__ import annotations

import re
from typing import Any

from rights.api.contract import PROBLEM_JSON
from tests.api.conftest import Api
from tests.api.test_authz_matrix import api_app_schema, load_matrix, requests_for, seed  # noqa: F401

PROBLEM_FIELDS = {"type", "title", "status", "code", "field", "message_nl", "message_en", "request_id", "instance"}


def declared(document: dict[str, Any], method: str, template: str) -> dict[str, set[str]]:
    """Status (as text) -> media types the document declares for one operation."""
    responses = document["paths"][template][method.lower()]["responses"]
    return {status: set((r.get("content") or {}).keys()) for status, r in responses.items()}


def media(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def conforms(answers: dict[str, set[str]], status: int, content_type: str) -> str | None:
    """Why an answer is not declared, or None when it is."""
    kinds = answers.get(str(status)) or answers.get(f"{str(status)[0]}XX") or answers.get("default")
    if kinds is None:
        return f"status {status} not documented (documented: {sorted(answers)})"
    if kinds and media(content_type) not in {media(k) for k in kinds}:
        return f"{status} answered {content_type!r}, documented {sorted(kinds)}"
    return None


def test_the_problem_schema_is_shared_and_complete(api_app_schema: dict[str, Any]) -> None:  # noqa: F811
    problem = api_app_schema["components"]["schemas"]["Problem"]
    assert PROBLEM_FIELDS | {"detail"} <= set(problem["properties"])
    assert PROBLEM_FIELDS <= set(problem["required"])
    missing = []
    for template, item in api_app_schema["paths"].items():
        for method, operation in item.items():
            if not template.startswith("/v1/"):
                continue
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    continue
                content = response.get("content") or {}
                schema = content.get(PROBLEM_JSON, {}).get("schema", {})
                if list(content) != [PROBLEM_JSON] or schema.get("$ref") != "#/components/schemas/Problem":
                    missing.append(f"{method.upper()} {template} {status}")
            statuses = set(operation["responses"])
            if {"401", "403"} - statuses:
                missing.append(f"{method.upper()} {template}: 401/403 not documented")
    assert missing == []


def test_refusals_are_documented_on_their_operation(api_app_schema: dict[str, Any]) -> None:  # noqa: F811
    """Declared where they can happen: 415 and 413 on bodies, 429 on the rate-limited lookup, 404 on ids."""
    assert {"400", "413", "415", "422"} <= set(declared(api_app_schema, "POST", "/v1/check"))
    assert "429" in declared(api_app_schema, "GET", "/v1/helpline/lookup")
    assert "404" in declared(api_app_schema, "GET", "/v1/grants/{grant_id}")
    assert "409" in declared(api_app_schema, "POST", "/v1/grants/{grant_id}/revoke")
    assert "503" in declared(api_app_schema, "GET", "/v1/changes")


async def test_every_matrix_answer_is_documented(api: Api) -> None:
    """Each operation as each kind of caller (the authorisation matrix's requests): status and content type
    of every answer declared for that operation, every problem in the shared shape."""
    document = (await api.client.get("/schema/openapi.json")).json()
    callers, rows = load_matrix()
    seeded = await seed(api)
    ids = seeded.ids
    defaults = {"org": ids["dupre"], "person": ids["rik"], "grant_id": ids["grant"], "relation": ids["relation_quinten"],
                "mandate_id": ids["mandate"], "request_id": ids["request"], "path": "swagger",
                "succession_id": "suc_none"}
    sends = requests_for(ids)
    wrong: list[str] = []
    for op in rows:
        method, template = op.split(" ", 1)
        answers = declared(document, method, template)
        spec = sends.get(op, {})
        path = template.format(**{**defaults, **spec.get("path", {})})
        for caller in callers:
            r = await api.client.request(method, path, headers=seeded.tokens[caller], json=spec.get("json"),
                                         params=spec.get("params"))
            content_type = r.headers.get("content-type", "")
            if (why := conforms(answers, r.status_code, content_type)) is not None:
                wrong.append(f"{op:<64} {caller:<9} {why}")
            elif media(content_type) == PROBLEM_JSON and not PROBLEM_FIELDS <= set(r.json()):
                wrong.append(f"{op:<64} {caller:<9} problem without {sorted(PROBLEM_FIELDS - set(r.json()))}")
    assert wrong == [], "\n" + "\n".join(wrong)


def test_an_undocumented_answer_is_caught() -> None:
    """The check itself: a status or a content type the operation does not declare is reported."""
    answers = {"200": {"application/json"}, "404": {PROBLEM_JSON}}
    assert conforms(answers, 200, "application/json") is None
    assert conforms(answers, 404, "application/problem+json; charset=utf-8") is None
    assert re.match("status 409 not documented", conforms(answers, 409, PROBLEM_JSON) or "")
    assert "documented" in (conforms(answers, 404, "text/html") or "")


def success_schemas(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [media_type.get("schema") or {} for status, response in operation["responses"].items()
            if status.startswith("2") for media_type in (response.get("content") or {}).values()]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def test_every_operation_is_named_described_and_typed(api_app_schema: dict[str, Any]) -> None:  # noqa: F811
    """Issue 13, item 1: a readable operationId, a summary, a description and tags on every operation, and
    no success response typed as a bare object (the document's own JSON rendering aside)."""
    wrong = []
    ids = []
    for template, item in api_app_schema["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {template}"
            op_id = operation.get("operationId", "")
            ids.append(op_id)
            if not re.fullmatch(r"[a-z][A-Za-z0-9]+", op_id):
                wrong.append(f"{label}: operationId {op_id!r}")
            for key in ("summary", "description", "tags"):
                if not operation.get(key):
                    wrong.append(f"{label}: no {key}")
            if template.startswith("/schema"):
                continue
            for schema in success_schemas(operation):
                s = resolve(api_app_schema, schema)
                if s.get("type") == "object" and not s.get("properties"):
                    wrong.append(f"{label}: success answer is a bare object")
                if not s:
                    wrong.append(f"{label}: success answer has no schema")
    assert wrong == []
    assert len(ids) == len(set(ids))
    assert {"checkAccess", "grantRight", "revokeGrant", "lookupOrganisation"} <= set(ids)
