"""What the tenant admin's tests share: the pages' text and addresses, signing in as a
member (their CSRF token), every prober of a route's access, the tenant's row and audit
rows read afresh, and images for the logo."""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import AsyncIterator

import httpx
from PIL import Image
from redis.asyncio import Redis
from sqlalchemy import select

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import PLATFORM_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.applications.conftest import World, add_member, make_world
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity.conftest import csrf_from

BASE = "https://localhost"


def words(page: httpx.Response) -> str:
    """The page's text as a reader sees it: no tags, entities read, white space folded."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


def url(world: World, path: str) -> str:
    """`path` on the world's tenant."""
    return f"/t/{world.tenant.slug}{path}"


def png(width: int = 240, height: int = 60, colour: tuple[int, int, int] = (11, 61, 46)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64)).save(out, "GIF")
    return out.getvalue()


async def as_(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    who: Member,
    page: str = "/me",
) -> str:
    """Sign in as `who`; their CSRF token (from `page`)."""
    client.cookies.clear()
    await sign_in_as(client, settings, world, who)
    got = await client.get(url(world, page))
    assert got.status_code == 200, got.text[:300]
    return csrf_from(got.text)


async def tenant_now(db: Database, tenant_id: uuid.UUID) -> Tenant:
    async with db.platform() as session:
        return (
            await session.execute(
                select(Tenant)
                .where(Tenant.id == tenant_id)
                .execution_options(populate_existing=True)
            )
        ).scalar_one()


async def audits(db: Database, world: World, action: str) -> list[AuditEntry]:
    """The tenant's audit rows of `action`, oldest first."""
    async with db.tenant(world.id) as session:
        return list(
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.action == action)
                    .order_by(AuditEntry.created_at, AuditEntry.id)
                )
            ).scalars()
        )


async def platform_cookie(settings: Settings) -> str:
    redis = Redis.from_url(settings.redis_url or "")
    try:
        store = SessionStore(redis, idle_seconds=600, absolute_seconds=600)
        identity = Identity(email="ops@example.org", display_name="Ops", platform_admin=True)
        return await store.create(identity)
    finally:
        await redis.aclose()


async def probes(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
) -> AsyncIterator[tuple[str, str]]:
    """Sign the client in as each prober in turn; (who, their CSRF token or "")."""
    client.cookies.clear()
    yield "anonymous", ""
    member = await add_member(db, world.tenant, "Mo Member", roles=("mentee",))
    yield "member", await as_(client, settings, world, member)
    yield "coordinator", await as_(client, settings, world, world.coordinator)
    other = await make_world(db, "museums-association")
    token = await as_(client, settings, other, other.admin)  # signed in on their own tenant
    yield "another tenant's admin", token
    client.cookies.clear()
    client.cookies.set(PLATFORM_COOKIE, await platform_cookie(settings))
    yield "platform admin", ""
