"""Coordinator matching in Chromium (issue #14, Alberta): the coordinator signs in through
the demo identity provider, runs the cohort's matching, forbids the pair (a second draft),
compares the two runs, takes the forbid away, publishes after the confirmation; the
unmatched applicant's mail arrives in the SMTP sink (invited to reapply); the pair appears
for both people ("My mentoring") and for the coordinator. Each page is looked at on a phone
(375 px) and a desktop: nothing wider than the screen, axe-core finds nothing serious.

Set MENTORHUB_SCREENSHOTS=DIR to keep the screenshots there.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.settings import Settings, get_settings
from tests.browser.journey_helpers import (
    Association,
    association,
    mail_kinds,
    press,
    sign_in,
    site_for,
    text,
)
from tests.browser.test_phone_and_axe import LONG_NAME, OVERFLOW_JS, PHONE, serious
from tests.messages.conftest import inbox, live_db, sink  # noqa: F401  (fixtures)
from tests.messages.sink import Sink
from tests.pairs.helpers import accepted, member_of

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def settings(sink: Sink) -> Settings:  # noqa: F811
    """Mail goes to the sink; sign-in and link rate limits out of a short test's way."""
    return dataclasses.replace(
        get_settings(),
        login_rate_per_minute=100_000,
        login_account_rate_per_minute=100_000,
        login_tenant_rate_per_minute=100_000,
        link_rate_per_minute=100_000,
        link_tenant_rate_per_minute=100_000,
    )


async def look(page: Page, name: str, shots: Path, problems: list[str]) -> None:
    """The page as it is, on a phone and on a desktop: too wide? axe? a screenshot each."""
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        overflow = await page.evaluate(OVERFLOW_JS)
        if overflow["over"] > 0:
            problems.append(f"{label} {name}: {overflow['over']}px too wide {overflow['culprits']}")
        problems += [f"{label} {name}: {v}" for v in serious(await Axe().run(page))]
        await page.screenshot(path=str(shots / f"matching_{label}_{name}.png"), full_page=True)
    await page.set_viewport_size(DESKTOP)


async def people(db: Database, a: Association) -> tuple[Member, Member, Member]:
    senior = await accepted(db, a, "mentor", "Sam Senior", career_stage="Senior professional")  # type: ignore[arg-type]
    early = await accepted(db, a, "mentee", "Emma Early", career_stage="Early career")  # type: ignore[arg-type]
    stuck = await accepted(db, a, "mentee", "Sid Senior", career_stage="Senior professional")  # type: ignore[arg-type]
    # A long name, to see that nothing grows wider than a phone's screen.
    await accepted(db, a, "mentee", LONG_NAME, career_stage="Emerging professional")  # type: ignore[arg-type]
    return (
        await member_of(db, a, senior.member_id),  # type: ignore[arg-type]
        await member_of(db, a, early.member_id),  # type: ignore[arg-type]
        await member_of(db, a, stuck.member_id),  # type: ignore[arg-type]
    )


async def test_alberta_cohort_run_publish_unmatched_told_pairs_shown(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
    tmp_path: Path,
) -> None:
    shots = Path(os.environ.get("MENTORHUB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    a = await association(live_db, "alberta-museums")
    senior, early, stuck = await people(live_db, a)
    async with site_for(live_db, settings, browser, monkeypatch, [a]) as site:
        staff = await sign_in(site, a, a.coordinator)
        await staff.get_by_role("link", name="Cohort matching").click()
        await staff.get_by_role("link", name=a.cohort.name).click()
        await staff.wait_for_url(re.compile(r"/coordinator/matching/[0-9a-f-]{36}$"))
        words = await text(staff)
        assert "Accepted mentees 3" in words and "Accepted mentors 1" in words
        await look(staff, "cohort_empty", shots, problems)
        # By keyboard alone: type the note, Tab to the button, Enter.
        await staff.get_by_label("Note (optional)").focus()
        await staff.keyboard.type("First go")
        await staff.keyboard.press("Tab")
        assert await staff.evaluate("document.activeElement.textContent") == "Run the matching"
        async with staff.expect_navigation():
            await staff.keyboard.press("Enter")
        words = await text(staff)
        assert "Run 1 computed" in words and "Emma Early with Sam Senior" in words
        assert "Sid Senior" in words and "excluded by the career stage rule" in words
        await look(staff, "run", shots, problems)

        # A pin that breaks a hard rule: the error at the field, nothing changed.
        await staff.get_by_label("Mentee").first.select_option(label="Sid Senior")
        await staff.get_by_label("Mentor").first.select_option(label="Sam Senior")
        await press(staff, "Pin and run again")
        summary = staff.get_by_role("alert")
        assert "excluded by the career stage rule" in await summary.inner_text()
        await look(staff, "run_pin_refused", shots, problems)

        # Forbid the pair: run 2 makes none; compare; take the forbid away: run 3.
        forbid = staff.locator("form[action$='/forbid']")
        await forbid.get_by_label("Mentee").select_option(label="Emma Early")
        await forbid.get_by_label("Mentor").select_option(label="Sam Senior")
        await press(staff, "Forbid and run again")
        assert "Pair forbidden: run 2 computed" in await text(staff)
        await staff.get_by_role("link", name=re.compile("^Back to matching")).click()
        await staff.wait_for_load_state()
        await look(staff, "cohort_runs", shots, problems)
        await press(staff, "Compare")
        words = await text(staff)
        assert "Run 2 and run 1 side by side" in words or "Run 1 and run 2" in words
        assert "Emma Early with Sam Senior" in words
        await look(staff, "compare", shots, problems)
        await staff.go_back()
        await staff.get_by_role("link", name="Run 2").click()
        await staff.wait_for_load_state()
        await press(staff, "Take away and run again")
        assert "Forbid taken away: run 3 computed" in await text(staff)

        # Publish run 3 after the confirmation.
        await staff.get_by_role("link", name=re.compile("^Publish run 3")).click()
        await staff.wait_for_load_state()
        assert "Publish run 3" in await text(staff)
        await look(staff, "publish", shots, problems)
        await staff.get_by_label(re.compile("^Yes, publish run 3")).check()
        await press(staff, "Publish")
        words = await text(staff)
        assert "Run 3 published" in words and "Sam Senior" in words and "Emma Early" in words
        await look(staff, "cohort_pairs", shots, problems)

        # The unmatched applicant is told (the sink got the mail); both people are told.
        assert await mail_kinds(live_db, a, inbox, stuck.email) == ["match_unmatched"]
        [told] = inbox.to(stuck.email)
        body = told.parsed().get_body(("plain",))
        assert body is not None and a.cohort.name in str(body.get_content())
        assert "match_made" in await mail_kinds(live_db, a, inbox, senior.email)

        for me, other, role in ((early, "Sam Senior", "mentor"), (senior, "Emma Early", "mentee")):
            page = await sign_in(site, a, me)
            await page.get_by_role("link", name="My mentoring").click()
            await page.wait_for_load_state()
            words = await text(page)
            assert f"Your {role}: {other}" in words and "Matched by the coordinator" in words
            await look(page, f"mine_{role}", shots, problems)
        page = await sign_in(site, a, stuck)
        await page.goto(site.t(a, "/pairs"))
        assert "You are not in a mentoring pair yet" in await text(page)
    assert problems == [], "\n".join(problems)
