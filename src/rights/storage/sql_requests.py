"""Self-registration requests on the ``access_requests`` table (mixed into SqlTx, like sql_mandates)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from rights.domain.errors import NotFound
from rights.domain.model import AccessRequest, RequestStatus
from rights.storage.tables import access_requests

_FIELDS = tuple(AccessRequest.__struct_fields__)
_R = access_requests.c


def request_values(r: AccessRequest) -> dict[str, Any]:
    values = {name: getattr(r, name) for name in _FIELDS}
    values["status"] = r.status.value
    return values


def request_from_row(row: Any) -> AccessRequest:
    values = {name: row[name] for name in _FIELDS}
    values["status"] = RequestStatus(values["status"])
    return AccessRequest(**values)


class RequestQueries:
    async def get_access_request(self, request_id: str) -> AccessRequest | None:
        row = await self._one(select(access_requests).where(_R.id == request_id))  # type: ignore[attr-defined]
        return None if row is None else request_from_row(row)

    async def access_requests(
        self, *, person_id: str | None = None, organisation_id: str | None = None, status: str | None = None
    ) -> list[AccessRequest]:
        """Oldest first; filtered by person, organisation and status (all of them without filters)."""
        stmt = select(access_requests).order_by(_R.created_at, _R.id)
        if person_id is not None:
            stmt = stmt.where(_R.person_id == person_id)
        if organisation_id is not None:
            stmt = stmt.where(_R.organisation_id == organisation_id)
        if status is not None:
            stmt = stmt.where(_R.status == str(status))
        return [request_from_row(r) for r in await self._all(stmt)]  # type: ignore[attr-defined]

    async def add_access_request(self, request: AccessRequest) -> None:
        await self._exec(insert(access_requests).values(request_values(request)))  # type: ignore[attr-defined]

    async def save_access_request(self, request: AccessRequest) -> None:
        stmt = update(access_requests).where(_R.id == request.id).values(request_values(request))
        if (await self._exec(stmt)).rowcount != 1:  # type: ignore[attr-defined]
            raise NotFound("unknown_request", "request")
