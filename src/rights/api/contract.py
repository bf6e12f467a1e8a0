"""The API's documented contract: one ``Problem`` schema, and every status each operation can answer.

Every refusal is an RFC 9457 problem (``api/problems.py`` builds each from :class:`Problem`, so the
document and the answers cannot drift apart). :func:`document_problems` declares, on every operation
of the OpenAPI document, the problem statuses it can answer, derived from what the operation is:

* a permission other than public: 401 (no or a bad token), 403 (this caller may not), 503 (storage out
  of reach, with ``Retry-After``);
* parameters (in the path or the query) or a body: 400 (malformed, wrong shape, unknown field) and 422 (a value the rules refuse);
  a path parameter, a body or an identifier: 404;
* a write (POST, PATCH, PUT, DELETE): 409 (conflict); a body method: 413 (too large) and 415 (not JSON);
* a rate-limited route: 429 (with ``Retry-After``).

``tests/api/test_contract.py`` sends the authorisation matrix's requests and generated inputs and fails
when an answer's status or content type is not declared for its operation.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.routes import HTTPRoute

from rights.api.permissions import Permission

PROBLEM_JSON = "application/problem+json"


class ProblemItem(msgspec.Struct, kw_only=True):
    """One offending field of a malformed request."""

    field: str | None
    message: str
    source: str | None


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem: a stable ``code``, the offending ``field`` and the message in Dutch and English."""

    type: str  # urn:rights:problem:<code>
    title: str
    status: int
    detail: str
    code: str
    field: str | None
    message_nl: str
    message_en: str
    instance: str  # the request's path, national numbers masked
    request_id: str | None
    errors: list[ProblemItem] | None = None  # a malformed request: every offending field


# Why each status can be answered, in the words the document shows.
STATUS_TEXT: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "Malformed request: not JSON, a wrong shape, an unknown or missing field or a "
          "parameter out of range; `field` and `errors` name where."),
    401: ("unauthenticated", "No bearer token, or one that is expired, not signed by the issuer or not for us."),
    403: ("forbidden", "This caller may not do this (its kind lacks the permission, or the rules refuse)."),
    404: ("not_found", "The organisation, person, grant or other record named does not exist (or the caller "
          "may not know it exists)."),
    409: ("version_conflict", "Conflicts with the current state (changed since read, already done, a duplicate)."),
    413: ("body_too_large", "The request body is larger than the service accepts."),
    415: ("unsupported_media_type", "The body is not sent as application/json."),
    422: ("invalid_identifier", "A value the rules refuse: an invalid identifier, a date in the past, an unknown "
          "role; `field` names it."),
    429: ("too_many_requests", "Too many requests; `Retry-After` says when to try again."),
    503: ("storage_unavailable", "Storage is temporarily unreachable; `Retry-After` says when to try again."),
}

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BODIES = frozenset({"POST", "PUT", "PATCH"})
_IDENTIFYING_QUERIES = frozenset({"identifier", "organisation", "q", "person"})
SCHEMA_PATH = "/schema"
OPENAPI_JSON = "application/vnd.oai.openapi+json"
RATE_LIMITED = frozenset({"/v1/helpline/lookup"})


def problem_statuses(method: str, path: str, permission: Permission, params: set[str], path_params: set[str],
                     has_body: bool) -> set[int]:
    """The problem statuses one operation can answer (see the module's docstring)."""
    statuses: set[int] = set()
    if permission is not Permission.PUBLIC:
        statuses |= {401, 403, 503}
    if params or path_params or has_body or method in _BODIES:
        statuses |= {400, 422}
    if path_params or has_body or params & _IDENTIFYING_QUERIES:
        statuses.add(404)
    if method in _WRITES and permission is not Permission.PUBLIC:
        statuses.add(409)
    if method in _BODIES and path.startswith("/v1/"):
        statuses |= {413, 415}
    if path in RATE_LIMITED:
        statuses.add(429)
    return statuses


def _example(status: int) -> Example:
    code, text = STATUS_TEXT[status]
    return Example(summary=code, value={
        "type": f"urn:rights:problem:{code}", "title": text, "status": status, "detail": text, "code": code,
        "field": None, "message_nl": "…", "message_en": text, "instance": "/v1/…",
        "request_id": "3f2a9c1e-5b7d-4e8a-9c0b-1d2e3f4a5b6c"})


def problem_response(status: int) -> ResponseSpec:
    return ResponseSpec(data_container=Problem, media_type=PROBLEM_JSON, description=STATUS_TEXT[status][1],
                        generate_examples=False, examples=[_example(status)])


def document_problems(app: Litestar) -> None:
    """Declare on every documented operation the problems it can answer (before the document is built)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            if route.path.startswith(SCHEMA_PATH):  # Litestar's own document routes: an unknown one is a page
                if route.path_parameters:
                    handler.responses = {404: ResponseSpec(str, media_type="text/html",
                                                           description="No such rendering of the document.")}
                elif route.path in (SCHEMA_PATH, f"{SCHEMA_PATH}/openapi.json"):
                    handler.responses = {200: ResponseSpec(dict[str, Any], media_type=OPENAPI_JSON,
                                                           generate_examples=False, examples=[Example(
                                                               summary="the start of this document",
                                                               value={"openapi": "3.1.0", "info": {
                                                                   "title": "rights", "version": "0.1.0"}})],
                                                           description="This OpenAPI 3.1 document, as JSON.")}
                continue
            permission = handler.opt.get("permission", Permission.PUBLIC)
            signature: dict[str, Any] = dict(handler.parsed_fn_signature.parameters)
            has_body = "data" in signature
            path_params = set(route.path_parameters) if isinstance(route.path_parameters, dict) else {
                p.name for p in route.path_parameters}
            dependencies = set(handler.resolve_dependencies())
            params = {name for name in signature if name not in ("data", "request", "self", *dependencies)}
            for method in handler.http_methods:
                statuses = problem_statuses(method, route.path, permission, params - path_params, path_params,
                                            has_body)
                handler.responses = {**(handler.responses or {}),
                                     **{s: problem_response(s) for s in sorted(statuses)}}
