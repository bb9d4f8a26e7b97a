"""The agreement, goals and plan pages in a real headless Chromium, filled with a pair's
content: at 375 px (nothing wider than the screen) and at 1280 px, axe-core without
serious or critical violations on each, a screenshot of each kept (MENTORHUB_SCREENSHOTS or
the test's temporary folder); an error state reached by submitting an empty goal with the
keyboard shows the error summary, focusable, linking to the field."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.pairs.services import agreement as service
from mentorhub.settings import Settings
from tests.browser.conftest import browser  # noqa: F401  (fixture)
from tests.browser.helpers import new_page, serving_on_loopback
from tests.browser.test_phone_and_axe import OVERFLOW_JS, serious
from tests.pairs.agreement_helpers import settings_fixture  # noqa: F401  (fixture)
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.schemes.conftest import tenant

SIZES = {"375": {"width": 375, "height": 812}, "1280": {"width": 1280, "height": 900}}


@pytest.fixture
async def site(db: Database, settings: Settings) -> AsyncIterator[str]:
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def cookie(settings: Settings, pw: PairWorld, member: Member) -> tuple[str, str]:
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(
                email=member.email,
                display_name=member.display_name,
                tenant_id=str(pw.id),
                tenant_slug=pw.world.tenant.slug,
                member_id=str(member.id),
                roles=tuple(member.roles),
            )
        )
    finally:
        await redis.aclose()
    return TENANT_COOKIE, token


async def look(page: Page, name: str, shots: Path, problems: list[str]) -> None:
    for size, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        if size == "375":
            overflow = await page.evaluate(OVERFLOW_JS)
            if overflow["over"] > 0:
                problems.append(f"{name}: {overflow['over']}px too wide {overflow['culprits']}")
        problems += [f"{name} at {size}: {v}" for v in serious(await Axe().run(page))]
        await page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)


async def open_as(
    browser: Browser,  # noqa: F811
    site: str,
    settings: Settings,
    pw: PairWorld,
    member: Member,
    path: str,
) -> Page:
    page = await new_page(browser, site, await cookie(settings, pw, member), viewport=SIZES["375"])
    response = await page.goto(site + pw.url(path))
    assert response is not None and response.status == 200, (path, response and response.status)
    return page


async def test_space_pages_fit_a_phone_and_pass_axe(
    db: Database,
    site: str,
    browser: Browser,  # noqa: F811
    settings: Settings,
    tmp_path: Path,
) -> None:
    shots = Path(os.environ.get("MENTORHUB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    # AHEP's agreement: written by the mentor, agreed by the mentor only.
    ahep = await pair_world(db, "ahep")
    keys = [s.key for s in tenant("ahep").scheme.space.agreement]
    texts = {k: "" for k in keys} | {
        "frequency": "Every three weeks, on Teams.",
        "length": "An hour; we stop on time.",
        "other_contact": "Chat here; a reply within two working days.",
    }
    await service.save_agreement(
        db, ahep.id, ahep.mentor.id, ahep.pair.id, texts=texts, lock_version=0
    )
    await service.agree(db, ahep.id, ahep.mentor.id, ahep.pair.id, revision=1)
    page = await open_as(browser, site, settings, ahep, ahep.mentee, "/agreement")
    await look(page, "agreement-mentee", shots, problems)
    await page.context.close()

    # The Museums Association's goals: one below the minimum, then an empty goal submitted
    # with the keyboard.
    ma = await pair_world(db, "museums-association")
    goal = await service.add_goal(
        db,
        ma.id,
        ma.mentee.id,
        ma.pair.id,
        title="Lead a collections project",
        detail="From the brief to the opening, by the autumn.",
    )
    await service.edit_goal(
        db,
        ma.id,
        ma.mentee.id,
        ma.pair.id,
        goal.id,
        title=goal.title,
        detail=goal.detail,
        status="in_progress",
        lock_version=goal.lock_version,
    )
    page = await open_as(browser, site, settings, ma, ma.mentee, "/goals")
    await look(page, "goals-mentee", shots, problems)
    await page.get_by_label("Goal", exact=True).last.focus()
    await page.keyboard.press("Tab")  # the detail
    await page.keyboard.press("Tab")  # the button
    assert await page.evaluate("document.activeElement.textContent") == "Add the goal"
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    assert await summary.count() == 1
    assert re.search("Goal", await summary.inner_text())
    assert await summary.locator('a[href="#title"]').count() == 1
    await look(page, "goals-error", shots, problems)
    await page.context.close()

    # Alberta's plan: written, submitted, then changed; the coordinator reads it.
    ab = await pair_world(db, "alberta-museums")
    months = [m.month for m in tenant("alberta-museums").scheme.space.plan]
    plan_texts = {m: "" for m in months} | {
        10: "First meeting at the Royal Alberta Museum; goals and schedule.",
        11: "Career path interview.",
    }
    first = ab.pair.matched_on + timedelta(days=10)
    view, _ = await service.save_plan(
        db,
        ab.id,
        ab.mentee.id,
        ab.pair.id,
        texts=plan_texts,
        first_meeting_on=first,
        last_meeting_on=first + timedelta(days=300),
        lock_version=0,
    )
    assert view is not None
    view = await service.submit_plan(
        db, ab.id, ab.mentee.id, ab.pair.id, lock_version=view.lock_version
    )
    await service.save_plan(
        db,
        ab.id,
        ab.mentor.id,
        ab.pair.id,
        texts=plan_texts | {11: "Career path interview, and a visit to my museum."},
        first_meeting_on=first,
        last_meeting_on=first + timedelta(days=300),
        lock_version=view.lock_version,
    )
    page = await open_as(browser, site, settings, ab, ab.mentee, "/plan")
    await look(page, "plan-mentee", shots, problems)
    await page.context.close()
    page = await open_as(browser, site, settings, ab, ab.world.coordinator, "/plan")
    await look(page, "plan-coordinator", shots, problems)
    await page.context.close()

    assert problems == []
