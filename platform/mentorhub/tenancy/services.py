"""Creating and finding tenants: platform-level work, on the platform path.

Whatever changes a tenant or its hostnames here calls `directory.invalidate()`, so the web
routing of this process sees it on its next request (other processes within a second)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db import Database
from mentorhub.schemes.rules import TenantInfo
from mentorhub.tenancy import directory
from mentorhub.tenancy.errors import TenantConflict
from mentorhub.tenancy.models import Tenant, TenantDomain

__all__ = [
    "TenantConflict",
    "find_by_hostname",
    "find_by_slug",
    "list_tenants",
    "set_status",
    "upsert_tenant",
]


async def upsert_tenant(session: AsyncSession, info: TenantInfo) -> Tenant:
    """Create the tenant from its file, or bring name, jurisdiction, branding and hostnames
    in line with it. The status (active/suspended) is the operator's and is kept."""
    tenant = (
        await session.execute(select(Tenant).where(Tenant.slug == info.slug))
    ).scalar_one_or_none()
    if tenant is None:
        tenant = Tenant(id=uuid.uuid4(), slug=info.slug, status="active", domains=[])
        session.add(tenant)
    if tenant.branding_edited_at is None:  # once edited in the console, the console's
        tenant.name = info.name
        tenant.branding = msgspec.to_builtins(info.branding)
    tenant.jurisdiction = info.jurisdiction
    wanted = {h.lower() for h in info.hostnames}
    taken = (
        (
            await session.execute(
                select(TenantDomain).where(
                    TenantDomain.hostname.in_(wanted), TenantDomain.tenant_id != tenant.id
                )
            )
        )
        .scalars()
        .all()
    )
    if taken:
        names = ", ".join(sorted(d.hostname for d in taken))
        raise TenantConflict(f"{info.slug}: hostname already serves another tenant: {names}")
    tenant.domains = [d for d in tenant.domains if d.hostname in wanted] + [
        # the operator's own file: verified by being written there
        TenantDomain(hostname=h, verified_at=datetime.now(UTC))
        for h in sorted(wanted - {d.hostname for d in tenant.domains})
    ]
    await session.flush()
    directory.invalidate()  # and again by the caller once committed (tenant loading does)
    return tenant


async def find_by_hostname(db: Database, hostname: str) -> Tenant | None:
    if "\x00" in hostname:  # PostgreSQL cannot compare it; it names no tenant
        return None
    async with db.platform() as session:
        stmt = select(Tenant).join(TenantDomain).where(TenantDomain.hostname == hostname.lower())
        return (await session.execute(stmt)).scalar_one_or_none()


async def find_by_slug(db: Database, slug: str) -> Tenant | None:
    if "\x00" in slug:  # a NUL from the address (%00): no tenant, not a database error
        return None
    async with db.platform() as session:
        return (
            await session.execute(select(Tenant).where(Tenant.slug == slug))
        ).scalar_one_or_none()


async def list_tenants(db: Database) -> list[Tenant]:
    async with db.platform() as session:
        return list((await session.execute(select(Tenant).order_by(Tenant.name))).scalars())


async def set_status(db: Database, slug: str, status: str) -> None:
    """Suspend or resume a tenant (operators, tests); the platform console's actions
    (`tenancy.lifecycle`) do the same with their audit rows. Through the checked function
    `mentorhub_tenant_set_status` (migration 0018): the runtime role writes no tenant row
    itself."""
    async with db.platform() as session:
        tenant = (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one()
        await session.execute(
            text("SELECT mentorhub_tenant_set_status(:id, :status)"),
            {"id": tenant.id, "status": status},
        )
    directory.invalidate()  # committed: this process's web routing reads it at once
