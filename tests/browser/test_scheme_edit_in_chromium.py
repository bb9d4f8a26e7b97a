"""The tenant admin edits the scheme in a real headless Chromium (issue 17): a scheme edit
that fails validation changes nothing; one that passes makes version current + 1 and leaves
the existing pairs on the current version (the reference tenants are at version 4, so: 5,
and the pairs stay on 4). The scheme page, the form with its errors and the preview are
each checked at 375 px and 1280 px (nothing wider than the screen, axe-core without
serious or critical violations) and a screenshot kept (MENTORHUB_SCREENSHOTS or the test's
temporary folder)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect
from redis.asyncio import Redis
from sqlalchemy import select, text

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.schemes.models import SchemeVersion
from mentorhub.settings import Settings
from tests.browser.helpers import new_page, serving_on_loopback
from tests.browser.space_journey_helpers import words
from tests.browser.test_matching_flows_in_chromium import Looker, look  # noqa: F401
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.space_helpers import PairWorld, pair_world


@pytest.fixture
async def site(db: Database, settings: Settings) -> AsyncIterator[str]:  # noqa: F811
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def as_admin(browser: Browser, site: str, settings: Settings, pw: PairWorld) -> Page:  # noqa: F811
    admin = pw.world.admin
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(
                email=admin.email,
                display_name=admin.display_name,
                tenant_id=str(pw.id),
                tenant_slug=pw.world.tenant.slug,
                member_id=str(admin.id),
                roles=tuple(admin.roles),
            )
        )
    finally:
        await redis.aclose()
    return await new_page(browser, site, (TENANT_COOKIE, token), device_scale_factor=1)


async def stored(db: Database, pw: PairWorld) -> tuple[list[int], list[int], int]:
    """The stored versions, each pair's version, and the tenant's reworded messages."""
    async with db.tenant(pw.id) as s:
        versions = list(
            (await s.execute(select(SchemeVersion.version).order_by(SchemeVersion.version)))
            .scalars()
            .all()
        )
        pairs = list(
            (await s.execute(text("SELECT scheme_version FROM pairs ORDER BY id"))).scalars().all()
        )
        templates = (await s.execute(text("SELECT count(*) FROM message_templates"))).scalar_one()
    return versions, pairs, int(templates)


def field(page: Page, key: str) -> object:
    return page.locator(f'[id="{key}"]')


async def test_a_failing_edit_changes_nothing_and_a_passing_one_makes_the_next_version(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    look: Looker,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    before = await stored(db, pw)
    assert before[0] == [4] and before[1] == [4, 4]
    base = f"{site}/t/{pw.world.tenant.slug}/admin/scheme"
    page = await as_admin(browser, site, settings, pw)
    try:
        await page.goto(base)
        seen = await words(page)
        assert "Current version: 4" in seen and "How long it lasts" in seen
        await look(page, "admin-scheme")

        await page.get_by_role("link", name="Edit the rules").click()
        await page.wait_for_url(f"{base}/edit")
        await look(page, "admin-scheme-edit")

        # Meetings of 120 to 90 minutes, and a window that is not a number: refused.
        await page.get_by_label("Shortest meeting (minutes)").fill("120")
        await page.locator('[id="checkpoints.0.window_days_before"]').fill("two")
        await page.get_by_role("button", name="Check and preview the changes").click()
        seen = await words(page)
        assert "There are 2 problems: nothing was stored" in seen
        assert "must be a whole number" in seen
        summary = page.locator(".error-summary a")
        hrefs = [await summary.nth(i).get_attribute("href") for i in range(await summary.count())]
        assert "#checkpoints.0.window_days_before" in hrefs
        assert {
            "#meetings",
            "#meetings.session_minutes.min",
            "#meetings.session_minutes.max",
        } & set(hrefs)
        await look(page, "admin-scheme-edit-errors")
        # The summary's link, followed with the keyboard, brings the field into view.
        link = page.locator('.error-summary a[href="#checkpoints.0.window_days_before"]')
        await link.focus()
        await page.keyboard.press("Enter")
        await page.wait_for_url("**#checkpoints.0.window_days_before")
        await expect(page.locator('[id="checkpoints.0.window_days_before"]')).to_be_in_viewport()
        assert await stored(db, pw) == before

        # Fix both: only the engine's own check is left, then it passes.
        await page.locator('[id="checkpoints.0.window_days_before"]').fill("14")
        await page.get_by_role("button", name="Check and preview the changes").click()
        seen = await words(page)
        assert "must be a whole number" not in seen and "nothing was stored" in seen
        assert await stored(db, pw) == before
        await page.get_by_label("Shortest meeting (minutes)").fill("45")
        await page.locator('[id="checkpoints.0.window_days_after"]').fill("10")
        await page.get_by_role("button", name="Check and preview the changes").click()
        seen = await words(page)
        assert "Check the changes before storing version 5" in seen
        assert "Nothing for existing pairs — 2 pairs stay on version 4." in seen
        assert "Pairs matched from now on start on version 5." in seen
        await look(page, "admin-scheme-preview")
        assert await stored(db, pw) == before

        await page.get_by_role("button", name="Store version 5").click()
        await page.wait_for_url(base)
        seen = await words(page)
        assert "Version 5 stored" in seen and "Current version: 5" in seen
        versions, pairs, _ = await stored(db, pw)
        assert versions == [4, 5]
        assert pairs == [4, 4]  # the existing pairs stay on version 4
        await look(page, "admin-scheme-after")
    finally:
        await page.context.close()
    assert look.problems == []
