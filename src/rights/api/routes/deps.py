"""Dependencies every route may ask for: the use cases and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from rights.domain.ports import Caller
from rights.domain.services import Services


def provide_services(state: State) -> Services:
    return state.services


def provide_caller(request: Request) -> Caller:
    return request.scope["user"]


DEPENDENCIES = {
    "services": Provide(provide_services, sync_to_thread=False),
    "caller": Provide(provide_caller, sync_to_thread=False),
}

Limit = Annotated[int, Parameter(ge=1, le=500, description="Page size")]


def page(rows: list[tuple[str, list[str]]], cursor: str | None,
         limit: int) -> tuple[list[tuple[str, list[str]]], str | None]:
    """One page of a complete list ordered by id: rows after the cursor, and the cursor for the next."""
    start = 0
    if cursor is not None:
        start = next((i for i, (rid, _) in enumerate(rows) if rid > cursor), len(rows))
    chunk = rows[start:start + limit]
    more = start + limit < len(rows)
    return chunk, chunk[-1][0] if more and chunk else None
