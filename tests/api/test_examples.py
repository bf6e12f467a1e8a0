"""Issue 13, item 1: every operation of the OpenAPI document carries request and response examples from the
demo data, and no example shows a full national register number except the check question the desk sends.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.api.test_authz_matrix import api_app_schema  # noqa: F401

FULL_NATIONAL_NUMBER = re.compile(r"\b\d{2}\.?\d{2}\.?\d{2}-?\d{3}\.?\d{2}\b")
OWN_NATIONAL_NUMBER = {"checkAccess", "checkAccessBatch"}  # the desk sends the person's number: it is the input
NOT_JSON = {"exportAdministratorsCsv", "exportAdministratorsPdf", "openapiYaml", "openapiYml", "openapiRendering"}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), template, op) for template, item in document["paths"].items()
            for method, op in item.items()]


def success_examples(op: dict[str, Any]) -> list[Any]:
    found = []
    for status, response in op["responses"].items():
        if status.startswith("2"):
            for media in (response.get("content") or {}).values():
                found += [e.get("value") for e in (media.get("examples") or {}).values()]
                if "example" in media:
                    found.append(media["example"])
    return found


def request_examples(op: dict[str, Any]) -> list[Any]:
    found = []
    for media in ((op.get("requestBody") or {}).get("content") or {}).values():
        found += [e.get("value") for e in (media.get("examples") or {}).values()]
        found += (media.get("schema") or {}).get("examples") or []  # Litestar puts a body's examples there
    return found


def test_every_operation_has_a_success_example(api_app_schema: dict[str, Any]) -> None:  # noqa: F811
    missing = [f"{m} {t} ({op['operationId']})" for m, t, op in operations(api_app_schema)
               if op["operationId"] not in NOT_JSON and not [e for e in success_examples(op) if e is not None]]
    assert missing == []


def test_every_request_body_has_an_example(api_app_schema: dict[str, Any]) -> None:  # noqa: F811
    missing = [f"{m} {t}" for m, t, op in operations(api_app_schema)
               if "requestBody" in op and not [e for e in request_examples(op) if e]]
    assert missing == []


def test_registering_sends_the_number_and_the_answer_masks_it(api_app_schema: dict[str, Any]) -> None:  # noqa: F811
    op = api_app_schema["paths"]["/v1/persons"]["post"]
    assert request_examples(op)[0]["national_number"] == "85073003328"
    assert "85.07.30-***.**" in json.dumps(success_examples(op)) and "85073003328" not in json.dumps(
        success_examples(op))


def test_examples_come_from_the_demo_data(api_app_schema: dict[str, Any]) -> None:  # noqa: F811
    text = json.dumps([success_examples(op) for _, _, op in operations(api_app_schema)])
    assert "Bakkerij Peeters" in text and "0723.145.688" in text and "per_01JD8Q3A1B2C3D4E5F6G7H8J9K" in text


def test_no_example_shows_a_full_national_number_but_the_check_question(
        api_app_schema: dict[str, Any]) -> None:  # noqa: F811
    shown = []
    for m, t, op in operations(api_app_schema):
        if op["operationId"] in OWN_NATIONAL_NUMBER:
            continue
        sent = request_examples(op) if op["operationId"] != "registerPerson" else []  # the number it registers
        for example in success_examples(op) + sent:
            if FULL_NATIONAL_NUMBER.search(json.dumps(example)):
                shown.append(f"{m} {t}")
    assert shown == []


def test_the_examples_decode_as_their_answers(tmp_path: Any) -> None:
    """Each success example is a valid instance of the handler's answer Struct (the shapes cannot drift)."""
    import msgspec
    from litestar.routes import HTTPRoute

    from rights.api.app import create_app
    from rights.api.examples import _answer_type
    from rights.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db",
                              seed_when_empty=False))
    wrong = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            spec = (handler.responses or {}).get(handler.status_code)
            kind = _answer_type(handler)
            if spec is None or not spec.examples or not isinstance(kind, type) or not issubclass(
                    kind, msgspec.Struct):
                continue
            try:
                msgspec.convert(spec.examples[0].value, kind, strict=False)
            except msgspec.ValidationError as error:
                wrong.append(f"{route.path}: {error}")
    assert wrong == []


def test_path_parameters_have_examples(api_app_schema: dict[str, Any]) -> None:  # noqa: F811
    missing = []
    for m, t, op in operations(api_app_schema):
        for parameter in op.get("parameters", []):
            if parameter["in"] == "path" and t.startswith("/v1/") and not parameter.get("examples"):
                missing.append(f"{m} {t} {parameter['name']}")
    assert missing == []
    lookup = api_app_schema["paths"]["/v1/organisations/{org}"]["get"]["parameters"]
    [org] = [p for p in lookup if p["name"] == "org"]
    assert "OV031468" in json.dumps(org["examples"])
