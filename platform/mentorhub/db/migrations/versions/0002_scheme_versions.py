"""Scheme versions: each tenant's scheme document, one row per version, never rewritten.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mentorhub.db.rls import protect_tenant_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheme_versions",
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.UniqueConstraint("tenant_id", "version", name="scheme_versions_one_per_number"),
        sa.CheckConstraint("version > 0", name="scheme_versions_positive"),
    )
    # Pairs keep the version they started under, so a stored version is never changed.
    protect_tenant_table("scheme_versions", privileges="SELECT, INSERT")


def downgrade() -> None:
    op.drop_table("scheme_versions")
