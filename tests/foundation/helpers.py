"""Shared test helpers: make tenants and members through the product's own services."""

from __future__ import annotations

import uuid

from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.schemes.rules import Branding, TenantInfo
from mentorhub.tenancy.models import Tenant
from mentorhub.tenancy.services import upsert_tenant
from tests.support import as_owner


def tenant_info(slug: str | None = None) -> TenantInfo:
    slug = slug or f"t-{uuid.uuid4().hex[:10]}"
    return TenantInfo(
        slug=slug,
        name=f"Association {slug}",
        jurisdiction="GB-ENG",
        hostnames=(f"{slug}.example.org",),
        branding=Branding(scheme_name=f"Scheme of {slug}"),
    )


async def make_tenant(db: Database, slug: str | None = None) -> Tenant:
    """As tenant loading does it: as the owner (the runtime role only reads tenants)."""
    async with as_owner(db) as owner, owner.platform() as session:
        return await upsert_tenant(session, tenant_info(slug))


async def make_member(db: Database, tenant: Tenant, name: str = "Ada") -> Member:
    async with db.tenant(tenant.id) as session:
        member = Member(
            tenant_id=tenant.id,
            email=f"{uuid.uuid4().hex[:8]}@example.org",
            display_name=name,
            roles=["mentee"],
        )
        session.add(member)
    return member
