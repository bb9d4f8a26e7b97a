"""The Museums Association's evaluation report in a real headless Chromium (issue 17, point
2), over the seeded cohort whose figures are known (tests.reports.test_evaluation_world):
the coordinator opens the report, sees the figures (27 meetings, 4.5 per pair, 95.8 % of
goals achieved or partly achieved, 100 % of those answering both times more confident), the
charts as images with their numbers in tables, a quote given with permission and none
without; the downloads work (each link fetched in the browser's session: CSV, XLSX, PDF,
responses CSV); the page at 375 px and 1280 px has nothing wider than the screen and axe-core
finds no serious or critical violation; a small cohort's report says only that it is too
small. Screenshots are kept (MENTORHUB_SCREENSHOTS or the test's temporary folder)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser
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
from tests.reports.test_evaluation_world import ReportWorld, report_world


@pytest.fixture
async def site(db: Database, settings: Settings) -> AsyncIterator[str]:  # noqa: F811
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def _token(settings: Settings, rw: ReportWorld, who: Member) -> str:  # noqa: F811
    redis = Redis.from_url(settings.redis_url or "")
    try:
        return await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(
                email=who.email,
                display_name=who.display_name,
                tenant_id=str(rw.id),
                tenant_slug=rw.world.tenant.slug,
                member_id=str(who.id),
                roles=tuple(who.roles),
            )
        )
    finally:
        await redis.aclose()


async def test_the_ma_report_in_chromium(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    look: Looker,  # noqa: F811
) -> None:
    rw = await report_world(db)
    token = await _token(settings, rw, rw.world.coordinator)
    page = await new_page(browser, site, (TENANT_COOKIE, token), device_scale_factor=1)
    try:
        # the list of reports, then the cohort's
        await page.goto(f"{site}/t/{rw.world.tenant.slug}/coordinator/reports")
        await look(page, "report-index")
        await page.get_by_role("link", name="2027 intake").click()
        await page.wait_for_url(f"{site}{rw.url()}")
        seen = await words(page)
        for expected in (
            "Evaluation report: 2027 intake",
            "Meetings held 27",
            "Average meetings per pair 4.5",
            "Achieved or partly achieved 95.8 %",
            "I feel confident in myself 5 5 (100 %) 0 (0 %) 0 (0 %) 3 → 4.2 (+1.2)",
            "SHARED-QUOTE-0",
        ):
            assert expected in seen, expected
        for secret in ("SECRET-MARKER", "DRAFT-MARKER", "SMALL-GROUP-QUOTE"):
            assert secret not in seen
        # each chart is one image named with its numbers; the same numbers are in a table
        chart = page.get_by_role("img", name="Goals by status.", exact=False)
        assert await chart.count() == 1
        assert "Achieved: 14 (58.3 %)" in (await chart.get_attribute("aria-label") or "")
        table = page.get_by_role("table", name="Goals by status: 24 respondents")
        assert "Achieved 14 58.3 %" in " ".join((await table.inner_text()).split())
        await look(page, "report-ma")

        # the downloads, fetched with the browser's own session
        for link, kind, magic in (
            ("The report as a PDF", "application/pdf", b"%PDF-"),
            ("The tables as a spreadsheet (XLSX)", "application/vnd.openxml", b"PK"),
            ("The tables as CSV", "text/csv", b"section,group"),
            ("Every answer, one row each, under pseudonyms (CSV)", "text/csv", b"respondent,"),
        ):
            href = await page.get_by_role("link", name=link).get_attribute("href")
            assert href is not None
            answer = await page.request.get(f"{site}{href}")
            assert answer.status == 200, link
            assert answer.headers["content-type"].startswith(kind), link
            assert (await answer.body()).startswith(magic), link

        # a cohort of three pairs: only that
        await page.goto(f"{site}{rw.url(rw.small)}")
        seen = await words(page)
        assert (
            "This cohort’s pairs: fewer than 5 — not shown." in seen and "Meetings held" not in seen
        )
        await look(page, "report-small-cohort")
    finally:
        await page.context.close()
    assert look.problems == []
