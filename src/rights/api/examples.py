"""Request and response examples for the OpenAPI document, taken from the demo data (seeds/demo.yaml).

The story: the WSE desk asks whether An Peeters may act for Bakkerij Peeters BV (0723.145.688) on the
VOP; Sofie Vermeulen, local administrator, granted that right and later revokes it. Opaque ids and
revisions are the shapes a demo run answers (ids differ per database).
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_args, get_origin

import msgspec
from litestar import Litestar, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, ParameterKwarg
from litestar.routes import HTTPRoute

ORG = "org_01JD8Q2ZK3M4N5P6Q7R8S9T0UV"
AN = "per_01JD8Q3A1B2C3D4E5F6G7H8J9K"
GRANT = "gr_01JD8Q4M5N6P7Q8R9S0T1U2V3W"
ROLE = "DWSEOrganisatieverantwoordelijke"
IDENTIFIERS = {"enterprise_number": "0723.145.688", "establishment_numbers": ["2.167.890.315"], "ovo_code": None,
               "nis_code": None, "institution_number": None}
BAKERY = {"id": ORG, "type": "company", "name": "Bakkerij Peeters BV", "short_name": "Bakkerij Peeters",
          "status": "active", "identifiers": IDENTIFIERS, "organisation_code": "0723145688", "target_group": "EA",
          "address": {"street": "Brusselbaan", "house_number": "45", "box": "", "postal_code": "1790",
                      "municipality": "Affligem", "country": "BE"},
          "parent_id": None, "version": 1}
VOP_GRANT = {"id": GRANT, "person_id": AN, "organisation_id": ORG, "role": ROLE, "measure": "VOP",
             "valid_from": "2026-01-05T09:00:00Z", "valid_until": "2027-01-05T09:00:00Z",
             "granted_by": "per_01JD8Q3SOFIEVERMEULEN0000", "granted_at": "2026-01-05T09:00:00Z",
             "reason": "Dossier VOP", "revoked_at": None, "revoked_by": None, "revoke_reason": None, "version": 1,
             "active": True}
REVOKED = {**VOP_GRANT, "revoked_at": "2026-06-30T16:00:00Z", "revoked_by": "per_01JD8Q3SOFIEVERMEULEN0000",
           "revoke_reason": "An is uit dienst", "version": 2, "active": False}
QUESTION = {"person": "85073003328", "organisation": "BE 0723.145.688", "role": ROLE, "measure": "VOP"}
YES = {"allowed": True, "reason": "granted", "grant_id": GRANT, "mandate_id": None, "organisation_id": ORG,
       "succeeded_by": None, "revision": 151}

# operationId: (request body example or None, success answer example)
EXAMPLES: dict[str, tuple[dict[str, Any] | None, dict[str, Any]]] = {
    "checkAccess": (QUESTION, YES),
    "checkAccessBatch": ({"questions": [QUESTION, {**QUESTION, "measure": "AWI"}]},
                         {"revision": 151, "answers": [YES, {**YES, "allowed": False, "reason": "no_grant",
                                                             "grant_id": None}]}),
    "grantRight": ({"person": AN, "organisation": "0723145688", "role": ROLE, "measure": "VOP",
                    "valid_until": "2027-01-05T09:00:00Z", "reason": "Dossier VOP"},
                   {"revision": 150, "grant": VOP_GRANT}),
    "revokeGrant": ({"reason": "An is uit dienst"}, {"revision": 152, "grant": REVOKED}),
    "readGrant": (None, VOP_GRANT),
    "lookupOrganisation": (None, BAKERY),
    "listOrganisations": (None, {"items": [BAKERY], "next_cursor": None}),
    "readClaims": (None, {"revision": 151, "claims": [f"{ROLE}-IMW:0723145688", f"{ROLE}-VOP:0723145688"]}),
    "listOrganisationsOfPerson": (None, {"revision": 151, "items": [{"organisation_id": ORG, "grants": [GRANT]}],
                                         "next_cursor": None}),
    "listPersonsOfOrganisation": (None, {"revision": 151, "items": [{"person_id": AN, "grants": [GRANT]}],
                                         "next_cursor": None}),
    "health": (None, {"status": "ok"}),
    "readiness": (None, {"status": "ready", "database": "ok"}),
}
# POST /v1/persons must send the number it registers (the answer masks it); generated otherwise
REGISTER = {"national_number": "85073003328", "given_name": "An", "family_name": "Peeters",
            "email": "an.peeters@bakkerijpeeters.be"}


# Every other example is built from its Struct, each field taken from this one table of demo values (by field
# name); a national number is always masked here: only /v1/check's question (what the desk sends) shows one.
DEMO: dict[str, Any] = {
    "id": ORG, "organisation_id": ORG, "organisation": "0723.145.688", "mandator_id": ORG,
    "holder_id": "org_01JD8Q2ZVOORBEELDBOEKHOUDER", "mandator": "0723.145.688", "holder": "0456.789.123",
    "person_id": AN, "person": AN, "grant_id": GRANT, "grants": [GRANT], "mandate_id": "man_01JD8Q5VOP0000000000000000",
    "request_id": "req_01JD8Q6VOP0000000000000000", "succession_id": "suc_01JD8Q7BAKKERIJ000000000000",
    "relation_id": "wr_01JD8Q8ANPEETERS0000000000", "campaign_id": "rec_01JD8Q9VOP2026000000000000",
    "national_number": "85.07.30-***.**", "first_name": "An", "last_name": "Peeters", "name": "Bakkerij Peeters BV",
    "short_name": "Bakkerij Peeters", "role": ROLE, "measure": "VOP", "application": "VOP",
    "applications": ["VOP"], "measures": ["VOP"], "reason": "Dossier VOP", "revoke_reason": "An is uit dienst",
    "enterprise_number": "0723.145.688", "establishment_numbers": ["2.167.890.315"], "ovo_code": None,
    "nis_code": None, "institution_number": None, "organisation_code": "0723145688", "target_group": "EA",
    "email": "sofie.vermeulen@bakkerijpeeters.be", "phone": "+32 53 21 43 65", "status": "active",
    "type": "company", "user_type": "medewerker", "granted_by": "per_01JD8Q3SOFIEVERMEULEN0000",
    "revoked_by": None, "revoked_at": None, "valid_until": "2027-01-05T09:00:00Z", "revision": 151,
    "latest_revision": 151, "next_after": 151, "version": 1, "next_cursor": None, "street": "Brusselbaan",
    "house_number": "45", "box": "", "postal_code": "1790", "municipality": "Affligem", "country": "BE",
    "parent_id": None, "expected_version": 1, "code": "VOP", "title": "Vlaamse ondersteuningspremie",
}
WHEN = "2026-01-05T09:00:00Z"
# a Struct's own ``id``, by the first word of its class name that matches
IDS = {"Grant": GRANT, "Person": AN, "Administrator": AN, "Appointment": AN, "Mandate": DEMO["mandate_id"],
       "Request": DEMO["request_id"], "Access": DEMO["request_id"], "Succession": DEMO["succession_id"],
       "WorkRelation": DEMO["relation_id"], "Campaign": DEMO["campaign_id"], "Recert": DEMO["campaign_id"]}
PEOPLE = {"given_name": "An", "family_name": "Peeters", "person_name": "An Peeters",
          "proposed_by": "per_01JD8Q3SOFIEVERMEULEN0000", "contact_email": "an.peeters@bakkerijpeeters.be",
          "motivation": "Ik dien de VOP-dossiers in voor de bakkerij", "entered_by": "per_01JD8Q3SOFIEVERMEULEN0000"}
DEMO.update(PEOPLE)


def _fits(value: Any, info: msgspec.inspect.Type) -> bool:  # noqa: PLR0911
    """Whether a demo value is of the field's type (a status may be an enum of other words)."""
    i = msgspec.inspect
    if isinstance(info, i.UnionType):
        return any(_fits(value, t) for t in info.types)
    if isinstance(info, i.NoneType):
        return value is None
    if isinstance(info, i.EnumType):
        return value in {m.value for m in info.cls}
    if isinstance(info, i.LiteralType):
        return value in info.values
    if isinstance(info, i.StrType | i.DateTimeType | i.DateType):
        return isinstance(value, str)
    if isinstance(info, i.IntType):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(info, i.ListType | i.SetType | i.FrozenSetType | i.VarTupleType):
        return isinstance(value, list) and all(_fits(v, info.item_type) for v in value)
    return isinstance(info, i.AnyType)


def _value(info: msgspec.inspect.Type, name: str, depth: int = 0) -> Any:  # noqa: PLR0911
    if name in DEMO and _fits(DEMO[name], info):
        return DEMO[name]
    if isinstance(info, msgspec.inspect.StructType):
        if depth >= 10:
            return {}
        own = next((v for k, v in IDS.items() if info.cls.__name__.startswith(k)), ORG)
        return {f.encode_name: own if f.name == "id" and isinstance(f.type, msgspec.inspect.StrType)
                else _value(f.type, f.name, depth + 1) for f in info.fields}
    if isinstance(info, msgspec.inspect.ListType | msgspec.inspect.SetType | msgspec.inspect.FrozenSetType
                  | msgspec.inspect.VarTupleType):
        return [] if depth >= 10 else [_value(info.item_type, name.removesuffix("s"), depth + 1)]
    if isinstance(info, msgspec.inspect.UnionType):
        kinds = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        return _value(kinds[0], name, depth) if kinds else None
    if isinstance(info, msgspec.inspect.LiteralType):
        return info.values[0]
    if isinstance(info, msgspec.inspect.EnumType):
        return next(iter(info.cls)).value
    if isinstance(info, msgspec.inspect.DateTimeType):
        return WHEN
    if isinstance(info, msgspec.inspect.DateType):
        return WHEN[:10]
    if isinstance(info, msgspec.inspect.BoolType):
        return True
    if isinstance(info, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        return 1
    if isinstance(info, msgspec.inspect.DictType):
        return {}
    if isinstance(info, msgspec.inspect.StrType):
        return name.replace("_", " ")
    return None


def example_of(kind: Any) -> Any:
    """A demo-data example of ``kind`` (a Struct, or a list of them), or None for anything else."""
    try:
        info = msgspec.inspect.type_info(kind)
    except (TypeError, ValueError):
        return None
    if isinstance(info, msgspec.inspect.UnionType):  # an optional body
        info = next((t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)), info)
    if not isinstance(info, msgspec.inspect.StructType | msgspec.inspect.ListType):
        return None
    return _value(info, "")


# Path parameters: the forms a caller really sends (any identifier form for an organisation; a person by id)
PATH_EXAMPLES: dict[str, list[str]] = {
    "org": [ORG, "0723.145.688", "BE 0723.145.688", "OV031468"], "person": [AN, "me"], "grant_id": [GRANT],
    "mandate_id": [DEMO["mandate_id"]], "request_id": [DEMO["request_id"]],
    "succession_id": [DEMO["succession_id"]], "relation": [DEMO["relation_id"]],
}


def _path_examples(handler: Any, names: set[str]) -> None:
    for name in names & set(PATH_EXAMPLES):
        parameter = handler.parsed_fn_signature.parameters.get(name)
        if parameter is not None and parameter.kwarg_definition is None:
            handler.parsed_fn_signature.parameters[name] = dataclasses.replace(parameter, kwarg_definition=(
                ParameterKwarg(examples=[Example(summary=v, value=v) for v in PATH_EXAMPLES[name]])))


def _answer_type(handler: Any) -> Any:
    annotation = handler.parsed_fn_signature.return_type.annotation
    return get_args(annotation)[0] if get_origin(annotation) is Response else annotation


def document_examples(app: Litestar, operation_ids: dict[str, str]) -> None:
    """Attach each operation's examples (``operation_ids``: "METHOD /path" -> operationId)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            _path_examples(handler, set(route.path_parameters))
            for method in handler.http_methods:
                data = handler.parsed_fn_signature.parameters.get("data")
                example = EXAMPLES.get(operation_ids.get(f"{method} {route.path_format}", ""))
                if example is None:
                    example = (example_of(data.annotation) if data is not None else None,
                               example_of(_answer_type(handler)))
                    if f"{method} {route.path_format}" == "POST /v1/persons":
                        example = (REGISTER, example[1])
                request, answer = example
                if answer is None:
                    continue
                status = handler.status_code
                handler.responses = {**(handler.responses or {}), status: ResponseSpec(
                    _answer_type(handler), description="OK", generate_examples=False,
                    examples=[Example(summary="demo data", value=answer)])}
                if request is not None and data is not None:
                    handler.parsed_fn_signature.parameters["data"] = dataclasses.replace(
                        data, kwarg_definition=BodyKwarg(examples=[Example(summary="demo data", value=request)]))
