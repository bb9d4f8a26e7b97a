"""The chat and documents pages in headless Chromium (AHEP), at 375 px and on a desktop:
nothing wider than the screen, axe-core finds no serious or critical violation — with
messages (long words, a long message), the New divider, an error after sending an empty
message, shared and removed documents, and a refused upload. The chat works as a plain
form post: typing and pressing Send shows the message. Screenshots go to
MENTORHUB_SCREENSHOTS (or the test's temporary directory)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.pairs.services.chat import post_message
from mentorhub.pairs.services.documents import remove_document, upload_document
from mentorhub.pairs.storage import DirectoryStorage
from mentorhub.settings import Settings
from tests.browser.conftest import browser  # noqa: F401  (fixture)
from tests.browser.helpers import new_page, serving_on_loopback
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.documents_files import HTML, PDF
from tests.pairs.space_helpers import PairWorld, pair_world

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
OVERFLOW_JS = """
() => {
  const width = window.innerWidth;
  const over = document.scrollingElement.scrollWidth - width;
  const culprits = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .slice(0, 5)
    .map(e => `${e.tagName.toLowerCase()}.${e.className} ` +
              `right=${Math.round(e.getBoundingClientRect().right)}`);
  return {over, culprits};
}
"""


async def cookie_for(settings: Settings, pw: PairWorld, member: Member) -> tuple[str, str]:  # noqa: F811
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


def serious(results: object) -> list[str]:
    found = []
    for violation in results.response["violations"]:  # type: ignore[attr-defined]
        if violation["impact"] in ("serious", "critical"):
            where = [" ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {where}")
    return found


async def check(page: Page, axe: Axe, what: str, shots: Path) -> list[str]:
    await page.wait_for_load_state("networkidle")
    problems = []
    overflow = await page.evaluate(OVERFLOW_JS)
    if overflow["over"] > 0:
        problems.append(f"{what}: {overflow['over']}px too wide {overflow['culprits']}")
    problems += [f"{what}: {v}" for v in serious(await axe.run(page))]
    await page.screenshot(path=str(shots / f"{what}.png"), full_page=True)
    return problems


async def test_chat_and_documents_fit_a_phone_and_pass_axe(
    db: Database,
    settings: Settings,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    shots = Path(os.environ.get("MENTORHUB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    storage = DirectoryStorage(tmp_path / "documents")
    pw = await pair_world(db, "ahep")
    await post_message(db, pw.id, pw.mentee.id, pw.pair.id, "Hello Maya! Thank you for accepting.")
    await post_message(
        db,
        pw.id,
        pw.mentor.id,
        pw.pair.id,
        "Hello Theo. Let's agree our boundaries first:\n- how often we meet\n- where\n"
        "Here is the guide: https://example.org/a-very-long-address/"
        "with-no-spaces-at-all/that-must-wrap-on-a-phone-screen-without-overflowing",
    )
    await post_message(db, pw.id, pw.mentee.id, pw.pair.id, "Tuesdays at 10 suit me. " * 12)
    shared = await upload_document(
        db, storage, pw.id, pw.mentee.id, pw.pair.id, filename="CV and goals 2027.pdf", data=PDF
    )
    gone = await upload_document(
        db,
        storage,
        pw.id,
        pw.mentor.id,
        pw.pair.id,
        filename="An-old-draft-with-a-rather-long-file-name-for-a-phone-screen.pdf",
        data=PDF,
    )
    await remove_document(db, storage, pw.id, pw.mentor.id, pw.pair.id, gone.id)
    assert shared.id

    app = create_app(dataclasses.replace(settings, storage_dir=tmp_path / "documents"), db=db)
    problems: list[str] = []
    async with serving_on_loopback(app) as site:
        cookie = await cookie_for(settings, pw, pw.mentor)
        for label, viewport in (("375", PHONE), ("1280", DESKTOP)):
            page = await new_page(browser, site, cookie, viewport=viewport, device_scale_factor=1)
            axe = Axe()
            await page.goto(site + pw.url("/chat"))
            problems += await check(page, axe, f"chat_{label}", shots)
            # Send without writing: the error summary and the message at the field.
            await page.get_by_role("button", name="Send").click()
            await page.wait_for_load_state("networkidle")
            assert await page.get_by_text("Write a message to send").count() == 2
            problems += await check(page, axe, f"chat_error_{label}", shots)
            # A plain form post: type, send, see it.
            await page.get_by_label("Your message to Theo Mentee").fill(f"Sent at {label} px")
            await page.get_by_role("button", name="Send").click()
            await page.wait_for_load_state("networkidle")
            assert await page.get_by_text(f"Sent at {label} px").count() == 1

            await page.goto(site + pw.url("/documents"))
            problems += await check(page, axe, f"documents_{label}", shots)
            await page.set_input_files(
                "#file",
                files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": HTML}],
            )
            await page.get_by_role("button", name="Share the file with Theo Mentee").click()
            await page.wait_for_load_state("networkidle")
            assert await page.get_by_text("not in PDF format").count() == 2
            problems += await check(page, axe, f"documents_error_{label}", shots)
            await page.context.close()
    assert problems == [], "\n".join(problems)
