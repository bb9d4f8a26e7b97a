"""A request's one read transaction (`web.reads`) and the tenant setting sent with BEGIN
(`db.session`): what each guarantees, on the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from mentorhub.web.reads import RequestReads
from tests.conftest import Servers
from tests.foundation.helpers import make_member
from tests.support import as_owner, serving

SETTINGS = (
    "SELECT current_setting('mentorhub.tenant_id', true), current_setting('mentorhub.scope', true)"
)
#: A write the runtime role may make (the outbox), touching no row.
A_WRITE = "UPDATE outbox SET failed_at = failed_at WHERE false"


@pytest.fixture
async def live(servers: Servers) -> AsyncIterator[Database]:
    """The product's engine (`Database.connect`), one pooled connection, really committing."""
    db = Database.connect(servers.app_url, pool_size=1, max_overflow=0)
    yield db
    await db.dispose()


async def _driver(session: Any) -> Any:
    return (await (await session.connection()).get_raw_connection()).driver_connection


async def test_the_tenant_setting_is_in_place_on_entry_and_ends_with_the_transaction(
    live: Database,
) -> None:
    tenant_id = uuid.uuid4()
    async with live.tenant(tenant_id) as session:
        # Started at once, not at the first statement: code that runs statements on the
        # driver connection itself (the outbox's batches) finds the transaction and setting.
        driver = await _driver(session)
        assert driver.is_in_transaction()
        assert await driver.fetchrow(SETTINGS) == (str(tenant_id), "")
        assert (await session.execute(text(SETTINGS))).one() == (str(tenant_id), "")
    async with live.engine.connect() as conn:  # the same pooled connection, no transaction
        assert (await conn.execute(text(SETTINGS))).one() in [("", ""), (None, None)]
    async with live.platform("relay") as session:
        assert (await session.execute(text(SETTINGS))).one() == ("", "relay")


async def test_a_failed_transaction_leaves_nothing_for_the_next_one(live: Database) -> None:
    with pytest.raises(RuntimeError):
        async with live.tenant(uuid.uuid4()):
            raise RuntimeError("the action failed")
    async with live.platform() as session:
        assert (await session.execute(text(SETTINGS))).one() == ("", "platform")


async def test_a_read_only_transaction_refuses_writes(live: Database) -> None:
    async with live.tenant(uuid.uuid4()) as session:
        await session.execute(text(A_WRITE))  # an ordinary transaction may write
    with pytest.raises(DBAPIError, match="read-only transaction"):
        async with live.tenant(uuid.uuid4(), read_only=True) as session:
            await session.execute(text(A_WRITE))


async def test_request_reads_share_one_session_in_one_tenant(live: Database) -> None:
    tenant_id = uuid.uuid4()
    reads = RequestReads(live, tenant_id)
    assert not reads.opened  # nothing asked for: no transaction, no connection
    assert live.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with reads.tenant(tenant_id) as first:
        pass
    async with reads.tenant(tenant_id) as second:
        assert second is first
        assert (await second.execute(text(SETTINGS))).one() == (str(tenant_id), "")
    with pytest.raises(ValueError, match="its own tenant"):
        async with reads.tenant(uuid.uuid4()):
            pass
    with pytest.raises(ValueError, match="reads only"):
        async with reads.tenant(tenant_id, read_only=False):
            pass
    await reads.end(commit=True)
    assert live.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_request_reads_refuse_writes_and_roll_back(live: Database) -> None:
    reads = RequestReads(live, uuid.uuid4())
    with pytest.raises(DBAPIError, match="read-only transaction"):
        async with reads.tenant(reads.tenant_id) as session:
            await session.execute(text(A_WRITE))
    await reads.end(commit=False)
    assert live.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with live.platform() as session:  # the connection is clean for the next one
        assert (await session.execute(text(SETTINGS))).one() == ("", "platform")


@pytest.fixture
async def app(db: Database) -> AsyncIterator[tuple[Any, AsyncClient, list[Tenant]]]:
    async with as_owner(db):
        tenants = await load_tenants(db, get_settings().tenants_dir)
    routing = create_app(get_settings(), db=db)
    async with serving(routing) as client:
        yield routing, client, tenants


async def test_a_signed_in_page_reads_in_one_transaction(
    app: tuple[Any, AsyncClient, list[Tenant]], db: Database
) -> None:
    """The navigation's unread count (a `before_request` hook) and the page's own read share
    the request's one transaction; a public page that reads nothing opens none."""
    routing, client, tenants = app
    tenant = next(t for t in tenants if t.slug == "ahep")
    member = await make_member(db, tenant)
    token = await routing.app.state.sessions.create(
        Identity(
            email=member.email,
            display_name=member.display_name,
            tenant_id=str(tenant.id),
            tenant_slug=tenant.slug,
            member_id=str(member.id),
            roles=("mentee",),
        )
    )
    routing.directory.clock = lambda: 1000.0  # the tenants, read once, stay fresh
    assert (await client.get("/t/ahep/")).status_code == 200
    begun: list[Session] = []

    def count(session: Session, transaction: Any, connection: Any) -> None:
        begun.append(session)

    event.listen(Session, "after_begin", count)
    try:
        client.cookies.set(TENANT_COOKIE, token)
        page = await client.get("/t/ahep/me")
        assert page.status_code == 200
        assert member.display_name in page.text
        assert len(begun) == 1
        begun.clear()
        assert (await client.get("/t/ahep/")).status_code == 200
        assert begun == []
    finally:
        event.remove(Session, "after_begin", count)
