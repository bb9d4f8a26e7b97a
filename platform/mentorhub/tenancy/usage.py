"""What the platform console reads: every tenant with its hostnames and its usage this
month, and one tenant's details — counts only, never a tenant's content.

The counts come from `mentorhub_tenant_usage(since)` (migration 0018) alone: members (not
erased), active pairs, mails sent since `since`, per tenant, read across tenants through
policies only the function's definer passes. The list is three statements whatever the
number of tenants (the tenants' columns it shows, all hostnames, then the usage of all of
them), no statement per tenant and no ORM object per row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from mentorhub.db import Database
from mentorhub.tenancy.models import PlatformAuditEntry, Tenant, TenantDomain, TenantStatus

__all__ = [
    "TenantRow",
    "TenantSummary",
    "Usage",
    "audit_entries",
    "month_start",
    "tenant_rows",
    "usage",
]


@dataclass(frozen=True)
class Usage:
    members: int = 0
    active_pairs: int = 0
    mails_sent: int = 0


@dataclass(frozen=True)
class TenantSummary:
    """What the list shows of a tenant (read as plain columns: no ORM objects for 1,000)."""

    id: uuid.UUID
    slug: str
    name: str
    status: str
    created_at: datetime

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


@dataclass(frozen=True)
class TenantRow:
    tenant: Tenant | TenantSummary
    usage: Usage
    verified: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


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
    the 1st of this month): three statements whatever the number of tenants."""
    async with db.platform() as session:
        tenants = [
            TenantSummary(r.id, r.slug, r.name, r.status, r.created_at)
            for r in await session.execute(
                select(
                    Tenant.id, Tenant.slug, Tenant.name, Tenant.status, Tenant.created_at
                ).order_by(Tenant.name, Tenant.slug)
            )
        ]
        hosts: dict[uuid.UUID, tuple[list[str], list[str]]] = {t.id: ([], []) for t in tenants}
        for d in await session.execute(
            select(
                TenantDomain.tenant_id, TenantDomain.hostname, TenantDomain.verified_at
            ).order_by(TenantDomain.hostname)
        ):
            if d.tenant_id in hosts:
                hosts[d.tenant_id][0 if d.verified_at is not None else 1].append(d.hostname)
    counts = await usage(db, since or month_start())
    return [TenantRow(t, counts.get(t.id, Usage()), *hosts[t.id]) for t in tenants]


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
    domains = sorted(tenant.domains, key=lambda d: d.hostname)
    return TenantRow(
        tenant,
        counts.get(tenant.id, Usage()),
        [d.hostname for d in domains if d.verified_at is not None],
        [d.hostname for d in domains if d.verified_at is None],
    )


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
