"""The applicant's pages in a real headless Chromium, on a phone (375 px) and on a desktop:
nothing wider than the screen, and axe-core finds no serious or critical violation — on
Apply, the form (empty, with its errors after pressing Submit, after Save draft), the
confirmation, My applications (a refused student's reason, a declined applicant's feedback),
one application and the withdraw confirmation. The form is walked with the keyboard's
buttons as a person would: Submit with nothing filled in puts the error summary first,
focused links to each question.

Set MENTORHUB_SCREENSHOTS=DIR to keep a full-page screenshot of each page there.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page
from redis.asyncio import Redis
from sqlalchemy import update

from mentorhub.app import create_app
from mentorhub.applications import services
from mentorhub.applications.models import RecruitmentWindow
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings, get_settings
from tests.applications.conftest import World, add_member, answers, make_world
from tests.applications.test_applicant_pages import all_kinds_world
from tests.browser.helpers import new_page, serving_on_loopback
from tests.browser.test_phone_and_axe import OVERFLOW_JS, PHONE, serious

DESKTOP = {"width": 1280, "height": 900}
LONG_NAME = "Maximiliana Featherstonehaugh-Cholmondeley-Wolfeschlegelsteinhausen"


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.fixture
async def site(db: Database, settings: Settings) -> AsyncIterator[str]:
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def cookie(settings: Settings, world: World, member: Member) -> tuple[str, str]:
    redis = Redis.from_url(settings.redis_url or "")
    try:
        store = SessionStore(redis, idle_seconds=600, absolute_seconds=600)
        token = await store.create(
            Identity(
                email=member.email,
                display_name=member.display_name,
                tenant_id=str(world.id),
                tenant_slug=world.tenant.slug,
                member_id=str(member.id),
                roles=tuple(member.roles),
            )
        )
    finally:
        await redis.aclose()
    return TENANT_COOKIE, token


async def check(page: Page, name: str, shots: Path, problems: list[str]) -> None:
    """The page as it is now: fits the screen, no serious axe violation; screenshot."""
    await page.wait_for_load_state("networkidle")
    overflow = await page.evaluate(OVERFLOW_JS)
    if overflow["over"] > 0:
        problems.append(f"{name}: {overflow['over']}px too wide {overflow['culprits']}")
    problems += [f"{name}: {v}" for v in serious(await Axe().run(page))]
    await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    if os.environ.get("MENTORHUB_SCREENSHOTS"):  # and in parts a person can read
        width, height = await page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        for i, top in enumerate(range(0, height, 1200)):
            clip = {"x": 0, "y": top, "width": width, "height": min(1200, height - top)}
            path = shots / f"{name}.part{i + 1}.png"
            await page.screenshot(path=str(path), full_page=True, clip=clip)  # type: ignore[arg-type]


async def visit(page: Page, url: str, name: str, shots: Path, problems: list[str]) -> None:
    response = await page.goto(url)
    assert response is not None
    if response.status >= 400 or "/login" in page.url:
        problems.append(f"{name}: answered {response.status} at {page.url}")
        return
    await check(page, name, shots, problems)


async def test_the_applicant_pages_fit_a_phone_and_a_desktop_and_pass_axe(
    site: str, browser: Browser, db: Database, settings: Settings, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("MENTORHUB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    asa = await all_kinds_world(db)  # every question kind, the line manager, partners
    ma = await make_world(db, "museums-association")  # exclusions, shortlist, feedback
    async with db.tenant(ma.id) as session:  # mentees' window opens later
        await session.execute(
            update(RecruitmentWindow)
            .where(RecruitmentWindow.role == "mentee")
            .values(
                opens_at=datetime.now(UTC) + timedelta(days=30),
                closes_at=datetime.now(UTC) + timedelta(days=72),
            )
        )
    problems: list[str] = []
    for screen, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        applicant = await add_member(db, asa.tenant, LONG_NAME)
        page = await new_page(
            browser, site, await cookie(settings, asa, applicant), viewport=viewport
        )
        a = f"{site}/t/{asa.tenant.slug}"
        form = f"{a}/apply/{asa.cohort.id}/mentee"
        await visit(page, f"{a}/apply", f"{screen}-apply", shots, problems)
        await visit(page, form, f"{screen}-form", shots, problems)
        # Submit with nothing filled in: the summary first, linked to each question.
        await page.get_by_role("button", name="Submit application").click()
        await page.wait_for_load_state("networkidle")
        summary = page.locator(".error-summary")
        assert await summary.count() == 1
        assert await page.locator(".error-summary a[href='#q-organisation']").count() == 1
        await check(page, f"{screen}-form-errors", shots, problems)
        await page.get_by_label("Your job role (required)").fill("Adviser")
        await page.get_by_role("button", name="Save draft").click()
        await page.wait_for_load_state("networkidle")
        assert await page.get_by_text("Draft saved").count() >= 1
        await check(page, f"{screen}-form-draft-saved", shots, problems)
        draft = await services.save_draft(
            db,
            asa.id,
            applicant.id,
            cohort_id=asa.cohort.id,
            role="mentee",
            data=answers(asa, "mentee", years="12"),
        )
        await services.submit(db, asa.id, applicant.id, draft.id)
        await visit(
            page, f"{a}/applications/{draft.id}/submitted", f"{screen}-submitted", shots, problems
        )
        await visit(page, f"{a}/applications", f"{screen}-my-applications", shots, problems)
        await visit(
            page, f"{a}/applications/{draft.id}", f"{screen}-my-application", shots, problems
        )
        await visit(
            page, f"{a}/applications/{draft.id}/withdraw", f"{screen}-withdraw", shots, problems
        )
        await page.context.close()

        # Museums Association: a student refused, a declined mentor with feedback.
        m = f"{site}/t/{ma.tenant.slug}"
        student = await add_member(db, ma.tenant, "Stu Dent")
        refused = await services.save_draft(
            db,
            ma.id,
            student.id,
            cohort_id=ma.cohort.id,
            role="mentor",
            data=answers(ma, "mentor", is_student="yes"),
        )
        await services.submit(db, ma.id, student.id, refused.id)
        declined_member = await add_member(db, ma.tenant, "Dee Clined")
        declined = await services.save_draft(
            db,
            ma.id,
            declined_member.id,
            cohort_id=ma.cohort.id,
            role="mentor",
            data=answers(ma, "mentor"),
        )
        await services.submit(db, ma.id, declined_member.id, declined.id)
        await services.shortlist(db, ma.id, ma.coordinator.id, declined.id)
        await services.decline(
            db,
            ma.id,
            ma.coordinator.id,
            declined.id,
            feedback="Thank you for applying. We had many strong applications from mentors "
            "with experience close to yours; we would welcome you next time.",
        )
        page = await new_page(browser, site, await cookie(settings, ma, student), viewport=viewport)
        await visit(page, f"{m}/apply", f"{screen}-ma-apply", shots, problems)
        await visit(page, f"{m}/applications", f"{screen}-ma-refused", shots, problems)
        await page.context.close()
        page = await new_page(
            browser, site, await cookie(settings, ma, declined_member), viewport=viewport
        )
        await visit(
            page, f"{m}/applications/{declined.id}", f"{screen}-ma-declined", shots, problems
        )
        await page.context.close()
    assert problems == [], "\n".join(problems)


async def test_every_demo_applicants_pages_fit_a_phone_and_a_desktop_and_pass_axe(
    site: str, browser: Browser, db: Database, settings: Settings, tmp_path: Path
) -> None:
    """The embedded default's demo data (every state each of the five schemes uses, made
    through the actions): each state's application page read by its applicant, their list,
    Apply, a draft's form, a confirmation and a withdraw page, at 375 px and on a desktop."""
    from sqlalchemy import select

    from mentorhub.applications.demo import seed_demo_applications
    from mentorhub.applications.models import Application
    from mentorhub.applications.states import LIVE, State
    from tests.applications.test_demo import demo

    shots = Path(os.environ.get("MENTORHUB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    tenants = await demo(db)
    assert await seed_demo_applications(db, tenants) > 0
    problems: list[str] = []
    seen = 0
    for tenant in tenants:
        async with db.tenant(tenant.id) as session:
            apps = list(
                (
                    await session.execute(select(Application).order_by(Application.created_at))
                ).scalars()
            )
            members = {
                m.id: m
                for m in (
                    await session.execute(
                        select(Member).where(Member.id.in_([a.member_id for a in apps]))
                    )
                ).scalars()
            }
        one_each: dict[str, Application] = {}
        for a in apps:
            one_each.setdefault(a.state, a)
        world = World(tenant, None, None, None, None)  # type: ignore[arg-type]
        t = f"{site}/t/{tenant.slug}"
        for screen, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            for state, app in sorted(one_each.items()):
                member = members[app.member_id]
                page = await new_page(
                    browser, site, await cookie(settings, world, member), viewport=viewport
                )
                name = f"demo-{tenant.slug}-{screen}-{state}"
                await visit(page, f"{t}/applications/{app.id}", name, shots, problems)
                if state == State.DRAFT:
                    form = f"{t}/apply/{app.cohort_id}/{app.role}"
                    await visit(page, form, f"{name}-form", shots, problems)
                    await visit(page, f"{t}/apply", f"{name}-apply", shots, problems)
                    await visit(page, f"{t}/applications", f"{name}-list", shots, problems)
                elif state == State.AWAITING_APPROVAL:
                    path = f"{t}/applications/{app.id}/submitted"
                    await visit(page, path, f"{name}-submitted", shots, problems)
                if (
                    State(state) in LIVE
                    and state != State.DRAFT
                    and state == min(s for s in one_each if State(s) in LIVE and s != State.DRAFT)
                ):
                    path = f"{t}/applications/{app.id}/withdraw"
                    await visit(page, path, f"{name}-withdraw", shots, problems)
                await page.context.close()
                seen += 1
    assert seen >= 5 * 2 * 7
    assert problems == [], "\n".join(problems)
