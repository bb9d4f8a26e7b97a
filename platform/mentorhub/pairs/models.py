"""A pair: one mentor and one mentee in one cohort (the schema is in migration 0014).

Tenant-owned like every table: primary key (tenant_id, id), tenant_id in every foreign key,
row-level security forced.

* How it was made: `flow` (suggest_and_accept, mutual_acceptance, coordinator), and the
  thing that made it — the coordinator's published run (`run_id`), the mentee's request
  (`request_id`) or the coordinator's proposal (`proposal_id`) — with the engine's `score`
  and `explanation` (each criterion's contribution, as the engine gave it on the day: a
  later scheme version may score the pair differently, the record keeps what was shown).
* State: active → extended → ended. `end_kind` says how it ended: completed, ended_early (by
  either party, where the scheme allows) or removed (by the coordinator, with a reason).
* At most one live (not ended) pair per (mentor, mentee), and per mentee application (a
  mentee in a cohort has one mentor): partial unique indexes, so two flows racing cannot
  pair the same people twice.

The timeline (meetings expected, checkpoints due, official end) is NOT stored: it is
recomputed on read by mentorhub.schemes.timeline from the pair's stored scheme version,
`matched_on`, the cohort's start and `extensions`. Why: the stored scheme version is
immutable, so the recomputation gives the same dates every time (the engine is pure and
deterministic); storing it would copy a derived list that could drift from its inputs (an
extension, a meeting held, an agreed cadence all move it) and would need rewriting on each
of those, and the computation costs well under a millisecond per pair. What is stored is
exactly the facts the timeline is computed from.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

import mentorhub.applications.models  # (cohorts, applications: the FKs' targets)
import mentorhub.matching.models  # noqa: F401  (runs, requests, proposals: the FKs' targets)
from mentorhub.db.base import TenantOwned

__all__ = ["Pair"]

FLOWS = ("suggest_and_accept", "mutual_acceptance", "coordinator")
STATES = ("active", "extended", "ended")
END_KINDS = ("completed", "ended_early", "removed")
LIVE_STATES = ("active", "extended")


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"])


class Pair(TenantOwned):
    __tablename__ = "pairs"
    __table_args__ = (
        _fk("cohort_id", "cohorts"),
        ForeignKeyConstraint(
            ["tenant_id", "scheme_version"],
            ["scheme_versions.tenant_id", "scheme_versions.version"],
        ),
        _fk("mentor_id", "members"),
        _fk("mentee_id", "members"),
        _fk("mentor_application_id", "applications"),
        _fk("mentee_application_id", "applications"),
        _fk("run_id", "matching_runs"),
        _fk("request_id", "match_requests"),
        _fk("proposal_id", "match_proposals"),
        _fk("created_by", "members"),
        _fk("ended_by", "members"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    cohort_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    #: The stored scheme version (its number) the pair runs under: its timeline's rules.
    scheme_version: Mapped[int] = mapped_column(Integer)
    mentor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    mentee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    mentor_application_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), default=None
    )
    mentee_application_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), default=None
    )
    #: The match date: the timeline's anchor.
    matched_on: Mapped[date] = mapped_column(Date)
    flow: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    request_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    score: Mapped[float | None] = mapped_column(Float, default=None)
    #: The engine's contributions: [{"criterion", "kind", "points", "detail"}].
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    state: Mapped[str] = mapped_column(String(16), default="active")
    end_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    ended_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    end_reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: The official end after the latest extension (None: never extended).
    extended_until: Mapped[date | None] = mapped_column(Date, default=None)
    #: The extensions the timeline reads: [{"agreed_on": "YYYY-MM-DD", "months": n}].
    extensions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    #: An extension one person proposed and the other has not yet agreed:
    #: {"by": member id, "months": n, "at": ISO time} (None: nothing pending).
    pending_extension: Mapped[dict[str, Any] | None] = mapped_column(JSONB, default=None)
    #: Goes up with every change (a replayed or concurrent post changes nothing).
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    #: True: the pair's checkpoint items must be (re)computed from its timeline by the
    #: clock (set on a new pair, an extension, an end, a meeting held; migration 0017).
    items_stale: Mapped[bool] = mapped_column(Boolean, default=True)
    #: When the clock next looks whether the pair has gone quiet, and how far its nudges
    #: went (0: none, 1: the pair was nudged, 2: on the coordinator's list).
    quiet_next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    quiet_stage: Mapped[int] = mapped_column(SmallInteger, default=0)

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES
