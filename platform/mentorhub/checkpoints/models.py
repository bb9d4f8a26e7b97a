"""Checkpoint items and the coordinator's tasks (the schema is in migration 0017).

Tenant-owned like every table: primary key (tenant_id, id), tenant_id in every foreign key,
row-level security forced. Who reads what (DESIGN.md): an item's answers are read by the
person who answered, by the other person of the pair only for a pair item (written
together), and by the coordinator when the checkpoint's readers name the coordinator; a
Quarterly Update's text goes beyond the coordinator only with `share_permission`.

An item's life: upcoming → open (its window started; mailed) → submitted (by whom, when) →
reviewed (by the coordinator), or missed (not submitted in time), or cancelled (the pair's
dates no longer hold it: an early end, a removal). `next_at` is when the clock must next
look at it (open, a reminder, missed); NULL once nothing more is due. `step` counts the
clock's steps already done for it (see `checkpoints.schedule`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

import mentorhub.pairs.models  # noqa: F401  (pairs: the FKs' target)
from mentorhub.db.base import TenantOwned

__all__ = [
    "AUDIENCES",
    "ITEM_STATES",
    "TASK_KINDS",
    "TASK_STATES",
    "WAITING",
    "CheckpointItem",
    "CoordinatorTask",
]

ITEM_STATES = ("upcoming", "open", "submitted", "reviewed", "missed", "cancelled")
#: States in which an item still waits for its audience.
WAITING = ("upcoming", "open")
AUDIENCES = ("pair", "each", "mentor", "mentee", "coordinator")
TASK_KINDS = ("checkpoint", "quiet_pair")
TASK_STATES = ("open", "done", "cancelled")


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"])


def _uuid_or_none() -> Mapped[uuid.UUID | None]:
    return mapped_column(UUID(as_uuid=True), default=None)


class CheckpointItem(TenantOwned):
    __tablename__ = "checkpoint_items"
    __table_args__ = (
        _fk("pair_id", "pairs"),
        _fk("member_id", "members"),
        _fk("submitted_by", "members"),
        _fk("reviewed_by", "members"),
        ForeignKeyConstraint(
            ["tenant_id", "scheme_version"],
            ["scheme_versions.tenant_id", "scheme_versions.version"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    pair_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    #: The person who answers (audience each / mentor / mentee); None for a pair item
    #: (either person answers once for both) and a coordinator item (a task).
    member_id: Mapped[uuid.UUID | None] = _uuid_or_none()
    checkpoint: Mapped[str] = mapped_column(String(64))
    #: Which occurrence: "" (one-off), "YYYY-MM" (first business day of a month), the held
    #: meeting's "YYYY-MM-DD" (after each meeting; "-2", "-3" for a second one that day).
    slot: Mapped[str] = mapped_column(String(32), default="")
    scheme_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(16))
    #: Who may read the answers besides the person answering (the checkpoint's `readers`,
    #: copied when the item is made: "pair", "coordinator", ...), so queries can filter on it.
    readers: Mapped[list[str]] = mapped_column(ARRAY(String(16)), default=list)
    due_on: Mapped[date] = mapped_column(Date)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="upcoming")
    next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    step: Mapped[int] = mapped_column(SmallInteger, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    submitted_by: Mapped[uuid.UUID | None] = _uuid_or_none()
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    share_permission: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    reviewed_by: Mapped[uuid.UUID | None] = _uuid_or_none()
    review_note: Mapped[str] = mapped_column(Text, default="")
    missed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)


class CoordinatorTask(TenantOwned):
    __tablename__ = "coordinator_tasks"
    __table_args__ = (
        _fk("pair_id", "pairs"),
        _fk("item_id", "checkpoint_items"),
        _fk("done_by", "members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    #: Idempotency: "task:item:<item id>", "task:quiet:<pair id>:<last activity date>".
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    pair_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    item_id: Mapped[uuid.UUID | None] = _uuid_or_none()
    title: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="open")
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    done_by: Mapped[uuid.UUID | None] = _uuid_or_none()
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
