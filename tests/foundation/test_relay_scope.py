"""The relay's scope sees every tenant's outbox rows (its policy says so), so the ORM guard
must not let a tenant-owned model query run there: it refuses, as with no tenant at all."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from mentorhub.db import Database, NoTenantError
from mentorhub.identity.models import Member
from mentorhub.outbox.models import OutboxMessage
from mentorhub.outbox.writer import add_outbox
from tests.foundation.helpers import make_member, make_tenant


async def test_tenant_owned_orm_queries_are_refused_in_the_relay_scope(db: Database) -> None:
    a = await make_tenant(db)
    await make_member(db, a, "Alice of A")
    for statement in (
        select(Member),
        select(OutboxMessage.id),
        update(Member).values(display_name="changed"),
    ):
        with pytest.raises(NoTenantError):
            async with db.platform("relay") as s:
                await s.execute(statement)
    with pytest.raises(NoTenantError):
        async with db.platform("relay") as s:
            await s.get(Member, {"tenant_id": a.id, "id": a.id})


async def test_the_relay_still_reads_the_outbox_across_tenants_with_core_sql(
    db: Database,
) -> None:
    a, b = await make_tenant(db), await make_tenant(db)
    async with db.tenant(a.id) as s:
        first = await add_outbox(s, "audit.record", {"action": "a"})
    async with db.tenant(b.id) as s:
        second = await add_outbox(s, "audit.record", {"action": "b"})
    table = OutboxMessage.__table__
    async with db.platform("relay") as s:
        found = (
            await s.execute(
                select(table.c.tenant_id).where(table.c.id.in_([first.id, second.id]))
            )
        ).scalars()
        assert set(found) == {a.id, b.id}
        # Raw SQL on another tenant-owned table sees nothing: only the outbox names the scope.
        members = await s.execute(text("SELECT count(*) FROM members"))
        assert members.scalar_one() == 0
