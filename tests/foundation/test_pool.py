"""A pooled connection never carries one request's tenant into another's transaction."""

from __future__ import annotations

import asyncio
import random
import uuid

from sqlalchemy import text

from mentorhub.db import Database
from tests.conftest import Servers

REQUESTS = 10_000
TENANTS = 50
POOL = 5
CONCURRENCY = 64


async def test_interleaved_requests_never_see_another_tenant(servers: Servers) -> None:
    db = Database.connect(servers.app_url, pool_size=POOL, max_overflow=0)
    tenants = [uuid.uuid4() for _ in range(TENANTS)]
    rng = random.Random(7)
    plan = [rng.choice([*tenants, None]) for _ in range(REQUESTS)]  # None: a platform request
    mismatches: list[tuple[object, object]] = []
    gate = asyncio.Semaphore(CONCURRENCY)
    used_connections: set[int] = set()

    async def request(tenant: uuid.UUID | None) -> None:
        async with gate:
            if tenant is None:
                async with db.platform() as s:
                    seen = (
                        await s.execute(text("SELECT current_setting('mentorhub.tenant_id', true)"))
                    ).scalar_one()
                    if seen not in ("", None):
                        mismatches.append((None, seen))
                return
            async with db.tenant(tenant) as s:
                await asyncio.sleep(0)  # let other requests interleave inside the transaction
                seen, backend = (
                    await s.execute(
                        text(
                            "SELECT current_setting('mentorhub.tenant_id', true), pg_backend_pid()"
                        )
                    )
                ).one()
                used_connections.add(backend)
                if seen != str(tenant):
                    mismatches.append((tenant, seen))

    try:
        await asyncio.gather(*(request(t) for t in plan))
        # Between transactions, a checked-in connection holds no tenant at all.
        async with db.engine.connect() as conn:
            leftover = (
                await conn.execute(text("SELECT current_setting('mentorhub.tenant_id', true)"))
            ).scalar_one()
    finally:
        await db.dispose()
    assert mismatches == []
    assert len(used_connections) <= POOL
    assert leftover in ("", None)
