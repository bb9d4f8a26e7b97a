"""Messages: every e-mail a scheme sends (idempotency key unique per tenant), members' mail
preferences, tenants' template overrides.

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mentorhub.db.rls import protect_tenant_table

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _tenant_id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "messages",
        _tenant_id(),
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("member_id", UUID(as_uuid=True)),
        sa.Column("to_address", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("context", JSONB, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("failed_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
        # The business idempotency key: a second send with the same key writes nothing.
        sa.UniqueConstraint("tenant_id", "key", name="messages_key_unique"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'suppressed')", name="messages_status_known"
        ),
    )
    # A member's notifications, newest first, and their unread count.
    op.create_index(
        "messages_member_recent",
        "messages",
        ["tenant_id", "member_id", sa.text("id DESC")],
        postgresql_where=sa.text("member_id IS NOT NULL"),
    )
    protect_tenant_table("messages", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "message_preferences",
        _tenant_id(),
        sa.Column("member_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("reminders_off_at", sa.DateTime(timezone=True)),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
    )
    protect_tenant_table("message_preferences", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "message_templates",
        _tenant_id(),
        sa.Column("kind", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String(300)),
        sa.Column("body", sa.Text),
        _created_at(),
    )
    protect_tenant_table("message_templates")


def downgrade() -> None:
    op.drop_table("message_templates")
    op.drop_table("message_preferences")
    op.drop_table("messages")
