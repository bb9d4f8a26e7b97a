"""Platform admins sign in at the platform level, apart from every tenant, and see counts
of what happened, never who or what."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE
from mentorhub.settings import Settings
from mentorhub.tenancy.models import PlatformAdmin, Tenant
from tests.identity.conftest import (
    BASE,
    SLUG_A,
    OidcProvider,
    csrf_from,
    email,
    follow_provider,
    sign_in,
)
from tests.support import as_owner, serving


@pytest.fixture
async def platform_client(
    db: Database, settings: Settings, providers: dict[str, OidcProvider], tenant_a: Tenant
) -> AsyncIterator[httpx.AsyncClient]:
    configured = dataclasses.replace(
        settings,
        platform_oidc_issuer=providers["a"].issuer,
        platform_oidc_client_id="mentorhub-platform",
        platform_oidc_client_secret="platform-secret",
    )
    async with as_owner(db), db.platform() as session:  # listed by an operator command
        session.add(
            PlatformAdmin(id=uuid.uuid4(), email=email(SLUG_A, "admin"), display_name="Pat")
        )
    async with serving(create_app(configured, db=db), base_url=BASE) as c:
        yield c


async def platform_sign_in(client: httpx.AsyncClient, who: str) -> httpx.Response:
    started = await client.get("/platform/login", params={"login_hint": who})
    assert started.status_code == 303
    back = await follow_provider(started.headers["location"])
    return await client.get(back.removeprefix(BASE))


async def test_platform_admin_signs_in_and_sees_only_counts(
    platform_client: httpx.AsyncClient,
) -> None:
    await sign_in(platform_client, SLUG_A, "mentor")  # something to count
    done = await platform_sign_in(platform_client, "admin")
    assert done.status_code == 303, done.text[:400]
    assert done.headers["location"] == "/platform/tenants"  # the tenants and their usage
    page = await platform_client.get("/platform/activity")
    assert page.status_code == 200
    assert "Signed in: 1" in page.text
    assert email(SLUG_A, "mentor") not in page.text  # who did it stays with the tenant
    signed_out = await platform_client.post(
        "/platform/logout", data={"_csrf_token": csrf_from(page.text)}
    )
    assert signed_out.status_code == 303
    assert (await platform_client.get("/platform/activity")).status_code == 303


async def test_a_member_who_is_not_a_platform_admin_is_refused(
    platform_client: httpx.AsyncClient,
) -> None:
    done = await platform_sign_in(platform_client, "mentor")
    assert done.status_code == 403
    assert PLATFORM_COOKIE not in done.headers.get("set-cookie", "")


async def test_tenant_and_platform_sessions_do_not_cross(
    platform_client: httpx.AsyncClient,
) -> None:
    await platform_sign_in(platform_client, "admin")
    platform_token = platform_client.cookies.get(PLATFORM_COOKIE)
    await sign_in(platform_client, SLUG_A, "admin")
    tenant_token = platform_client.cookies.get(TENANT_COOKIE)
    platform_client.cookies.clear()
    as_tenant = await platform_client.get(
        "/platform/activity", headers={"cookie": f"{PLATFORM_COOKIE}={tenant_token}"}
    )
    assert as_tenant.status_code == 303
    as_platform = await platform_client.get(
        f"/t/{SLUG_A}/admin/audit", headers={"cookie": f"{TENANT_COOKIE}={platform_token}"}
    )
    assert as_platform.status_code == 303
