"""One error table at the edge: every refusal becomes an RFC 9457 problem.

A problem carries a stable machine-readable ``code``, the offending ``field`` (when there is one), the
message in Dutch and English and the request id. An unexpected error shows only the request id.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import structlog
from litestar import MediaType, Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from rights.api.contract import PROBLEM_JSON, Problem, ProblemItem
from rights.api.wording import EMPTY, FALLBACK_NL, say
from rights.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unavailable
from rights.domain.ports import Caller
from rights.domain.services.base import audit_read
from rights.logging import scrub_text

STATUS_BY_KIND: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
}

# Codes and bilingual texts for the framework's own refusals.
HTTP_CODES: dict[int, tuple[str, str, str]] = {
    400: ("invalid_request", "De aanvraag is ongeldig.", "The request is invalid."),
    401: ("unauthenticated", "Aanmelden is vereist (Bearer-token).", "Authentication required (bearer token)."),
    403: ("forbidden", "U mag dit niet doen.", "You are not allowed to do this."),
    404: ("not_found", "Niet gevonden.", "Not found."),
    405: ("method_not_allowed", "Deze methode is niet toegelaten.", "Method not allowed."),
    413: ("body_too_large", "De aanvraag is te groot.", "The request body is too large."),
    415: ("unsupported_media_type", "Stuur de inhoud als application/json.", "Send the body as application/json."),
    429: ("too_many_requests", "Te veel aanvragen; probeer later opnieuw.", "Too many requests; try again later."),
}

_LOCATION = re.compile(r" - at `\$\.?([^`]*)`")
_UNKNOWN_FIELD = re.compile(r"(?:unknown|missing required) field `([^`]*)`")


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    message_nl: str,
    message_en: str,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    background: BackgroundTask | None = None,
) -> Response:
    body = Problem(
        type=f"urn:rights:problem:{code}",
        title=message_en,
        status=status,
        detail=message_en,
        code=code,
        field=field,
        message_nl=message_nl,
        message_en=message_en,
        # The log masks national numbers in paths; the answer does the same (a URL is often logged
        # by proxies and clients), also when the number was percent-encoded.
        instance=scrub_text(unquote(request.url.path)),
        request_id=request.scope.get("state", {}).get("request_id"),
        errors=[ProblemItem(**e) for e in errors] if errors else None,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers, background=background)


def refusal_audit(request: Request, code: str) -> BackgroundTask | None:
    """A refused attempt (403) of an authenticated caller goes to the audit trail, after the answer is sent:
    who, what (method, path with national numbers masked, refusal code), when, request id and address."""
    caller = request.scope.get("user")
    services = getattr(request.app.state, "services", None)
    if not isinstance(caller, Caller) or services is None:
        return None
    return BackgroundTask(
        audit_read, services.core, caller, action="access_refused",
        target=f"{request.method} {scrub_text(request.url.path)}"[:300], details={"code": code},
    )


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    status = next((s for cls, s in STATUS_BY_KIND.items() if isinstance(exc, cls)), 400)
    return problem(
        request, status=status, code=exc.code, field=exc.field, message_nl=exc.message_nl, message_en=exc.message_en,
        background=refusal_audit(request, exc.code) if status == 403 else None,
    )


def _field_of(item: dict[str, Any]) -> str | None:
    """The offending field as a path (``questions[2].colour``), from msgspec's location or Litestar's key."""
    key = str(item.get("key") or "")
    key = "" if key == "data" else key.removeprefix("data.")
    located = _LOCATION.search(str(item.get("message", "")))
    where = located.group(1) if located and located.group(1) else key
    unknown = _UNKNOWN_FIELD.search(str(item.get("message", "")))
    if unknown:
        return f"{where}.{unknown.group(1)}" if where else unknown.group(1)
    return where or None


def validation_handler(request: Request, exc: ValidationException) -> Response:
    """Malformed JSON, wrong shapes, unknown fields and bad parameters: 400 naming each field."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [
        # A message may quote the value (an invalid enum value): masked like the log masks it.
        {"field": _field_of(item), "message": scrub_text(_LOCATION.sub("", str(item.get("message", "")))),
         "source": item.get("source")}
        for item in extra
        if isinstance(item, dict)
    ]
    field = next((e["field"] for e in errors if e["field"]), None)
    nl, en = say(errors[0]["message"] if errors else "")
    if (nl, en) == EMPTY:
        message_nl, message_en = EMPTY
    else:
        message_nl = f"Ongeldige aanvraag: {nl}" + (f" (veld '{field}')." if field else ".")
        message_en = f"Invalid request: {en}" + (f" (field '{field}')." if field else ".")
    return problem(
        request,
        status=400,
        code="invalid_request",
        field=field,
        message_nl=message_nl,
        message_en=message_en,
        errors=errors or None,
    )


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    code, nl, en = HTTP_CODES.get(exc.status_code, ("http_error", "Fout.", "Error."))
    headers = dict(exc.headers or {})  # e.g. Retry-After on 429
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="rights"'
    if exc.status_code in (400, 401, 403) and exc.detail and exc.detail not in ("Unauthorized", "Forbidden",
                                                                                  "Bad Request"):
        said_nl, said_en = say(exc.detail)
        nl, en = (f"{nl.rstrip('.')}: {said_nl}.", f"{en.rstrip('.')}: {said_en}.") if said_nl != FALLBACK_NL else (
            nl, f"{en} {exc.detail}")
    return problem(request, status=exc.status_code, code=code, message_nl=nl, message_en=en, headers=headers,
                   background=refusal_audit(request, code) if exc.status_code == 403 else None)


def unavailable_handler(request: Request, exc: Unavailable) -> Response:
    """The database is out of reach: 503 with Retry-After, so clients and proxies retry (checks are
    still answered from the index meanwhile)."""
    structlog.get_logger("rights.api").warning("storage_unavailable", path=request.url.path,
                                               cause=type(exc.__cause__).__name__)
    return problem(
        request,
        status=503,
        code="storage_unavailable",
        message_nl="De gegevensopslag is tijdelijk onbereikbaar; probeer zo meteen opnieuw.",
        message_en="Storage is temporarily unavailable; try again shortly.",
        headers={"Retry-After": str(exc.retry_after_seconds)},
    )


def internal_error_handler(request: Request, exc: Exception) -> Response:
    structlog.get_logger("rights.api").error("internal_error", exc_info=exc, path=request.url.path)
    request_id = request.scope.get("state", {}).get("request_id")
    return problem(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        code="internal_error",
        message_nl=f"Interne fout; vermeld aanvraag-id {request_id}.",
        message_en=f"Internal error; quote request id {request_id}.",
    )


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    Unavailable: unavailable_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "MediaType", "problem"]
