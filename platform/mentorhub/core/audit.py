"""The tenant's audit log: who did what, when, to whom. Append-only (the runtime role may
only insert and read).

Every area records its actions here (identity's role changes and sign-ins, roster uploads,
approval decisions, message deliveries), inside the same tenant transaction as the change
itself, so an action and its audit row are committed or rolled back together. It lives in
the core, below every area, so that recording an action imports no other area.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, func, insert, select
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from mentorhub.core.paging import PAGE_SIZE, Page, window
from mentorhub.db import Database
from mentorhub.db.base import TenantOwned
from mentorhub.db.session import current_tenant

__all__ = ["AuditEntry", "action_counts", "page", "read_page", "record", "record_many"]


class AuditEntry(TenantOwned):
    """One row of `audit_log` (migration 0001). Append-only: the runtime role may insert
    and read, never update or delete."""

    __tablename__ = "audit_log"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    action: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


def record(
    session: AsyncSession,
    action: str,
    *,
    actor: str | None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Add one entry to the session's tenant's log (written with the transaction); its id
    (e.g. for a message's idempotency key)."""
    entry_id = uuid.uuid4()
    session.add(
        AuditEntry(
            tenant_id=current_tenant(session),
            id=entry_id,
            action=action,
            actor=actor,
            subject=subject,
            details=details or {},
        )
    )
    return entry_id


async def record_many(
    session: AsyncSession,
    action: str,
    *,
    actor: str | None,
    entries: list[tuple[str | None, dict[str, Any]]],
) -> None:
    """:func:`record` for many entries of one action at once — (subject, details) each — in
    one executemany INSERT in the caller's transaction (a published matching run records
    thousands of pairs; adding thousands of ORM objects costs seconds)."""
    if not entries:
        return
    tenant_id = current_tenant(session)
    await session.execute(
        # Core, not the ORM's bulk path (its per-row bookkeeping costs seconds per 10,000).
        insert(AuditEntry.__table__),  # type: ignore[arg-type]
        [
            {
                "tenant_id": tenant_id,
                "id": uuid.uuid4(),
                "action": action,
                "actor": actor,
                "subject": subject,
                "details": details,
            }
            for subject, details in entries
        ],
    )


async def page(session: AsyncSession, number: int = 1, size: int = PAGE_SIZE) -> Page[AuditEntry]:
    """One page of the tenant's audit log, newest first (ties in time by id, so an entry
    never shows on two pages); the page's keys come from the (tenant, created_at, id) index,
    read from whichever end is nearer."""
    total = int((await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one())
    number = min(max(1, number), max(1, -(-total // size)))
    order = (AuditEntry.created_at.desc(), AuditEntry.id.desc())
    at = window(total, number, size)
    walk = (AuditEntry.created_at, AuditEntry.id) if at.backwards else order
    keys = select(AuditEntry.id).order_by(*walk).offset(at.offset).limit(at.limit).subquery()
    rows = await session.execute(
        select(AuditEntry).join(keys, AuditEntry.id == keys.c.id).order_by(*order)
    )
    return Page(rows=list(rows.scalars()), number=number, size=size, total=total)


async def read_page(db: Database, tenant_id: uuid.UUID, number: int = 1) -> Page[AuditEntry]:
    """`page` in its own short tenant transaction, for the audit log page."""
    async with db.tenant(tenant_id) as session:
        return await page(session, number)


async def action_counts(
    db: Database, tenant_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """For platform admins: how many of each action happened per tenant, never what."""
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for tenant_id in tenant_ids:
        async with db.tenant(tenant_id) as session:
            rows = await session.execute(
                select(AuditEntry.action, func.count()).group_by(AuditEntry.action)
            )
            counts[tenant_id] = {action: int(n) for action, n in rows.all()}
    return counts
