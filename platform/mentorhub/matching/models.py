"""The matching flows' records (the schema is in migration 0014); the engine itself
(input, scoring, vector, suggest, cohort) is pure and imports none of this.

Every table is tenant-owned: primary key (tenant_id, id), tenant_id in every foreign key,
row-level security forced.

* `MentorCapacity`: one mentor's places in one cohort — declared on the application (the
  capacity question) or the scheme's `capacity_default` — and whether the mentor is
  unavailable (holiday, full) until a date, which hides them from suggestions without
  touching their profile or application. It is also the lock every pair creation takes
  (SELECT … FOR UPDATE) so the last place cannot be given twice (pairs.services).
* `MatchRequest` (suggest and accept, AHEP): a mentee's ranked choices (up to three mentor
  ids), the one being asked now (`choice_index`, `mentor_id`), the reasons the mentor reads,
  when the current ask expires and whether its mentor was reminded. On a decline or an
  expiry the request passes to the next choice; `outcomes` keeps each past choice's answer
  and `declined_by` the mentors who declined (never suggested to this mentee again). At most
  one open request per mentee (partial unique index).
* `MatchProposal` (mutual acceptance, Arts Marketing Association): the coordinator proposes
  a mentor and a mentee; each answers (accept, or decline with a reason); the pair starts
  only when both accept. At most one open proposal per mentee.
* `MatchingRun` (coordinator matching): one computation of the exact cohort assignment over
  a cohort's accepted applicants, kept as a draft to compare, edit (pins, forbids) and re-run;
  `fingerprint` digests every input the result depends on (the applicants, their answers'
  versions, capacities, conflicts, pins, forbids), and `inputs` keeps what it was made of so
  a refused publication can say what changed. At most one published run per cohort.
* `ConflictOfInterest`: a mentee must never be matched with a mentor — declared by an
  applicant or added by the coordinator (Museums Association). Every flow reads them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKeyConstraint, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

import mentorhub.applications.models  # noqa: F401  (cohorts, applications: the FKs' targets)
from mentorhub.db.base import TenantOwned

__all__ = [
    "ConflictOfInterest",
    "MatchProposal",
    "MatchRequest",
    "MatchingRun",
    "MentorCapacity",
]

REQUEST_STATES = ("open", "accepted", "declined", "expired", "withdrawn")
PROPOSAL_STATES = ("proposed", "accepted", "declined", "withdrawn")
ANSWERS = ("accepted", "declined")
RUN_STATES = ("draft", "published", "superseded")
UNAVAILABLE_REASONS = ("holiday", "full", "other")
CAPACITY_SOURCES = ("declared", "scheme_default", "coordinator")
CONFLICT_SOURCES = ("applicant", "coordinator")
MAX_CHOICES = 3


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"])


class MentorCapacity(TenantOwned):
    __tablename__ = "mentor_capacities"
    __table_args__ = (
        _fk("cohort_id", "cohorts"),
        _fk("mentor_id", "members"),
        _fk("application_id", "applications"),
        _fk("updated_by", "members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    cohort_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    mentor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    application_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    #: The most mentees the mentor takes in this cohort (live pairs count against it).
    capacity: Mapped[int] = mapped_column(Integer)
    #: declared (the application's answer), scheme_default, coordinator (changed by hand)
    source: Mapped[str] = mapped_column(String(16))
    unavailable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Unavailable until this date (inclusive); None with `unavailable`: until they say so.
    unavailable_until: Mapped[date | None] = mapped_column(Date, default=None)
    unavailable_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    def available_on(self, day: date) -> bool:
        if not self.unavailable:
            return True
        return self.unavailable_until is not None and day > self.unavailable_until


class MatchRequest(TenantOwned):
    __tablename__ = "match_requests"
    __table_args__ = (
        _fk("cohort_id", "cohorts"),
        _fk("mentee_id", "members"),
        _fk("mentee_application_id", "applications"),
        _fk("mentor_id", "members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    cohort_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    mentee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    mentee_application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    #: The mentee's ranked mentor (member) ids, best first, 1 to 3.
    choices: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    #: Which choice is asked now (0-based); `mentor_id` is choices[choice_index].
    choice_index: Mapped[int] = mapped_column(Integer, default=0)
    mentor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    #: What the mentee wrote; the mentor reads it.
    reasons: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="open")
    #: When the current choice's ask lapses (the scheme's response time after it was sent).
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The current choice's mentor was reminded (once) at this time.
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    #: The last decline's reason (what the mentee is told).
    decline_reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: Mentors who declined this mentee through this request.
    declined_by: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    #: Each past choice: [{"mentor", "outcome": declined|expired, "reason", "at"}].
    outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)


class MatchProposal(TenantOwned):
    __tablename__ = "match_proposals"
    __table_args__ = (
        _fk("cohort_id", "cohorts"),
        _fk("mentor_id", "members"),
        _fk("mentee_id", "members"),
        _fk("mentor_application_id", "applications"),
        _fk("mentee_application_id", "applications"),
        _fk("proposed_by", "members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    cohort_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    mentor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    mentee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    mentor_application_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), default=None
    )
    mentee_application_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), default=None
    )
    proposed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    score: Mapped[float | None] = mapped_column(Float, default=None)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    mentor_answer: Mapped[str | None] = mapped_column(String(16), default=None)
    mentor_reason: Mapped[str | None] = mapped_column(Text, default=None)
    mentor_answered_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    mentee_answer: Mapped[str | None] = mapped_column(String(16), default=None)
    mentee_reason: Mapped[str | None] = mapped_column(Text, default=None)
    mentee_answered_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)


class MatchingRun(TenantOwned):
    __tablename__ = "matching_runs"
    __table_args__ = (
        _fk("cohort_id", "cohorts"),
        _fk("created_by", "members"),
        _fk("published_by", "members"),
        ForeignKeyConstraint(
            ["tenant_id", "scheme_version"],
            ["scheme_versions.tenant_id", "scheme_versions.version"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    cohort_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    scheme_version: Mapped[int] = mapped_column(Integer)
    #: 1, 2, … per cohort: what the coordinator calls "run 3".
    number: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    #: sha256 of the inputs below (hex); publishing recomputes it and refuses on a change.
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: What the run was made of: {"mentees": {application id: [member id, lock_version]},
    #: "mentors": {…: [member id, lock_version, capacity, assigned]}, "conflicts": [[a, b]]}.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    #: [{"mentee": application id, "mentor": application id}]
    pins: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    forbids: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    #: {"pairs": [{"mentee", "mentor", "score", "pinned", "explanation"}],
    #:  "unmatched": [{"mentee", "reason"}]} — ids are application ids.
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    pairs_count: Mapped[int] = mapped_column(Integer, default=0)
    unmatched_count: Mapped[int] = mapped_column(Integer, default=0)
    total_score: Mapped[float] = mapped_column(Float, default=0.0)
    #: How long the engine took (ms), for the coordinator's page and the benchmark.
    compute_ms: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    published_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class ConflictOfInterest(TenantOwned):
    __tablename__ = "conflicts_of_interest"
    __table_args__ = (
        _fk("mentee_id", "members"),
        _fk("mentor_id", "members"),
        _fk("recorded_by", "members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    mentee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    mentor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    #: applicant (declared on their application) or coordinator (added by hand)
    source: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
