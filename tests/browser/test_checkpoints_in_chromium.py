"""The member's checkpoint pages in a real headless Chromium (issue 16), with Alberta's
forms: the pair's list, the Quarterly Update written together (its permission to share
explained), the mid-program survey's ratings and Likert grid, the error summary after an
empty "Send in", the answers read-only once sent in, an item done in the space and the
coordinator's read-only view — each at 375 px and 1280 px: nothing wider than the screen,
axe-core without serious or critical violations, a screenshot kept (MENTORHUB_SCREENSHOTS
or the test's temporary folder). The survey is then filled and sent in with the keyboard
alone: Tab to each field, Space or the arrow keys for the radios, typing for the text, Enter
on "Send in".
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from playwright.async_api import Browser, Locator, Page
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings
from tests.browser.helpers import new_page, serving_on_loopback
from tests.browser.space_journey_helpers import keyboard_press, words
from tests.browser.test_matching_flows_in_chromium import Looker, look  # noqa: F401
from tests.checkpoints.member_helpers import MemberWorld, add_item, member_world, reload
from tests.identity.conftest import settings  # noqa: F401  (fixture)


@pytest.fixture
async def site(db: Database, settings: Settings) -> AsyncIterator[str]:  # noqa: F811
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def signed_in(
    browser: Browser,
    site: str,
    settings: Settings,  # noqa: F811
    mw: MemberWorld,
    who: Member,
) -> Page:
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(
                email=who.email,
                display_name=who.display_name,
                tenant_id=str(mw.id),
                tenant_slug=mw.slug,
                member_id=str(who.id),
                roles=tuple(who.roles),
            )
        )
    finally:
        await redis.aclose()
    return await new_page(browser, site, (TENANT_COOKIE, token), device_scale_factor=1)


async def tab_to(page: Page, target: Locator) -> None:
    """Reach `target` with Tab from the top of the page, as a keyboard user does."""
    handle = await target.element_handle()
    assert handle is not None
    await page.evaluate(
        "() => document.querySelector('a[href], button, input, select, textarea').focus()"
    )
    for _ in range(400):
        if await page.evaluate("(el) => document.activeElement === el", handle):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"the Tab key never reaches {target}")


async def choose(page: Page, group: Locator, position: int) -> None:
    """Choose the radio at `position` (from 0) of a group with the keyboard: Tab to the
    group's first radio, Space to choose it, or the down arrow to move the choice on."""
    await tab_to(page, group.get_by_role("radio").first)
    if position == 0:
        await page.keyboard.press("Space")
    for _ in range(position):
        await page.keyboard.press("ArrowDown")
    assert await group.get_by_role("radio").nth(position).is_checked()


async def test_a_member_fills_in_and_sends_in_by_keyboard(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    look: Looker,  # noqa: F811
) -> None:
    mw = await member_world(db)
    pw = mw.pw
    today = date.today()
    survey = await add_item(
        db, mw, "mid_program_survey", member=pw.mentee, due_on=today + timedelta(days=6)
    )
    update = await add_item(db, mw, "quarterly_update", due_on=today - timedelta(days=2))
    plan = await add_item(db, mw, "mentorship_plan", due_on=today - timedelta(days=30))
    await add_item(
        db,
        mw,
        "quarterly_update",
        slot="2026-10",
        state="reviewed",
        submitted_by=pw.mentor,
        answers={"progress": "We set up the plan and met twice in October."},
        review_note="Thank you: a good start.",
    )
    await add_item(
        db, mw, "final_survey", member=pw.mentee, state="upcoming", due_on=today + timedelta(60)
    )
    await add_item(
        db,
        mw,
        "quarterly_update",
        slot="2027-07",
        state="cancelled",
        cancel_reason="The relationship's dates changed.",
    )
    base = f"{site}/t/{mw.slug}/pairs/{pw.pair.id}/checkpoints"
    page = await signed_in(browser, site, settings, mw, pw.mentee)
    try:
        await page.goto(base)
        assert "To do now" in await words(page)
        await look(page, "member-checkpoints")
        for name, item in (("update", update), ("plan", plan), ("survey", survey)):
            await page.goto(f"{base}/{item.id}")
            await look(page, f"member-checkpoint-{name}")
        # An empty "Send in": the error summary, linked to the fields.
        await keyboard_press(page, page.get_by_role("button", name="Send in"))
        seen = await words(page)
        assert "There is a problem: nothing was saved" in seen
        await look(page, "member-checkpoint-survey-errors")
        summary = page.locator(".error-summary a").first
        assert await summary.get_attribute("href") == "#q-satisfaction-0"

        # Now with the keyboard alone.
        await page.goto(f"{base}/{survey.id}")
        await choose(page, page.get_by_role("group", name=re.compile(r"^How satisfied are you")), 3)
        grid = page.get_by_role(
            "group", name=re.compile(r"^How far do you agree with these statements")
        )
        statements = grid.locator("fieldset")
        assert await statements.count() == 6
        for n in range(6):
            await choose(page, statements.nth(n), n % 5)
        await choose(
            page, page.get_by_role("group", name=re.compile(r"^How well are you progressing")), 0
        )
        box = page.get_by_label("What has gone well so far?")
        await tab_to(page, box)
        await page.keyboard.type("We visited two collections together.")
        await look(page, "member-checkpoint-survey-filled")
        await keyboard_press(page, page.get_by_role("button", name="Send in"))
        seen = await words(page)
        assert "Mid-program survey sent in." in seen
        stored = await reload(db, mw, survey.id)
        assert stored.state == "submitted" and stored.answers["satisfaction"] == 4
        assert stored.answers["program_structure"][1] == "Disagree"
        assert stored.answers["successes"] == "We visited two collections together."
        await look(page, "member-checkpoints-after")
        await page.goto(f"{base}/{survey.id}")
        seen = await words(page)
        assert "We meet at least once a month: Disagree" in seen and "4 out of 5" in seen
        await look(page, "member-checkpoint-survey-sent")
    finally:
        await page.context.close()

    coordinator = await signed_in(browser, site, settings, mw, pw.world.coordinator)
    try:
        await coordinator.goto(base)
        await look(coordinator, "member-checkpoints-coordinator")
        await coordinator.goto(f"{base}/{survey.id}")
        assert "We visited two collections together." in await words(coordinator)
        assert await coordinator.get_by_role("button", name="Send in").count() == 0
        await look(coordinator, "member-checkpoint-coordinator-survey")
    finally:
        await coordinator.context.close()
    assert look.problems == [], "\n".join(look.problems)


async def test_checkpoints_show_where_a_member_looks(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    look: Looker,  # noqa: F811
) -> None:
    """The pair's overview with its Checkpoints panel (to do now, overdue marked, the next
    one, all checkpoints), "My mentoring" with "2 checkpoints to do", the coordinator's
    overview with what was sent in to them, and AHEP's feedback survey whose permission
    question speaks for itself — at 375 and 1280 px, axe-checked."""
    mw = await member_world(db)
    pw = mw.pw
    today = date.today()
    await add_item(db, mw, "quarterly_update", due_on=today - timedelta(days=2))
    await add_item(
        db,
        mw,
        "mid_program_survey",
        member=pw.mentee,
        state="missed",
        due_on=today - timedelta(days=20),
    )
    await add_item(db, mw, "final_survey", member=pw.mentee, state="upcoming")
    await add_item(
        db,
        mw,
        "quarterly_update",
        state="submitted",
        submitted_by=pw.mentor,
        answers={"progress": "We met twice."},
    )
    home = f"{site}/t/{mw.slug}/pairs/{pw.pair.id}"
    page = await signed_in(browser, site, settings, mw, pw.mentee)
    try:
        await page.goto(home)
        seen = await words(page)
        assert "Checkpoints" in seen and "Overdue" in seen and "All checkpoints" in seen
        await look(page, "pair-home-checkpoints")
        await page.goto(f"{site}/t/{mw.slug}/pairs")
        assert "2 checkpoints to do" in await words(page)
        await look(page, "my-mentoring-checkpoints")
        await page.get_by_role("link", name=re.compile(r"^2 checkpoints to do")).click()
        assert "To do now" in await words(page)
    finally:
        await page.context.close()

    coordinator = await signed_in(browser, site, settings, mw, pw.world.coordinator)
    try:
        await coordinator.goto(home)
        assert "Checkpoints sent in to you" in await words(coordinator)
        await look(coordinator, "pair-home-coordinator-checkpoints")
    finally:
        await coordinator.context.close()

    ahep = await member_world(db, "ahep")
    survey = await add_item(db, ahep, "feedback_survey", member=ahep.pw.mentee)
    page = await signed_in(browser, site, settings, ahep, ahep.pw.mentee)
    try:
        await page.goto(f"{site}/t/{ahep.slug}/pairs/{ahep.pw.pair.id}/checkpoints/{survey.id}")
        assert "read only by you and the coordinator" in await words(page)
        await look(page, "ahep-feedback-permission")
    finally:
        await page.context.close()
    assert look.problems == [], "\n".join(look.problems)
