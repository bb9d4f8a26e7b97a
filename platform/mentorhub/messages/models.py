"""Messages, members' mail preferences, and tenants' per-kind template overrides.

A `Message` row is written by `services.send` in the caller's transaction together with the
outbox row that delivers it; `(tenant_id, key)` is unique, so a retried action or a clock run
twice finds its message already there and writes nothing. The worker fills in `sent_at` (or
`failed_at` and `last_error`) and `attempts`, and derives the Message-ID from the tenant and
the message id.
A message addressed to a member is also that member's notification (`read_at`).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKeyConstraint, Identity, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from mentorhub.db.base import TenantOwned


class Status(enum.StrEnum):
    PENDING = "pending"  # written; not yet accepted by the SMTP server
    SENT = "sent"  # the server answered 250 to the data
    FAILED = "failed"  # a permanent error (5xx, a bad address): recorded, never retried
    SUPPRESSED = "suppressed"  # a reminder to a member who unsubscribed from reminders


class Message(TenantOwned):
    __tablename__ = "messages"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "member_id"], ["members.tenant_id", "members.id"]),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class MessagePreference(TenantOwned):
    """A member's choice about optional mail. Reminders stop while `reminders_off_at` is
    set; transactional mail (approval links, match decisions) always goes."""

    __tablename__ = "message_preferences"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "member_id"], ["members.tenant_id", "members.id"]),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    reminders_off_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class TemplateOverride(TenantOwned):
    """A tenant's own subject and body text for one kind of message, from its file's
    `[messages.<kind>]` table (validated there: known kind, known variables)."""

    __tablename__ = "message_templates"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(300), default=None)
    body: Mapped[str | None] = mapped_column(Text, default=None)
