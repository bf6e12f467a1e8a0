"""The outbox on the ``outbox`` table (SQLite and PostgreSQL).

Claiming is one short transaction: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers claim
disjoint rows; on SQLite the write transaction starts with ``BEGIN IMMEDIATE`` (see storage/engine.py),
which serialises claimers. Every later update is conditional on the claim token, so a worker whose lease
expired cannot mark a row another worker has claimed since.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rights.mail.ports import Mail, MailStatus, NewMail, backoff, new_mail_id
from rights.storage.engine import WRITE_OPTION
from rights.storage.tables import outbox

_S = outbox.c


def _mail(row: Any) -> Mail:
    return Mail(**{k: row[k] for k in row.keys()} | {"status": MailStatus(row["status"])})


class SqlOutbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                yield conn

    async def enqueue(self, mails: list[NewMail], *, now: datetime, tx: Any = None) -> list[str]:
        rows = [
            {**msgspec.structs.asdict(m), "id": new_mail_id(), "status": MailStatus.PENDING.value,
             "attempts": 0, "created_at": now, "next_attempt_at": now}
            for m in mails
        ]
        if not rows:
            return []
        if tx is not None:  # the caller's transaction (rights.storage.SqlTx): all or nothing with it
            await tx.connection.execute(insert(outbox), rows)
        else:
            async with self._write() as conn:
                await conn.execute(insert(outbox), rows)
        return [r["id"] for r in rows]

    async def claim(self, *, now: datetime, lease: timedelta, limit: int = 10) -> list[Mail]:
        due = or_(
            and_(_S.status == MailStatus.PENDING.value, _S.next_attempt_at <= now),
            and_(_S.status == MailStatus.SENDING.value, _S.lease_until <= now),
        )
        query = select(_S.id).where(due).order_by(_S.next_attempt_at, _S.id).limit(limit)
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        async with self._write() as conn:
            ids = list((await conn.execute(query)).scalars())
            claimed = []
            for mail_id in ids:
                token = secrets.token_hex(16)
                await conn.execute(
                    update(outbox).where(_S.id == mail_id).values(
                        status=MailStatus.SENDING.value, attempts=_S.attempts + 1, claim_token=token,
                        lease_until=now + lease)
                )
                row = (await conn.execute(select(outbox).where(_S.id == mail_id))).mappings().one()
                claimed.append(_mail(row))
            return claimed

    def _held(self, mail: Mail):  # noqa: ANN202 - a SQL condition
        return and_(_S.id == mail.id, _S.status == MailStatus.SENDING.value, _S.claim_token == mail.claim_token)

    async def mark_sent(self, mail: Mail, *, now: datetime) -> bool:
        async with self._write() as conn:
            result = await conn.execute(
                update(outbox).where(self._held(mail)).values(
                    status=MailStatus.SENT.value, sent_at=now, claim_token=None, lease_until=None)
            )
            return result.rowcount == 1

    async def mark_failed(self, mail: Mail, *, now: datetime, error: str, permanent: bool, max_attempts: int) -> None:
        give_up = permanent or mail.attempts >= max_attempts
        async with self._write() as conn:
            await conn.execute(
                update(outbox).where(self._held(mail)).values(
                    status=(MailStatus.FAILED if give_up else MailStatus.PENDING).value, claim_token=None,
                    lease_until=None, last_error=error[:500], next_attempt_at=now + backoff(mail.attempts))
            )

    async def get(self, mail_id: str) -> Mail | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(outbox).where(_S.id == mail_id))).mappings().first()
        return _mail(row) if row is not None else None

    async def list(self, *, status: MailStatus | None = None) -> list[Mail]:
        query = select(outbox).order_by(_S.created_at, _S.id)
        if status is not None:
            query = query.where(_S.status == status.value)
        async with self.engine.connect() as conn:
            return [_mail(r) for r in (await conn.execute(query)).mappings()]
