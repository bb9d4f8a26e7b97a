"""Behavioural isolation: tenant B can neither read, change nor delete tenant A's rows,
through either layer — the database's row-level security, or the application's scoping.
Every probe has a positive control showing the row is really there."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from mentorhub.db import Database, NoTenantError, NotFound, get_in_tenant
from mentorhub.identity.models import Member
from mentorhub.outbox.writer import add_outbox
from tests.foundation.helpers import make_member, make_tenant


async def _count(db: Database, tenant_id: uuid.UUID, member_id: uuid.UUID) -> int:
    async with db.tenant(tenant_id) as s:
        return (
            await s.execute(text("SELECT count(*) FROM members WHERE id = :id"), {"id": member_id})
        ).scalar_one()


async def test_database_layer_hides_rows_from_another_tenant(db: Database) -> None:
    """Raw SQL, so only row-level security stands between the tenants."""
    a, b = await make_tenant(db), await make_tenant(db)
    row = await make_member(db, a, "Alice of A")

    assert await _count(db, a.id, row.id) == 1  # control: A sees it
    assert await _count(db, b.id, row.id) == 0  # B does not

    async with db.tenant(b.id) as s:
        changed = await s.execute(
            text("UPDATE members SET display_name = 'pwned' WHERE id = :id"), {"id": row.id}
        )
        assert changed.rowcount == 0
        deleted = await s.execute(text("DELETE FROM members WHERE id = :id"), {"id": row.id})
        assert deleted.rowcount == 0
        everything = await s.execute(
            text("SELECT count(*) FROM members WHERE tenant_id = :a"), {"a": a.id}
        )
        assert everything.scalar_one() == 0

    async with db.tenant(a.id) as s:  # control: still there, unchanged
        name = (
            await s.execute(text("SELECT display_name FROM members WHERE id = :id"), {"id": row.id})
        ).scalar_one()
        assert name == "Alice of A"


async def test_database_layer_refuses_writing_into_another_tenant(db: Database) -> None:
    a, b = await make_tenant(db), await make_tenant(db)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.tenant(b.id) as s:
            await s.execute(
                text(
                    "INSERT INTO members (tenant_id, id, email, display_name) "
                    "VALUES (:a, :id, 'x@y.z', 'x')"
                ),
                {"a": a.id, "id": uuid.uuid4()},
            )
    row = await make_member(db, a)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.tenant(a.id) as s:  # moving a row to another tenant is refused too
            await s.execute(
                text("UPDATE members SET tenant_id = :b WHERE id = :id"), {"b": b.id, "id": row.id}
            )


async def test_no_tenant_set_sees_nothing(db: Database) -> None:
    a = await make_tenant(db)
    await make_member(db, a)
    async with db.platform() as s:
        assert (await s.execute(text("SELECT count(*) FROM members"))).scalar_one() == 0


async def test_application_layer_scopes_orm_queries_even_without_rls(owner_db: Database) -> None:
    """As the owner (a superuser here, so RLS does not apply) the ORM scoping alone must
    keep B away from A's rows."""
    a, b = await make_tenant(owner_db), await make_tenant(owner_db)
    row = await make_member(owner_db, a, "Alice of A")

    async with owner_db.tenant(a.id) as s:  # control
        assert (await get_in_tenant(s, Member, row.id)).display_name == "Alice of A"
    async with owner_db.tenant(b.id) as s:
        with pytest.raises(NotFound) as missing_foreign:
            await get_in_tenant(s, Member, row.id)
        with pytest.raises(NotFound) as missing_absent:
            await get_in_tenant(s, Member, uuid.uuid4())
        assert str(missing_foreign.value) == str(missing_absent.value) == "No such member."
        assert (
            await s.execute(select(Member).where(Member.id == row.id))
        ).scalar_one_or_none() is None
        changed = await s.execute(
            update(Member)
            .where(Member.id == row.id)
            .values(display_name="pwned")
            .execution_options(synchronize_session=False)
        )
        assert changed.rowcount == 0
        deleted = await s.execute(
            delete(Member).where(Member.id == row.id).execution_options(synchronize_session=False)
        )
        assert deleted.rowcount == 0
    async with owner_db.tenant(a.id) as s:  # control: unchanged
        assert (await get_in_tenant(s, Member, row.id)).display_name == "Alice of A"


async def test_orm_query_without_tenant_fails_loudly(db: Database) -> None:
    async with db.sessionmaker() as s, s.begin():
        with pytest.raises(NoTenantError):
            await s.execute(select(Member))


async def test_access_helper_rejects_malformed_ids_as_not_found(db: Database) -> None:
    a = await make_tenant(db)
    async with db.tenant(a.id) as s:
        with pytest.raises(NotFound, match="No such member"):
            await get_in_tenant(s, Member, "not-a-uuid")


async def test_outbox_rows_are_tenant_scoped(db: Database) -> None:
    a, b = await make_tenant(db), await make_tenant(db)
    async with db.tenant(a.id) as s:
        message = await add_outbox(s, "audit.record", {"action": "test"})
    async with db.tenant(b.id) as s:
        assert (
            await s.execute(text("SELECT count(*) FROM outbox WHERE id = :id"), {"id": message.id})
        ).scalar_one() == 0
    async with db.tenant(a.id) as s:
        assert (
            await s.execute(text("SELECT count(*) FROM outbox WHERE id = :id"), {"id": message.id})
        ).scalar_one() == 1
    async with db.platform("relay") as s:  # the relay's own named path sees across tenants
        assert (
            await s.execute(text("SELECT count(*) FROM outbox WHERE id = :id"), {"id": message.id})
        ).scalar_one() == 1
    async with db.platform() as s:  # the general platform path does not
        assert (
            await s.execute(text("SELECT count(*) FROM outbox WHERE id = :id"), {"id": message.id})
        ).scalar_one() == 0


async def test_audit_log_is_append_only(db: Database) -> None:
    a = await make_tenant(db)
    async with db.tenant(a.id) as s:
        await s.execute(
            text("INSERT INTO audit_log (tenant_id, id, action) VALUES (:t, :id, 'login')"),
            {"t": a.id, "id": uuid.uuid4()},
        )
    with pytest.raises(DBAPIError, match="permission denied"):
        async with db.tenant(a.id) as s:
            await s.execute(text("DELETE FROM audit_log"))


async def test_isolation_probe_detects_a_table_without_rls(owner_db: Database) -> None:
    """Show once that the behavioural probe fails when RLS is dropped: in a rolled-back
    owner transaction, disable RLS on members and read as the runtime role."""
    a, b = await make_tenant(owner_db), await make_tenant(owner_db)
    row = await make_member(owner_db, a)
    async with owner_db.sessionmaker() as s:
        conn = await s.connection()
        savepoint = await conn.begin_nested()
        await conn.execute(text("ALTER TABLE members DISABLE ROW LEVEL SECURITY"))
        await conn.execute(text("SET LOCAL ROLE mentorhub_app"))
        await conn.execute(
            text("SELECT set_config('mentorhub.tenant_id', :b, true)"), {"b": str(b.id)}
        )
        leaked = (
            await conn.execute(text("SELECT count(*) FROM members WHERE id = :id"), {"id": row.id})
        ).scalar_one()
        await savepoint.rollback()
        assert leaked == 1  # without RLS, tenant B reads A's row: the probe above would fail
