"""Stored scheme versions (the schema is in migration 0002)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from mentorhub.db.base import TenantOwned


class SchemeVersion(TenantOwned):
    __tablename__ = "scheme_versions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(String(300))
    #: Who stored it from the console (None: a tenant file), and what it changed.
    created_by: Mapped[str | None] = mapped_column(String(320), default=None)
    summary: Mapped[str] = mapped_column(Text, default="")
