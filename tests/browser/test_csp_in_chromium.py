"""Every page renders under the strict Content-Security-Policy in a real headless Chromium
with no violation reported, and its forms work there: the CSRF cookie and token, a decision
through an approval link, an admin's role change, and a sign-out that leads to the
association's identity provider (a form's redirect, which `form-action` governs).

Signed-in pages use real sessions in Redis (the session store's own `create`) for members
of a tenant whose provider is the npm OpenID Connect provider on loopback.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright
from redis.asyncio import Redis
from sqlalchemy import select

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from mentorhub.web.security import content_security_policy
from tests.identity.conftest import (  # noqa: F401  (fixtures)
    SLUG_A,
    OidcProvider,
    email,
    providers,
    settings,
    tenant_a,
)
from tests.identity.test_approvals import new_request, status_of
from tests.support import as_owner
from tests.web.test_security import roles_of

CHROMIUM = "/usr/bin/chromium"

#: Reports every CSP violation to the test, whatever page it happens on.
LISTEN = """
document.addEventListener('securitypolicyviolation', e => window.reportViolation({
  document: e.documentURI, directive: e.violatedDirective, blocked: e.blockedURI,
}));
"""


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture
async def site(db: Database, settings: Settings, tenant_a: Tenant) -> AsyncIterator[str]:  # noqa: F811
    async with as_owner(db):
        await load_tenants(db, get_settings().tenants_dir)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, db=db),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    server.capture_signals = lambda: _nothing()  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (see .ci/run)")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield browser
        await browser.close()


async def session_cookie(
    settings: Settings,  # noqa: F811
    db: Database,
    tenant: Tenant | None,
    who: str,
    issuer: str | None,
) -> str:
    redis = Redis.from_url(settings.redis_url or "")
    store = SessionStore(redis, idle_seconds=600, absolute_seconds=600)
    try:
        if tenant is None:
            return await store.create(
                Identity(email="ops@example.org", display_name="Ops", platform_admin=True)
            )
        async with db.tenant(tenant.id) as session:
            member = (
                await session.execute(select(Member).where(Member.email == email(tenant.slug, who)))
            ).scalar_one()
        return await store.create(
            Identity(
                email=member.email,
                display_name=member.display_name,
                tenant_id=str(tenant.id),
                tenant_slug=tenant.slug,
                member_id=str(member.id),
                roles=tuple(member.roles),
                issuer=issuer,
            )
        )
    finally:
        await redis.aclose()


async def watched(browser: Browser, site: str, cookies: dict[str, str]) -> tuple[Page, list[Any]]:
    """A page whose CSP violations (and console complaints about the policy) land in the
    returned list."""
    context = await browser.new_context()
    if cookies:
        await context.add_cookies(
            [{"name": name, "value": value, "url": site} for name, value in cookies.items()]
        )
    page = await context.new_page()
    violations: list[Any] = []
    await page.expose_function("reportViolation", lambda found: violations.append(found))
    await page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: violations.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    return page, violations


async def visit(page: Page, site: str, path: str, status: int) -> None:
    response = await page.goto(site + path)
    assert response is not None
    assert response.status == status, path
    assert "frame-ancestors 'none'" in (await response.all_headers())["content-security-policy"]
    # Every request the page makes (the favicon too) is over before the next navigation:
    # the test's one database connection serves one request at a time.
    await page.wait_for_load_state("networkidle")


ANONYMOUS = {
    "/": 200,
    "/t/ahep/": 200,
    "/t/alberta-museums/scheme": 200,
    f"/t/{SLUG_A}/": 200,
    "/t/no-such-association/": 404,
    "/nowhere": 404,
}
ADMIN = {
    f"/t/{SLUG_A}/": 200,
    f"/t/{SLUG_A}/me": 200,
    f"/t/{SLUG_A}/admin/members": 200,
    f"/t/{SLUG_A}/admin/sso": 200,
    f"/t/{SLUG_A}/admin/audit": 200,
    f"/t/{SLUG_A}/admin/roster": 200,
    f"/t/{SLUG_A}/coordinator/members": 200,
    f"/t/{SLUG_A}/no-such-page": 404,
}


async def test_pages_render_with_no_csp_violation(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    providers: dict[str, OidcProvider],  # noqa: F811
) -> None:
    _, link = await new_request(db, settings, tenant_a)
    page, violations = await watched(browser, site, {})
    for path, status in {**ANONYMOUS, f"/t/{SLUG_A}/approvals/{link}": 200}.items():
        await visit(page, site, path, status)
    # The brand colours still apply, from the nonce'd style blocks.
    await visit(page, site, "/t/ahep/", 200)
    brand = await page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand')")
    assert brand.strip().startswith("#")
    await visit(page, site, "/", 200)
    card = await page.evaluate(
        "getComputedStyle(document.querySelector('.tenant-card')).getPropertyValue('--brand')"
    )
    assert card.strip().startswith("#")
    await page.context.close()

    admin = await session_cookie(settings, db, tenant_a, "admin", providers["a"].issuer)
    page, more = await watched(browser, site, {TENANT_COOKIE: admin})
    violations += more
    for path, status in ADMIN.items():
        await visit(page, site, path, status)
    await page.context.close()

    mentor = await session_cookie(settings, db, tenant_a, "mentor", providers["a"].issuer)
    page, more = await watched(browser, site, {TENANT_COOKIE: mentor})
    violations += more
    await visit(page, site, f"/t/{SLUG_A}/admin/members", 403)
    await page.context.close()

    platform = await session_cookie(settings, db, None, "", None)
    page, more = await watched(browser, site, {PLATFORM_COOKIE: platform})
    violations += more
    await visit(page, site, "/platform/activity", 200)
    await page.context.close()
    assert violations == []


async def test_forms_work_under_the_policy(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    providers: dict[str, OidcProvider],  # noqa: F811
) -> None:
    # An approver without an account: the pre-session cookie and its token.
    request, link = await new_request(db, settings, tenant_a)
    page, violations = await watched(browser, site, {})
    await visit(page, site, f"/t/{SLUG_A}/approvals/{link}", 200)
    await page.check("#approve")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    await page.wait_for_load_state("networkidle")
    assert "your decision is recorded" in await page.content()
    assert await status_of(db, tenant_a, request) == "approved"
    await page.context.close()

    # An admin's role change, then the sign-out that leads to the identity provider.
    admin = await session_cookie(settings, db, tenant_a, "admin", providers["a"].issuer)
    page, more = await watched(browser, site, {TENANT_COOKIE: admin})
    violations += more
    await visit(page, site, f"/t/{SLUG_A}/admin/members", 200)
    mentor = page.locator("form", has=page.get_by_role("button", name="Save roles for Morgan Mentor"))
    await mentor.get_by_label("Coordinator").check()
    async with page.expect_navigation():
        await mentor.get_by_role("button").click()
    await page.wait_for_load_state("networkidle")
    assert page.url == f"{site}/t/{SLUG_A}/admin/members"
    assert await roles_of(db, tenant_a, "mentor") == ["coordinator", "mentor"]
    async with page.expect_navigation():
        await page.click("form[action$='/logout'] button")
    assert page.url.startswith(providers["a"].issuer), page.url
    await page.context.close()
    ours = [v for v in violations if not isinstance(v, dict) or v["document"].startswith(site)]
    assert ours == []


async def test_the_watch_sees_what_the_policy_blocks(site: str, browser: Browser) -> None:
    """Not vacuous: an inline style attribute, an inline script and a style block without
    the nonce, served under our policy, are each reported."""
    page, violations = await watched(browser, site, {})

    async def probe(route: Any) -> None:
        await route.fulfill(
            status=200,
            headers={
                "content-type": "text/html",
                "content-security-policy": content_security_policy("right"),
            },
            body="<!doctype html><html lang=en><head><style nonce=wrong>p{}</style></head>"
            "<body><p style='color:red'>x</p><script>document.title='ran'</script></body></html>",
        )

    await page.route(f"{site}/probe", probe)
    await page.goto(f"{site}/probe")
    await page.wait_for_load_state("load")
    await page.context.close()
    directives = {v["directive"] for v in violations if isinstance(v, dict)}
    assert {"style-src-elem", "style-src-attr", "script-src-elem"} <= directives, violations
