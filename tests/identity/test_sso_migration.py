"""Migration 0005 on a database that already has several providers for one tenant (saving a
new issuer used to add a row): the oldest (what sign-in used) stays active, the newest (the
admin's last save) becomes pending, rows in between go; the indexes then refuse a second
active provider."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from mentorhub.db.migrate import upgrade
from mentorhub.db.urls import async_url, with_database
from tests.conftest import Servers, admin_sql


@pytest.fixture
def owner_url(servers: Servers) -> Iterator[str]:
    name = f"mh_mig5_{uuid.uuid4().hex[:8]}"
    admin_sql(servers.owner_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(servers.owner_url, name)
    finally:
        admin_sql(servers.owner_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _insert_three(url: str, tenant: uuid.UUID) -> None:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO tenants (id, slug, name, jurisdiction)"
                    " VALUES (:t, 'm5', 'M5', 'GB')"
                ),
                {"t": tenant},
            )
            await conn.execute(TENANT, {"t": str(tenant)})
            for n, issuer in enumerate(("https://first", "https://middle", "https://last")):
                await conn.execute(
                    text(
                        "INSERT INTO identity_providers (tenant_id, id, issuer, client_id,"
                        " client_secret_enc, created_at)"
                        " VALUES (:t, :id, :issuer, 'c', 'x', now() + make_interval(secs => :n))"
                    ),
                    {"t": tenant, "id": uuid.uuid4(), "issuer": issuer, "n": n},
                )
    finally:
        await engine.dispose()


async def _after(url: str, tenant: uuid.UUID) -> tuple[list[tuple[str, str]], bool]:
    """The rows after the migration, and whether a second active row is refused."""
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(TENANT, {"t": str(tenant)})
            rows = (
                await conn.execute(
                    text("SELECT status, issuer FROM identity_providers ORDER BY status")
                )
            ).all()
            try:
                async with conn.begin_nested():
                    await conn.execute(
                        text(
                            "INSERT INTO identity_providers (tenant_id, id, issuer, client_id,"
                            " client_secret_enc, status)"
                            " VALUES (:t, :id, 'https://x', 'c', 'x', 'active')"
                        ),
                        {"t": tenant, "id": uuid.uuid4()},
                    )
                refused = False
            except IntegrityError:
                refused = True
        return [(str(r[0]), str(r[1])) for r in rows], refused
    finally:
        await engine.dispose()


TENANT = text("SELECT set_config('mentorhub.tenant_id', :t, true)")


def test_existing_rows_become_one_active_and_one_pending(owner_url: str) -> None:
    upgrade(owner_url, app_role="mentorhub_app", revision="0004")
    tenant = uuid.uuid4()
    asyncio.run(_insert_three(owner_url, tenant))
    upgrade(owner_url, app_role="mentorhub_app", revision="0005")
    rows, refused = asyncio.run(_after(owner_url, tenant))
    assert rows == [("active", "https://first"), ("pending", "https://last")]
    assert refused  # one active provider per tenant, enforced by the schema
