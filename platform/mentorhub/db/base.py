"""Declarative models. The schema itself comes only from the Alembic migrations; these
classes map it. Tenant-owned models inherit `TenantOwned`: primary key `(tenant_id, id)`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class PlatformOwned(Base):
    """Tables the platform owns (tenants, their domains, platform admins): no tenant_id."""

    __abstract__ = True


class TenantOwned(Base):
    """Rows that belong to one tenant. The session adds `tenant_id = <current>` to every
    ORM query on these, and row-level security filters them again in the database."""

    __abstract__ = True

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
