"""Matching flows and pairs (issue 14): mentor capacities, match requests (suggest and
accept), proposals (mutual acceptance), matching runs (coordinator), conflicts of interest,
pairs.

Every table is tenant-owned: primary key (tenant_id, id), tenant_id in every foreign key,
row-level security forced, and the runtime role granted only what the actions do (nothing is
ever deleted except a conflict of interest recorded by mistake).

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from mentorhub.db.rls import protect_tenant_table

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _tenant_id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id"), primary_key=True)


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", UUID(as_uuid=True), primary_key=True)


def _uuid(name: str, *, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, UUID(as_uuid=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], name=f"{table}_{column}_fk"
    )


def _scheme_version_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "scheme_version"],
        ["scheme_versions.tenant_id", "scheme_versions.version"],
        name=f"{table}_scheme_version_fk",
    )


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "mentor_capacities",
        _tenant_id(),
        _id(),
        _uuid("cohort_id", nullable=False),
        _uuid("mentor_id", nullable=False),
        _uuid("application_id"),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("unavailable", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("unavailable_until", sa.Date),
        sa.Column("unavailable_reason", sa.String(16)),
        _uuid("updated_by"),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        _created_at(),
        _fk("mentor_capacities", "cohort_id", "cohorts"),
        _fk("mentor_capacities", "mentor_id", "members"),
        _fk("mentor_capacities", "application_id", "applications"),
        _fk("mentor_capacities", "updated_by", "members"),
        sa.UniqueConstraint("tenant_id", "cohort_id", "mentor_id", name="mentor_capacities_one"),
        sa.CheckConstraint("capacity >= 0", name="mentor_capacities_capacity_not_negative"),
        sa.CheckConstraint(
            _in("source", ("declared", "scheme_default", "coordinator")),
            name="mentor_capacities_source_known",
        ),
        sa.CheckConstraint(
            "unavailable_reason IS NULL OR "
            + _in("unavailable_reason", ("holiday", "full", "other")),
            name="mentor_capacities_reason_known",
        ),
        sa.CheckConstraint(
            "unavailable OR (unavailable_until IS NULL AND unavailable_reason IS NULL)",
            name="mentor_capacities_available_has_no_until",
        ),
    )
    op.create_index("mentor_capacities_by_mentor", "mentor_capacities", ["tenant_id", "mentor_id"])
    protect_tenant_table("mentor_capacities", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "conflicts_of_interest",
        _tenant_id(),
        _id(),
        _uuid("mentee_id", nullable=False),
        _uuid("mentor_id", nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _uuid("recorded_by"),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        _created_at(),
        _fk("conflicts_of_interest", "mentee_id", "members"),
        _fk("conflicts_of_interest", "mentor_id", "members"),
        _fk("conflicts_of_interest", "recorded_by", "members"),
        sa.UniqueConstraint(
            "tenant_id", "mentee_id", "mentor_id", name="conflicts_of_interest_one"
        ),
        sa.CheckConstraint("mentee_id <> mentor_id", name="conflicts_of_interest_two_people"),
        sa.CheckConstraint(
            _in("source", ("applicant", "coordinator")), name="conflicts_of_interest_source_known"
        ),
    )
    op.create_index(
        "conflicts_of_interest_by_mentor", "conflicts_of_interest", ["tenant_id", "mentor_id"]
    )
    protect_tenant_table("conflicts_of_interest", privileges="SELECT, INSERT, DELETE")

    op.create_table(
        "match_requests",
        _tenant_id(),
        _id(),
        _uuid("cohort_id", nullable=False),
        _uuid("mentee_id", nullable=False),
        _uuid("mentee_application_id", nullable=False),
        sa.Column("choices", ARRAY(UUID(as_uuid=True)), nullable=False),
        sa.Column("choice_index", sa.Integer, nullable=False, server_default="0"),
        _uuid("mentor_id", nullable=False),
        sa.Column("reasons", sa.Text, nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False, server_default="open"),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True)),
        sa.Column("decline_reason", sa.Text),
        sa.Column("declined_by", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
        sa.Column("outcomes", JSONB, nullable=False, server_default="[]"),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("lock_version", sa.Integer, nullable=False, server_default="0"),
        _created_at(),
        _fk("match_requests", "cohort_id", "cohorts"),
        _fk("match_requests", "mentee_id", "members"),
        _fk("match_requests", "mentee_application_id", "applications"),
        _fk("match_requests", "mentor_id", "members"),
        sa.CheckConstraint(
            _in("state", ("open", "accepted", "declined", "expired", "withdrawn")),
            name="match_requests_state_known",
        ),
        sa.CheckConstraint(
            "cardinality(choices) BETWEEN 1 AND 3", name="match_requests_one_to_three_choices"
        ),
        sa.CheckConstraint(
            "choice_index >= 0 AND choice_index < cardinality(choices) "
            "AND choices[choice_index + 1] = mentor_id",
            name="match_requests_current_choice",
        ),
        sa.CheckConstraint("expires_at > asked_at", name="match_requests_expires_after_ask"),
        sa.CheckConstraint(
            "(state = 'open') = (closed_at IS NULL)", name="match_requests_closed_when_not_open"
        ),
    )
    # A mentee has at most one open request.
    op.create_index(
        "match_requests_one_open",
        "match_requests",
        ["tenant_id", "mentee_id"],
        unique=True,
        postgresql_where=sa.text("state = 'open'"),
    )
    # A mentor's open requests (their page) and the clock's expiries and reminders.
    op.create_index(
        "match_requests_open_by_mentor",
        "match_requests",
        ["tenant_id", "mentor_id"],
        postgresql_where=sa.text("state = 'open'"),
    )
    op.create_index(
        "match_requests_open_by_expiry",
        "match_requests",
        ["tenant_id", "expires_at"],
        postgresql_where=sa.text("state = 'open'"),
    )
    op.create_index("match_requests_by_mentee", "match_requests", ["tenant_id", "mentee_id"])
    protect_tenant_table("match_requests", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "match_proposals",
        _tenant_id(),
        _id(),
        _uuid("cohort_id", nullable=False),
        _uuid("mentor_id", nullable=False),
        _uuid("mentee_id", nullable=False),
        _uuid("mentor_application_id"),
        _uuid("mentee_application_id"),
        _uuid("proposed_by"),
        sa.Column("score", sa.Float),
        sa.Column("explanation", JSONB, nullable=False, server_default="[]"),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("mentor_answer", sa.String(16)),
        sa.Column("mentor_reason", sa.Text),
        sa.Column("mentor_answered_at", sa.DateTime(timezone=True)),
        sa.Column("mentee_answer", sa.String(16)),
        sa.Column("mentee_reason", sa.Text),
        sa.Column("mentee_answered_at", sa.DateTime(timezone=True)),
        sa.Column("state", sa.String(16), nullable=False, server_default="proposed"),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("lock_version", sa.Integer, nullable=False, server_default="0"),
        _created_at(),
        _fk("match_proposals", "cohort_id", "cohorts"),
        _fk("match_proposals", "mentor_id", "members"),
        _fk("match_proposals", "mentee_id", "members"),
        _fk("match_proposals", "mentor_application_id", "applications"),
        _fk("match_proposals", "mentee_application_id", "applications"),
        _fk("match_proposals", "proposed_by", "members"),
        sa.CheckConstraint(
            _in("state", ("proposed", "accepted", "declined", "withdrawn")),
            name="match_proposals_state_known",
        ),
        sa.CheckConstraint(
            "mentor_answer IS NULL OR " + _in("mentor_answer", ("accepted", "declined")),
            name="match_proposals_mentor_answer_known",
        ),
        sa.CheckConstraint(
            "mentee_answer IS NULL OR " + _in("mentee_answer", ("accepted", "declined")),
            name="match_proposals_mentee_answer_known",
        ),
        sa.CheckConstraint(
            "state <> 'accepted' OR (mentor_answer = 'accepted' AND mentee_answer = 'accepted')",
            name="match_proposals_accepted_by_both",
        ),
        sa.CheckConstraint("mentor_id <> mentee_id", name="match_proposals_two_people"),
    )
    op.create_index(
        "match_proposals_one_open",
        "match_proposals",
        ["tenant_id", "mentee_id"],
        unique=True,
        postgresql_where=sa.text("state = 'proposed'"),
    )
    op.create_index(
        "match_proposals_by_cohort", "match_proposals", ["tenant_id", "cohort_id", "state"]
    )
    op.create_index("match_proposals_by_mentor", "match_proposals", ["tenant_id", "mentor_id"])
    protect_tenant_table("match_proposals", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "matching_runs",
        _tenant_id(),
        _id(),
        _uuid("cohort_id", nullable=False),
        sa.Column("scheme_version", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        _uuid("created_by"),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("inputs", JSONB, nullable=False, server_default="{}"),
        sa.Column("pins", JSONB, nullable=False, server_default="[]"),
        sa.Column("forbids", JSONB, nullable=False, server_default="[]"),
        sa.Column("result", JSONB, nullable=False, server_default="{}"),
        sa.Column("pairs_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unmatched_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total_score", sa.Float, nullable=False, server_default="0"),
        sa.Column("compute_ms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("state", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        _uuid("published_by"),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        _created_at(),
        _fk("matching_runs", "cohort_id", "cohorts"),
        _fk("matching_runs", "created_by", "members"),
        _fk("matching_runs", "published_by", "members"),
        _scheme_version_fk("matching_runs"),
        sa.UniqueConstraint("tenant_id", "cohort_id", "number", name="matching_runs_number"),
        sa.CheckConstraint(
            _in("state", ("draft", "published", "superseded")), name="matching_runs_state_known"
        ),
        sa.CheckConstraint(
            "(state = 'draft') = (published_at IS NULL) OR state = 'superseded'",
            name="matching_runs_published_at",
        ),
    )
    # At most one published run per cohort.
    op.create_index(
        "matching_runs_one_published",
        "matching_runs",
        ["tenant_id", "cohort_id"],
        unique=True,
        postgresql_where=sa.text("state = 'published'"),
    )
    protect_tenant_table("matching_runs", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "pairs",
        _tenant_id(),
        _id(),
        _uuid("cohort_id", nullable=False),
        sa.Column("scheme_version", sa.Integer, nullable=False),
        _uuid("mentor_id", nullable=False),
        _uuid("mentee_id", nullable=False),
        _uuid("mentor_application_id"),
        _uuid("mentee_application_id"),
        sa.Column("matched_on", sa.Date, nullable=False),
        sa.Column("flow", sa.String(32), nullable=False),
        _uuid("run_id"),
        _uuid("request_id"),
        _uuid("proposal_id"),
        sa.Column("score", sa.Float),
        sa.Column("explanation", JSONB, nullable=False, server_default="[]"),
        _uuid("created_by"),
        sa.Column("state", sa.String(16), nullable=False, server_default="active"),
        sa.Column("end_kind", sa.String(16)),
        _uuid("ended_by"),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.Text),
        sa.Column("extended_until", sa.Date),
        sa.Column("extensions", JSONB, nullable=False, server_default="[]"),
        sa.Column("lock_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        _created_at(),
        _fk("pairs", "cohort_id", "cohorts"),
        _scheme_version_fk("pairs"),
        _fk("pairs", "mentor_id", "members"),
        _fk("pairs", "mentee_id", "members"),
        _fk("pairs", "mentor_application_id", "applications"),
        _fk("pairs", "mentee_application_id", "applications"),
        _fk("pairs", "run_id", "matching_runs"),
        _fk("pairs", "request_id", "match_requests"),
        _fk("pairs", "proposal_id", "match_proposals"),
        _fk("pairs", "created_by", "members"),
        _fk("pairs", "ended_by", "members"),
        sa.CheckConstraint("mentor_id <> mentee_id", name="pairs_two_people"),
        sa.CheckConstraint(
            _in("flow", ("suggest_and_accept", "mutual_acceptance", "coordinator")),
            name="pairs_flow_known",
        ),
        sa.CheckConstraint(_in("state", ("active", "extended", "ended")), name="pairs_state_known"),
        sa.CheckConstraint(
            "(state = 'ended') = (end_kind IS NOT NULL AND ended_at IS NOT NULL)",
            name="pairs_ended_has_kind",
        ),
        sa.CheckConstraint(
            "end_kind IS NULL OR " + _in("end_kind", ("completed", "ended_early", "removed")),
            name="pairs_end_kind_known",
        ),
        sa.CheckConstraint(
            "end_kind IS DISTINCT FROM 'removed' OR length(trim(coalesce(end_reason, ''))) > 0",
            name="pairs_removed_has_reason",
        ),
        sa.CheckConstraint(
            "state <> 'extended' OR extended_until IS NOT NULL", name="pairs_extended_until"
        ),
        sa.CheckConstraint(
            "run_id IS NULL OR flow = 'coordinator'", name="pairs_run_only_coordinator"
        ),
    )
    # One live pair per (mentor, mentee), and per mentee application (one mentor a cohort).
    op.create_index(
        "pairs_one_live",
        "pairs",
        ["tenant_id", "mentor_id", "mentee_id"],
        unique=True,
        postgresql_where=sa.text("state <> 'ended'"),
    )
    op.create_index(
        "pairs_one_live_per_mentee_application",
        "pairs",
        ["tenant_id", "mentee_application_id"],
        unique=True,
        postgresql_where=sa.text("state <> 'ended' AND mentee_application_id IS NOT NULL"),
    )
    # Capacity counts a mentor's live pairs in a cohort; a member's pairs; a cohort's pairs.
    op.create_index(
        "pairs_live_by_mentor",
        "pairs",
        ["tenant_id", "cohort_id", "mentor_id"],
        postgresql_where=sa.text("state <> 'ended'"),
    )
    op.create_index("pairs_by_mentor", "pairs", ["tenant_id", "mentor_id"])
    op.create_index("pairs_by_mentee", "pairs", ["tenant_id", "mentee_id"])
    op.create_index("pairs_by_cohort", "pairs", ["tenant_id", "cohort_id", "state"])
    protect_tenant_table("pairs", privileges="SELECT, INSERT, UPDATE")


def downgrade() -> None:
    for table in (
        "pairs",
        "matching_runs",
        "match_proposals",
        "match_requests",
        "conflicts_of_interest",
        "mentor_capacities",
    ):
        op.drop_table(table)
