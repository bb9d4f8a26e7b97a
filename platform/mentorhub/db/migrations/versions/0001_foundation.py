"""Foundation: tenants, members, audit log, outbox, runtime role and row-level security.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from mentorhub.db.rls import app_role, protect_tenant_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    role = app_role()
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {role} LOGIN NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE;
          END IF;
        END $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(
        """
        CREATE FUNCTION mentorhub_current_tenant() RETURNS uuid
        LANGUAGE sql STABLE PARALLEL SAFE
        AS $$ SELECT nullif(current_setting('mentorhub.tenant_id', true), '')::uuid $$
        """
    )

    op.create_table(
        "tenants",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("slug", sa.String(63), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("jurisdiction", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("branding", JSONB, nullable=False, server_default="{}"),
        _created_at(),
        sa.CheckConstraint("status IN ('active', 'suspended')", name="tenants_status_known"),
        sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="tenants_slug_shape"),
    )
    op.create_table(
        "tenant_domains",
        sa.Column("hostname", sa.String(253), primary_key=True),
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.CheckConstraint("hostname = lower(hostname)", name="tenant_domains_lowercase"),
    )
    op.create_index("tenant_domains_tenant", "tenant_domains", ["tenant_id"])
    op.create_table(
        "platform_admins",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        _created_at(),
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON tenants, tenant_domains TO {role}")
    op.execute(f"GRANT DELETE ON tenant_domains TO {role}")
    op.execute(f"GRANT SELECT, INSERT ON platform_admins TO {role}")

    op.create_table(
        "members",
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("roles", ARRAY(sa.String(32)), nullable=False, server_default="{}"),
        _created_at(),
        sa.UniqueConstraint("tenant_id", "email", name="members_email_unique"),
    )
    protect_tenant_table("members")

    op.create_table(
        "audit_log",
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("actor", sa.String(320)),
        sa.Column("subject", sa.String(200)),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        _created_at(),
    )
    op.create_index("audit_log_recent", "audit_log", ["tenant_id", "created_at"])
    protect_tenant_table("audit_log", privileges="SELECT, INSERT")

    op.create_table(
        "outbox",
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("payload", JSONB, nullable=False, server_default="{}"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("enqueued_at", sa.DateTime(timezone=True)),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.Column("failed_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        _created_at(),
    )
    # The relay's work list: rows not yet finished, oldest first.
    op.execute(
        "CREATE INDEX outbox_unfinished ON outbox (id) WHERE done_at IS NULL AND failed_at IS NULL"
    )
    protect_tenant_table("outbox", privileges="SELECT, INSERT, UPDATE")
    # The relay crosses tenants on its own named path (Database.platform("relay")).
    op.execute(
        "CREATE POLICY relay_scope ON outbox "
        "USING ((SELECT current_setting('mentorhub.scope', true)) = 'relay') "
        "WITH CHECK ((SELECT current_setting('mentorhub.scope', true)) = 'relay')"
    )


def downgrade() -> None:
    role = app_role()
    for table in ("outbox", "audit_log", "members", "platform_admins", "tenant_domains", "tenants"):
        op.drop_table(table)
    op.execute("DROP FUNCTION mentorhub_current_tenant()")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {role}")
