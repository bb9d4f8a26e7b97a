"""Tenant routing's in-memory directory: found without the database on every request, and
a change seen within a second — at once when this process made it, after at most a second
(`MAX_AGE`) when another process or plain SQL did. The second is the directory's own clock,
which the tests move by hand (no sleeping, no timing)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from httpx import AsyncClient
from sqlalchemy import text

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.settings import get_settings
from mentorhub.tenancy.directory import MAX_AGE, TenantDirectory
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.services import set_status, upsert_tenant
from tests.foundation.helpers import tenant_info
from tests.support import as_owner, serving


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def app(db: Database) -> AsyncIterator[tuple[Any, AsyncClient, Clock]]:
    async with as_owner(db):
        await load_tenants(db, get_settings().tenants_dir)
    routing = create_app(get_settings(), db=db)
    clock = Clock()
    routing.directory.clock = clock
    async with serving(routing) as client:
        yield routing, client, clock


async def _owner_sql(db: Database, sql: str, **params: Any) -> None:
    """A change the web process is not told about (another process, or by hand)."""
    async with as_owner(db) as owner, owner.platform() as session:
        await session.execute(text(sql), params)


async def test_requests_are_routed_from_memory(app: tuple[Any, AsyncClient, Clock]) -> None:
    routing, client, clock = app
    for path, headers in [("/t/ahep/", {}), ("/", {"host": "ahep.localhost"}), ("/", {})] * 5:
        assert (await client.get(path, headers=headers)).status_code == 200
        clock.now += MAX_AGE / 100
    assert routing.directory.loads == 1  # fifteen requests, one read of the tenants


async def test_a_suspension_by_another_process_takes_effect_within_a_second(
    app: tuple[Any, AsyncClient, Clock], db: Database
) -> None:
    _, client, clock = app
    assert (await client.get("/t/ahep/")).status_code == 200
    await _owner_sql(db, "UPDATE tenants SET status = 'suspended' WHERE slug = 'ahep'")
    clock.now += MAX_AGE * 0.9
    assert (await client.get("/t/ahep/")).status_code == 200  # still the cached snapshot
    clock.now += MAX_AGE * 0.1
    for path, headers in (("/t/ahep/", {}), ("/", {"host": "ahep.localhost"})):
        page = await client.get(path, headers=headers)
        assert page.status_code == 403
        assert "suspended" in page.text


async def test_a_suspension_in_this_process_takes_effect_at_once(
    app: tuple[Any, AsyncClient, Clock], db: Database
) -> None:
    _, client, _clock = app
    assert (await client.get("/t/ahep/")).status_code == 200
    async with as_owner(db):
        await set_status(db, "ahep", "suspended")
    assert (await client.get("/t/ahep/")).status_code == 403  # the clock has not moved
    async with as_owner(db):
        await set_status(db, "ahep", "active")
    assert (await client.get("/t/ahep/")).status_code == 200


async def test_a_hostname_change_takes_effect(
    app: tuple[Any, AsyncClient, Clock], db: Database
) -> None:
    """`/scheme` is a page only on a tenant's host; elsewhere it is not found."""
    _, client, clock = app

    async def scheme(host: str) -> int:
        return (await client.get("/scheme", headers={"host": host})).status_code

    assert await scheme("ahep.localhost") == 200
    assert await scheme("mentoring.ahep.test") == 404
    # By hand (another process): seen once the snapshot is a second old.
    await _owner_sql(
        db,
        "INSERT INTO tenant_domains (hostname, tenant_id, verified_at)"
        " SELECT 'mentoring.ahep.test', id, now() FROM tenants WHERE slug = 'ahep'",
    )
    assert await scheme("mentoring.ahep.test") == 404
    clock.now += MAX_AGE
    assert await scheme("mentoring.ahep.test") == 200
    # Through tenant loading in this process: at once, the old hostnames gone.
    info = msgspec.structs.replace(tenant_info("ahep"), hostnames=("new.ahep.test",))
    async with as_owner(db) as owner, owner.platform() as session:
        await upsert_tenant(session, info)
    assert await scheme("new.ahep.test") == 200
    assert await scheme("ahep.localhost") == 404
    assert await scheme("mentoring.ahep.test") == 404


async def test_waiting_requests_share_one_read(db: Database) -> None:
    async with as_owner(db):
        await load_tenants(db, get_settings().tenants_dir)
    directory = TenantDirectory(lambda: db)
    snapshots = await asyncio.gather(*(directory.snapshot() for _ in range(20)))
    assert directory.loads == 1
    assert all(s is snapshots[0] for s in snapshots)
    assert snapshots[0].slug("ahep") is not None
    assert snapshots[0].hostname("AHEP.localhost") is snapshots[0].slug("ahep")
