"""Every platform console route refuses everyone but a platform admin: anonymous visitors,
a tenant's members, coordinators and administrators — with their tenant session sent as it
is, or put where a platform session goes — and a refused POST changes nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.identity.models import IdentityProvider
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE
from mentorhub.settings import Settings
from mentorhub.tenancy.models import PlatformAuditEntry, Tenant, TenantDomain
from mentorhub.tenancy.views.console import ROUTES
from tests.tenancy.conftest import Console, member_token
from tests.tenancy.test_lifecycle import created, form

WHO = ["anonymous", "member", "coordinator", "tenant_admin"]


def routes(slug: str, host: str) -> list[tuple[str, str, dict[str, str]]]:
    base = f"/platform/tenants/{slug}"
    return [
        ("GET", "/platform/tenants", {}),
        ("GET", "/platform/tenants/new", {}),
        ("POST", "/platform/tenants/new", form("x-" + slug[2:], scheme="blank")),
        ("GET", base, {}),
        ("POST", f"{base}/hostnames", {"hostname": f"new.{slug}.example.org"}),
        ("POST", f"{base}/hostnames/{host}/verify", {}),
        ("POST", f"{base}/hostnames/{host}/remove", {}),
        ("POST", f"{base}/sso", {"issuer": "https://idp.example.org", "client_id": "c"}),
        ("GET", f"{base}/suspend", {}),
        ("POST", f"{base}/suspend", {"reason": "none"}),
        ("POST", f"{base}/resume", {}),
    ]


def test_every_console_route_is_listed_here() -> None:
    paths = {(sorted(r.http_methods)[0], next(iter(r.paths))) for r in ROUTES}
    listed = {
        (m, p.replace("t-slug", "{slug:str}").replace("h.example.org", "{hostname:str}"))
        for m, p, _ in routes("t-slug", "h.example.org")
    }
    assert paths == listed


async def state(db: Database, tenant: Tenant) -> tuple[object, ...]:
    async with db.platform() as session:
        platform = (
            (await session.execute(select(func.count()).select_from(Tenant))).scalar_one(),
            (await session.execute(select(func.count()).select_from(TenantDomain))).scalar_one(),
            (
                await session.execute(select(func.count()).select_from(PlatformAuditEntry))
            ).scalar_one(),
            (
                await session.execute(select(Tenant.status).where(Tenant.id == tenant.id))
            ).scalar_one(),
        )
    async with db.tenant(tenant.id) as session:
        providers = (
            await session.execute(select(func.count()).select_from(IdentityProvider))
        ).scalar_one()
    return (*platform, providers)


@pytest.mark.parametrize("who", WHO)
async def test_only_platform_admins_reach_the_console(
    db: Database, client: httpx.AsyncClient, console: Console, settings: Settings, who: str
) -> None:
    tenant = await created(db, settings, hostnames=f"www.{who.replace('_', '-')}.example.org")
    [domain] = tenant.domains
    roles = {"member": (), "coordinator": ("coordinator",), "tenant_admin": ("tenant_admin",)}
    cookies: list[dict[str, str]] = [{}]
    if who != "anonymous":
        token = await member_token(settings, db, tenant, roles[who])
        cookies = [
            {"cookie": f"{TENANT_COOKIE}={token}"},
            {"cookie": f"{PLATFORM_COOKIE}={token}"},  # a tenant session where a platform one goes
        ]
    # A CSRF token of the platform admin's page: a valid form, but not this visitor's.
    page = await console.get("/platform/tenants")
    csrf = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    before = await state(db, tenant)
    for headers in cookies:
        for method, path, data in routes(tenant.slug, domain.hostname):
            if method == "GET":
                answer = await client.get(path, headers=headers)
            else:
                answer = await client.post(
                    path, data={**data, "_csrf_token": csrf}, headers=headers
                )
            assert answer.status_code in (303, 403), (who, method, path, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"].startswith("/platform/login"), path
            assert tenant.name not in answer.text
    assert await state(db, tenant) == before


async def test_an_unknown_tenant_or_hostname_is_404_for_a_platform_admin(
    db: Database, console: Console, settings: Settings
) -> None:
    tenant = await created(db, settings)
    for method, path in [
        ("GET", "/platform/tenants/no-such-tenant"),
        ("GET", "/platform/tenants/no-such-tenant/suspend"),
        ("POST", "/platform/tenants/no-such-tenant/resume"),
        ("POST", "/platform/tenants/no-such-tenant/hostnames"),
        ("POST", f"/platform/tenants/{tenant.slug}/hostnames/elsewhere.example.org/verify"),
        ("POST", "/platform/tenants/no-such-tenant/sso"),
    ]:
        data = {"hostname": "a.example.org", "issuer": "https://x.example.org", "client_id": "c"}
        answer = await (console.get(path) if method == "GET" else console.post(path, data))
        assert answer.status_code == 404, (method, path)
