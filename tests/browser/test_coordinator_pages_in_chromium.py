"""The coordinator's applications pages in a real headless Chromium, on a phone (375 px) and
on a desktop screen, filled with applications in the states the Museums Association's
scheme uses (long names and answers included): nothing is wider than the screen, axe-core
finds no serious or critical violation, the bulk confirmation is reached by ticking boxes
and pressing the button, and an action goes through by keyboard alone.

Set MENTORHUB_SCREENSHOTS=DIR to keep a full-page screenshot of each page there.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser

from mentorhub.app import create_app
from mentorhub.applications import services
from mentorhub.applications.states import State
from mentorhub.db import Database
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.applications.conftest import World, add_member, answers, make_world, reload
from tests.browser.helpers import new_page, serving_on_loopback, session_cookie
from tests.browser.test_phone_and_axe import LONG_NAME, OVERFLOW_JS, PHONE, serious, shot_name
from tests.identity.conftest import (  # noqa: F401  (fixtures)
    SLUG_A,
    OidcProvider,
    email,
    providers,
    settings,
    tenant_a,
)

DESKTOP = {"width": 1280, "height": 900}
A = f"/t/{SLUG_A}"


@pytest.fixture
async def site(db: Database, settings: Settings) -> AsyncIterator[str]:  # noqa: F811
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def applied(db: Database, world: World, name: str, role: str = "mentee", **given: object):  # type: ignore[no-untyped-def]
    member = await add_member(db, world.tenant, name)
    draft = await services.save_draft(
        db,
        world.id,
        member.id,
        cohort_id=world.cohort.id,
        role=role,
        data=answers(world, role, **given),
    )
    return await services.submit(db, world.id, member.id, draft.id)


async def fill(db: Database, tenant: Tenant) -> tuple[World, dict[str, object]]:
    """A Museums Association cohort in tenant A with an application in each state."""
    world = await make_world(db, "museums-association", tenant=tenant)
    coordinator = world.coordinator.id
    long_goal = (
        "I want to develop my confidence in leading audience-development projects across "
        "several museums, " * 6
    )
    eligible = await applied(db, world, LONG_NAME, goals=[long_goal])
    await applied(db, world, "Student Sam", is_student="yes")
    shortlisted = await applied(db, world, "Shona Shortlisted")
    await services.shortlist(db, world.id, coordinator, shortlisted.id)
    scheduled = await applied(db, world, "Ivo Interview")
    await services.shortlist(db, world.id, coordinator, scheduled.id)
    await services.schedule_interview(
        db,
        world.id,
        coordinator,
        scheduled.id,
        scheduled_at=datetime.now(UTC) + timedelta(days=3),
        format="phone",
    )
    held = await applied(db, world, "Hana Held")
    await services.shortlist(db, world.id, coordinator, held.id)
    await services.schedule_interview(
        db,
        world.id,
        coordinator,
        held.id,
        scheduled_at=datetime.now(UTC) + timedelta(hours=1),
        format="video",
    )
    await services.record_interview(
        db,
        world.id,
        coordinator,
        held.id,
        held_at=datetime.now(UTC),
        notes="Clear goals.\nWould suit a mentor in digital.",
        now=datetime.now(UTC) + timedelta(hours=2),
    )
    waiting = await applied(db, world, "Wim Waitlisted")
    await services.shortlist(db, world.id, coordinator, waiting.id)
    declined = await applied(db, world, "Una Unsuccessful")
    await services.decline(db, world.id, coordinator, declined.id, feedback="Thank you.")
    await applied(db, world, "Mo Mentor", role="mentor")
    return world, {
        "eligible": eligible.id,
        "scheduled": scheduled.id,
        "held": held.id,
        "declined": declined.id,
    }


async def check(
    browser: Browser,
    site: str,
    cookie: tuple[str, str],
    paths: list[str],
    shots: Path,
    viewport: dict[str, int],
    label: str,
) -> list[str]:
    page = await new_page(browser, site, cookie, viewport=viewport, device_scale_factor=1)
    axe = Axe()
    problems = []
    for path in paths:
        response = await page.goto(site + path)
        assert response is not None
        await page.wait_for_load_state("networkidle")
        if response.status not in (200, 400):  # 400: the bad filter, shown with its message
            problems.append(f"{label} {path}: answered {response.status}")
            continue
        overflow = await page.evaluate(OVERFLOW_JS)
        if overflow["over"] > 0:
            problems.append(f"{label} {path}: {overflow['over']}px too wide {overflow['culprits']}")
        problems += [f"{label} {path}: {v}" for v in serious(await axe.run(page))]
        await page.screenshot(path=str(shots / shot_name(label, path)), full_page=True)
    # The bulk confirmation: tick two boxes, choose, continue.
    await page.goto(f"{site}{A}/coordinator/applications?state=eligible")
    boxes = page.locator('input[name="ids"]')
    for i in range(min(2, await boxes.count())):
        await boxes.nth(i).check()
    await page.select_option("#bulk-action", "shortlist")
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_load_state("networkidle")
    if "Shortlist: " not in await page.content():
        problems.append(f"{label} bulk: the confirmation page did not come")
    overflow = await page.evaluate(OVERFLOW_JS)
    if overflow["over"] > 0:
        problems.append(f"{label} bulk: {overflow['over']}px too wide {overflow['culprits']}")
    problems += [f"{label} bulk: {v}" for v in serious(await axe.run(page))]
    await page.screenshot(path=str(shots / f"{label}_bulk_confirm.png"), full_page=True)
    await page.context.close()
    return problems


async def test_coordinator_pages_fit_a_phone_and_a_desktop_and_pass_axe(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    providers: dict[str, OidcProvider],  # noqa: F811
    tmp_path: Path,
) -> None:
    shots = Path(os.environ.get("MENTORHUB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    world, ids = await fill(db, tenant_a)
    cohort = world.cohort.id
    one = f"{A}/coordinator/applications"
    paths = [
        one,
        f"{one}?state=eligible&q=maximiliana",
        f"{one}?state=nonsense",
        f"{one}/{ids['eligible']}",
        f"{one}/{ids['scheduled']}",
        f"{one}/{ids['held']}",
        f"{one}/{ids['declined']}",
        f"{one}/{ids['held']}/decline?reason=fit",
        f"{A}/coordinator/cohorts",
        f"{A}/coordinator/cohorts/{cohort}",
        f"{A}/coordinator/cohorts/{cohort}/windows/mentee/close",
    ]
    cookie = await session_cookie(settings, db, tenant_a, "coordinator", providers["a"].issuer)
    # The signed-in coordinator of tenant A is the OIDC account, not the world's own.
    problems = await check(browser, site, cookie, paths, shots, PHONE, "phone")
    problems += await check(browser, site, cookie, paths, shots, DESKTOP, "desktop")
    assert problems == [], "\n".join(problems)


async def test_an_action_by_keyboard_alone(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    providers: dict[str, OidcProvider],  # noqa: F811
) -> None:
    """Tab to the shortlist button and press Enter: the application is shortlisted and the
    page says so."""
    world, ids = await fill(db, tenant_a)
    cookie = await session_cookie(settings, db, tenant_a, "coordinator", providers["a"].issuer)
    page = await new_page(browser, site, cookie, viewport=PHONE)
    await page.goto(f"{site}{A}/coordinator/applications/{ids['eligible']}")
    for _ in range(60):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.textContent")
        if focused and focused.strip().startswith("Shortlist"):
            break
    else:
        raise AssertionError("the shortlist button is not reachable by Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_load_state("networkidle")
    assert "Shortlisted." in await page.content()
    assert (await reload(db, world, ids["eligible"])).state == State.SHORTLISTED  # type: ignore[arg-type]
    await page.context.close()
