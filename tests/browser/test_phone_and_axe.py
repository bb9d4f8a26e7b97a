"""Every page on a phone (375 px wide) in a real headless Chromium, signed out and signed in
as each role: nothing is wider than the screen (no sideways scrolling of the page), and
axe-core finds no serious or critical accessibility violation.

Pages with the widest content are filled first: a member with a very long name and e-mail
address, role changes and a provider change in the audit log, an approval link. Signed-in
pages use real sessions in Redis (the session store's own `create`) for the members of a
tenant whose provider is the npm OpenID Connect provider on loopback, as
`test_csp_in_chromium.py` does.

Set MENTORHUB_SCREENSHOTS=DIR to keep a full-page screenshot of each page there.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity import services
from mentorhub.identity.models import Member
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from mentorhub.tenancy.services import set_status
from tests.browser.helpers import new_page, serving_on_loopback, session_cookie
from tests.foundation.helpers import make_tenant
from tests.identity.conftest import (  # noqa: F401  (fixtures)
    SLUG_A,
    OidcProvider,
    email,
    providers,
    settings,
    tenant_a,
)
from tests.identity.test_approvals import new_request
from tests.support import SLUGS, as_owner

PHONE = {"width": 375, "height": 812}
LONG_NAME = "Maximiliana Featherstonehaugh-Cholmondeley-Wolfeschlegelsteinhausen"
LONG_EMAIL = (
    "maximiliana.featherstonehaugh-cholmondeley@"
    "association-of-higher-education-professionals.example.org"
)

#: How far the page reaches past the screen's right edge (0 when nothing overflows), and
#: the widest elements that stick out, to say what to fix.
OVERFLOW_JS = """
() => {
  const width = window.innerWidth;
  const over = document.scrollingElement.scrollWidth - width;
  const culprits = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .filter(e => !e.closest('.table-scroll') || e.matches('.table-scroll'))
    .slice(0, 5)
    .map(e => `${e.tagName.toLowerCase()}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`);
  return {over, culprits};
}
"""

A = f"/t/{SLUG_A}"
ANONYMOUS = [
    "/",
    *(f"/t/{slug}/" for slug in SLUGS),
    *(f"/t/{slug}/scheme" for slug in SLUGS),
    "/t/no-such-association/",
    "/nowhere",
    "/t/suspended-phone/",
    f"{A}/",
    f"{A}/no-such-page",
]
BY_ROLE = {
    "admin": [
        f"{A}/me",
        f"{A}/admin/members",
        f"{A}/admin/members?q=Maximiliana",
        f"{A}/admin/sso",
        f"{A}/admin/audit",
        f"{A}/admin/roster",
        f"{A}/coordinator/members",
        f"{A}/coordinator/applications",
        f"{A}/coordinator/cohorts",
        f"{A}/matching/propose",
        f"{A}/no-such-page",
    ],
    "coordinator": [
        f"{A}/me",
        f"{A}/coordinator/members",
        f"{A}/admin/members",
        f"{A}/coordinator/applications",  # no cohort yet (filled: test_coordinator_pages_in_chromium)
        f"{A}/coordinator/cohorts",
    ],
    "mentor": [f"{A}/me", f"{A}/coordinator/members", f"{A}/coordinator/applications"],
    "mentee": [f"{A}/me", f"{A}/apply", f"{A}/applications", f"{A}/matching/me"],
    "member": [f"{A}/me", f"{A}/apply", f"{A}/applications", f"{A}/matching/me"],  # signed in with no role yet
    "platform": ["/platform/activity"],
}


@pytest.fixture
async def site(db: Database, settings: Settings, tenant_a: Tenant) -> AsyncIterator[str]:  # noqa: F811
    async with as_owner(db):
        await load_tenants(db, get_settings().tenants_dir)
    await make_tenant(db, "suspended-phone")
    async with as_owner(db):
        await set_status(db, "suspended-phone", "suspended")
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def fill_wide_content(db: Database, tenant: Tenant) -> None:
    """The longest things a page may have to show: a long name and e-mail address, role
    changes and an identity provider's address in the audit log."""
    async with db.tenant(tenant.id) as session:
        session.add(
            Member(
                tenant_id=tenant.id,
                email=LONG_EMAIL,
                display_name=LONG_NAME,
                roles=["mentor", "mentee"],
                member_number="AHEP-2027-000000123456",
                membership_status="active",
            )
        )
    actor = email(tenant.slug, "admin")
    await services.change_roles(
        db, tenant.id, actor=actor, email=LONG_EMAIL, roles=["coordinator", "mentor", "mentee"]
    )
    await services.change_roles(
        db, tenant.id, actor=actor, email=email(tenant.slug, "mentee"), roles=["mentee", "mentor"]
    )


def serious(results: Any) -> list[str]:
    """axe-core's serious and critical violations, one line each with where they are."""
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            where = [" ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {where}")
    return found


def shot_name(who: str, path: str) -> str:
    return f"{who}{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_') or 'root'}.png"


async def check_pages(
    browser: Browser, site: str, who: str, paths: list[str], cookie: tuple[str, str] | None,
    shots: Path,
) -> list[str]:
    page = await new_page(browser, site, cookie, viewport=PHONE, device_scale_factor=1)
    axe = Axe()
    problems = []
    for path in paths:
        response = await page.goto(site + path)
        assert response is not None, path
        # One request at a time: the test's one database connection serves them in turn.
        await page.wait_for_load_state("networkidle")
        if response.status >= 500 or "/login" in page.url:
            problems.append(f"{who} {path}: answered {response.status} at {page.url}")
            continue
        overflow = await page.evaluate(OVERFLOW_JS)
        if overflow["over"] > 0:
            problems.append(f"{who} {path}: {overflow['over']}px too wide {overflow['culprits']}")
        problems += [f"{who} {path}: {v}" for v in serious(await axe.run(page))]
        await page.screenshot(path=str(shots / shot_name(who, path)), full_page=True)
    await page.context.close()
    return problems


async def test_every_page_fits_a_phone_and_passes_axe(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    providers: dict[str, OidcProvider],  # noqa: F811
    tmp_path: Path,
) -> None:
    shots = Path(os.environ.get("MENTORHUB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    await fill_wide_content(db, tenant_a)
    _, link = await new_request(db, settings, tenant_a)
    anonymous = [*ANONYMOUS, f"{A}/approvals/{link}"]
    problems = await check_pages(browser, site, "anonymous", anonymous, None, shots)
    for who, paths in BY_ROLE.items():
        cookie = await session_cookie(settings, db, tenant_a, who, providers["a"].issuer)
        problems += await check_pages(browser, site, who, paths, cookie, shots)
    assert problems == [], "\n".join(problems)


async def test_the_checks_see_a_page_too_wide_and_an_axe_violation(browser: Browser) -> None:
    """Not vacuous: a page with a 600 px table and an image without alternative text."""
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.set_content(
        "<!doctype html><html lang='en'><head><title>t</title></head><body><main>"
        "<h1>Wide</h1><table><tr><td><div class='w'>x</div></td></tr></table>"
        "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='></main></body></html>"
    )
    await page.add_style_tag(content=".w { width: 600px; }")
    overflow = await page.evaluate(OVERFLOW_JS)
    found = serious(await Axe().run(page))
    await context.close()
    assert overflow["over"] > 0
    assert any(line.startswith("image-alt (critical)") for line in found), found
