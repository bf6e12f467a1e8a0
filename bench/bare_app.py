"""The baseline for `rights serve`: a bare Litestar app with the same request shape (issue 14, item 1).

    granian --interface asgi --factory --workers 1 bench.bare_app:create   (from the repository root)

POST /v1/check decodes a msgspec Struct of the four fields and answers a small JSON object; GET /healthz
answers {"status": "ok"}. No middleware, no authentication, no index: what the stack itself costs.
"""

from __future__ import annotations

import msgspec
from litestar import Litestar, get, post


class Question(msgspec.Struct, forbid_unknown_fields=True):
    person: str
    organisation: str
    role: str
    measure: str | None = None


class Answer(msgspec.Struct):
    allowed: bool
    reason: str
    revision: int


@post("/v1/check", status_code=200)
async def check(data: Question) -> Answer:
    return Answer(allowed=len(data.person) % 2 == 0, reason="granted", revision=1)


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create() -> Litestar:
    return Litestar([check, healthz], openapi_config=None)
