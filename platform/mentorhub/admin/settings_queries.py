"""What the tenant admin's settings and coordinators pages read, in the caller's tenant
session (the ORM adds the tenant to each tenant-owned table; row-level security holds too).

* `settings_of`: the form's values — the association's name and colours from its `tenants`
  row (read afresh here, not from the routing's one-second snapshot), the contact addresses
  from its `tenant_profiles` row (none yet: the tenant file's contact e-mail, empty rest).
* `logo_of`: the stored logo by its SHA-256 (the public `/logo/<sha>` address).
* `coordinators`: the members holding the coordinator role, each with the cohorts they run
  (none listed: every cohort), and the tenant's cohorts to choose from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import any_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from mentorhub.admin.models import CoordinatorScope, TenantProfile
from mentorhub.applications.models import Cohort
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.tenancy.models import Tenant

__all__ = [
    "CohortOption",
    "CoordinatorRow",
    "SettingsFields",
    "SettingsView",
    "cohort_options",
    "coordinators",
    "is_coordinator",
    "logo_of",
    "profile_for_update",
    "settings_of",
    "tenant_row",
]

DEFAULT_PRIMARY = "#1f4e79"
DEFAULT_ACCENT = "#c2410c"


@dataclass(frozen=True)
class SettingsFields:
    """The settings form's fields: what the page shows (`SettingsView`) and what a save
    stores (`settings_services.SettingsChange`)."""

    name: str
    scheme_name: str
    primary_color: str
    accent_color: str
    contact_email: str
    contact_phone: str
    privacy_email: str
    help_url: str
    lock_version: int

    def form_values(self) -> dict[str, Any]:
        """The form's fields as the page shows them."""
        return {f.name: getattr(self, f.name) for f in fields(SettingsFields)}


@dataclass(frozen=True)
class SettingsView(SettingsFields):
    """The settings page's values: the form's and the stored logo's."""

    logo_sha: str | None
    logo_type: str | None


async def tenant_row(session: AsyncSession) -> Tenant:
    """The session's tenant's row, read afresh (`populate_existing`)."""
    query = (
        select(Tenant)
        .where(Tenant.id == current_tenant(session))
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one()


async def profile_for_update(session: AsyncSession) -> TenantProfile | None:
    """The tenant's profile row locked FOR UPDATE (None: there is none yet), logo bytes
    left unread."""
    query = (
        select(TenantProfile)
        .options(defer(TenantProfile.logo))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def settings_of(session: AsyncSession) -> SettingsView:
    """The settings form's current values (two primary-key reads)."""
    tenant = await tenant_row(session)
    branding: dict[str, Any] = dict(tenant.branding or {})
    profile = (
        await session.execute(select(TenantProfile).options(defer(TenantProfile.logo)))
    ).scalar_one_or_none()
    return SettingsView(
        name=tenant.name,
        scheme_name=str(branding.get("scheme_name") or tenant.name),
        primary_color=str(branding.get("primary_color") or DEFAULT_PRIMARY),
        accent_color=str(branding.get("accent_color") or DEFAULT_ACCENT),
        contact_email=(
            profile.contact_email if profile else str(branding.get("contact_email") or "")
        ),
        contact_phone=profile.contact_phone if profile else "",
        privacy_email=profile.privacy_email if profile else "",
        help_url=profile.help_url if profile else "",
        logo_sha=profile.logo_sha if profile else None,
        logo_type=profile.logo_type if profile else None,
        lock_version=profile.lock_version if profile else 0,
    )


async def logo_of(session: AsyncSession, sha: str) -> tuple[bytes, str] | None:
    """The logo whose SHA-256 is `sha` (its bytes and content type), or None."""
    row = (
        await session.execute(
            select(TenantProfile.logo, TenantProfile.logo_type).where(
                TenantProfile.logo_sha == sha, TenantProfile.logo.is_not(None)
            )
        )
    ).one_or_none()
    if row is None or row[0] is None or row[1] is None:
        return None
    return bytes(row[0]), str(row[1])


# --- coordinators ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortOption:
    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class CoordinatorRow:
    member_id: uuid.UUID
    name: str
    email: str
    #: The cohorts they run, by name; empty: every cohort.
    cohorts: list[CohortOption] = field(default_factory=list)

    @property
    def cohort_ids(self) -> list[str]:
        return [str(c.id) for c in self.cohorts]


_IS_COORDINATOR = literal(Role.COORDINATOR.value) == any_(Member.roles)


async def cohort_options(session: AsyncSession) -> list[CohortOption]:
    """The tenant's cohorts, newest first."""
    rows = await session.execute(
        select(Cohort.id, Cohort.name).order_by(Cohort.starts_on.desc(), Cohort.name, Cohort.id)
    )
    return [CohortOption(*r) for r in rows.all()]


async def is_coordinator(session: AsyncSession, member_id: uuid.UUID, *, lock: bool) -> Member:
    """The member if they hold the coordinator role (and are not erased); LookupError for
    anyone else. `lock`: FOR UPDATE on their row (a scope change)."""
    query = select(Member).where(
        Member.id == member_id, _IS_COORDINATOR, Member.erased_at.is_(None)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise LookupError("coordinator")
    return found


async def coordinators(session: AsyncSession) -> list[CoordinatorRow]:
    """Every member with the coordinator role, by name, with the cohorts each runs (two
    statements: the members, then every scope row with its cohort's name)."""
    members = (
        await session.execute(
            select(Member.id, Member.display_name, Member.email)
            .where(_IS_COORDINATOR, Member.erased_at.is_(None))
            .order_by(Member.display_name, Member.email, Member.id)
        )
    ).all()
    scopes: dict[uuid.UUID, list[CohortOption]] = {}
    rows = await session.execute(
        select(CoordinatorScope.member_id, Cohort.id, Cohort.name)
        .join(Cohort, Cohort.id == CoordinatorScope.cohort_id)
        .order_by(Cohort.starts_on.desc(), Cohort.name, Cohort.id)
    )
    for member_id, cohort_id, cohort_name in rows.all():
        scopes.setdefault(member_id, []).append(CohortOption(cohort_id, cohort_name))
    return [
        CoordinatorRow(member_id, name, email, scopes.get(member_id, []))
        for member_id, name, email in members
    ]
