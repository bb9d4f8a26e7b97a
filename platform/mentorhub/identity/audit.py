"""The tenant's audit log: append-only (the runtime role may only insert and read)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db import Database
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import AuditEntry
from mentorhub.identity.paging import PAGE_SIZE, Page, window


def record(
    session: AsyncSession,
    action: str,
    *,
    actor: str | None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            tenant_id=current_tenant(session),
            id=uuid.uuid4(),
            action=action,
            actor=actor,
            subject=subject,
            details=details or {},
        )
    )


async def recent(session: AsyncSession, limit: int = 200) -> list[AuditEntry]:
    rows = await session.execute(
        select(AuditEntry).order_by(AuditEntry.created_at.desc()).limit(limit)
    )
    return list(rows.scalars())


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
