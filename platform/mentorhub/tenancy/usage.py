"""What the platform console reads: every tenant with its hostnames and its usage this
month, and one tenant's details — counts only, never a tenant's content.

The counts come from `mentorhub_tenant_usage(since)` (migration 0018) alone: members (not
erased), active pairs, mails sent since `since`, per tenant, read across tenants through
policies only the function's definer passes. The list is two statements whatever the
number of tenants (the tenants with their hostnames, then the usage of all of them), no
statement per tenant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from mentorhub.db import Database
from mentorhub.tenancy.models import PlatformAuditEntry, Tenant

__all__ = ["TenantRow", "Usage", "audit_entries", "month_start", "tenant_rows", "usage"]


@dataclass(frozen=True)
class Usage:
    members: int = 0
    active_pairs: int = 0
    mails_sent: int = 0


@dataclass(frozen=True)
class TenantRow:
    tenant: Tenant
    usage: Usage

    @property
    def verified(self) -> list[str]:
        return sorted(d.hostname for d in self.tenant.domains if d.verified_at is not None)

    @property
    def pending(self) -> list[str]:
        return sorted(d.hostname for d in self.tenant.domains if d.verified_at is None)


def month_start(now: datetime | None = None) -> datetime:
    """The 1st of the month, 00:00 UTC: "this month" for mails sent."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


_USAGE = text(
    "SELECT tenant_id, members, active_pairs, mails_sent FROM mentorhub_tenant_usage(:since)"
)


async def usage(db: Database, since: datetime) -> dict[uuid.UUID, Usage]:
    """Every tenant's counts, in one call of the function."""
    async with db.platform() as session:
        rows = await session.execute(_USAGE, {"since": since})
        return {
            r.tenant_id: Usage(int(r.members), int(r.active_pairs), int(r.mails_sent)) for r in rows
        }


async def tenant_rows(db: Database, since: datetime | None = None) -> list[TenantRow]:
    """Every tenant in name order, with its hostnames and its usage since `since` (default:
    the 1st of this month)."""
    async with db.platform() as session:
        stmt = (
            select(Tenant).options(selectinload(Tenant.domains)).order_by(Tenant.name, Tenant.slug)
        )
        tenants = list((await session.execute(stmt)).scalars())
    counts = await usage(db, since or month_start())
    return [TenantRow(t, counts.get(t.id, Usage())) for t in tenants]


async def tenant_row(db: Database, slug: str, since: datetime | None = None) -> TenantRow | None:
    """One tenant with its hostnames and usage; None if there is no such tenant."""
    if "\x00" in slug:
        return None
    async with db.platform() as session:
        stmt = select(Tenant).options(selectinload(Tenant.domains)).where(Tenant.slug == slug)
        tenant = (await session.execute(stmt)).scalar_one_or_none()
    if tenant is None:
        return None
    counts = await usage(db, since or month_start())
    return TenantRow(tenant, counts.get(tenant.id, Usage()))


async def audit_entries(
    db: Database, tenant_id: uuid.UUID, limit: int = 200
) -> list[PlatformAuditEntry]:
    """What platform admins did to this tenant, newest first."""
    async with db.platform() as session:
        stmt = (
            select(PlatformAuditEntry)
            .where(PlatformAuditEntry.tenant_id == tenant_id)
            .order_by(PlatformAuditEntry.created_at.desc(), PlatformAuditEntry.id)
            .limit(limit)
        )
        return list((await session.execute(stmt)).scalars())
