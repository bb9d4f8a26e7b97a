"""The eligibility records pages in a real headless Chromium, on a phone (375 px) and a
desktop (1280 px), signed in as the tenant admin and the coordinator: nothing wider than the
screen, axe-core finds no serious or critical violation, and the keyboard/name/contrast
checks of `test_pages_in_chromium` hold — on each page as it first shows, and with a form's
errors shown (a bad form sent from the browser itself, a bad CSV file uploaded).

Association A runs the Advice Skills Academy's scheme (partner organisations, mentor
training), association B Alberta's (Board ratification); each is filled with the longest
things a page may show. Set MENTORHUB_SCREENSHOTS=DIR to keep every screenshot.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page
from sqlalchemy import select

from mentorhub.app import create_app
from mentorhub.applications import records, services
from mentorhub.applications.models import BoardRatification
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.applications.conftest import World, answers, make_world
from tests.browser.helpers import new_page, serving_on_loopback, session_cookie
from tests.browser.test_pages_in_chromium import CONTRAST_JS
from tests.browser.test_phone_and_axe import LONG_EMAIL, LONG_NAME, OVERFLOW_JS, serious, shot_name
from tests.identity.conftest import (  # noqa: F401  (fixtures)
    SLUG_A,
    SLUG_B,
    OidcProvider,
    providers,
    settings,
    tenant_a,
    tenant_b,
)

#: Controls without an accessible name: no text, aria-label, label or title (hidden inputs
#: are not controls). (test_pages_in_chromium's NAMES_JS counts a labelled input as unnamed,
#: so it is used on pages without forms only.)
NAMES_JS = """
() => [...document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea')]
  .filter(e => !((e.innerText || '').trim() || e.getAttribute('aria-label')
                 || (e.labels && e.labels.length) || e.title))
  .map(e => e.outerHTML.slice(0, 80))
"""


async def check_page(page: Page) -> list[str]:
    """Language, one h1, every control named, contrast, the skip link first."""
    problems = []
    if await page.get_attribute("html", "lang") != "en":
        problems.append("html has no lang")
    if await page.locator("h1").count() != 1:
        problems.append("not exactly one h1")
    problems += [f"unnamed control {c}" for c in await page.evaluate(NAMES_JS)]
    problems += [f"low contrast {c}" for c in await page.evaluate(CONTRAST_JS)]
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.className")
    if "skip-link" not in focused:
        problems.append(f"first Tab focuses {focused!r}, not the skip link")
    return problems


PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
A = f"/t/{SLUG_A}"
B = f"/t/{SLUG_B}"
LONG_ORGANISATION = (
    "Citizens Advice Mid-Mersey and the Borough of Knowsley Independent Advice Partnership "
    "(Registered Charity 1234567)"
)


async def long_member(db: Database, tenant: Tenant) -> Member:
    async with db.tenant(tenant.id) as session:
        member = Member(
            tenant_id=tenant.id,
            email=LONG_EMAIL,
            display_name=LONG_NAME,
            roles=["mentor", "mentee"],
            membership_status="active",
            membership_source="roster",
        )
        session.add(member)
    return member


async def apply(db: Database, world: World, member: Member, role: str) -> None:
    draft = await services.save_draft(
        db, world.id, member.id, cohort_id=world.cohort.id, role=role, data=answers(world, role)
    )
    await services.submit(db, world.id, member.id, draft.id)


@pytest.fixture
async def filled(
    db: Database,
    tenant_a: Tenant,  # noqa: F811
    tenant_b: Tenant,  # noqa: F811
) -> dict[str, Any]:
    """A: ASA with organisations and a training record; B: Alberta with members waiting for
    the Board and one ratification recorded."""
    asa = await make_world(db, "advice-skills-academy", tenant=tenant_a)
    for name in (LONG_ORGANISATION, "Citizens Advice Leeds", "Leeds Law Centre"):
        await records.add_partner_organisation(db, asa.id, asa.admin.id, name)
    off = await records.add_partner_organisation(db, asa.id, asa.admin.id, "Closed Advice Centre")
    await records.set_partner_organisation_active(db, asa.id, asa.admin.id, off.id, False)
    trainee = await long_member(db, tenant_a)
    trained = await services.record_training(
        db,
        asa.id,
        asa.coordinator.id,
        trainee.id,
        kind="mentor",
        completed_on=asa.cohort.starts_on.replace(year=2026),
    )
    alberta = await make_world(db, "alberta-museums", tenant=tenant_b)
    waiting = await long_member(db, tenant_b)
    await apply(db, alberta, waiting, "mentee")
    await apply(db, alberta, waiting, "mentor")
    await records.record_ratifications(
        db,
        alberta.id,
        alberta.admin.id,
        member_ids=[alberta.coordinator.id],
        ratified_on=alberta.cohort.starts_on.replace(year=2026, month=9, day=30),
        note="Board meeting of 30 September 2026, minute 14(b): ratified as Individual Members",
    )
    async with db.tenant(alberta.id) as session:
        ratification = (await session.execute(select(BoardRatification))).scalar_one()
    return {
        "organisation": off.id,
        "training": trained.id,
        "ratification": ratification.id,
    }


@pytest.fixture
async def site(db: Database, settings: Settings, filled: dict[str, Any]) -> AsyncIterator[str]:  # noqa: F811
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


def shots_dir(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("MENTORHUB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    return shots


async def examine(page: Page, label: str, shots: Path, size: str) -> list[str]:
    """Overflow (phone only), axe, names/contrast/lang/one h1/skip link; a screenshot."""
    problems: list[str] = []
    if size == "phone":
        overflow = await page.evaluate(OVERFLOW_JS)
        if overflow["over"] > 0:
            problems.append(f"{label}: {overflow['over']}px too wide {overflow['culprits']}")
    problems += [f"{label}: {v}" for v in serious(await Axe().run(page))]
    await page.screenshot(path=str(shots / shot_name(f"records_{size}_", label)), full_page=True)
    await page.evaluate(
        "window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()"
    )
    problems += [f"{label}: {p}" for p in await check_page(page)]
    return problems


async def visit(page: Page, site: str, path: str) -> list[str]:
    response = await page.goto(site + path)
    await page.wait_for_load_state("networkidle")
    if response is None or response.status >= 400 or "/login" in page.url:
        return [f"{path}: answered {response.status if response else None} at {page.url}"]
    return []


async def test_records_pages_on_a_phone_and_a_desktop(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    tenant_b: Tenant,  # noqa: F811
    providers: dict[str, OidcProvider],  # noqa: F811
    filled: dict[str, Any],
    tmp_path: Path,
) -> None:
    shots = shots_dir(tmp_path)
    pages = {
        (tenant_a, "a", "admin"): [
            f"{A}/coordinator/records",
            f"{A}/admin/partner-organisations",
            f"{A}/admin/partner-organisations/{filled['organisation']}/rename",
            f"{A}/coordinator/training",
            f"{A}/coordinator/training/import",
            f"{A}/coordinator/training/{filled['training']}/remove",
            f"{A}/admin/ratifications",  # not used by this scheme: the explanation
        ],
        (tenant_a, "a", "coordinator"): [f"{A}/coordinator/records", f"{A}/coordinator/training"],
        (tenant_b, "b", "admin"): [
            f"{B}/coordinator/records",
            f"{B}/admin/ratifications",
            f"{B}/admin/ratifications/{filled['ratification']}/revoke",
        ],
    }
    problems: list[str] = []
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        for (tenant, provider, who), paths in pages.items():
            cookie = await session_cookie(settings, db, tenant, who, providers[provider].issuer)
            page = await new_page(browser, site, cookie, viewport=viewport, device_scale_factor=1)
            for path in paths:
                found = await visit(page, site, path)
                problems += found or await examine(page, f"{who}{path}", shots, size)
            await page.context.close()
    assert problems == [], "\n".join(problems)


async def test_records_forms_with_their_errors_shown(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    tenant_b: Tenant,  # noqa: F811
    providers: dict[str, OidcProvider],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Bad forms sent from the browser: the error summary is first, links to the field, and
    the page still fits a phone and passes the checks."""
    shots = shots_dir(tmp_path)
    problems: list[str] = []
    cookie = await session_cookie(settings, db, tenant_a, "admin", providers["a"].issuer)
    page = await new_page(browser, site, cookie, viewport=PHONE, device_scale_factor=1)

    await visit(page, site, f"{A}/coordinator/training")
    await page.fill("#email", "nobody@example.org")
    await page.fill("#completed_on", "2026-01-01")
    await page.get_by_role("button", name="Record training").click()
    await page.wait_for_load_state("networkidle")
    assert "No member has the e-mail address" in await page.inner_text(".error-summary")
    problems += await examine(page, "admin/training-errors", shots, "phone")
    await page.click(".error-summary a")  # the summary's link takes the keyboard to the field
    assert await page.evaluate("document.activeElement.id") == "email"

    await visit(page, site, f"{A}/coordinator/training/import")
    csv = "email,role,completed_on\n" + "".join(
        f"=cmd{n}@example.org,mentor,2026-13-0{n}\n" for n in range(1, 8)
    )
    await page.set_input_files(
        "#training", files=[{"name": "t.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    await page.get_by_role("button", name="Import").click()
    await page.wait_for_load_state("networkidle")
    assert "Nothing was recorded: 7 problems" in await page.inner_text(".error-summary")
    problems += await examine(page, "admin/training-import-errors", shots, "phone")

    await visit(page, site, f"{A}/admin/partner-organisations")
    await page.fill("#name", "citizens advice leeds")
    await page.get_by_role("button", name="Add organisation").click()
    await page.wait_for_load_state("networkidle")
    assert "already on the list" in await page.inner_text(".error-summary")
    problems += await examine(page, "admin/partners-errors", shots, "phone")
    await page.context.close()

    cookie = await session_cookie(settings, db, tenant_b, "admin", providers["b"].issuer)
    page = await new_page(browser, site, cookie, viewport=PHONE, device_scale_factor=1)
    await visit(page, site, f"{B}/admin/ratifications")
    await page.fill("#emails", "stranger@example.org")
    await page.get_by_role("button", name="Record ratification").click()
    await page.wait_for_load_state("networkidle")
    summary = await page.inner_text(".error-summary")
    assert "No member has the e-mail address stranger@example.org" in summary
    assert "Enter the date of ratification" in summary
    problems += await examine(page, "admin/ratifications-errors", shots, "phone")
    await page.context.close()
    assert problems == [], "\n".join(problems)


async def tab_to(page: Page, predicate: str, limit: int = 60) -> None:
    """Press Tab until `predicate` (JavaScript, on `el`, the focused element) holds."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"(el => {predicate})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached {predicate}")


async def test_partner_organisations_by_keyboard_alone(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    providers: dict[str, OidcProvider],  # noqa: F811
) -> None:
    """Add an organisation and deactivate it with the keyboard only."""
    cookie = await session_cookie(settings, db, tenant_a, "admin", providers["a"].issuer)
    page = await new_page(browser, site, cookie, viewport=PHONE)
    assert not await visit(page, site, f"{A}/admin/partner-organisations")
    await tab_to(page, "el.id === 'name'")
    await page.keyboard.type("Keyboard Advice Centre")
    await page.keyboard.press("Enter")
    await page.wait_for_load_state("networkidle")
    assert "Keyboard Advice Centre was added" in await page.inner_text("[role=status]")
    await tab_to(page, "el.textContent.includes('Deactivate Keyboard Advice Centre')")
    await page.keyboard.press("Enter")
    await page.wait_for_load_state("networkidle")
    notice = await page.inner_text("[role=status]")
    assert "Keyboard Advice Centre is no longer offered" in notice
    await page.context.close()
