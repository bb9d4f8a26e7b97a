"""What the identity pages read, one short transaction each, so views never touch models."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.identity.approvals import open_link
from mentorhub.identity.models import ApprovalRequest, Member
from mentorhub.tenancy.models import PlatformAdmin


async def member(db: Database, tenant_id: uuid.UUID, member_id: str | None) -> Member | None:
    async with db.tenant(tenant_id) as session:
        try:
            return await get_in_tenant(session, Member, member_id or "", what="member")
        except NotFound:
            return None


async def approval(
    db: Database, tenant_id: uuid.UUID, secret_key: str, token: str
) -> ApprovalRequest:
    """The request a link names (LinkProblem when the link is not good here)."""
    async with db.tenant(tenant_id) as session:
        return await open_link(session, secret_key, token)


async def platform_admin(db: Database, email: str) -> PlatformAdmin | None:
    async with db.platform() as session:
        found = await session.execute(
            select(PlatformAdmin).where(func.lower(PlatformAdmin.email) == email.lower())
        )
        return found.scalar_one_or_none()
