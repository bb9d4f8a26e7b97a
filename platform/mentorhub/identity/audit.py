"""The tenant's audit log: append-only (the runtime role may only insert and read)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db import Database
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import AuditEntry


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
