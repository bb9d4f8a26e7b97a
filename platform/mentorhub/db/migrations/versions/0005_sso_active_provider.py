"""One active identity provider per tenant, and at most one pending change.

Before: saving a new issuer added a row while sign-in used the oldest, so "Saved" changed
nothing. Now each row is `active` (members sign in through it) or `pending` (saved by an
admin, waiting for one successful test sign-in before it replaces the active one); a partial
unique index per status enforces one of each per tenant. The issuer is no longer unique: a
pending change may keep the issuer and change the client or its secret.

Existing rows: per tenant the oldest stays active (it is what sign-in used), the newest of
the others becomes pending (the admin's last saved change, now awaiting its test), and rows
in between, never used, are removed. `test_error` and `tested_at` record the last test
sign-in of a pending provider, shown on the admin page.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _as_owner_of_every_row(*statements: str) -> None:
    """Row-level security is forced on the owner too: lift it for these statements, in
    this transaction, so a data change reaches every tenant's rows."""
    op.execute("ALTER TABLE identity_providers NO FORCE ROW LEVEL SECURITY")
    for sql in statements:
        op.execute(sql)
    op.execute("ALTER TABLE identity_providers FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    op.add_column(
        "identity_providers",
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    )
    op.add_column("identity_providers", sa.Column("test_error", sa.String(300)))
    op.add_column("identity_providers", sa.Column("tested_at", sa.DateTime(timezone=True)))
    _as_owner_of_every_row(
        # Rows strictly between a tenant's oldest and newest were never used: remove them.
        "DELETE FROM identity_providers p USING ("
        " SELECT tenant_id, id,"
        "  row_number() OVER (PARTITION BY tenant_id ORDER BY created_at, id) AS n,"
        "  count(*) OVER (PARTITION BY tenant_id) AS total"
        " FROM identity_providers) r"
        " WHERE p.tenant_id = r.tenant_id AND p.id = r.id AND r.n > 1 AND r.n < r.total",
        # What remains besides the oldest is the last saved change: pending.
        "UPDATE identity_providers p SET status = 'pending' WHERE EXISTS ("
        " SELECT 1 FROM identity_providers o WHERE o.tenant_id = p.tenant_id"
        " AND (o.created_at, o.id) < (p.created_at, p.id))",
    )
    op.drop_constraint("identity_providers_issuer_unique", "identity_providers")
    op.create_check_constraint(
        "identity_providers_status_known", "identity_providers", "status IN ('active', 'pending')"
    )
    op.create_index(
        "identity_providers_one_active",
        "identity_providers",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "identity_providers_one_pending",
        "identity_providers",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("identity_providers_one_pending", "identity_providers")
    op.drop_index("identity_providers_one_active", "identity_providers")
    op.drop_constraint("identity_providers_status_known", "identity_providers")
    _as_owner_of_every_row("DELETE FROM identity_providers WHERE status = 'pending'")
    op.create_unique_constraint(
        "identity_providers_issuer_unique", "identity_providers", ["tenant_id", "issuer"]
    )
    for column in ("tested_at", "test_error", "status"):
        op.drop_column("identity_providers", column)
