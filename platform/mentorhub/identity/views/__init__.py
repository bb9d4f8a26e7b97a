"""The identity area's pages, by audience: `signin` (members and platform admins, one
flow), `member` (a member's own page, the coordinator's list), `admin` (the tenant admin's
members, roles, roster, audit log, single sign-on), `approvals` (approvers' one-time links)
and `platform` (platform activity). Tenant pages are one router mounted on
`/t/{tenant_slug}`; `app.py` composes `ROUTES` and `identity_lifespan`.

Every handler declares its access rule (`opt=rule(...)`); `guards.enforce_rule` checks it.
Handlers receive what they use as typed dependencies (`_common.DEPENDENCIES`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar, Router
from redis.asyncio import Redis

from mentorhub.identity.oidc import OidcClient
from mentorhub.identity.sessions import SessionStore
from mentorhub.identity.views import admin, approvals, member, platform, signin
from mentorhub.identity.views._common import DEPENDENCIES
from mentorhub.identity.views.admin import admin_audit
from mentorhub.settings import Settings

tenant_router = Router(
    path="/t/{tenant_slug:str}",
    route_handlers=[*signin.TENANT_ROUTES, *member.ROUTES, *admin.ROUTES, *approvals.ROUTES],
    dependencies=DEPENDENCIES,
)
platform_router = Router(
    path="/",
    route_handlers=[*signin.PLATFORM_ROUTES, *platform.ROUTES],
    dependencies=DEPENDENCIES,
)
ROUTES = [tenant_router, platform_router]


def identity_lifespan(settings: Settings) -> Any:
    """Async Redis for sessions and rate limits, and the OIDC client with its caches."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        redis = Redis.from_url(
            settings.redis_url or "redis://127.0.0.1:6379",
            socket_timeout=2,
            socket_connect_timeout=2,
        )
        http = httpx.AsyncClient(timeout=10)
        app.state.aredis = redis
        app.state.sessions = SessionStore(
            redis,
            idle_seconds=settings.session_idle_seconds,
            absolute_seconds=settings.session_absolute_seconds,
        )
        app.state.oidc = OidcClient(http)
        try:
            yield
        finally:
            await http.aclose()
            await redis.aclose()

    return lifespan


__all__ = ["ROUTES", "admin_audit", "identity_lifespan", "platform_router", "tenant_router"]
