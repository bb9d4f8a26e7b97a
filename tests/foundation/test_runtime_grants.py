"""The runtime role (web, workers, clock) reads the platform's tables and writes none of them
directly.

Tenants, their hostnames and platform administrators are written by tenant loading and
operator commands, which connect as the owner; the platform console (issue 17) changes
tenants and hostnames only through the checked SECURITY DEFINER functions of migration 0018.
Before migration 0006 the runtime role could list itself a platform administrator and rename
or re-point tenants.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from mentorhub.db import Database
from mentorhub.db.rls import PLATFORM_TABLES
from mentorhub.tenancy.models import PlatformAdmin
from mentorhub.tenancy.services import set_status, upsert_tenant
from tests.conftest import APP_ROLE
from tests.foundation.helpers import make_tenant, tenant_info

PRIVILEGES = text(
    """
    SELECT c.relname, p.privilege_type
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL aclexplode(COALESCE(c.relacl, acldefault('r', c.relowner))) p
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND c.relname = ANY(:tables) AND p.grantee = (SELECT oid FROM pg_roles WHERE rolname = :role)
    """
)


async def test_the_runtime_role_may_only_read_the_platform_tables(
    owner_engine: AsyncEngine,
) -> None:
    """From the catalog: a later migration that grants more fails here."""
    async with owner_engine.connect() as conn:
        granted = (
            await conn.execute(PRIVILEGES, {"tables": sorted(PLATFORM_TABLES), "role": APP_ROLE})
        ).all()
    assert sorted(granted) == [
        ("platform_admins", "SELECT"),
        ("platform_audit", "INSERT"),  # what platform admins did (0018): append and read
        ("platform_audit", "SELECT"),
        ("tenant_domains", "SELECT"),
        ("tenants", "SELECT"),
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO platform_admins (id, email, display_name) "
        "VALUES (gen_random_uuid(), 'intruder@example.org', 'Intruder')",
        "UPDATE tenants SET name = 'Renamed'",
        "UPDATE tenants SET status = 'active'",
        "DELETE FROM tenants",
        "INSERT INTO tenant_domains (hostname, tenant_id) "
        "SELECT 'evil.example.org', id FROM tenants",
        "UPDATE tenant_domains SET hostname = 'evil.example.org'",
        "DELETE FROM tenant_domains",
        "DELETE FROM platform_admins",
    ],
)
async def test_the_runtime_role_is_refused_platform_writes(db: Database, statement: str) -> None:
    await make_tenant(db)  # there is a row for UPDATE and DELETE to reach
    with pytest.raises(DBAPIError, match="permission denied"):
        async with db.platform() as session:
            await session.execute(text(statement))


async def test_the_product_writes_tenants_only_through_the_checked_functions(
    db: Database,
) -> None:
    """The platform console (issue 17) changes tenants and hostnames through the SECURITY
    DEFINER functions of migration 0018, which check what they are given; the runtime role
    still cannot write a tenant file's way (`upsert_tenant`) nor list a platform admin."""
    tenant = await make_tenant(db)
    await set_status(db, tenant.slug, "suspended")  # through mentorhub_tenant_set_status
    async with db.platform() as session:
        found = await session.get(type(tenant), tenant.id, populate_existing=True)
        assert found is not None and found.status == "suspended" and found.suspended_at
    with pytest.raises(DBAPIError, match="invalid tenant status"):
        await set_status(db, tenant.slug, "deleted")
    with pytest.raises(DBAPIError, match="invalid hostname"):
        async with db.platform() as session:
            await session.execute(
                text("SELECT mentorhub_tenant_add_hostname(:id, 'not a host', :token)"),
                {"id": tenant.id, "token": "t" * 43},
            )
    with pytest.raises(DBAPIError, match="permission denied"):
        async with db.platform() as session:
            await upsert_tenant(session, tenant_info())
    with pytest.raises(DBAPIError, match="permission denied"):
        async with db.platform() as session:
            session.add(
                PlatformAdmin(id=uuid.uuid4(), email="intruder@example.org", display_name="I")
            )
    async with db.platform() as session:  # reading stays allowed
        assert (await session.get(type(tenant), tenant.id)) is not None
