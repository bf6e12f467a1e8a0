"""Request and response examples for the OpenAPI document, taken from the demo data (seeds/demo.yaml).

The story: the WSE desk asks whether An Peeters may act for Bakkerij Peeters BV (0723.145.688) on the
VOP; Sofie Vermeulen, local administrator, granted that right and later revokes it. Opaque ids and
revisions are the shapes a demo run answers (ids differ per database).
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_args, get_origin

from litestar import Litestar, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg
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


def _answer_type(handler: Any) -> Any:
    annotation = handler.parsed_fn_signature.return_type.annotation
    return get_args(annotation)[0] if get_origin(annotation) is Response else annotation


def document_examples(app: Litestar, operation_ids: dict[str, str]) -> None:
    """Attach each operation's examples (``operation_ids``: "METHOD /path" -> operationId)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                example = EXAMPLES.get(operation_ids.get(f"{method} {route.path_format}", ""))
                if example is None:
                    continue
                request, answer = example
                status = handler.status_code
                handler.responses = {**(handler.responses or {}), status: ResponseSpec(
                    _answer_type(handler), description="OK", generate_examples=False,
                    examples=[Example(summary="demo data", value=answer)])}
                data = handler.parsed_fn_signature.parameters.get("data")
                if request is not None and data is not None:
                    handler.parsed_fn_signature.parameters["data"] = dataclasses.replace(
                        data, kwarg_definition=BodyKwarg(examples=[Example(summary="demo data", value=request)]))
