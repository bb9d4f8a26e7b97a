"""The coordinator's checkpoint pages in a real headless Chromium (issue 16): the list (and a
filter that cannot be used), one submission with a rating, a Likert grid and long text,
Alberta's Quarterly Update with its permission to share, and the task list (a call, a
quiet pair), each at 375 px and 1280 px: nothing wider than the screen, axe-core without
serious or critical violations, a screenshot kept (MENTORHUB_SCREENSHOTS or the test's
temporary folder). Then "Mark as reviewed" and "Mark as done" by keyboard alone, the note
typed into the field found by its label.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.async_api import Browser
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings
from tests.browser.helpers import new_page, serving_on_loopback
from tests.browser.space_journey_helpers import keyboard_press, words
from tests.browser.test_matching_flows_in_chromium import Looker, look  # noqa: F401
from tests.browser.test_phone_and_axe import LONG_NAME
from tests.checkpoints.coordinator_world import (
    CoordWorld,
    add_item,
    add_task,
    coord_world,
    coordinator_call,
    reload_item,
    reload_task,
)
from tests.identity.conftest import settings  # noqa: F401  (fixture)


@pytest.fixture
async def site(db: Database, settings: Settings) -> AsyncIterator[str]:  # noqa: F811
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def cookie_for(settings: Settings, cw: CoordWorld, who: Member) -> tuple[str, str]:  # noqa: F811
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(
                email=who.email,
                display_name=who.display_name,
                tenant_id=str(cw.pw.id),
                tenant_slug=cw.slug,
                member_id=str(who.id),
                roles=tuple(who.roles),
            )
        )
    finally:
        await redis.aclose()
    return TENANT_COOKIE, token


async def test_the_coordinator_reviews_and_completes_by_keyboard(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    look: Looker,  # noqa: F811
) -> None:
    cw = await coord_world(db)
    pw = cw.pw
    async with db.tenant(pw.id) as session:  # a long name must still fit a phone
        mentee = await session.get(Member, {"tenant_id": pw.id, "id": pw.other_mentee.id})
        assert mentee is not None
        mentee.display_name = LONG_NAME
    today = date.today()
    survey = await add_item(
        db,
        cw,
        member=pw.mentee,
        due_on=today - timedelta(days=20),
        answers={
            "confidence": 4,
            "statements": ["Agree", "Neither"],
            "comments": "We met three times.\nThe exhibition plan is on track. " * 4,
        },
    )
    update = await add_item(
        db,
        cw,
        checkpoint="quarterly_update",
        title="Quarterly Update",
        audience="pair",
        readers=("pair", "coordinator"),
        due_on=today - timedelta(days=1),
        submitted_at=datetime.now(UTC) - timedelta(days=3),
        answers={"progress": "We finished the first exhibition plan.", "share": True},
        share_permission=True,
    )
    await add_item(db, cw, pair_id=pw.other_pair.id, member=pw.other_mentor)
    await add_item(db, cw, member=pw.mentor, state="open", due_on=today - timedelta(days=2))
    _, call = await coordinator_call(db, cw)
    await add_task(
        db,
        cw,
        kind="quiet_pair",
        pair_id=pw.other_pair.id,
        title="Quiet pair",
        last_activity=today - timedelta(days=45),
    )
    await add_task(db, cw, kind="quiet_pair", title="Quiet pair", last_activity=today)
    page = await new_page(
        browser, site, await cookie_for(settings, cw, pw.world.coordinator), device_scale_factor=1
    )
    try:
        for name, path in (
            ("list", "/coordinator/checkpoints"),
            ("list-overdue", "/coordinator/checkpoints?state=overdue"),
            ("list-bad-filter", "/coordinator/checkpoints?state=nonsense"),
            ("survey", f"/coordinator/checkpoints/{survey.id}"),
            ("update", f"/coordinator/checkpoints/{update.id}"),
            ("tasks", "/coordinator/tasks"),
        ):
            response = await page.goto(site + cw.url(path))
            assert response is not None and response.status in (200, 400), (name, response)
            await look(page, f"coordinator-{name}")
        # Review the survey: from the list, by keyboard, with a note.
        await page.goto(site + cw.url("/coordinator/checkpoints"))
        await keyboard_press(
            page,
            page.get_by_role(
                "link", name=re.compile(r"^Mid-program survey.*Theo Mentee and Maya Mentor")
            ),
        )
        assert "How confident do you feel in your role? 4 out of 5" in await words(page)
        await page.get_by_label("Note (optional)").fill("Read. Ask about the exhibition in April.")
        await keyboard_press(page, page.get_by_role("button", name="Mark as reviewed"))
        seen = await words(page)
        assert "Marked as reviewed." in seen and "Ask about the exhibition in April." in seen
        await look(page, "coordinator-reviewed")
        assert (await reload_item(db, cw, survey.id)).state == "reviewed"
        # The call on the task list, by keyboard.
        await page.goto(site + cw.url("/coordinator/tasks"))
        card = page.get_by_role("region", name=re.compile(r"^Call Maya Mentor"))
        await card.get_by_label("Note (optional)").fill("Called; all well.")
        await keyboard_press(page, card.get_by_role("button", name=re.compile(r"^Mark as done")))
        seen = await words(page)
        assert "Done: Phone call from the programme manager (month 2)." in seen
        assert "Called; all well." in seen
        await look(page, "coordinator-task-done")
        assert (await reload_task(db, cw, call.id)).state == "done"
    finally:
        await page.context.close()
    assert look.problems == [], "\n".join(look.problems)
