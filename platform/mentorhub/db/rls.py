"""What every migration uses to create tenant-owned tables the one right way."""

from __future__ import annotations

from alembic import op

#: Tables owned by the platform itself; every other table must be tenant-owned.
PLATFORM_TABLES = frozenset(
    {"alembic_version", "tenants", "tenant_domains", "platform_admins", "platform_audit"}
)

CURRENT_TENANT = "(SELECT mentorhub_current_tenant())"


def app_role() -> str:
    from alembic import context

    return str(context.config.attributes.get("app_role", "mentorhub_app"))


def protect_tenant_table(table: str, *, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> None:
    """ENABLE and FORCE row-level security with the tenant policy, and grant the runtime role
    only `privileges`. The policy compares against a sub-select so PostgreSQL evaluates the
    setting once per statement (an init plan) and keeps using the tenant index."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
    op.execute(f"GRANT {privileges} ON {table} TO {app_role()}")
