"""A platform admin creates a tenant that then serves its home page and sign-in (issue 17),
in a real headless Chromium against the application on loopback with the demo identity
provider mounted, as on the embedded default:

the platform admin signs in through the demo provider's platform realm, opens Tenants,
creates a tenant (a bad jurisdiction first: the error summary, nothing created), verifies
its pending hostname by the HTTP challenge (MENTORHUB_VERIFY_RESOLVE points the platform's
fetch at this very server, which answers it), stores the tenant's single sign-on (the demo
provider's issuer for the new slug), then the first administrator — listed and mailed by
the creation — opens `/t/<slug>/`, signs in through that provider and lands on their page;
the platform admin suspends the tenant (the confirm step, with a reason): the member sees
the suspended page; resumed, the tenant serves again.

Every console page at 375 px and 1280 px: nothing wider than the screen, axe-core without
serious or critical violations, screenshots kept (MENTORHUB_SCREENSHOTS or the test's
temporary folder).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Browser, Page
from sqlalchemy import select

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity import demo_idp
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.models import PlatformAdmin, Tenant, TenantDomain
from tests.browser.journey_helpers import press, text
from tests.browser.test_matching_flows_in_chromium import Looker, look  # noqa: F401
from tests.messages.conftest import inbox, sink  # noqa: F401  (fixtures)
from tests.messages.sink import Sink
from tests.messages.test_messages import deliver_all
from tests.support import as_owner

ADMIN = "ops@platform.example.org"


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving_on(app: Any, port: int) -> AsyncIterator[str]:
    """uvicorn on `port` of loopback (known before the app is made: the hostname check's
    resolve setting names it)."""
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


@pytest.fixture
def settings(sink: Sink) -> Settings:  # noqa: F811
    return dataclasses.replace(
        get_settings(),
        login_rate_per_minute=100_000,
        login_account_rate_per_minute=100_000,
        login_tenant_rate_per_minute=100_000,
    )


async def demo_sign_in(page: Page, email: str, lands: str) -> None:
    await page.wait_for_url(re.compile(r"/demo-idp/"))
    await page.get_by_label(f"({email})", exact=False).check()
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(lands))


async def test_a_platform_admin_creates_a_tenant_that_serves_its_home_page_and_sign_in(
    db: Database,
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
    look: Looker,  # noqa: F811
) -> None:
    port = _free_port()
    here = dataclasses.replace(settings, verify_resolve=(("*", "127.0.0.1", port),))
    async with as_owner(db) as owner, owner.platform() as session:  # an operator command's
        session.add(PlatformAdmin(id=uuid.uuid4(), email=ADMIN, display_name="Pat Platform"))
    monkeypatch.setenv("MENTORHUB_EMBEDDED", "1")
    monkeypatch.setattr(demo_idp, "_EMBEDDED_PROCESS", True)
    monkeypatch.setattr(demo_idp, "_PLATFORM_ORIGIN", [])
    slug = f"guild-{uuid.uuid4().hex[:8]}"
    host = f"mentoring.{slug}.example.org"
    first_admin = f"first.admin@{slug}.example.org"
    async with serving_on(create_app(here, db=db), port) as site:
        monkeypatch.setenv("MENTORHUB_BASE_URL", site)
        await demo_idp.provision(db, here, [], site)  # the platform realm at this origin

        ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
        ops = await ctx.new_page()
        await ops.goto(f"{site}/platform/login")
        await demo_sign_in(ops, ADMIN, r"/platform/tenants$")  # the platform admin's home
        await look(ops, "platform-tenants")
        await ops.get_by_role("link", name="Activity", exact=True).click()
        await ops.wait_for_url(re.compile(r"/platform/activity$"))
        await look(ops, "platform-activity")
        await ops.get_by_role("link", name="Tenants", exact=True).click()
        await ops.wait_for_url(re.compile(r"/platform/tenants$"))

        await ops.get_by_role("link", name="Create a tenant").click()
        await ops.wait_for_url(re.compile(r"/platform/tenants/new$"))
        await ops.get_by_label("Name", exact=True).fill("The Guild of Makers")
        await ops.get_by_label("Slug", exact=True).fill(slug)
        await ops.get_by_label("Jurisdiction", exact=True).fill("XX")
        await ops.get_by_label("Hostnames (optional)").fill(host)
        await ops.get_by_label("First administrator's e-mail").fill(first_admin)
        await ops.get_by_label(re.compile(r"^Arts Marketing Association")).check()
        await press(ops, "Create the tenant")
        words = await text(ops)
        assert "The tenant was not created" in words and "unknown country" in words
        await look(ops, "platform-tenant-new-errors")
        async with db.platform() as s:
            assert (await s.execute(select(Tenant).where(Tenant.slug == slug))).first() is None
        await ops.get_by_label("Jurisdiction", exact=True).fill("GB-ENG")
        await press(ops, "Create the tenant")
        await ops.wait_for_url(re.compile(rf"/platform/tenants/{slug}\?done=created$"))
        words = await text(ops)
        assert "The tenant was created" in words and "Pending" in words
        await look(ops, "platform-tenant-created")

        await press(ops, f"Verify {host}")
        words = await text(ops)
        assert "it is verified and routes now" in words, words[:500]
        async with db.platform() as s:
            domain = (
                await s.execute(select(TenantDomain).where(TenantDomain.hostname == host))
            ).scalar_one()
            tenant = (await s.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one()
        assert domain.verified_at is not None

        await ops.get_by_label("Issuer URL").fill(f"{site}/demo-idp/{slug}")
        await ops.get_by_label("Client ID").fill(demo_idp.client_id(slug))
        await ops.get_by_label("Client secret").fill(demo_idp.client_secret(here, tenant))
        await press(ops, "Store single sign-on")
        words = await text(ops)
        assert "Single sign-on was stored and is active" in words, words[:800]
        assert "tenant.sso_stored" in words and "tenant.created" in words
        await look(ops, "platform-tenant")
        await ops.get_by_role("link", name="Tenants", exact=True).click()
        await ops.wait_for_url(re.compile(r"/platform/tenants$"))
        assert "The Guild of Makers" in await text(ops)
        await look(ops, "platform-tenants-one")
        await ops.get_by_role("link", name="The Guild of Makers").click()
        await ops.wait_for_url(re.compile(rf"/platform/tenants/{slug}$"))

        # The first administrator was mailed; the tenant serves its home page and sign-in.
        await deliver_all(db, tenant)
        assert len(inbox.to(first_admin)) == 1
        member_ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
        member = await member_ctx.new_page()
        await member.goto(f"{site}/t/{slug}/")
        assert "The Guild of Makers" in await member.title() or "Guild" in await text(member)
        await look(member, "new-tenant-home")
        await member.goto(f"{site}/t/{slug}/login")
        await demo_sign_in(member, first_admin, rf"/t/{slug}/me$")
        assert "Administrator" in await text(member) or "administrator" in await text(member)

        # Suspend, with the confirm step: the member sees the suspended page.
        await ops.get_by_role("link", name=re.compile(r"^Suspend The Guild of Makers")).click()
        await ops.wait_for_url(re.compile(rf"/platform/tenants/{slug}/suspend$"))
        await look(ops, "platform-tenant-suspend")
        await ops.get_by_label("Reason").fill("The association asked for a pause")
        await press(ops, "Suspend The Guild of Makers")
        assert "The tenant is suspended" in await text(ops)
        await member.goto(f"{site}/t/{slug}/me")
        assert "Mentoring at The Guild of Makers is suspended" in await text(member)
        await look(member, "tenant-suspended")
        await press(ops, "Resume The Guild of Makers")
        assert "The tenant is active again" in await text(ops)
        await member.goto(f"{site}/t/{slug}/")
        assert "suspended" not in (await text(member)).lower()
        await member_ctx.close()
        await ctx.close()
    assert look.problems == []
