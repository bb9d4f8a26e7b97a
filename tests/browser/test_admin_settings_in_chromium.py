"""The tenant admin's settings and coordinators pages in a real headless Chromium (issue 17):
a primary colour too light for white text refused with the reason (the error summary first,
the message at the field), then a good one saved with the contact addresses, which the
footer of every page shows; a logo uploaded from a file and shown in the layout's header
(loaded: its natural size is the file's); the coordinators page, a cohort chosen for a
coordinator by keyboard. Each page at 375 px and 1280 px: nothing wider than the screen,
axe-core without serious or critical violations, a screenshot kept (MENTORHUB_SCREENSHOTS or
the test's temporary folder)."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from playwright.async_api import Browser
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings
from tests.applications.conftest import World, make_world
from tests.browser.helpers import new_page, serving_on_loopback
from tests.browser.space_journey_helpers import keyboard_press, words
from tests.browser.test_matching_flows_in_chromium import Looker, look  # noqa: F401
from tests.identity.conftest import settings  # noqa: F401  (fixture)


@pytest.fixture
async def site(db: Database, settings: Settings) -> AsyncIterator[str]:  # noqa: F811
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        yield url


async def cookie_for(settings: Settings, world: World, who: Member) -> tuple[str, str]:  # noqa: F811
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(
                email=who.email,
                display_name=who.display_name,
                tenant_id=str(world.id),
                tenant_slug=world.tenant.slug,
                member_id=str(who.id),
                roles=tuple(who.roles),
            )
        )
    finally:
        await redis.aclose()
    return TENANT_COOKIE, token


def logo_file(folder: Path) -> Path:
    """A 360 × 90 PNG logo: the initials on the association's green, and a name."""
    image = Image.new("RGB", (360, 90), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, 86, 86), radius=14, fill=(11, 61, 46))
    draw.text((16, 30), "AMA", fill=(255, 255, 255), font=ImageFont.load_default(size=26))
    draw.text((100, 14), "Alberta Museums", fill=(11, 61, 46), font=ImageFont.load_default(26))
    draw.text((100, 50), "Association", fill=(60, 60, 60), font=ImageFont.load_default(size=22))
    out = io.BytesIO()
    image.save(out, "PNG")
    path = folder / "logo.png"
    path.write_bytes(out.getvalue())
    return path


async def test_the_admin_sets_colours_contacts_logo_and_a_coordinators_cohorts(
    site: str,
    browser: Browser,
    db: Database,
    settings: Settings,  # noqa: F811
    look: Looker,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = await make_world(db, "alberta-museums")
    page = await new_page(
        browser, site, await cookie_for(settings, world, world.admin), device_scale_factor=1
    )
    base = f"{site}/t/{world.tenant.slug}"
    try:
        await page.goto(f"{base}/admin/settings")
        await page.get_by_label("Primary colour").fill("#FFCC00")
        await page.get_by_label("Contact e-mail").fill("mentoring@museums.ab.ca")
        await page.get_by_label("Contact phone").fill("+1 780 424 2626")
        await page.get_by_label("Data protection e-mail").fill("privacy@museums.ab.ca")
        await page.get_by_label("Help page").fill("https://museums.ab.ca/mentoring/help")
        await keyboard_press(page, page.get_by_role("button", name="Save settings"))
        seen = await words(page)
        assert "There is a problem: nothing was changed" in seen
        assert "Primary colour #ffcc00 is too light: white text on it" in seen
        assert await page.get_by_label("Primary colour").get_attribute("aria-invalid") == "true"
        assert await page.get_by_label("Contact phone").input_value() == "+1 780 424 2626"
        await look(page, "admin-settings-error")

        await page.get_by_label("Primary colour").fill("#0b3d2e")
        await keyboard_press(page, page.get_by_role("button", name="Save settings"))
        seen = await words(page)
        assert "Settings saved: primary colour, contact e-mail" in seen
        footer = page.locator("footer")
        assert await footer.get_by_role("link", name="mentoring@museums.ab.ca").count() == 1
        assert await footer.get_by_role("link", name="Help").get_attribute("href") == (
            "https://museums.ab.ca/mentoring/help"
        )

        await page.get_by_label("Upload a logo").set_input_files(str(logo_file(tmp_path)))
        await keyboard_press(page, page.get_by_role("button", name="Upload logo"))
        assert "Logo uploaded" in await words(page)
        header_logo = page.locator("header img.brand-logo")
        assert await header_logo.get_attribute("alt") == world.tenant.name
        natural = await header_logo.evaluate("img => [img.complete, img.naturalWidth]")
        assert natural == [True, 360]
        await look(page, "admin-settings-logo")

        await page.goto(f"{base}/admin/coordinators")
        assert re.search(r"Coral Coordinator \S+ All cohorts", await words(page))
        await look(page, "admin-coordinators")
        form = page.locator("form.scope-form").first
        await form.get_by_label("2027 intake").check()
        await keyboard_press(page, form.get_by_role("button", name=re.compile("^Save cohorts")))
        seen = await words(page)
        assert "Saved: Coral Coordinator now runs 2027 intake." in seen
        await look(page, "admin-coordinators-saved")
    finally:
        await page.context.close()
    assert look.problems == [], "\n".join(look.problems)
