"""The platform console's tests: the real application over httpx (in process, sharing the
test's rolled-back transaction), a platform admin's session made with the session store's
own `create`, mail to the real SMTP sink."""

from __future__ import annotations

import dataclasses
import re
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.models import PlatformAuditEntry, Tenant
from tests.identity.conftest import providers
from tests.messages.conftest import inbox, sink
from tests.messages.sink import Sink
from tests.support import serving

BASE = "https://localhost"
ADMIN = "ops@platform.example.org"


@pytest.fixture
def settings(sink: Sink) -> Settings:
    """Mail to the sink; sign-in rate limits out of the way."""
    return dataclasses.replace(
        get_settings(),
        login_rate_per_minute=100_000,
        login_account_rate_per_minute=100_000,
        login_tenant_rate_per_minute=100_000,
        # The hostname check reaches a closed loopback port unless a test says otherwise.
        verify_resolve=(("*", "127.0.0.1", closed_port()),),
    )


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def session_token(settings: Settings, identity: Identity) -> str:
    redis = Redis.from_url(settings.redis_url or "")
    try:
        return await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(identity)
    finally:
        await redis.aclose()


async def platform_token(settings: Settings) -> str:
    return await session_token(
        settings, Identity(email=ADMIN, display_name="Pat Platform", platform_admin=True)
    )


async def member_token(
    settings: Settings, db: Database, tenant: Tenant, roles: tuple[str, ...]
) -> str:
    """A session of a new member of `tenant` with `roles` (a member: no role)."""
    member = Member(
        tenant_id=tenant.id,
        id=uuid.uuid4(),
        email=f"{'-'.join(roles) or 'member'}-{uuid.uuid4().hex[:6]}@example.org",
        display_name="Someone",
        roles=list(roles),
    )
    async with db.tenant(tenant.id) as session:
        session.add(member)
    return await session_token(
        settings,
        Identity(
            email=member.email,
            display_name=member.display_name,
            tenant_id=str(tenant.id),
            tenant_slug=tenant.slug,
            member_id=str(member.id),
            roles=roles,
        ),
    )


@dataclass
class Console:
    client: httpx.AsyncClient
    token: str

    @property
    def cookie(self) -> dict[str, str]:
        return {"cookie": f"{PLATFORM_COOKIE}={self.token}"}

    async def get(self, path: str, **kw: object) -> httpx.Response:
        return await self.client.get(path, headers=self.cookie, **kw)  # type: ignore[arg-type]

    async def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        """POST as the platform admin, with a CSRF token from the page at `path`'s tenant
        list (the token is bound to the session)."""
        page = await self.get("/platform/tenants")
        token = csrf_from(page.text)
        return await self.client.post(
            path, data={**(data or {}), "_csrf_token": token}, headers=self.cookie
        )


def csrf_from(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


@pytest.fixture
async def console(client: httpx.AsyncClient, settings: Settings) -> Console:
    return Console(client, await platform_token(settings))


async def platform_audit(db: Database, tenant_id: uuid.UUID) -> list[PlatformAuditEntry]:
    async with db.platform() as session:
        rows = await session.execute(
            select(PlatformAuditEntry)
            .where(PlatformAuditEntry.tenant_id == tenant_id)
            .order_by(PlatformAuditEntry.created_at, PlatformAuditEntry.action)
        )
        return list(rows.scalars())


__all__ = ["ADMIN", "BASE", "TENANT_COOKIE", "Console", "inbox", "providers", "sink"]
