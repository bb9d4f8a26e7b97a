"""Scheme operations (issue 16): checkpoint items per pair, the coordinator's tasks, and what
the clock needs to find due work without scanning every pair.

* `checkpoint_items`: one row per checkpoint occurrence and person (or per pair): its dates,
  its state (upcoming → open → submitted → reviewed | missed; cancelled when the pair's
  dates no longer hold it), the answers, the permission to share, and `next_at`, the moment
  the clock must next look at it (opening, a reminder, marking it missed; NULL: nothing
  more to do). Identified by (pair, checkpoint, slot, member): `slot` names the occurrence
  ("" for a one-off checkpoint, "2027-01" for a quarterly update, a meeting's date for a
  log after each meeting), so moving a pair's dates moves the same row.
* `coordinator_tasks`: the coordinator's list (the Museums Association's calls, a pilot's
  reviews, a quiet pair to look at), idempotent by `key`.
* `pairs.items_stale` (true: the pair's items must be (re)computed from its timeline —
  a new pair, an extension, an early end, a meeting held), `pairs.quiet_next_at` and
  `pairs.quiet_stage` (the quiet-pair nudges).

The clock's discovery reads, across tenants, only which tenants have due work: the scope
`clock` (`Database.platform("clock")`) may SELECT checkpoint items and pairs, nothing else,
through partial indexes that are empty when nothing is due.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from mentorhub.db.rls import protect_tenant_table

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ITEM_STATES = ("upcoming", "open", "submitted", "reviewed", "missed", "cancelled")
AUDIENCES = ("pair", "each", "mentor", "mentee", "coordinator")
TASK_KINDS = ("checkpoint", "quiet_pair")
TASK_STATES = ("open", "done", "cancelled")

_CLOCK = "(SELECT current_setting('mentorhub.scope', true)) = 'clock'"


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


def _text(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Text, nullable=False, server_default="")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], name=f"{table}_{column}_fk"
    )


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.add_column(
        "pairs", sa.Column("items_stale", sa.Boolean, nullable=False, server_default=sa.true())
    )
    op.add_column("pairs", _at("quiet_next_at"))
    op.add_column(
        "pairs", sa.Column("quiet_stage", sa.SmallInteger, nullable=False, server_default="0")
    )
    op.create_index(
        "pairs_items_stale", "pairs", ["tenant_id"], postgresql_where=sa.text("items_stale")
    )
    op.create_index(
        "pairs_quiet_due",
        "pairs",
        ["quiet_next_at", "tenant_id"],
        postgresql_where=sa.text("quiet_next_at IS NOT NULL"),
    )

    op.create_table(
        "checkpoint_items",
        _tenant_id(),
        _id(),
        _uuid("pair_id", nullable=False),
        _uuid("member_id"),
        sa.Column("checkpoint", sa.String(64), nullable=False),
        sa.Column("slot", sa.String(32), nullable=False, server_default=""),
        sa.Column("scheme_version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("readers", ARRAY(sa.String(16)), nullable=False, server_default="{}"),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("opens_on", sa.Date, nullable=False),
        sa.Column("closes_on", sa.Date, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="upcoming"),
        _at("next_at"),
        sa.Column("step", sa.SmallInteger, nullable=False, server_default="0"),
        _at("opened_at"),
        _at("submitted_at"),
        _uuid("submitted_by"),
        sa.Column("answers", JSONB, nullable=False, server_default="{}"),
        sa.Column("share_permission", sa.Boolean, nullable=False, server_default=sa.false()),
        _at("reviewed_at"),
        _uuid("reviewed_by"),
        _text("review_note"),
        _at("missed_at"),
        _at("cancelled_at"),
        _text("cancel_reason"),
        _at("updated_at"),
        sa.Column("lock_version", sa.Integer, nullable=False, server_default="0"),
        _created_at(),
        _fk("checkpoint_items", "pair_id", "pairs"),
        _fk("checkpoint_items", "member_id", "members"),
        _fk("checkpoint_items", "submitted_by", "members"),
        _fk("checkpoint_items", "reviewed_by", "members"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "scheme_version"],
            ["scheme_versions.tenant_id", "scheme_versions.version"],
            name="checkpoint_items_scheme_version_fk",
        ),
        sa.CheckConstraint(_in("state", ITEM_STATES), name="checkpoint_items_state_known"),
        sa.CheckConstraint(_in("audience", AUDIENCES), name="checkpoint_items_audience_known"),
        sa.CheckConstraint(
            "opens_on <= due_on AND due_on <= closes_on", name="checkpoint_items_window"
        ),
        sa.CheckConstraint(
            "(state IN ('submitted', 'reviewed')) = (submitted_at IS NOT NULL)",
            name="checkpoint_items_submitted_has_time",
        ),
    )
    op.execute(
        "CREATE UNIQUE INDEX checkpoint_items_one ON checkpoint_items "
        "(tenant_id, pair_id, checkpoint, slot, member_id) NULLS NOT DISTINCT"
    )
    op.create_index("checkpoint_items_by_member", "checkpoint_items", ["tenant_id", "member_id"])
    op.create_index(
        "checkpoint_items_by_state", "checkpoint_items", ["tenant_id", "state", "due_on"]
    )
    # The clock: across tenants (discovery), then within one tenant.
    op.create_index(
        "checkpoint_items_due",
        "checkpoint_items",
        ["next_at", "tenant_id"],
        postgresql_where=sa.text("next_at IS NOT NULL"),
    )
    op.create_index(
        "checkpoint_items_due_in_tenant",
        "checkpoint_items",
        ["tenant_id", "next_at"],
        postgresql_where=sa.text("next_at IS NOT NULL"),
    )
    protect_tenant_table("checkpoint_items", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "coordinator_tasks",
        _tenant_id(),
        _id(),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _uuid("pair_id", nullable=False),
        _uuid("item_id"),
        sa.Column("title", sa.Text, nullable=False),
        _text("detail"),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="open"),
        _at("done_at"),
        _uuid("done_by"),
        _text("note"),
        _at("updated_at"),
        sa.Column("lock_version", sa.Integer, nullable=False, server_default="0"),
        _created_at(),
        _fk("coordinator_tasks", "pair_id", "pairs"),
        _fk("coordinator_tasks", "item_id", "checkpoint_items"),
        _fk("coordinator_tasks", "done_by", "members"),
        sa.CheckConstraint(_in("kind", TASK_KINDS), name="coordinator_tasks_kind_known"),
        sa.CheckConstraint(_in("state", TASK_STATES), name="coordinator_tasks_state_known"),
    )
    op.create_index("coordinator_tasks_key", "coordinator_tasks", ["tenant_id", "key"], unique=True)
    op.create_index(
        "coordinator_tasks_by_state", "coordinator_tasks", ["tenant_id", "state", "due_on"]
    )
    op.create_index("coordinator_tasks_by_pair", "coordinator_tasks", ["tenant_id", "pair_id"])
    protect_tenant_table("coordinator_tasks", privileges="SELECT, INSERT, UPDATE")

    # The clock's discovery path: which tenants have due work (SELECT only, no content
    # leaves it: the clock reads tenant ids, then works inside each tenant's transaction).
    for table in ("checkpoint_items", "pairs"):
        op.execute(f"CREATE POLICY clock_scope ON {table} FOR SELECT USING ({_CLOCK})")


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS clock_scope ON pairs")
    op.drop_table("coordinator_tasks")
    op.drop_table("checkpoint_items")
    op.drop_index("pairs_quiet_due", table_name="pairs")
    op.drop_index("pairs_items_stale", table_name="pairs")
    op.drop_column("pairs", "quiet_stage")
    op.drop_column("pairs", "quiet_next_at")
    op.drop_column("pairs", "items_stale")
