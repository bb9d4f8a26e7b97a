"""What the matching pages' HTTP tests share: the real application over HTTP (ASGI, sharing
the test's rolled-back database connection), signed-in sessions made with the session
store's own `create`, and reading a page's CSRF token and words."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.models import Tenant
from tests.support import serving

BASE = "https://localhost"


@dataclass
class Site:
    db: Database
    settings: Settings
    client: httpx.AsyncClient

    async def sign_in(self, tenant: Tenant, member: Member | Any) -> None:
        """A real session in Redis for `member` (the session store's own `create`)."""
        redis = Redis.from_url(self.settings.redis_url or "")
        try:
            store = SessionStore(redis, idle_seconds=600, absolute_seconds=600)
            token = await store.create(
                Identity(
                    email=member.email,
                    display_name=member.display_name,
                    tenant_id=str(tenant.id),
                    tenant_slug=tenant.slug,
                    member_id=str(member.id),
                    roles=tuple(member.roles),
                )
            )
        finally:
            await redis.aclose()
        self.client.cookies.clear()
        self.client.cookies.set(TENANT_COOKIE, token)

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, page: str | None = None
    ) -> httpx.Response:
        """POST `data` with the CSRF token of the page at `page` (or `path`'s own GET when
        it has one; else the member's matching page)."""
        token = csrf((await self.client.get(page or _page_of(path))).text)
        return await self.client.post(path, data={"_csrf_token": token, **(data or {})})


def _page_of(path: str) -> str:
    head, _, _ = path.partition("/matching/")
    return f"{head}/matching/me"


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    settings = get_settings()
    async with serving(create_app(settings, db=db), base_url=BASE) as client:
        yield Site(db, settings, client)


def csrf(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def words(html: str) -> str:
    """The page's text as one line, tags dropped and entities decoded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
