"""The embedded default's demo data: a platform admin and, in every tenant, one member per
demo role (the demo identity provider lists them to sign in as). Never used in production.

It lives outside `mentorhub.tenancy` because it creates identity rows: tenancy stays below
identity (identity imports tenancy, never the other way round)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from mentorhub.db import Database
from mentorhub.identity.models import Member, Role
from mentorhub.tenancy.models import PlatformAdmin, Tenant

PLATFORM_ADMIN_EMAIL = "platform.admin@mentorhub.localhost"


@dataclass(frozen=True)
class DemoMember:
    key: str
    display_name: str
    roles: tuple[str, ...]


DEMO_MEMBERS = (
    DemoMember("admin", "Tess Admin", (Role.TENANT_ADMIN,)),
    DemoMember("coordinator", "Cora Coordinator", (Role.COORDINATOR,)),
    DemoMember("mentor1", "Morgan Mentor", (Role.MENTOR,)),
    DemoMember("mentor2", "Mina Mentor", (Role.MENTOR,)),
    DemoMember("mentee1", "Eli Mentee", (Role.MENTEE,)),
    DemoMember("mentee2", "Esme Mentee", (Role.MENTEE,)),
)


def demo_email(slug: str, key: str) -> str:
    return f"{key}@{slug}.localhost"


async def seed_demo_members(db: Database, tenants: list[Tenant]) -> None:
    """Idempotent: a restart adds nobody twice."""
    async with db.platform() as session:
        admin = (
            await session.execute(
                select(PlatformAdmin).where(PlatformAdmin.email == PLATFORM_ADMIN_EMAIL)
            )
        ).scalar_one_or_none()
        if admin is None:
            session.add(
                PlatformAdmin(
                    id=uuid.uuid4(), email=PLATFORM_ADMIN_EMAIL, display_name="Pat Platform"
                )
            )
    for tenant in tenants:
        async with db.tenant(tenant.id) as session:
            existing = set((await session.execute(select(Member.email))).scalars())
            for demo in DEMO_MEMBERS:
                email = demo_email(tenant.slug, demo.key)
                if email not in existing:
                    session.add(
                        Member(
                            tenant_id=tenant.id,
                            email=email,
                            display_name=demo.display_name,
                            roles=list(demo.roles),
                        )
                    )
