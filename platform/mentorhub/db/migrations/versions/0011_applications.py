"""Applications: cohorts, recruitment windows, applications, interviews, partner
organisations, training records, board ratifications.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from mentorhub.db.rls import protect_tenant_table

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ROLES = "('mentor', 'mentee')"
STATES = (
    "('draft', 'submitted', 'awaiting_approval', 'eligible', 'ineligible', 'shortlisted', "
    "'interview_scheduled', 'interviewed', 'accepted', 'waitlisted', 'unsuccessful', "
    "'withdrawn')"
)


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _tenant_id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id"), primary_key=True)


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", UUID(as_uuid=True), primary_key=True)


def _member(column: str, name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], ["members.tenant_id", "members.id"], name=name
    )


def upgrade() -> None:
    op.create_table(
        "cohorts",
        _tenant_id(),
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("scheme_version", sa.Integer, nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "scheme_version"],
            ["scheme_versions.tenant_id", "scheme_versions.version"],
            name="cohorts_scheme_version_fk",
        ),
        sa.UniqueConstraint("tenant_id", "name", name="cohorts_name_unique"),
        sa.CheckConstraint("ends_on > starts_on", name="cohorts_ends_after_start"),
    )
    op.create_index("cohorts_by_start", "cohorts", ["tenant_id", sa.text("starts_on DESC")])
    protect_tenant_table("cohorts", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "recruitment_windows",
        _tenant_id(),
        _id(),
        sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_by", UUID(as_uuid=True)),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "cohort_id"],
            ["cohorts.tenant_id", "cohorts.id"],
            name="recruitment_windows_cohort_fk",
        ),
        _member("closed_by", "recruitment_windows_closed_by_fk"),
        # One window per role and cohort (closing early or moving dates changes this one).
        sa.UniqueConstraint("tenant_id", "cohort_id", "role", name="recruitment_windows_one"),
        sa.CheckConstraint(f"role IN {ROLES}", name="recruitment_windows_role_known"),
        sa.CheckConstraint("closes_at > opens_at", name="recruitment_windows_closes_after_open"),
    )
    protect_tenant_table("recruitment_windows", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "applications",
        _tenant_id(),
        _id(),
        sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("state", sa.String(32), nullable=False, server_default="draft"),
        sa.Column("answers", JSONB, nullable=False, server_default="{}"),
        sa.Column("waiting_for", ARRAY(sa.String(32)), nullable=False, server_default="{}"),
        sa.Column("ineligible_rule", sa.String(64)),
        sa.Column("ineligible_reason", sa.Text),
        sa.Column("waitlist_rank", sa.Integer),
        sa.Column("priority_next_intake", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("feedback", sa.Text),
        sa.Column("feedback_sent_at", sa.DateTime(timezone=True)),
        sa.Column("approval_request_id", UUID(as_uuid=True)),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("flagged_at", sa.DateTime(timezone=True)),
        sa.Column("flag_reason", sa.Text),
        sa.Column("lock_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("search_text", sa.Text, nullable=False, server_default=""),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "cohort_id"],
            ["cohorts.tenant_id", "cohorts.id"],
            name="applications_cohort_fk",
        ),
        _member("member_id", "applications_member_fk"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "approval_request_id"],
            ["approval_requests.tenant_id", "approval_requests.id"],
            name="applications_approval_request_fk",
        ),
        sa.CheckConstraint(f"role IN {ROLES}", name="applications_role_known"),
        sa.CheckConstraint(f"state IN {STATES}", name="applications_state_known"),
        sa.CheckConstraint(
            "waitlist_rank IS NULL OR (waitlist_rank > 0 AND state = 'waitlisted')",
            name="applications_waitlist_rank",
        ),
        sa.CheckConstraint(
            "state <> 'ineligible' OR ineligible_rule IS NOT NULL",
            name="applications_ineligible_rule",
        ),
    )
    # A member has at most one live application per cohort and role.
    op.create_index(
        "applications_one_live",
        "applications",
        ["tenant_id", "cohort_id", "member_id", "role"],
        unique=True,
        postgresql_where=sa.text("state <> 'withdrawn'"),
    )
    # The coordinator's queue: a cohort's applications by role and state, oldest first.
    op.create_index(
        "applications_queue",
        "applications",
        ["tenant_id", "cohort_id", "role", "state", "created_at", "id"],
    )
    op.create_index(
        "applications_queue_all_states",
        "applications",
        ["tenant_id", "cohort_id", "created_at", "id"],
    )
    # A member's own applications, and the re-evaluation after a roster import.
    op.create_index("applications_by_member", "applications", ["tenant_id", "member_id"])
    op.create_index(
        "applications_reevaluable",
        "applications",
        ["tenant_id", "member_id"],
        postgresql_where=sa.text(
            "state IN ('submitted', 'awaiting_approval', 'eligible', 'ineligible', "
            "'shortlisted', 'interview_scheduled', 'interviewed', 'waitlisted', 'accepted')"
        ),
    )
    op.create_index(
        "applications_by_approval",
        "applications",
        ["tenant_id", "approval_request_id"],
        postgresql_where=sa.text("approval_request_id IS NOT NULL"),
    )
    protect_tenant_table("applications", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "interviews",
        _tenant_id(),
        _id(),
        sa.Column("application_id", UUID(as_uuid=True), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True)),
        sa.Column("notes", sa.Text),
        sa.Column("recorded_by", UUID(as_uuid=True)),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "application_id"],
            ["applications.tenant_id", "applications.id"],
            name="interviews_application_fk",
        ),
        _member("recorded_by", "interviews_recorded_by_fk"),
        # One interview per application (rescheduling moves it).
        sa.UniqueConstraint("tenant_id", "application_id", name="interviews_one_per_application"),
        sa.CheckConstraint(
            "format IN ('phone', 'video', 'in_person')", name="interviews_format_known"
        ),
    )
    protect_tenant_table("interviews", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "partner_organisations",
        _tenant_id(),
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        _created_at(),
    )
    op.create_index(
        "partner_organisations_name_unique",
        "partner_organisations",
        ["tenant_id", sa.text("lower(name)")],
        unique=True,
    )
    protect_tenant_table("partner_organisations", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "training_records",
        _tenant_id(),
        _id(),
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("completed_on", sa.Date, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("recorded_by", UUID(as_uuid=True)),
        _created_at(),
        _member("member_id", "training_records_member_fk"),
        _member("recorded_by", "training_records_recorded_by_fk"),
        sa.CheckConstraint(
            "kind IN ('mentor', 'mentee', 'joint')", name="training_records_kind_known"
        ),
        sa.CheckConstraint(
            "source IN ('coordinator', 'import')", name="training_records_source_known"
        ),
    )
    op.create_index("training_records_by_member", "training_records", ["tenant_id", "member_id"])
    protect_tenant_table("training_records", privileges="SELECT, INSERT, DELETE")

    op.create_table(
        "board_ratifications",
        _tenant_id(),
        _id(),
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("ratified_on", sa.Date, nullable=False),
        sa.Column("recorded_by", UUID(as_uuid=True)),
        sa.Column("note", sa.Text),
        _created_at(),
        _member("member_id", "board_ratifications_member_fk"),
        _member("recorded_by", "board_ratifications_recorded_by_fk"),
    )
    op.create_index(
        "board_ratifications_by_member", "board_ratifications", ["tenant_id", "member_id"]
    )
    protect_tenant_table("board_ratifications", privileges="SELECT, INSERT")


def downgrade() -> None:
    for table in (
        "board_ratifications",
        "training_records",
        "partner_organisations",
        "interviews",
        "applications",
        "recruitment_windows",
        "cohorts",
    ):
        op.drop_table(table)
