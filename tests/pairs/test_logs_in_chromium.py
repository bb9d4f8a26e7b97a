"""The log and CPD pages in a real headless Chromium, on a phone (375 px) and a desktop
(1280 px): nothing is wider than the screen, axe-core finds no serious or critical
violation — the author's log (with entries, and again with a form's errors), one entry,
the coordinator's shared entries, the CPD record (and with a refused entry id). Writing an
entry through the page's own form and ticking an entry for the CSV work by keyboard-free
clicks as a person would.

Set MENTORHUB_SCREENSHOTS=DIR to keep a full-page screenshot of each page there."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.pairs.services import logs
from mentorhub.settings import Settings
from tests.browser.conftest import browser  # noqa: F401  (fixture)
from tests.browser.helpers import new_page, serving_on_loopback
from tests.browser.test_phone_and_axe import OVERFLOW_JS, serious
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.test_cpd import Cpd, cpd_world

SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}


async def cookie(settings: Settings, w: Cpd, member: Member) -> tuple[str, str]:  # noqa: F811
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=900, absolute_seconds=900).create(
            Identity(
                email=member.email,
                display_name=member.display_name,
                tenant_id=str(w.pw.id),
                tenant_slug=w.pw.world.tenant.slug,
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
        name = what.replace(" ", "_")
        await page.screenshot(path=str(Path(keep) / f"{name}.png"), full_page=True)


async def test_log_and_cpd_pages_fit_a_phone_and_pass_axe(
    db: Database,
    browser: Browser,  # noqa: F811
    settings: Settings,  # noqa: F811
) -> None:
    w = await cpd_world(db)
    pw = w.pw
    await logs.share_entry(db, pw.id, pw.mentor.id, pw.pair.id, w.chosen)
    await logs.write_entry(
        db,
        pw.id,
        pw.mentor.id,
        pw.pair.id,
        title="A very long title " + "withaverylongwordthatdoesnotbreak" * 3,
        body="Line one.\n\nLine two, after a blank line. " + "Long reflection. " * 40,
    )
    problems: list[str] = []
    async with serving_on_loopback(create_app(settings, db=db)) as site:
        mentor = await cookie(settings, w, pw.mentor)
        coordinator = await cookie(settings, w, pw.world.coordinator)
        for size, viewport in SIZES.items():
            page = await new_page(browser, site, mentor, viewport=viewport)
            for name, path in (
                ("log", pw.url("/log")),
                ("log-entry", pw.url(f"/log/{w.chosen}")),
                ("cpd", w.url("/cpd")),
                ("cpd-refused", w.url(f"/cpd.pdf?entry={w.chosen}&entry={w.mentees}")),
            ):
                answer = await page.goto(site + path)
                assert answer is not None
                await check(page, f"{size} mentor {name}", problems)
            # The form's own errors, as a person gets them: an empty entry.
            await page.goto(site + pw.url("/log"))
            await page.fill("#title", "No words")
            await page.click("button:has-text('Save entry')")
            await page.wait_for_selector(".error-summary")
            assert "Entry is needed" in await page.inner_text(".error-summary")
            await check(page, f"{size} mentor log-errors", problems)
            await page.context.close()

            page = await new_page(browser, site, coordinator, viewport=viewport)
            await page.goto(site + pw.url("/log/shared"))
            assert "CHOSEN reflection" in await page.inner_text("main")
            await check(page, f"{size} coordinator log-shared", problems)
            await page.context.close()
    assert not problems, "\n".join(problems)


async def test_writing_an_entry_and_choosing_it_for_the_csv_in_the_browser(
    db: Database,
    browser: Browser,  # noqa: F811
    settings: Settings,  # noqa: F811
) -> None:
    w = await cpd_world(db)
    pw = w.pw
    words = f"Written in the browser {uuid.uuid4().hex[:6]}"
    async with serving_on_loopback(create_app(settings, db=db)) as site:
        page = await new_page(browser, site, await cookie(settings, w, pw.mentor))
        await page.goto(site + pw.url("/log"))
        await page.fill("#title", "From the page")
        await page.fill("#body", words)
        await page.click("button:has-text('Save entry')")
        await page.wait_for_selector("text=Entry saved. Only you can read it.")
        await page.click("text=Share with the coordinator: From the page")
        await page.wait_for_selector("text=Shared with the coordinator, who has been told")

        await page.goto(site + w.url("/cpd"))
        await page.check("label:has-text('From the page')")
        async with page.expect_download() as info:
            await page.click("button:has-text('Download CSV')")
        download = await info.value
        content = Path(await download.path()).read_text(encoding="utf-8")
        assert words in content and "UNCHOSEN" not in content
        assert download.suggested_filename.endswith(".csv")
        await page.context.close()
