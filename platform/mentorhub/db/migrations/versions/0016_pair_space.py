"""The pair's space (issue 15): agreements, goals, plans, meetings, calendar feeds, private
reflective log entries, chat messages, each person's state in a pair, documents; and a
pair's pending extension (proposed by one person, agreed by the other).

Every table is tenant-owned: primary key (tenant_id, id), tenant_id in every foreign key,
row-level security forced. The runtime role may delete here (unlike most tables): a goal or
a log entry its author deletes, and the content of a space erased once the scheme's
retention period after the pair's end has passed.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mentorhub.db.rls import protect_tenant_table

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

GOAL_STATUSES = ("not_started", "in_progress", "achieved", "partly", "dropped")
MEETING_MODES = ("in_person", "video", "phone")
MEETING_STATES = ("proposed", "scheduled", "declined", "cancelled", "held")


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


def _at(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True))


def _int(name: str, default: int | None = None) -> sa.Column:  # type: ignore[type-arg]
    if default is None:
        return sa.Column(name, sa.Integer)
    return sa.Column(name, sa.Integer, nullable=False, server_default=str(default))


def _text(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Text, nullable=False, server_default="")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], name=f"{table}_{column}_fk"
    )


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.add_column("pairs", sa.Column("pending_extension", JSONB))

    op.create_table(
        "pair_agreements",
        _tenant_id(),
        _id(),
        _uuid("pair_id", nullable=False),
        sa.Column("sections", JSONB, nullable=False, server_default="[]"),
        _int("revision", 1),
        _int("mentor_agreed_revision"),
        _at("mentor_agreed_at"),
        _int("mentee_agreed_revision"),
        _at("mentee_agreed_at"),
        _uuid("updated_by"),
        _at("updated_at"),
        _int("lock_version", 0),
        _created_at(),
        _fk("pair_agreements", "pair_id", "pairs"),
        _fk("pair_agreements", "updated_by", "members"),
    )
    op.create_index("pair_agreements_one", "pair_agreements", ["tenant_id", "pair_id"], unique=True)
    protect_tenant_table("pair_agreements")

    op.create_table(
        "pair_goals",
        _tenant_id(),
        _id(),
        _uuid("pair_id", nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        _text("detail"),
        sa.Column("status", sa.String(16), nullable=False, server_default="not_started"),
        _int("position", 0),
        _uuid("created_by", nullable=False),
        _uuid("updated_by"),
        _at("updated_at"),
        _int("lock_version", 0),
        _created_at(),
        _fk("pair_goals", "pair_id", "pairs"),
        _fk("pair_goals", "created_by", "members"),
        _fk("pair_goals", "updated_by", "members"),
        sa.CheckConstraint(_in("status", GOAL_STATUSES), name="pair_goals_status_known"),
        sa.CheckConstraint("length(trim(title)) > 0", name="pair_goals_title"),
    )
    op.create_index("pair_goals_by_pair", "pair_goals", ["tenant_id", "pair_id", "position"])
    protect_tenant_table("pair_goals")

    op.create_table(
        "pair_plans",
        _tenant_id(),
        _id(),
        _uuid("pair_id", nullable=False),
        sa.Column("months", JSONB, nullable=False, server_default="[]"),
        sa.Column("first_meeting_on", sa.Date),
        sa.Column("last_meeting_on", sa.Date),
        _int("revision", 1),
        _int("submitted_revision"),
        _at("submitted_at"),
        _uuid("submitted_by"),
        sa.Column("changes", JSONB, nullable=False, server_default="[]"),
        _uuid("updated_by"),
        _at("updated_at"),
        _int("lock_version", 0),
        _created_at(),
        _fk("pair_plans", "pair_id", "pairs"),
        _fk("pair_plans", "submitted_by", "members"),
        _fk("pair_plans", "updated_by", "members"),
        sa.CheckConstraint(
            "last_meeting_on IS NULL OR first_meeting_on IS NULL "
            "OR last_meeting_on >= first_meeting_on",
            name="pair_plans_dates_in_order",
        ),
    )
    op.create_index("pair_plans_one", "pair_plans", ["tenant_id", "pair_id"], unique=True)
    protect_tenant_table("pair_plans")

    op.create_table(
        "meetings",
        _tenant_id(),
        _id(),
        _uuid("pair_id", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        _text("place"),
        _text("link"),
        sa.Column("state", sa.String(16), nullable=False, server_default="proposed"),
        _uuid("proposed_by", nullable=False),
        _uuid("answered_by"),
        _at("answered_at"),
        _int("sequence", 0),
        _int("held_minutes"),
        _text("record"),
        _uuid("recorded_by"),
        _at("recorded_at"),
        _uuid("cancelled_by"),
        _text("cancel_reason"),
        _at("updated_at"),
        _int("lock_version", 0),
        _created_at(),
        _fk("meetings", "pair_id", "pairs"),
        _fk("meetings", "proposed_by", "members"),
        _fk("meetings", "answered_by", "members"),
        _fk("meetings", "recorded_by", "members"),
        _fk("meetings", "cancelled_by", "members"),
        sa.CheckConstraint(_in("mode", MEETING_MODES), name="meetings_mode_known"),
        sa.CheckConstraint(_in("state", MEETING_STATES), name="meetings_state_known"),
        sa.CheckConstraint("minutes BETWEEN 1 AND 1440", name="meetings_minutes"),
        sa.CheckConstraint(
            "held_minutes IS NULL OR held_minutes BETWEEN 1 AND 1440", name="meetings_held_minutes"
        ),
        sa.CheckConstraint(
            "(state = 'held') = (held_minutes IS NOT NULL)", name="meetings_held_has_length"
        ),
    )
    op.create_index("meetings_by_pair", "meetings", ["tenant_id", "pair_id", "starts_at"])
    protect_tenant_table("meetings")

    op.create_table(
        "calendar_feeds",
        _tenant_id(),
        _id(),
        _uuid("member_id", nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _at("revoked_at"),
        _created_at(),
        _fk("calendar_feeds", "member_id", "members"),
    )
    op.create_index(
        "calendar_feeds_by_token", "calendar_feeds", ["tenant_id", "token_hash"], unique=True
    )
    op.create_index(
        "calendar_feeds_one_live",
        "calendar_feeds",
        ["tenant_id", "member_id"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    protect_tenant_table("calendar_feeds", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "log_entries",
        _tenant_id(),
        _id(),
        _uuid("pair_id", nullable=False),
        _uuid("author_id", nullable=False),
        _uuid("meeting_id"),
        sa.Column("written_on", sa.Date, nullable=False),
        _text("title"),
        sa.Column("body", sa.Text, nullable=False),
        _at("shared_at"),
        _at("updated_at"),
        _int("lock_version", 0),
        _created_at(),
        _fk("log_entries", "pair_id", "pairs"),
        _fk("log_entries", "author_id", "members"),
        _fk("log_entries", "meeting_id", "meetings"),
        sa.CheckConstraint("length(trim(body)) > 0", name="log_entries_body"),
    )
    op.create_index(
        "log_entries_by_author", "log_entries", ["tenant_id", "author_id", "pair_id", "written_on"]
    )
    op.create_index(
        "log_entries_shared",
        "log_entries",
        ["tenant_id", "pair_id", "shared_at"],
        postgresql_where=sa.text("shared_at IS NOT NULL"),
    )
    protect_tenant_table("log_entries")

    op.create_table(
        "chat_messages",
        _tenant_id(),
        _id(),
        _uuid("pair_id", nullable=False),
        _uuid("author_id", nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _created_at(),
        _fk("chat_messages", "pair_id", "pairs"),
        _fk("chat_messages", "author_id", "members"),
        sa.CheckConstraint("length(trim(body)) > 0", name="chat_messages_body"),
    )
    op.create_index(
        "chat_messages_by_pair", "chat_messages", ["tenant_id", "pair_id", "created_at"]
    )
    protect_tenant_table("chat_messages", privileges="SELECT, INSERT, DELETE")

    op.create_table(
        "pair_member_states",
        _tenant_id(),
        _id(),
        _uuid("pair_id", nullable=False),
        _uuid("member_id", nullable=False),
        _at("chat_read_at"),
        _at("chat_mailed_at"),
        _created_at(),
        _fk("pair_member_states", "pair_id", "pairs"),
        _fk("pair_member_states", "member_id", "members"),
    )
    op.create_index(
        "pair_member_states_one",
        "pair_member_states",
        ["tenant_id", "pair_id", "member_id"],
        unique=True,
    )
    protect_tenant_table("pair_member_states")

    op.create_table(
        "documents",
        _tenant_id(),
        _id(),
        _uuid("pair_id", nullable=False),
        _uuid("uploaded_by", nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.Text, nullable=False),
        _at("removed_at"),
        _uuid("removed_by"),
        _created_at(),
        _fk("documents", "pair_id", "pairs"),
        _fk("documents", "uploaded_by", "members"),
        _fk("documents", "removed_by", "members"),
        sa.CheckConstraint("size_bytes >= 0", name="documents_size"),
    )
    op.create_index("documents_by_pair", "documents", ["tenant_id", "pair_id", "created_at"])
    protect_tenant_table("documents")


def downgrade() -> None:
    for table in (
        "documents",
        "pair_member_states",
        "chat_messages",
        "log_entries",
        "calendar_feeds",
        "meetings",
        "pair_plans",
        "pair_goals",
        "pair_agreements",
    ):
        op.drop_table(table)
    op.drop_column("pairs", "pending_extension")
