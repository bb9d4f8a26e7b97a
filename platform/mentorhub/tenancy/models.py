"""Platform-owned tables: the tenants themselves, their hostnames, platform admins."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentorhub.db.base import PlatformOwned


class TenantStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(PlatformOwned):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=TenantStatus.ACTIVE)
    branding: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    #: Set once a tenant admin edits name/branding in the console: the file no longer does.
    branding_edited_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    domains: Mapped[list[TenantDomain]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def hostnames(self) -> list[str]:
        """The verified hostnames: the ones that route to this tenant."""
        return sorted(d.hostname for d in self.domains if d.verified_at is not None)

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class TenantDomain(PlatformOwned):
    """A hostname that serves one tenant; unique across the platform."""

    __tablename__ = "tenant_domains"

    hostname: Mapped[str] = mapped_column(String(253), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tenants.id", ondelete="CASCADE")
    )
    tenant: Mapped[Tenant] = relationship(back_populates="domains")
    #: A hostname added in the platform console routes only once verified (HTTP challenge);
    #: the tenant files' hostnames are the operator's own and count as verified.
    verify_token: Mapped[str | None] = mapped_column(String(64), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    added_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class PlatformAdmin(PlatformOwned):
    __tablename__ = "platform_admins"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlatformAuditEntry(PlatformOwned):
    """What a platform admin did (migration 0018): tenant created, hostname added/verified/
    removed, SSO stored, suspended, resumed. No tenant content, ever."""

    __tablename__ = "platform_audit"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    action: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(320))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tenants.id"), default=None
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
