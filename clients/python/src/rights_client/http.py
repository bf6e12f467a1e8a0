"""Blocking and async HTTP clients for `rights`, over one reused connection pool each.

Both speak the same wire types (:mod:`rights_client.wire`), turn every refusal into a
:class:`RightsError` carrying the RFC 9457 problem the server sent, retry ``429`` and ``503`` with backoff
(honouring ``Retry-After``), and carry the revision of the writes made through them into later checks
(``at_least_revision``), so a check after your own grant or revocation never answers from before it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import msgspec

from rights_client.wire import BatchAnswer, Catalogue, ChangePage, CheckAnswer, GrantWritten, Page, Right

T = TypeVar("T")
Question = dict[str, Any]  # {person, organisation, role, measure?, at?}
TokenSource = str | Callable[[], str]
_JSON = {"Content-Type": "application/json"}


class RightsError(Exception):
    """A refusal by the service (its RFC 9457 problem), or no answer at all (``status`` 0)."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 request_id: str | None = None, problem: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}" + (f" ({field})" if field else ""))
        self.status, self.code, self.message = status, code, message
        self.field, self.request_id, self.problem = field, request_id, problem or {}


@dataclass(frozen=True)
class Retry:
    """How often and how long to wait when the service answers ``429`` or ``503``.

    ``attempts`` counts every try (1: never retry). The wait is the answer's ``Retry-After`` (seconds or an
    HTTP date) when it has one, otherwise ``backoff * 2**n`` with jitter; never more than ``max_delay``.
    Questions (checks, lists, reads) are retried on ``statuses``; writes (grant, revoke) only on
    ``write_statuses``: a 429 was refused before anything happened, while a 503 from a failing database
    may come after a commit, and a write must not be made twice.
    """

    attempts: int = 4
    backoff: float = 0.2
    max_delay: float = 10.0
    statuses: frozenset[int] = frozenset({429, 503})
    write_statuses: frozenset[int] = frozenset({429})

    def delay(self, retry: int, response: httpx.Response) -> float:
        after = _retry_after(response.headers.get("retry-after"))
        if after is None:
            after = self.backoff * (2 ** retry) * random.uniform(0.5, 1.0)
        return max(0.0, min(after, self.max_delay))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


def question(person: str, organisation: str, role: str, measure: str | None = None, *,
             at: datetime | None = None) -> Question:
    """One question for :meth:`RightsClient.check_batch`."""
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


def _params(role: str | None, measure: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    return {k: v for k, v in {"role": role, "measure": measure, "cursor": cursor, "limit": limit}.items()
            if v is not None}


def _grant_body(person: str, organisation: str, role: str, measure: str | None, valid_from: datetime | None,
                valid_until: datetime | None, reason: str) -> bytes:
    body: dict[str, Any] = {"person": person, "organisation": organisation, "role": role, "reason": reason}
    if measure is not None:
        body["measure"] = measure
    if valid_from is not None:
        body["valid_from"] = valid_from.isoformat()
    if valid_until is not None:
        body["valid_until"] = valid_until.isoformat()
    return msgspec.json.encode(body)


def _revoke_body(reason: str, expected_version: int | None) -> bytes:
    body: dict[str, Any] = {"reason": reason}
    if expected_version is not None:
        body["expected_version"] = expected_version
    return msgspec.json.encode(body)


class _Auth(httpx.Auth):
    """A fixed token or a callable (so a service can rotate its OIDC token without a new client)."""

    def __init__(self, token: TokenSource) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        token = self._token() if callable(self._token) else self._token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


class _Common:
    """What both clients share: request bodies, and the revision of the writes made through them."""

    retry: Retry
    written_revision: int

    def _init(self, retry: Retry | None) -> None:
        self.retry = retry or Retry()
        self.written_revision = 0  # the highest revision of a write made (or noted) through this client

    def note_write(self, revision: int) -> None:
        """Carry a write made elsewhere (another client, a screen) into this client's later checks."""
        self.written_revision = max(self.written_revision, revision)

    def _wrote(self, answer: GrantWritten) -> GrantWritten:
        self.note_write(answer.revision)
        return answer

    def _at_least(self, given: int | None) -> int | None:
        if given is not None:
            return given
        return self.written_revision or None

    def _check_body(self, person: str, organisation: str, role: str, measure: str | None, at: datetime | None,
                    at_least_revision: int | None, explain: bool) -> bytes:
        body = question(person, organisation, role, measure, at=at)
        if (revision := self._at_least(at_least_revision)) is not None:
            body["at_least_revision"] = revision
        if explain:
            body["explain"] = True
        return msgspec.json.encode(body)

    def _batch_body(self, questions: list[Question], at_least_revision: int | None) -> bytes:
        body: dict[str, Any] = {"questions": questions}
        if (revision := self._at_least(at_least_revision)) is not None:
            body["at_least_revision"] = revision
        return msgspec.json.encode(body)


def _client_kwargs(base_url: str, token: TokenSource, timeout: float, http2: bool,
                   max_connections: int) -> dict[str, Any]:
    return {"base_url": base_url.rstrip("/"), "auth": _Auth(token), "timeout": timeout, "http2": http2,
            "limits": httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)}


class AsyncRightsClient(_Common):
    """``async with AsyncRightsClient(url, token) as rights: await rights.check(...)``.

    One connection pool for the client's life (keep-alive, up to ``max_connections``); ``http2=True``
    needs the ``h2`` package (``httpx[http2]``). ``token`` may be a callable returning a fresh token.
    """

    def __init__(self, base_url: str, token: TokenSource, *, timeout: float = 5.0, http2: bool = False,
                 max_connections: int = 100, retry: Retry | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._init(retry)
        self._http = httpx.AsyncClient(**_client_kwargs(base_url, token, timeout, http2, max_connections),
                                       transport=transport)

    async def __aenter__(self) -> AsyncRightsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, path: str, *, write: bool = False, **kwargs: Any) -> httpx.Response:
        statuses = self.retry.write_statuses if write else self.retry.statuses
        for attempt in range(self.retry.attempts):
            try:
                response = await self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                raise RightsError(0, "unavailable", f"{type(exc).__name__}: {exc}") from exc
            if response.status_code not in statuses or attempt + 1 == self.retry.attempts:
                return response
            await asyncio.sleep(self.retry.delay(attempt, response))
        raise AssertionError("unreachable")  # pragma: no cover

    async def get(self, path: str, **params: Any) -> Any:
        """Any other GET of the API, decoded as plain JSON (``rights.get("/v1/grants/gr_…")``)."""
        return _decode(await self._send("GET", path, params=params), Any)  # type: ignore[arg-type]

    async def check(self, person: str, organisation: str, role: str, measure: str | None = None, *,
                    at: datetime | None = None, at_least_revision: int | None = None,
                    explain: bool = False) -> CheckAnswer:
        body = self._check_body(person, organisation, role, measure, at, at_least_revision, explain)
        return _decode(await self._send("POST", "/v1/check", content=body, headers=_JSON), CheckAnswer)

    async def check_batch(self, questions: list[Question], *, at_least_revision: int | None = None
                          ) -> BatchAnswer:
        """Up to 1,000 questions (see :func:`question`); answers in the same order."""
        body = self._batch_body(questions, at_least_revision)
        return _decode(await self._send("POST", "/v1/check/batch", content=body, headers=_JSON), BatchAnswer)

    async def _pages(self, path: str, role: str | None, measure: str | None, limit: int) -> AsyncIterator[Right]:
        cursor: str | None = None
        while True:
            page = _decode(await self._send("GET", path, params=_params(role, measure, cursor, limit)), Page)
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
        return _decode(await self._send("GET", "/v1/changes", params={"after": after, "limit": limit}),
                       ChangePage)

    async def catalogue(self) -> Catalogue:
        return _decode(await self._send("GET", "/v1/catalogue"), Catalogue)

    async def grant(self, person: str, organisation: str, role: str, measure: str | None = None, *,
                    valid_from: datetime | None = None, valid_until: datetime | None = None,
                    reason: str = "") -> GrantWritten:
        body = _grant_body(person, organisation, role, measure, valid_from, valid_until, reason)
        return self._wrote(_decode(await self._send("POST", "/v1/grants", content=body, headers=_JSON, write=True),
                                   GrantWritten))

    async def revoke(self, grant_id: str, reason: str, *, expected_version: int | None = None) -> GrantWritten:
        body = _revoke_body(reason, expected_version)
        return self._wrote(_decode(await self._send("POST", f"/v1/grants/{grant_id}/revoke", content=body,
                                                    headers=_JSON, write=True), GrantWritten))


class RightsClient(_Common):
    """The blocking twin of :class:`AsyncRightsClient` (same methods, same answers)."""

    def __init__(self, base_url: str, token: TokenSource, *, timeout: float = 5.0, http2: bool = False,
                 max_connections: int = 10, retry: Retry | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._init(retry)
        self._http = httpx.Client(**_client_kwargs(base_url, token, timeout, http2, max_connections),
                                  transport=transport)

    def __enter__(self) -> RightsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, *, write: bool = False, **kwargs: Any) -> httpx.Response:
        statuses = self.retry.write_statuses if write else self.retry.statuses
        for attempt in range(self.retry.attempts):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                raise RightsError(0, "unavailable", f"{type(exc).__name__}: {exc}") from exc
            if response.status_code not in statuses or attempt + 1 == self.retry.attempts:
                return response
            time.sleep(self.retry.delay(attempt, response))
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, **params: Any) -> Any:
        return _decode(self._send("GET", path, params=params), Any)  # type: ignore[arg-type]

    def check(self, person: str, organisation: str, role: str, measure: str | None = None, *,
              at: datetime | None = None, at_least_revision: int | None = None, explain: bool = False
              ) -> CheckAnswer:
        body = self._check_body(person, organisation, role, measure, at, at_least_revision, explain)
        return _decode(self._send("POST", "/v1/check", content=body, headers=_JSON), CheckAnswer)

    def check_batch(self, questions: list[Question], *, at_least_revision: int | None = None) -> BatchAnswer:
        body = self._batch_body(questions, at_least_revision)
        return _decode(self._send("POST", "/v1/check/batch", content=body, headers=_JSON), BatchAnswer)

    def _pages(self, path: str, role: str | None, measure: str | None, limit: int) -> Iterator[Right]:
        cursor: str | None = None
        while True:
            page = _decode(self._send("GET", path, params=_params(role, measure, cursor, limit)), Page)
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

    def catalogue(self) -> Catalogue:
        return _decode(self._send("GET", "/v1/catalogue"), Catalogue)

    def grant(self, person: str, organisation: str, role: str, measure: str | None = None, *,
              valid_from: datetime | None = None, valid_until: datetime | None = None,
              reason: str = "") -> GrantWritten:
        body = _grant_body(person, organisation, role, measure, valid_from, valid_until, reason)
        return self._wrote(_decode(self._send("POST", "/v1/grants", content=body, headers=_JSON, write=True), GrantWritten))

    def revoke(self, grant_id: str, reason: str, *, expected_version: int | None = None) -> GrantWritten:
        body = _revoke_body(reason, expected_version)
        return self._wrote(_decode(self._send("POST", f"/v1/grants/{grant_id}/revoke", content=body,
                                              headers=_JSON, write=True), GrantWritten))
