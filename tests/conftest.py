"""Test harness: real PostgreSQL and Redis, never mocks.

The servers named by MENTORHUB_TEST_DATABASE_URL / MENTORHUB_TEST_REDIS_URL are used when
set; otherwise the embedded ones the product itself uses are started once per run. Each run
migrates a fresh database once (the real Alembic migrations and policies), and each test that
asks for `db` runs in a transaction that is rolled back.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from mentorhub.db import Database
from mentorhub.db.migrate import upgrade
from mentorhub.db.urls import async_url, with_database, with_user
from mentorhub.embedded import EmbeddedServices
from mentorhub.settings import get_settings

APP_ROLE = "mentorhub_app"


@dataclass(frozen=True)
class Servers:
    owner_url: str  # the run's database, as its owner
    app_url: str  # the same database as the runtime role
    redis_url: str
    tmp: Path


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    tmp = Path(tempfile.mkdtemp(prefix="mentorhub-test-"))
    os.chmod(tmp, 0o755)
    embedded: EmbeddedServices | None = None
    server_url = os.environ.get("MENTORHUB_TEST_DATABASE_URL")
    redis_url = os.environ.get("MENTORHUB_TEST_REDIS_URL")
    if server_url is None or redis_url is None:
        embedded = EmbeddedServices(tmp / "embedded")
        (tmp / "embedded").mkdir()
        os.chmod(tmp / "embedded", 0o755)
        embedded_pg, embedded_redis = embedded.start()
        server_url = server_url or embedded_pg
        redis_url = redis_url or embedded_redis
    name = f"mentorhub_test_{secrets.token_hex(4)}"
    admin_sql(server_url, f'CREATE DATABASE "{name}"')
    owner_url = with_database(server_url, name)
    try:
        upgrade(owner_url, app_role=APP_ROLE)
        # The `db` fixture's owner connection takes the runtime role (SET ROLE needs it
        # when the owner is not a superuser, as on a configured server).
        admin_sql(owner_url, f"GRANT {APP_ROLE} TO CURRENT_USER")
        servers = Servers(
            owner_url=owner_url,
            app_url=with_user(owner_url, APP_ROLE),
            redis_url=redis_url,
            tmp=tmp,
        )
        os.environ.update(
            DATABASE_URL=owner_url,
            MENTORHUB_APP_DATABASE_URL=servers.app_url,
            REDIS_URL=redis_url,
            MENTORHUB_SECRET_KEY=secrets.token_urlsafe(40),
            MENTORHUB_PATH_PREFIX_TENANTS="true",
            MENTORHUB_OIDC_ALLOW_LOOPBACK="true",  # the test providers run on loopback
        )
        get_settings.cache_clear()
        yield servers
    finally:
        admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if embedded is not None:
            embedded.stop()


def admin_sql(server_url: str, sql: str) -> object:
    """Run one statement outside a transaction (CREATE/DROP DATABASE); return its value."""
    import asyncio

    import asyncpg

    async def run() -> object:
        url = async_url(server_url)
        conn = await asyncpg.connect(
            user=url.username,
            password=url.password,
            host=url.host or url.query.get("host"),
            port=url.port,
            database=url.database,
        )
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture(scope="session")
async def app_engine(servers: Servers) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(servers.app_url), pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def owner_engine(servers: Servers) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(servers.owner_url), pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(app_engine: AsyncEngine, owner_engine: AsyncEngine) -> AsyncIterator[Database]:
    """The runtime role's Database, inside one outer transaction rolled back after the test.
    The connection logs in as the owner and takes the runtime role for the whole transaction
    (`SET LOCAL ROLE`: its privileges and row-level security), so that setup which production
    runs as the owner (tenant loading, operator commands) can share the transaction through
    `tests.support.as_owner`."""
    async with owner_engine.connect() as conn:
        outer = await conn.begin()
        await conn.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
        yield Database(app_engine, bind=conn)
        await outer.rollback()


@pytest.fixture
async def owner_db(owner_engine: AsyncEngine) -> AsyncIterator[Database]:
    """The owner's view (superuser on the embedded server: RLS does not apply), rolled back."""
    async with owner_engine.connect() as conn:
        outer = await conn.begin()
        yield Database(owner_engine, bind=conn)
        await outer.rollback()


@pytest.fixture
def tenants_dir() -> Path:
    return get_settings().tenants_dir


def new_slug() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"
