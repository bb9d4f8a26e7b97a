"""The pair's space (issue 15): agreement, goals, plan, meetings, calendar feeds, private
reflective logs, chat, documents, and each person's own state in a pair (the schema is in
migration 0016).

Tenant-owned like every table: primary key (tenant_id, id), tenant_id in every foreign key,
row-level security forced. Who may read what is the table in DESIGN.md ("Who reads what"),
enforced by every query in `pairs.access` and the services (a row's reader is always named
in the WHERE clause, never filtered afterwards in Python):

* agreement, goals, meetings, chat, documents: the two people of the pair only;
* the plan (Alberta): the pair, and the coordinator once it is submitted to them;
* a log entry: its author only; the coordinator reads it only while the author shares it;
* counts (meetings held, contact hours): the pair and the coordinator.

After a pair ends its space is read-only (the services refuse every change), and it is kept
for the scheme's `space.retention_months`, after which the content is erased (pairs.tasks).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, ForeignKeyConstraint, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

import mentorhub.pairs.models  # noqa: F401  (pairs: the FKs' target)
from mentorhub.db.base import TenantOwned

__all__ = [
    "GOAL_STATUSES",
    "MEETING_MODES",
    "MEETING_STATES",
    "Agreement",
    "CalendarFeed",
    "ChatMessage",
    "Document",
    "Goal",
    "LogEntry",
    "Meeting",
    "PairMemberState",
    "Plan",
]

GOAL_STATUSES = ("not_started", "in_progress", "achieved", "partly", "dropped")
MEETING_MODES = ("in_person", "video", "phone")
#: proposed → scheduled (the other accepted) → held (recorded) ; proposed → declined ;
#: proposed | scheduled → cancelled.
MEETING_STATES = ("proposed", "scheduled", "declined", "cancelled", "held")


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"])


def _uuid() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True))


def _uuid_or_none() -> Mapped[uuid.UUID | None]:
    return mapped_column(UUID(as_uuid=True), default=None)


class Agreement(TenantOwned):
    """One per pair: the mentoring agreement, started from the scheme's template
    (`space.agreement`). Agreed when both people have agreed the current `revision`; any
    change to the text makes a new revision, which needs both again."""

    __tablename__ = "pair_agreements"
    __table_args__ = (_fk("pair_id", "pairs"), _fk("updated_by", "members"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    pair_id: Mapped[uuid.UUID] = _uuid()
    #: [{"key", "heading", "prompt", "text"}] in the template's order.
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    mentor_agreed_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    mentor_agreed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    mentee_agreed_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    mentee_agreed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_by: Mapped[uuid.UUID | None] = _uuid_or_none()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def agreed(self) -> bool:
        return self.mentor_agreed_revision == self.revision == self.mentee_agreed_revision


class Goal(TenantOwned):
    """A development goal of the pair, within the scheme's bounds (`relationship.goals`)."""

    __tablename__ = "pair_goals"
    __table_args__ = (
        _fk("pair_id", "pairs"),
        _fk("created_by", "members"),
        _fk("updated_by", "members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    pair_id: Mapped[uuid.UUID] = _uuid()
    title: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[uuid.UUID] = _uuid()
    updated_by: Mapped[uuid.UUID | None] = _uuid_or_none()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)


class Plan(TenantOwned):
    """One per pair where the scheme has a plan (`space.plan`, Alberta's Mentorship Plan):
    the sample plan's months as the pair edits them. Submitted to the coordinator (who then
    reads it); every later change is kept in `changes` so the quarterly updates show it."""

    __tablename__ = "pair_plans"
    __table_args__ = (
        _fk("pair_id", "pairs"),
        _fk("submitted_by", "members"),
        _fk("updated_by", "members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    pair_id: Mapped[uuid.UUID] = _uuid()
    #: [{"month": 1..12, "heading", "prompt", "text"}] in the plan's order.
    months: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    #: The first and last meeting dates (Alberta: set at the start).
    first_meeting_on: Mapped[date | None] = mapped_column(Date, default=None)
    last_meeting_on: Mapped[date | None] = mapped_column(Date, default=None)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    submitted_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    submitted_by: Mapped[uuid.UUID | None] = _uuid_or_none()
    #: Changes after the first submission: [{"revision", "at", "by", "months": [1, 4]}].
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    updated_by: Mapped[uuid.UUID | None] = _uuid_or_none()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)


class Meeting(TenantOwned):
    """A meeting of the pair. Its calendar UID is derived from its id (stable for its
    life); `sequence` goes up with every change the invitation carries (RFC 5545)."""

    __tablename__ = "meetings"
    __table_args__ = (
        _fk("pair_id", "pairs"),
        _fk("proposed_by", "members"),
        _fk("answered_by", "members"),
        _fk("recorded_by", "members"),
        _fk("cancelled_by", "members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    pair_id: Mapped[uuid.UUID] = _uuid()
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    proposed_by: Mapped[uuid.UUID] = _uuid()
    answered_by: Mapped[uuid.UUID | None] = _uuid_or_none()
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: Recorded after it was held: the actual length and a short agenda / actions.
    held_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    record: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[uuid.UUID | None] = _uuid_or_none()
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    cancelled_by: Mapped[uuid.UUID | None] = _uuid_or_none()
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)


class CalendarFeed(TenantOwned):
    """A member's calendar subscription: a secret URL (only its SHA-256 is stored) listing
    all their meetings. One live feed per member; revoking it makes the old URL answer 404."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (_fk("member_id", "members"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    member_id: Mapped[uuid.UUID] = _uuid()
    #: hex SHA-256 of the secret in the URL.
    token_hash: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class LogEntry(TenantOwned):
    """A private reflective log entry: its author reads it, nobody else, ever — except the
    coordinator, while the author shares this entry with them for a review (`shared_at`)."""

    __tablename__ = "log_entries"
    __table_args__ = (
        _fk("pair_id", "pairs"),
        _fk("author_id", "members"),
        _fk("meeting_id", "meetings"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    pair_id: Mapped[uuid.UUID] = _uuid()
    author_id: Mapped[uuid.UUID] = _uuid()
    #: The meeting it reflects on, if any.
    meeting_id: Mapped[uuid.UUID | None] = _uuid_or_none()
    written_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    shared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)


class ChatMessage(TenantOwned):
    """A message between the two people of a pair (where `shared_space` lists chat)."""

    __tablename__ = "chat_messages"
    __table_args__ = (_fk("pair_id", "pairs"), _fk("author_id", "members"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    pair_id: Mapped[uuid.UUID] = _uuid()
    author_id: Mapped[uuid.UUID] = _uuid()
    body: Mapped[str] = mapped_column(Text)


class PairMemberState(TenantOwned):
    """One person's own state in one pair: when they last read the chat (unread counts) and
    when they were last mailed about new chat messages (at most once an hour)."""

    __tablename__ = "pair_member_states"
    __table_args__ = (_fk("pair_id", "pairs"), _fk("member_id", "members"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    pair_id: Mapped[uuid.UUID] = _uuid()
    member_id: Mapped[uuid.UUID] = _uuid()
    chat_read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    chat_mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Document(TenantOwned):
    """A file shared in a pair's space. The bytes are in the storage (`pairs.storage`: a
    directory on the embedded default, S3-compatible storage in production) under
    `storage_key`; the row says what they are. `removed_at`: taken down by the uploader
    (the bytes are deleted; the row stays for the history)."""

    __tablename__ = "documents"
    __table_args__ = (
        _fk("pair_id", "pairs"),
        _fk("uploaded_by", "members"),
        _fk("removed_by", "members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    pair_id: Mapped[uuid.UUID] = _uuid()
    uploaded_by: Mapped[uuid.UUID] = _uuid()
    filename: Mapped[str] = mapped_column(Text)
    #: What the bytes are (sniffed, not what the browser said).
    content_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(Text)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    removed_by: Mapped[uuid.UUID | None] = _uuid_or_none()
