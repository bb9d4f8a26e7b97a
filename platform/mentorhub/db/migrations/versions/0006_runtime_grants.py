"""The runtime role reads the platform's tables and writes none of them.

0001 let the role the web and workers use insert and update tenants and their hostnames and
insert platform administrators. Nothing at run time needs that: tenants are created and
changed by `mentorhub tenants load` and the embedded start-up, platform administrators listed
by `mentorhub identity platform-admin`, and all of those connect as the owner. A web or worker
process that is taken over can now no longer make itself a platform administrator, rename or
re-point a tenant, or add a hostname that routes another tenant's traffic.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from alembic import op

from mentorhub.db.rls import app_role

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PLATFORM_TABLES = ("tenants", "tenant_domains", "platform_admins")


def upgrade() -> None:
    role = app_role()
    tables = ", ".join(PLATFORM_TABLES)
    op.execute(f"REVOKE ALL ON {tables} FROM {role}")
    op.execute(f"GRANT SELECT ON {tables} TO {role}")


def downgrade() -> None:
    role = app_role()
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON tenants, tenant_domains TO {role}")
    op.execute(f"GRANT DELETE ON tenant_domains TO {role}")
    op.execute(f"GRANT SELECT, INSERT ON platform_admins TO {role}")
