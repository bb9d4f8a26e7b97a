"""A coordinator's day in the cockpit, in a real headless Chromium, for two tenants: the
Museums Association (coordinator matching, a monthly cadence with contact hours) and AHEP
(suggest and accept: requests waiting; a cadence the pair agrees, so no number expected).
Each day: the cohorts, one cohort's cockpit, the overdue filter chosen in the form, a name
searched, a filter that cannot be used (400), the cohort's evaluation report opened from
its link, a pair opened from its row, a person opened from their name — every page at 375 px and 1280 px with nothing wider than the screen,
axe-core without serious or critical violations, and a screenshot kept
(MENTORHUB_SCREENSHOTS or the test's temporary folder)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings
from tests.browser.helpers import new_page, serving_on_loopback
from tests.browser.space_journey_helpers import words
from tests.browser.test_matching_flows_in_chromium import Looker, look  # noqa: F401
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.reports.test_cockpit import CockpitWorld, cockpit_world


@pytest.fixture
async def site(db: Database, settings: Settings) -> AsyncIterator[str]:  # noqa: F811
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def cookie_for(settings: Settings, cw: CockpitWorld, who: Member) -> tuple[str, str]:  # noqa: F811
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(
                email=who.email,
                display_name=who.display_name,
                tenant_id=str(cw.world.id),
                tenant_slug=cw.slug,
                member_id=str(who.id),
                roles=tuple(who.roles),
            )
        )
    finally:
        await redis.aclose()
    return TENANT_COOKIE, token


async def mentors_listed(page: Page) -> list[str]:
    cells = page.locator("table.cockpit-table tbody td[data-label='Mentor']")
    return [" ".join(t.split()).removesuffix(" (mentor)") for t in await cells.all_inner_texts()]


async def a_day(page: Page, site: str, cw: CockpitWorld, look: Looker, slug: str) -> None:  # noqa: F811
    # The cohorts, newest first; the cohort opened from its card.
    response = await page.goto(site + cw.url("/coordinator/cockpit"))
    assert response is not None and response.status == 200
    await look(page, f"cockpit-{slug}-home")
    await page.get_by_role("link", name="2027 intake", exact=True).click()
    await page.wait_for_url(re.compile(rf"/coordinator/cockpit/{cw.world.cohort.id}$"))
    seen = await words(page)
    assert "Pairs (5)" in seen and "Checkpoints overdue" in seen
    await look(page, f"cockpit-{slug}-cohort")
    # The cohort's evaluation report, one link away (and from its card on the home).
    await page.get_by_role("link", name="Evaluation report for 2027 intake").click()
    await page.wait_for_url(re.compile(rf"/coordinator/reports/{cw.world.cohort.id}$"))
    assert "2027 intake" in await words(page)
    await page.go_back()
    await page.wait_for_url(re.compile(rf"/coordinator/cockpit/{cw.world.cohort.id}$"))
    # The overdue pairs, chosen in the form.
    await page.get_by_label("Flag", exact=True).select_option("overdue")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_url(re.compile(r"flag=overdue"))
    assert await mentors_listed(page) == ["Maya Mentor"]
    await look(page, f"cockpit-{slug}-overdue")
    # A name searched (any case), the flag cleared.
    await page.get_by_label("Flag", exact=True).select_option("")
    await page.get_by_label("Search", exact=True).fill("ZEBRA")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_url(re.compile(r"q=ZEBRA"))
    assert await mentors_listed(page) == ["Zed Zebra"]
    assert "Showing 1–1 of 1 pair matching “ZEBRA”" in await words(page)
    await look(page, f"cockpit-{slug}-search")
    # A filter that cannot be used: 400, the problem at its field, the whole cohort.
    response = await page.goto(site + cw.url(f"/coordinator/cockpit/{cw.world.cohort.id}?sort=x"))
    assert response is not None and response.status == 400
    assert "Choose what to sort by from the list" in await words(page)
    assert len(await mentors_listed(page)) == 5
    await look(page, f"cockpit-{slug}-bad-filter")
    # A pair opened from its row.
    await page.goto(site + cw.url(f"/coordinator/cockpit/{cw.world.cohort.id}"))
    await page.get_by_role("link", name="Pair of Maya Mentor and Theo Mentee").click()
    await page.wait_for_url(re.compile(rf"/pairs/{cw.a}$"))
    assert "Theo Mentee" in await words(page)
    # A person opened from their name.
    await page.go_back()
    await page.get_by_role("link", name="Theo Mentee (mentee)").click()
    await page.wait_for_url(re.compile(rf"/coordinator/people/{cw.pw.mentee.id}$"))
    seen = await words(page)
    assert "Theo Mentee" in seen and "Maya Mentor" in seen and "Missed" in seen
    assert "ITEM-ANSWER-SECRET" not in await page.content()
    await look(page, f"cockpit-{slug}-person")


async def test_a_coordinators_day_in_the_cockpit_for_two_tenants(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    look: Looker,  # noqa: F811
) -> None:
    for slug in ("museums-association", "ahep"):
        cw = await cockpit_world(db, slug)
        page = await new_page(
            browser,
            site,
            await cookie_for(settings, cw, cw.world.coordinator),
            device_scale_factor=1,
        )
        try:
            await a_day(page, site, cw, look, slug)
            if slug == "ahep":  # suggest and accept: the requests waiting are counted
                await page.goto(site + cw.home)
                seen = await words(page)
                assert "Requests waiting 0" in seen
                assert "agree their own rhythm" in seen or "Expected by today —" in seen
        finally:
            await page.context.close()
    assert look.problems == [], "\n".join(look.problems)
