"""Behavioural isolation of the tenant admin's tables (migration 0018): another tenant neither
reads, changes nor adds to a tenant's `tenant_profiles` (contacts, logo) and
`coordinator_scopes`, through row-level security (raw SQL as the runtime role) or the
application's scoping (ORM); and `mentorhub_tenant_set_branding` refuses any tenant's id but
the transaction's own. Every probe has a positive control."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from mentorhub.admin import settings_services as services
from mentorhub.admin.models import CoordinatorScope, TenantProfile
from mentorhub.db import Database
from tests.admin.helpers import png, tenant_now
from tests.applications.conftest import World, make_world

SET_BRANDING = text("SELECT mentorhub_tenant_set_branding(:id, :name, CAST(:branding AS jsonb))")


async def _world_with_rows(db: Database) -> tuple[World, uuid.UUID, uuid.UUID]:
    """Alberta's world with its profile (a logo) and one scope row; (world, profile id,
    scope id), made through the actions themselves."""
    world = await make_world(db, "alberta-museums")
    await services.upload_logo(db, world.id, png(), actor=world.admin.email, actor_id=None)
    await services.set_coordinator_scope(
        db, world.id, world.coordinator.id, [world.cohort.id], actor="a", actor_id=None
    )
    async with db.tenant(world.id) as s:
        profile = (await s.execute(select(TenantProfile.id))).scalar_one()
        scope = (await s.execute(select(CoordinatorScope.id))).scalar_one()
    return world, profile, scope


async def _count(db: Database, tenant_id: uuid.UUID, table: str, row_id: uuid.UUID) -> int:
    async with db.tenant(tenant_id) as s:
        found = await s.execute(
            text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": row_id}
        )
        return int(found.scalar_one())


async def test_another_tenant_reads_and_changes_none_of_the_profile_or_scopes(
    db: Database,
) -> None:
    a, profile_id, scope_id = await _world_with_rows(db)
    b = (await make_world(db, "museums-association")).id
    changes = {
        "tenant_profiles": "UPDATE tenant_profiles SET contact_email = 'x@evil.example' "
        "WHERE id = :id",
        "coordinator_scopes": "UPDATE coordinator_scopes SET created_by = NULL WHERE id = :id",
    }
    for table, row_id in (("tenant_profiles", profile_id), ("coordinator_scopes", scope_id)):
        assert await _count(db, a.id, table, row_id) == 1  # the control: the row is there
        assert await _count(db, b, table, row_id) == 0
        async with db.tenant(b) as s:
            assert (await s.execute(text(changes[table]), {"id": row_id})).rowcount == 0
        async with db.tenant(a.id) as s:  # the control: its own tenant can change it
            assert (await s.execute(text(changes[table]), {"id": row_id})).rowcount == 1
    async with db.tenant(b) as s:
        deleted = await s.execute(
            text("DELETE FROM coordinator_scopes WHERE id = :id"), {"id": scope_id}
        )
        assert deleted.rowcount == 0
    assert await _count(db, a.id, "coordinator_scopes", scope_id) == 1
    async with db.tenant(b) as s:  # the application's scoping: the ORM finds nothing either
        assert (await s.execute(select(TenantProfile))).first() is None
        assert (await s.execute(select(CoordinatorScope))).first() is None
    async with db.tenant(a.id) as s:  # ...and its control
        assert (await s.execute(select(TenantProfile))).first() is not None
        assert (await s.execute(select(CoordinatorScope))).first() is not None


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO tenant_profiles (tenant_id, id) VALUES (:a, :id)",
        "INSERT INTO coordinator_scopes (tenant_id, id, member_id, cohort_id)"
        " VALUES (:a, :id, :member, :cohort)",
    ],
)
async def test_writing_a_row_into_another_tenant_is_refused(db: Database, statement: str) -> None:
    a = await make_world(db, "alberta-museums")
    b = (await make_world(db, "museums-association")).id
    values = {"a": a.id, "id": uuid.uuid4(), "member": a.coordinator.id, "cohort": a.cohort.id}
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.tenant(b) as s:
            await s.execute(text(statement), values)
    async with db.tenant(a.id) as s:  # the control: the tenant itself may add it
        await s.execute(text(statement), values)


async def test_the_branding_function_refuses_another_tenants_id(db: Database) -> None:
    a = await make_world(db, "alberta-museums")
    b = await make_world(db, "museums-association")
    before = await tenant_now(db, a.tenant.id)
    values = {"id": a.id, "name": "Taken Over", "branding": '{"primary_color": "#000000"}'}
    with pytest.raises(DBAPIError, match="only in the tenant's own transaction"):
        async with db.tenant(b.id) as s:
            await s.execute(SET_BRANDING, values)
    with pytest.raises(DBAPIError, match="only in the tenant's own transaction"):
        async with db.platform() as s:  # no tenant at all
            await s.execute(SET_BRANDING, values)
    after = await tenant_now(db, a.tenant.id)
    assert (after.name, after.branding, after.branding_edited_at) == (
        before.name,
        before.branding,
        before.branding_edited_at,
    )
    async with db.tenant(a.id) as s:  # the control: in its own transaction it works
        await s.execute(SET_BRANDING, values)
    after = await tenant_now(db, a.tenant.id)
    assert after.name == "Taken Over" and after.branding_edited_at is not None
