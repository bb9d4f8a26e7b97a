"""Running the same work for every tenant, each in its own transaction.

Scheduled and operator work (reminders, reports, back-fills) walks the tenants one by one.
Each tenant gets its own `Database.tenant(...)` transaction, so row-level security scopes the
work to that tenant and one tenant's failure rolls back that tenant's changes only: the error
is logged with its traceback and the walk goes on. The caller learns which tenants failed.

The tenants are read with a Core statement on the platform path (core imports no area of the
product, `mentorhub.tenancy` included).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db import Database

__all__ = ["TenantFailure", "TenantWork", "for_each_tenant"]

log = logging.getLogger(__name__)

#: The work done for one tenant, inside that tenant's transaction.
TenantWork = Callable[[AsyncSession, uuid.UUID], Awaitable[None]]

_tenants = table("tenants", column("id"), column("slug"), column("status"))


@dataclass(frozen=True)
class TenantFailure:
    """A tenant whose work raised: nothing it changed in that transaction was kept."""

    tenant_id: uuid.UUID
    slug: str
    error: Exception


async def for_each_tenant(
    db: Database, work: TenantWork, *, include_suspended: bool = False
) -> list[TenantFailure]:
    """Run `work(session, tenant_id)` for every active tenant (every tenant with
    `include_suspended`), in slug order, one tenant transaction each. Returns the tenants
    whose work raised, in order; an empty list means every tenant's work was committed."""
    query = select(_tenants.c.id, _tenants.c.slug).order_by(_tenants.c.slug)
    if not include_suspended:
        query = query.where(_tenants.c.status == "active")
    async with db.platform() as session:
        tenants = [(row.id, row.slug) for row in await session.execute(query)]
    failures: list[TenantFailure] = []
    for tenant_id, slug in tenants:
        try:
            async with db.tenant(tenant_id) as session:
                await work(session, tenant_id)
        except Exception as exc:  # one tenant's failure must not stop the others
            log.exception("work for tenant %s failed; its changes were rolled back", slug)
            failures.append(TenantFailure(tenant_id, slug, exc))
    return failures
