"""What the Chromium tests share: the application served over real HTTP on loopback, on the
test's own event loop (a browser needs a socket, not an ASGI transport), and signed-in
sessions made with the session store's own `create`, as cookies to hand to the browser, and
a fresh browser page that carries one.

The browser itself is the `browser` fixture in this folder's conftest.py.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from playwright.async_api import Browser, Page
from redis.asyncio import Redis
from sqlalchemy import select

from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import email


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@asynccontextmanager
async def serving_on_loopback(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free loopback port (lifespan on, the test's signal
    handlers left alone) and yield its base address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    server.capture_signals = lambda: _nothing()  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def session_cookie(
    settings: Settings, db: Database, tenant: Tenant, who: str, issuer: str | None
) -> tuple[str, str]:
    """A signed-in session for `who` of `tenant` (one of the tenant's seeded members by
    role; "platform": a platform admin; "member": the mentee's account with no role), as
    (cookie name, value)."""
    redis = Redis.from_url(settings.redis_url or "")
    store = SessionStore(redis, idle_seconds=600, absolute_seconds=600)
    try:
        if who == "platform":
            identity = Identity(email="ops@example.org", display_name="Ops", platform_admin=True)
            return PLATFORM_COOKIE, await store.create(identity)
        account = "mentee" if who == "member" else who
        async with db.tenant(tenant.id) as session:
            member = (
                await session.execute(
                    select(Member).where(Member.email == email(tenant.slug, account))
                )
            ).scalar_one()
        identity = Identity(
            email=member.email,
            display_name=member.display_name,
            tenant_id=str(tenant.id),
            tenant_slug=tenant.slug,
            member_id=str(member.id),
            roles=() if who == "member" else tuple(member.roles),
            issuer=issuer,
        )
        return TENANT_COOKIE, await store.create(identity)
    finally:
        await redis.aclose()


async def new_page(
    browser: Browser, site: str, cookie: tuple[str, str] | None = None, **context: Any
) -> Page:
    """A page in a new browser context (`context`: its options, e.g. the viewport), with
    `cookie` (a (name, value) pair from `session_cookie`) set for `site` if given. Close it
    with `page.context.close()`."""
    browser_context = await browser.new_context(**context)
    if cookie is not None:
        await browser_context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": site}])
    return await browser_context.new_page()
