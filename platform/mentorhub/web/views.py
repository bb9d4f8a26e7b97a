"""The first page set: the platform landing page, each tenant's home, and the health check."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import Response, Template
from sqlalchemy import text

from mentorhub.identity.guards import PUBLIC, rule
from mentorhub.schemes import describe
from mentorhub.schemes.services import current_scheme
from mentorhub.web.deps import DB, CurrentTenant, TenantReads

HEALTH_TIMEOUT = 2.0


@get("/", name="landing", opt=rule(PUBLIC))
async def landing(state: State) -> Template:
    """The associations in name order, from the routing's in-memory directory."""
    if not state.settings.path_prefix_tenants:
        return Template("platform/landing.html", context={"tenants": ()})
    tenants = (await state.tenants.snapshot()).in_name_order
    return Template("platform/landing.html", context={"tenants": tenants})


@get("/t/{tenant_slug:str}/", name="tenant_home", opt=rule(PUBLIC))
async def tenant_home(tenant: CurrentTenant, request: Request[Any, Any, Any]) -> Template:
    return Template("tenant/home.html", context={"tenant": tenant})


@get("/t/{tenant_slug:str}/scheme", name="tenant_scheme", opt=rule(PUBLIC))
async def tenant_scheme(tenant: CurrentTenant, reads: TenantReads) -> Template:
    """The scheme's rules in plain words, for people deciding whether to apply."""
    async with reads.tenant(tenant.id) as session:
        scheme = await current_scheme(session)
    if scheme is None:
        raise NotFoundException()
    return Template(
        "tenant/scheme.html",
        context={"tenant": tenant, "scheme": scheme, "sections": describe(scheme)},
    )


async def _check_postgres(db: DB) -> str:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # any failure means "down"; say which kind
        return f"down: {type(exc).__name__}"


async def _check_redis(state: State) -> str:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            await state.aredis.ping()  # the asyncio client sessions use: no thread hop
        return "ok"
    except Exception as exc:
        return f"down: {type(exc).__name__}"


@get("/healthz", name="healthz", opt=rule(PUBLIC))
async def healthz(db: DB, state: State) -> Response[dict[str, str]]:
    postgres, redis_status = await asyncio.gather(_check_postgres(db), _check_redis(state))
    body = {"postgres": postgres, "redis": redis_status}
    down = [name for name, status in body.items() if status != "ok"]
    body["status"] = "ok" if not down else "down: " + ", ".join(down)
    return Response(body, status_code=200 if not down else 503)
