"""The pair's home and its ending/extension/removal pages in headless Chromium, for AHEP
(chat, documents, contact details, extension, either party ends) and the Museums
Association (agreement, goals, contact hours 9–12 h): at 375 px and at 1280 px nothing runs
past the screen's edge and axe-core finds no serious or critical violation, for the mentor,
the mentee and the coordinator. Screenshots go to `$SHOTS_DIR` when set (to look at)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.pairs.space_models import Agreement, Goal, Meeting
from mentorhub.settings import Settings
from tests.browser.conftest import browser  # noqa: F401  (fixture)
from tests.browser.helpers import new_page, serving_on_loopback
from tests.browser.test_phone_and_axe import OVERFLOW_JS, serious
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.space_helpers import PairWorld, pair_world

SIZES = {"375": {"width": 375, "height": 812}, "1280": {"width": 1280, "height": 900}}


async def cookie(settings: Settings, pw: PairWorld, member: Member) -> tuple[str, str]:  # noqa: F811
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


async def lived_in(db: Database, pw: PairWorld) -> None:
    """Some of everything the home counts: an agreement one of them agreed, goals, a held
    meeting and one proposed by the mentee."""
    now = datetime.now(UTC)
    async with db.tenant(pw.id) as session:
        t = {"tenant_id": pw.id, "pair_id": pw.pair.id}
        session.add_all(
            [
                Agreement(**t, sections=[], revision=1, mentee_agreed_revision=1),
                Goal(**t, title="g1", status="in_progress", created_by=pw.mentee.id),
                Goal(**t, title="g2", status="achieved", created_by=pw.mentee.id),
                Meeting(
                    **t,
                    starts_at=now - timedelta(hours=1),
                    minutes=90,
                    mode="video",
                    state="held",
                    held_minutes=90,
                    proposed_by=pw.mentor.id,
                ),
                Meeting(
                    **t,
                    starts_at=now + timedelta(days=12),
                    minutes=60,
                    mode="in_person",
                    state="proposed",
                    proposed_by=pw.mentee.id,
                ),
            ]
        )


@pytest.mark.parametrize("slug", ["ahep", "museums-association"])
async def test_home_pages_fit_a_phone_and_a_desktop_and_pass_axe(
    db: Database,
    settings: Settings,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
    slug: str,
) -> None:
    pw = await pair_world(db, slug)
    await lived_in(db, pw)
    shots = Path(os.environ.get("SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    pages = {
        "mentor": ["", "/end", "/extension"],
        "mentee": [""],
        "coordinator": ["", "/end", "/remove"],
    }
    people = {"mentor": pw.mentor, "mentee": pw.mentee, "coordinator": pw.world.coordinator}
    problems: list[str] = []
    async with serving_on_loopback(create_app(settings, db=db)) as site:
        for who, paths in pages.items():
            jar = await cookie(settings, pw, people[who])
            for size, viewport in SIZES.items():
                page = await new_page(browser, site, jar, viewport=viewport, device_scale_factor=1)
                axe = Axe()
                for path in paths:
                    response = await page.goto(site + pw.url(path))
                    assert response is not None
                    await page.wait_for_load_state("networkidle")
                    where = f"{slug} {who} {path or '/'} {size}px"
                    if response.status != 200:
                        problems.append(f"{where}: answered {response.status}")
                        continue
                    overflow = await page.evaluate(OVERFLOW_JS)
                    if overflow["over"] > 0:
                        problems.append(f"{where}: {overflow['over']}px too wide")
                    problems += [f"{where}: {v}" for v in serious(await axe.run(page))]
                    name = f"{slug}_{who}_{(path or '/home').strip('/')}_{size}.png"
                    await page.screenshot(path=str(shots / name), full_page=True)
                await page.context.close()
    assert problems == []
