"""Loading the tenant files, and the demo members of the embedded default."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from mentorhub.db import Database
from mentorhub.identity.models import Member, Role
from mentorhub.schemes import SchemeError, TenantFile, load_tenant_file
from mentorhub.schemes.services import store_version
from mentorhub.tenancy.errors import TenantFilesError
from mentorhub.tenancy.models import PlatformAdmin, Tenant
from mentorhub.tenancy.services import upsert_tenant

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


def read_tenant_dir(tenants_dir: Path) -> list[TenantFile]:
    """Validate every file first, so a bad one is reported with all the others' problems
    and nothing is loaded."""
    paths = sorted(tenants_dir.glob("*.toml"))
    if not paths:
        raise TenantFilesError(f"{tenants_dir}: no tenant files (*.toml)")
    files: list[TenantFile] = []
    problems: list[str] = []
    for path in paths:
        try:
            files.append(load_tenant_file(path))
        except SchemeError as exc:
            problems.extend(str(p) for p in exc.problems)
    if problems:
        raise TenantFilesError("\n".join(problems))
    return files


async def load_tenants(
    db: Database, tenants_dir: Path, *, files: list[TenantFile] | None = None
) -> list[Tenant]:
    """Create or update every tenant in `tenants_dir` (or the `files` already read from it)
    and store its scheme version. Each tenant's work is one transaction, and nothing starts
    until every file is valid."""
    files = files if files is not None else read_tenant_dir(tenants_dir)
    async with db.platform() as session:
        tenants = [await upsert_tenant(session, f.tenant) for f in files]
    for tenant, file in zip(tenants, files, strict=True):
        async with db.tenant(tenant.id) as session:
            try:
                await store_version(session, file.scheme, file.path)
            except SchemeError as exc:
                raise TenantFilesError("\n".join(str(p) for p in exc.problems)) from None
    return tenants


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
