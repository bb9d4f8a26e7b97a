"""`for_each_tenant`: each tenant in its own transaction; one tenant's error rolls back that
tenant's changes only, is logged, and the others' work is kept (real PostgreSQL, RLS on)."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core.audit import AuditEntry
from mentorhub.core.tenants import for_each_tenant
from mentorhub.db import Database
from mentorhub.tenancy.services import set_status
from tests.foundation.helpers import make_tenant
from tests.support import as_owner


async def actions(db: Database, tenant_id: uuid.UUID) -> list[str]:
    async with db.tenant(tenant_id) as s:
        return list((await s.execute(select(AuditEntry.action))).scalars())


async def test_one_tenants_error_rolls_back_that_tenant_only(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    first, broken, last = [await make_tenant(db) for _ in range(3)]
    mine = {first.id, broken.id, last.id}
    seen: list[uuid.UUID] = []

    async def work(session: AsyncSession, tenant_id: uuid.UUID) -> None:
        if tenant_id not in mine:  # tenants other tests left behind
            return
        seen.append(tenant_id)
        session.add(AuditEntry(tenant_id=tenant_id, action="swept"))
        await session.flush()  # the row is written in this tenant's transaction...
        if tenant_id == broken.id:
            raise RuntimeError("this tenant's data is odd")  # ...and rolled back here

    with caplog.at_level(logging.ERROR, logger="mentorhub.core.tenants"):
        failures = await for_each_tenant(db, work)

    assert [(f.tenant_id, f.slug, str(f.error)) for f in failures] == [
        (broken.id, broken.slug, "this tenant's data is odd")
    ]
    assert set(seen) == mine  # the tenants after the broken one were still visited
    assert await actions(db, first.id) == ["swept"]
    assert await actions(db, last.id) == ["swept"]
    assert await actions(db, broken.id) == []
    [record] = caplog.records
    assert broken.slug in record.getMessage() and record.exc_info is not None


async def test_work_sees_only_its_own_tenant_and_suspended_ones_are_skipped(
    db: Database,
) -> None:
    active, suspended = await make_tenant(db), await make_tenant(db)
    for tenant in (active, suspended):
        async with db.tenant(tenant.id) as s:
            s.add(AuditEntry(tenant_id=tenant.id, action=f"of {tenant.slug}"))
    async with as_owner(db):
        await set_status(db, suspended.slug, "suspended")
    visible: dict[uuid.UUID, list[str]] = {}

    async def work(session: AsyncSession, tenant_id: uuid.UUID) -> None:
        visible[tenant_id] = list((await session.execute(select(AuditEntry.action))).scalars())

    assert await for_each_tenant(db, work) == []
    assert visible[active.id] == [f"of {active.slug}"]
    assert suspended.id not in visible
    assert await for_each_tenant(db, work, include_suspended=True) == []
    assert visible[suspended.id] == [f"of {suspended.slug}"]
