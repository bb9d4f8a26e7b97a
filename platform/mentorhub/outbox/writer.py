"""The one way to ask for work after a commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db.session import current_tenant
from mentorhub.outbox.kinds import check_kind
from mentorhub.outbox.models import OutboxMessage


async def add_outbox(session: AsyncSession, kind: str, payload: dict[str, Any]) -> OutboxMessage:
    """Write a message in the caller's tenant transaction: it exists if and only if the
    change that caused it commits. A kind not named in `mentorhub.outbox.kinds` raises
    :class:`~mentorhub.outbox.kinds.UnknownKind` here, before anything is written."""
    check_kind(kind)
    message = OutboxMessage(tenant_id=current_tenant(session), kind=kind, payload=payload)
    session.add(message)
    await session.flush()
    return message


async def add_outbox_many(session: AsyncSession, kind: str, payloads: list[dict[str, Any]]) -> None:
    """:func:`add_outbox` for many payloads of one kind: one executemany INSERT (sent as
    multi-row INSERTs) after the same check of the kind, in the same transaction."""
    check_kind(kind)
    if not payloads:
        return
    tenant_id = current_tenant(session)
    await session.execute(
        # Core, not the ORM's bulk path (its per-row bookkeeping costs seconds per 10,000).
        insert(OutboxMessage.__table__),  # type: ignore[arg-type]
        [{"tenant_id": tenant_id, "kind": kind, "payload": p} for p in payloads],
    )
