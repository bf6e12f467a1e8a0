"""The gate every API request body passes before a route decodes it (issue 10, items 10 and 12).

msgspec decodes bodies fast and strictly, but JSON leaves three things to the reader: a key given
twice (which value counts?), nesting without limit, and the NUL character (PostgreSQL refuses it in
text, SQLite stores it silently). The gate refuses all three, the same way on every database, naming
the field, before anything is decoded or written. A body that is not declared as JSON gets 415.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException

from rights.domain.errors import InvalidInput

MAX_DEPTH = 32
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_NUL = b"\\u0000"


_KEY = re.compile(rb'"\s*:')  # every key ends so; a string may contain it too, which only over-counts


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return result


def _keys(value: Any) -> int:
    """How many keys the decoded objects kept (a duplicate keeps one)."""
    if isinstance(value, dict):
        return len(value) + sum(_keys(v) for v in value.values() if isinstance(v, dict | list))
    if isinstance(value, list):
        return sum(_keys(v) for v in value if isinstance(v, dict | list))
    return 0


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _walk(value: Any, where: str, depth: int, nul: bool) -> None:
    """Refuse nesting deeper than MAX_DEPTH and (when the body has one) a NUL in a key or a string."""
    if depth > MAX_DEPTH:
        raise InvalidInput("json_too_deep", where or None, max_depth=MAX_DEPTH)
    if isinstance(value, dict):
        for key, item in value.items():
            here = _path(where, key)
            if nul and "\x00" in key:
                raise InvalidInput("nul_character", here)
            _walk(item, here, depth + 1, nul)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, _path(where, i), depth + 1, nul)
    elif nul and isinstance(value, str) and "\x00" in value:
        raise InvalidInput("nul_character", where or None)


def _is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def json_body_gate(request: Request) -> None:
    """A ``before_request`` hook for the API: runs after the guard, before the body is decoded."""
    if request.method not in _BODY_METHODS or not request.url.path.startswith("/v1/"):
        return
    body = await request.body()  # cached on the request: the route's decoding reads the same bytes
    if not body.strip():
        return
    if not _is_json(request.headers.get("content-type", "")):
        raise HTTPException(status_code=415, detail="Send the body as application/json.")
    try:
        value = msgspec.json.decode(body)
    except RecursionError:
        raise InvalidInput("json_too_deep", None, max_depth=MAX_DEPTH) from None
    except msgspec.DecodeError:
        return  # malformed JSON: the route's own decoding answers 400 naming where
    nul = _NUL in body
    # Only a body with more brackets than the limit can be too deep: small bodies skip the walk.
    if nul or body.count(b"[") + body.count(b"{") > MAX_DEPTH:
        _walk(value, "", 0, nul)
    # Fast and exact: with no duplicate, the keys kept equal the keys written, unless a string holds
    # '":' (then the raw count is higher). Only then is the body parsed again, key by key.
    if len(_KEY.findall(body)) != _keys(value):
        try:
            json.loads(body, object_pairs_hook=_no_duplicates)
        except _Duplicate as dup:
            raise InvalidInput("duplicate_key", dup.key) from None
        except ValueError:
            pass  # msgspec accepted it; the route decides
