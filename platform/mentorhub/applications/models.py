"""Cohorts, recruitment windows, applications and what eligibility reads (the schema is in
migration 0011).

Every table is tenant-owned: primary key (tenant_id, id), tenant_id in every foreign key,
row-level security forced. Members, approval requests and scheme versions are identity's and
the scheme engine's tables; these only point at them.

* A cohort runs under one stored scheme version (`scheme_version`, the version number).
* A recruitment window is one role's application period in one cohort (mentors before
  mentees); the coordinator may close it early (`closed_at`, `closed_by`).
* An application is one member's for one role in one cohort; at most one that is not
  withdrawn per (cohort, member, role) (a partial unique index). `lock_version` goes up with
  every change, so a replayed or concurrent form post that carries an older version changes
  nothing. `search_text` (applicant's name and e-mail, lower case) is what the coordinator's
  queue searches.
* Interviews and their notes are for coordinators and tenant admins only.
* Partner organisations (Advice Skills Academy) are the tenant admin's list; training records
  and board ratifications are recorded facts eligibility reads.
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
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

import mentorhub.identity.models  # (members, approval_requests: the FKs' targets)
import mentorhub.schemes.models  # noqa: F401  (scheme_versions: the FK target)
from mentorhub.applications.states import State
from mentorhub.db.base import TenantOwned

__all__ = [
    "Application",
    "BoardRatification",
    "Cohort",
    "Interview",
    "PartnerOrganisation",
    "RecruitmentWindow",
    "TrainingRecord",
]


def _member_fk(column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", column], ["members.tenant_id", "members.id"])


class Cohort(TenantOwned):
    __tablename__ = "cohorts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "scheme_version"],
            ["scheme_versions.tenant_id", "scheme_versions.version"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: The stored scheme version (its number) the cohort's applications and pairs run under.
    scheme_version: Mapped[int] = mapped_column(Integer)


class RecruitmentWindow(TenantOwned):
    __tablename__ = "recruitment_windows"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "cohort_id"], ["cohorts.tenant_id", "cohorts.id"]),
        _member_fk("closed_by"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    cohort_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    role: Mapped[str] = mapped_column(String(16))
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Set when the coordinator closed the window before `closes_at`.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    closed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)

    def is_open(self, now: datetime) -> bool:
        end = min(self.closes_at, self.closed_at) if self.closed_at else self.closes_at
        return self.opens_at <= now < end


class Application(TenantOwned):
    __tablename__ = "applications"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "cohort_id"], ["cohorts.tenant_id", "cohorts.id"]),
        _member_fk("member_id"),
        ForeignKeyConstraint(
            ["tenant_id", "approval_request_id"],
            ["approval_requests.tenant_id", "approval_requests.id"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    cohort_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    member_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    role: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32), default=State.DRAFT)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    #: What is outstanding while awaiting approval: line_manager, board_ratification, training.
    waiting_for: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    #: The eligibility rule that failed, and what the applicant reads about it.
    ineligible_rule: Mapped[str | None] = mapped_column(String(64), default=None)
    ineligible_reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: 1 = first in line, per cohort and role.
    waitlist_rank: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Offered priority in the next intake (Alberta's "reapply next year").
    priority_next_intake: Mapped[bool] = mapped_column(Boolean, default=False)
    feedback: Mapped[str | None] = mapped_column(Text, default=None)
    feedback_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    approval_request_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    #: Set when something needs the coordinator's eye (an accepted member's membership lapsed).
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    flag_reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: Goes up by one with every change (double-submit and concurrent-edit protection).
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    #: The applicant's name and e-mail in lower case, for the coordinator's search.
    search_text: Mapped[str] = mapped_column(Text, default="")


class Interview(TenantOwned):
    """One application's interview; its notes are for coordinators and tenant admins only."""

    __tablename__ = "interviews"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "application_id"], ["applications.tenant_id", "applications.id"]
        ),
        _member_fk("recorded_by"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    format: Mapped[str] = mapped_column(String(16))
    held_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)


class PartnerOrganisation(TenantOwned):
    __tablename__ = "partner_organisations"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TrainingRecord(TenantOwned):
    """A member completed a training (`kind`: mentor, mentee or joint)."""

    __tablename__ = "training_records"
    __table_args__ = (_member_fk("member_id"), _member_fk("recorded_by"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    member_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(16))
    completed_on: Mapped[date] = mapped_column(Date)
    #: coordinator (recorded by hand) or import (a CSV)
    source: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)


class BoardRatification(TenantOwned):
    """The board ratified a member (Alberta), recorded by the tenant admin."""

    __tablename__ = "board_ratifications"
    __table_args__ = (_member_fk("member_id"), _member_fk("recorded_by"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    member_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    ratified_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
