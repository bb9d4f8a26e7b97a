"""The meetings and calendar pages in a real headless Chromium, on a phone (375 px) and a
desktop (1280 px): nothing is wider than the screen, axe-core finds no serious or critical
violation — the meetings list (every section filled: waiting for an answer, waiting for the
other, coming up, to record, held, cancelled), a proposal's page for the one who answers, a
confirmed meeting's page, the propose form with its errors, the calendar page with a new
address. Proposing through the page's own form and accepting work by clicks.

Set MENTORHUB_SCREENSHOTS=DIR to keep a full-page screenshot of each page there."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.applications.queue import tenant_zone
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.pairs.space_models import Meeting
from mentorhub.settings import Settings
from tests.browser.conftest import browser  # noqa: F401  (fixture)
from tests.browser.helpers import new_page, serving_on_loopback
from tests.browser.test_phone_and_axe import OVERFLOW_JS, serious
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.space_helpers import PairWorld, pair_world

SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}


async def cookie(settings: Settings, pw: PairWorld, member: Member) -> tuple[str, str]:  # noqa: F811
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=900, absolute_seconds=900).create(
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


async def check(page: Page, what: str, problems: list[str]) -> None:
    overflow = await page.evaluate(OVERFLOW_JS)
    if overflow["over"] > 0:
        problems.append(f"{what}: {overflow['over']} px too wide: {overflow['culprits']}")
    problems += [f"{what}: {v}" for v in serious(await Axe().run(page))]
    keep = os.environ.get("MENTORHUB_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        await page.screenshot(
            path=str(Path(keep) / f"{what.replace(' ', '_')}.png"), full_page=True
        )


async def fill(db: Database, pw: PairWorld) -> dict[str, uuid.UUID]:
    """One meeting in every section of the mentor's list."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    made: dict[str, uuid.UUID] = {}
    rows = {
        "for_me": (
            "proposed",
            pw.mentee.id,
            6,
            "video",
            "",
            "https://meet.example.org/" + "a" * 60,
        ),
        "for_them": ("proposed", pw.mentor.id, 8, "phone", "Maya calls Theo", ""),
        "upcoming": (
            "scheduled",
            pw.mentee.id,
            12,
            "in_person",
            "The museum café, 1 High Street",
            "",
        ),
        "to_record": ("scheduled", pw.mentor.id, -1, "in_person", "The library", ""),
        "held": ("held", pw.mentor.id, -20, "video", "", "https://meet.example.org/held"),
        "cancelled": ("cancelled", pw.mentor.id, 3, "phone", "", ""),
    }
    async with db.tenant(pw.id) as session:
        for key, (state, by, days, mode, place, link) in rows.items():
            meeting = Meeting(
                tenant_id=pw.id,
                id=uuid.uuid4(),
                pair_id=pw.pair.id,
                starts_at=now + timedelta(days=days),
                minutes=90,
                mode=mode,
                place=place,
                link=link,
                state=state,
                proposed_by=by,
                answered_at=now if state != "proposed" else None,
                held_minutes=75 if state == "held" else None,
                record="Talked through the first goal.\nActions: Theo drafts the plan."
                if state == "held"
                else "",
                cancel_reason="Clash with a board meeting." if state == "cancelled" else "",
            )
            session.add(meeting)
            made[key] = meeting.id
    return made


async def test_meetings_and_calendar_pages_fit_a_phone_and_pass_axe(
    db: Database,
    browser: Browser,  # noqa: F811
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "museums-association")
    made = await fill(db, pw)
    problems: list[str] = []
    async with serving_on_loopback(create_app(settings, db=db)) as site:
        mentor = await cookie(settings, pw, pw.mentor)
        for size, viewport in SIZES.items():
            page = await new_page(browser, site, mentor, viewport=viewport)
            for name, path in (
                ("meetings", pw.url("/meetings")),
                ("meeting-to-answer", pw.url(f"/meetings/{made['for_me']}")),
                ("meeting-confirmed", pw.url(f"/meetings/{made['upcoming']}")),
                ("meeting-to-record", pw.url(f"/meetings/{made['to_record']}")),
                ("calendar", f"/t/{pw.world.tenant.slug}/calendar"),
            ):
                answer = await page.goto(site + path)
                assert answer is not None and answer.status == 200, (name, answer and answer.status)
                await check(page, f"{size} {name}", problems)
            # The propose form's own errors, as a person gets them: a time in the past.
            await page.goto(site + pw.url("/meetings"))
            yesterday = datetime.now(tenant_zone("GB-ENG")).date() - timedelta(days=1)
            await page.fill("#date1", yesterday.isoformat())
            await page.fill("#time1", "10:00")
            await page.select_option("#mode1", "video")
            await page.fill("#link1", "http://insecure.example.org")
            await page.click("button:has-text('Propose')")
            await page.wait_for_selector(".error-summary")
            summary = await page.inner_text(".error-summary")
            assert "The meeting must be in the future" in summary
            assert "starting with https://" in summary
            await check(page, f"{size} meetings-errors", problems)
            # A new calendar address, shown once.
            await page.goto(site + f"/t/{pw.world.tenant.slug}/calendar")
            await page.click("button:has-text('Make')")
            await page.wait_for_selector("#feed-url")
            await check(page, f"{size} calendar-new", problems)
            await page.context.close()
    assert not problems, "\n".join(problems)


async def test_proposing_and_accepting_in_the_browser(
    db: Database,
    browser: Browser,  # noqa: F811
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "museums-association")
    day = datetime.now(tenant_zone("GB-ENG")).date() + timedelta(days=10)
    async with serving_on_loopback(create_app(settings, db=db)) as site:
        page = await new_page(browser, site, await cookie(settings, pw, pw.mentor))
        await page.goto(site + pw.url("/meetings"))
        await page.fill("#date1", day.isoformat())
        await page.fill("#time1", "14:30")
        await page.fill("#minutes1", "90")
        await page.fill("#place1", "The museum café")
        await page.click("button:has-text('Propose')")
        await page.wait_for_selector("text=Proposed. Theo Mentee has been asked by e-mail.")
        await page.context.close()

        page = await new_page(browser, site, await cookie(settings, pw, pw.mentee))
        await page.goto(site + pw.url("/meetings"))
        assert "Waiting for your answer" in await page.inner_text("main")
        await page.click("button:has-text('Accept')")
        await page.wait_for_selector("text=Confirmed. You both have the invitation by e-mail")
        main = await page.inner_text("main")
        assert "Coming up" in main and "14:30" in main
        async with page.expect_download() as info:
            await page.click("text=Add to calendar (.ics)")
        download = await info.value
        content = Path(await download.path()).read_text(encoding="utf-8")
        assert "METHOD:REQUEST" in content and "TZID=Europe/London" in content
        await page.context.close()
