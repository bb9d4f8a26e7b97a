"""Every page renders under the strict Content-Security-Policy in a real headless Chromium
with no violation reported, and its forms work there: the CSRF cookie and token, a decision
through an approval link, an admin's role change, and a sign-out that leads to the
association's identity provider (a form's redirect, which `form-action` governs).

Signed-in pages use real sessions in Redis (the session store's own `create`) for members
of a tenant whose provider is the npm OpenID Connect provider on loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from mentorhub.web.security import content_security_policy
from tests.browser.helpers import new_page, serving_on_loopback, session_cookie
from tests.identity.conftest import (  # noqa: F401  (fixtures)
    SLUG_A,
    OidcProvider,
    providers,
    settings,
    tenant_a,
)
from tests.identity.test_approvals import new_request, status_of
from tests.support import as_owner
from tests.web.test_security import roles_of

#: Reports every CSP violation to the test, whatever page it happens on.
LISTEN = """
document.addEventListener('securitypolicyviolation', e => window.reportViolation({
  document: e.documentURI, directive: e.violatedDirective, blocked: e.blockedURI,
}));
"""


@pytest.fixture
async def site(db: Database, settings: Settings, tenant_a: Tenant) -> AsyncIterator[str]:  # noqa: F811
    async with as_owner(db):
        await load_tenants(db, get_settings().tenants_dir)
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def watched(
    browser: Browser, site: str, violations: list[Any], cookie: tuple[str, str] | None = None
) -> Page:
    """A page (with `cookie`, a (name, value) pair, if given) whose CSP violations (and
    console complaints about the policy) land in `violations`."""
    page = await new_page(browser, site, cookie)
    await page.expose_function("reportViolation", lambda found: violations.append(found))
    await page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: violations.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    return page


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
    f"/t/{SLUG_A}/apply": 200,
    f"/t/{SLUG_A}/applications": 200,
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
    violations: list[Any] = []
    page = await watched(browser, site, violations)
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
    page = await watched(browser, site, violations, admin)
    for path, status in ADMIN.items():
        await visit(page, site, path, status)
    await page.context.close()

    mentor = await session_cookie(settings, db, tenant_a, "mentor", providers["a"].issuer)
    page = await watched(browser, site, violations, mentor)
    await visit(page, site, f"/t/{SLUG_A}/admin/members", 403)
    await page.context.close()

    platform = await session_cookie(settings, db, tenant_a, "platform", None)
    page = await watched(browser, site, violations, platform)
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
    violations: list[Any] = []
    page = await watched(browser, site, violations)
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
    page = await watched(browser, site, violations, admin)
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
    violations: list[Any] = []
    page = await watched(browser, site, violations)

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
