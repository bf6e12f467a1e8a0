"""HTTP clients for `rights`: the questions other services ask, over one reused connection pool.

Both clients speak the same wire types (msgspec Structs decoded straight from the response bytes) and
turn every refusal into a :class:`RightsError` carrying the RFC 9457 problem the server sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

import httpx
import msgspec

T = TypeVar("T")


class RightsError(Exception):
    """A refusal by the service (its RFC 9457 problem), or no answer at all (``status`` 0)."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 request_id: str | None = None, problem: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}" + (f" ({field})" if field else ""))
        self.status, self.code, self.message = status, code, message
        self.field, self.request_id, self.problem = field, request_id, problem or {}


class CheckAnswer(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    reason: str
    grant_id: str | None = None
    mandate_id: str | None = None
    organisation_id: str | None = None
    revision: int = 0
    explanation: dict[str, Any] | None = None


class BatchAnswer(msgspec.Struct, frozen=True, kw_only=True):
    revision: int
    answers: list[CheckAnswer]


class Right(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a list: an organisation (or person) and the grants that allow acting for it."""

    grants: list[str]
    organisation_id: str | None = None
    person_id: str | None = None


class _Page(msgspec.Struct, frozen=True):
    revision: int
    items: list[Right]
    next_cursor: str | None = None


class Change(msgspec.Struct, frozen=True, kw_only=True):
    revision: int
    at: datetime
    kind: str
    entity: str
    entity_id: str
    actor: str | None = None
    data: dict[str, Any] = {}


class ChangePage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Change]
    next_after: int
    latest_revision: int


Question = dict[str, Any]  # {person, organisation, role, measure?, at?}


def question(person: str, organisation: str, role: str, measure: str | None = None, *,
             at: datetime | None = None) -> Question:
    q: Question = {"person": person, "organisation": organisation, "role": role}
    if measure is not None:
        q["measure"] = measure
    if at is not None:
        q["at"] = at.isoformat()
    return q


def _error(response: httpx.Response) -> RightsError:
    try:
        problem = response.json()
        if not isinstance(problem, dict):
            raise ValueError
    except ValueError:
        return RightsError(response.status_code, "http_error", response.text[:200])
    return RightsError(
        response.status_code, str(problem.get("code") or "http_error"),
        str(problem.get("message_en") or problem.get("detail") or problem.get("title") or ""),
        field=problem.get("field"), request_id=problem.get("request_id"), problem=problem,
    )


def _decode(response: httpx.Response, type_: type[T]) -> T:
    if response.status_code >= 400:
        raise _error(response)
    return msgspec.json.decode(response.content, type=type_)


def _check_body(person: str, organisation: str, role: str, measure: str | None, at: datetime | None,
                at_least_revision: int | None, explain: bool) -> bytes:
    body = question(person, organisation, role, measure, at=at)
    if at_least_revision is not None:
        body["at_least_revision"] = at_least_revision
    if explain:
        body["explain"] = True
    return msgspec.json.encode(body)


def _batch_body(questions: list[Question], at_least_revision: int | None) -> bytes:
    body: dict[str, Any] = {"questions": questions}
    if at_least_revision is not None:
        body["at_least_revision"] = at_least_revision
    return msgspec.json.encode(body)


def _params(role: str | None, measure: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    return {k: v for k, v in {"role": role, "measure": measure, "cursor": cursor, "limit": limit}.items()
            if v is not None}


_JSON = {"Content-Type": "application/json"}
TokenSource = str | Callable[[], str]


class _Auth(httpx.Auth):
    """A fixed token or a callable (so a service can rotate its OIDC token without a new client)."""

    def __init__(self, token: TokenSource) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        token = self._token() if callable(self._token) else self._token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


def _client_kwargs(base_url: str, token: TokenSource, timeout: float, http2: bool,
                   max_connections: int) -> dict[str, Any]:
    return {"base_url": base_url.rstrip("/"), "auth": _Auth(token), "timeout": timeout, "http2": http2,
            "limits": httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)}


class AsyncRightsClient:
    """``async with AsyncRightsClient(url, token) as rights: await rights.check(...)``.

    One connection pool for the client's life (keep-alive, up to ``max_connections``); ``http2=True``
    needs the ``h2`` package (``httpx[http2]``). ``token`` may be a callable returning a fresh token.
    """

    def __init__(self, base_url: str, token: TokenSource, *, timeout: float = 5.0, http2: bool = False,
                 max_connections: int = 100, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(**_client_kwargs(base_url, token, timeout, http2, max_connections),
                                       transport=transport)

    async def __aenter__(self) -> AsyncRightsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise RightsError(0, "unavailable", f"{type(exc).__name__}: {exc}") from exc

    async def check(self, person: str, organisation: str, role: str, measure: str | None = None, *,
                    at: datetime | None = None, at_least_revision: int | None = None,
                    explain: bool = False) -> CheckAnswer:
        body = _check_body(person, organisation, role, measure, at, at_least_revision, explain)
        return _decode(await self._send("POST", "/v1/check", content=body, headers=_JSON), CheckAnswer)

    async def check_batch(self, questions: list[Question], *, at_least_revision: int | None = None
                          ) -> BatchAnswer:
        """Up to 1,000 questions (see :func:`question`); answers in the same order."""
        body = _batch_body(questions, at_least_revision)
        return _decode(await self._send("POST", "/v1/check/batch", content=body, headers=_JSON), BatchAnswer)

    async def _pages(self, path: str, role: str | None, measure: str | None, limit: int) -> AsyncIterator[Right]:
        cursor: str | None = None
        while True:
            page = _decode(await self._send("GET", path, params=_params(role, measure, cursor, limit)), _Page)
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def organisations_of(self, person: str, role: str | None = None, measure: str | None = None, *,
                         page_size: int = 1000) -> AsyncIterator[Right]:
        """Every organisation the person may act for now (all pages, in organisation-id order)."""
        return self._pages(f"/v1/persons/{person}/organisations", role, measure, page_size)

    def persons_of(self, organisation: str, role: str | None = None, measure: str | None = None, *,
                   page_size: int = 1000) -> AsyncIterator[Right]:
        """Everyone who may act for the organisation now (all pages, in person-id order)."""
        return self._pages(f"/v1/organisations/{organisation}/persons", role, measure, page_size)

    async def changes(self, after: int = 0, limit: int = 1000) -> ChangePage:
        params = {"after": after, "limit": limit}
        return _decode(await self._send("GET", "/v1/changes", params=params), ChangePage)

    async def catalogue(self) -> dict[str, Any]:
        return _decode(await self._send("GET", "/v1/catalogue"), dict)


class RightsClient:
    """The blocking twin of :class:`AsyncRightsClient` (same methods, same answers)."""

    def __init__(self, base_url: str, token: TokenSource, *, timeout: float = 5.0, http2: bool = False,
                 max_connections: int = 10, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(**_client_kwargs(base_url, token, timeout, http2, max_connections),
                                  transport=transport)

    def __enter__(self) -> RightsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise RightsError(0, "unavailable", f"{type(exc).__name__}: {exc}") from exc

    def check(self, person: str, organisation: str, role: str, measure: str | None = None, *,
              at: datetime | None = None, at_least_revision: int | None = None, explain: bool = False
              ) -> CheckAnswer:
        body = _check_body(person, organisation, role, measure, at, at_least_revision, explain)
        return _decode(self._send("POST", "/v1/check", content=body, headers=_JSON), CheckAnswer)

    def check_batch(self, questions: list[Question], *, at_least_revision: int | None = None) -> BatchAnswer:
        body = _batch_body(questions, at_least_revision)
        return _decode(self._send("POST", "/v1/check/batch", content=body, headers=_JSON), BatchAnswer)

    def _pages(self, path: str, role: str | None, measure: str | None, limit: int) -> Iterator[Right]:
        cursor: str | None = None
        while True:
            page = _decode(self._send("GET", path, params=_params(role, measure, cursor, limit)), _Page)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def organisations_of(self, person: str, role: str | None = None, measure: str | None = None, *,
                         page_size: int = 1000) -> Iterator[Right]:
        return self._pages(f"/v1/persons/{person}/organisations", role, measure, page_size)

    def persons_of(self, organisation: str, role: str | None = None, measure: str | None = None, *,
                   page_size: int = 1000) -> Iterator[Right]:
        return self._pages(f"/v1/organisations/{organisation}/persons", role, measure, page_size)

    def changes(self, after: int = 0, limit: int = 1000) -> ChangePage:
        return _decode(self._send("GET", "/v1/changes", params={"after": after, "limit": limit}), ChangePage)
