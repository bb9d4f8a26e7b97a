"""Helpers for applications: a tenant running one of the five reference schemes (stored as
its version, as tenant loading does), members, a cohort with open windows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from mentorhub.applications.models import Cohort, RecruitmentWindow
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.schemes.loader import load_tenant
from mentorhub.schemes.rules import Scheme
from mentorhub.schemes.services import store_version
from mentorhub.tenancy.models import Tenant
from tests.foundation.helpers import make_tenant


@dataclass
class World:
    tenant: Tenant
    scheme: Scheme
    cohort: Cohort
    coordinator: Member


async def add_member(
    db: Database,
    tenant: Tenant,
    name: str = "Ada",
    *,
    roles: tuple[str, ...] = ("mentee",),
    status: str | None = "active",
    ratified_on: date | None = None,
) -> Member:
    async with db.tenant(tenant.id) as session:
        member = Member(
            tenant_id=tenant.id,
            id=uuid.uuid4(),
            email=f"{name.lower().replace(' ', '.')}.{uuid.uuid4().hex[:6]}@example.org",
            display_name=name,
            roles=list(roles),
            membership_status=status,
            membership_source="roster" if status else None,
            ratified_on=ratified_on,
        )
        session.add(member)
    return member


async def make_world(db: Database, slug: str, *, windows_open: bool = True) -> World:
    """A tenant with `slug`'s scheme stored, a coordinator, and a cohort whose windows for
    both roles are open now (or opened in the past and closed, with windows_open=False)."""
    tenant = await make_tenant(db)
    scheme = load_tenant(slug).scheme
    now = datetime.now(UTC)
    async with db.tenant(tenant.id) as session:
        await store_version(session, scheme, f"{slug}.toml")
        cohort = Cohort(
            tenant_id=tenant.id,
            id=uuid.uuid4(),
            name="2027 intake",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            scheme_version=scheme.version,
        )
        session.add(cohort)
        await session.flush()
        for role in ("mentor", "mentee"):
            opens = now - timedelta(days=10)
            session.add(
                RecruitmentWindow(
                    tenant_id=tenant.id,
                    id=uuid.uuid4(),
                    cohort_id=cohort.id,
                    role=role,
                    opens_at=opens,
                    closes_at=now + timedelta(days=30) if windows_open else now - timedelta(days=1),
                )
            )
    coordinator = await add_member(db, tenant, "Coral Coordinator", roles=("coordinator",))
    return World(tenant, scheme, cohort, coordinator)
