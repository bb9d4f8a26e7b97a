"""Identity: tenants' identity providers, members' (issuer, subject) and membership,
membership lapses, approval requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mentorhub.db.rls import protect_tenant_table

revision = "0003"
down_revision = "0002"
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
        "identity_providers",
        _tenant_id(),
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret_enc", sa.Text, nullable=False),
        sa.Column("scopes", sa.String(500), nullable=False, server_default="openid email profile"),
        sa.Column("claim_mapping", JSONB, nullable=False, server_default="{}"),
        _created_at(),
        sa.UniqueConstraint("tenant_id", "issuer", name="identity_providers_issuer_unique"),
    )
    protect_tenant_table("identity_providers")

    op.add_column("members", sa.Column("issuer", sa.String(500)))
    op.add_column("members", sa.Column("subject", sa.String(255)))
    op.add_column("members", sa.Column("membership_status", sa.String(16)))
    op.add_column("members", sa.Column("member_number", sa.String(64)))
    op.add_column("members", sa.Column("ratified_on", sa.Date))
    op.create_unique_constraint(
        "members_identity_unique", "members", ["tenant_id", "issuer", "subject"]
    )
    op.create_check_constraint(
        "members_membership_known",
        "members",
        "membership_status IS NULL OR membership_status IN ('active', 'lapsed', 'pending')",
    )

    op.create_table(
        "membership_lapses",
        _tenant_id(),
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("previous_status", sa.String(16)),
        sa.Column("new_status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
    )
    protect_tenant_table("membership_lapses", privileges="SELECT, INSERT")

    op.create_table(
        "approval_requests",
        _tenant_id(),
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        sa.Column("approver_email", sa.String(320), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("comment", sa.Text),
        _created_at(),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'declined')", name="approval_requests_status_known"
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)", name="approval_requests_decided_at"
        ),
    )
    protect_tenant_table("approval_requests", privileges="SELECT, INSERT, UPDATE")


def downgrade() -> None:
    op.drop_table("approval_requests")
    op.drop_table("membership_lapses")
    op.drop_constraint("members_membership_known", "members")
    op.drop_constraint("members_identity_unique", "members")
    for column in ("ratified_on", "member_number", "membership_status", "subject", "issuer"):
        op.drop_column("members", column)
    op.drop_table("identity_providers")
