"""What the pair's space journeys in Chromium share (tests/browser/test_pair_space_in_chromium.py).

* `space_site`: a pair's world (tests.pairs.space_helpers.pair_world: a tenant under one
  reference association's scheme, its coordinator, two live pairs made through create_pairs)
  served on loopback with the demo identity provider, as the application journeys do
  (tests.browser.journey_helpers.site_for); people sign in through the provider's pages.
* `keyboard_press`: a button reached with the Tab key from the top of the page and pressed
  with Enter (so every button the journey uses is keyboard-reachable), waiting for the page
  it leads to.
* `mails_of_kind`: the mail of one kind a person got, after the outbox is delivered to the
  SMTP sink; `invitation_of`: its calendar invitation (the `invite.ics` attachment, the same
  bytes as its inline text/calendar part), parsed with icalendar.
* `Looker` (tests.browser.test_matching_flows_in_chromium): each page at 375 px and on a
  desktop, no overflow, axe-core without serious or critical violations, a screenshot.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import icalendar
import pytest
from playwright.async_api import Browser, Locator, Page

from mentorhub.db import Database
from mentorhub.settings import Settings
from tests.browser.journey_helpers import Association, Site, site_for
from tests.messages.sink import Sink
from tests.messages.test_messages import deliver_all
from tests.pairs.space_helpers import PairWorld, pair_world


@dataclass
class SpaceSite:
    site: Site
    pw: PairWorld
    a: Association

    def url(self, path: str = "") -> str:
        """The pair's page `path` (e.g. "/meetings") on the served site."""
        return f"{self.site.url}{self.pw.url(path)}"


@asynccontextmanager
async def space_site(
    db: Database,
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    slug: str,
    *,
    matched_on: date | None = None,
) -> AsyncIterator[SpaceSite]:
    pw = await pair_world(db, slug, matched_on=matched_on)
    w = pw.world
    a = Association(w.tenant, w.scheme, w.cohort, w.coordinator, w.admin)
    async with site_for(db, settings, browser, monkeypatch, [a]) as site:
        yield SpaceSite(site, pw, a)


async def keyboard_press(page: Page, target: Locator, *, navigates: bool = True) -> None:
    """Reach `target` with Tab from the top of the page (at most 300 presses), then press
    Enter; fails if the Tab order never reaches it."""
    handle = await target.element_handle()
    assert handle is not None
    # Start at the page's first focusable element (the skip link), as a keyboard user does.
    await page.evaluate(
        "() => document.querySelector('a[href], button, input, select, textarea').focus()"
    )
    for _ in range(300):
        if await page.evaluate("(el) => document.activeElement === el", handle):
            break
        await page.keyboard.press("Tab")
    else:
        raise AssertionError(f"the Tab key never reaches {target}")
    if navigates:
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
    else:
        await page.keyboard.press("Enter")


async def press_button(page: Page, name: str | re.Pattern[str]) -> None:
    """The one button named `name`, pressed from the keyboard."""
    button = page.get_by_role("button", name=name)
    assert await button.count() == 1, f"not one button named {name!r}"
    await keyboard_press(page, button)


async def words(page: Page) -> str:
    """The page's visible words in <main>, runs of white space made one space."""
    return " ".join((await page.locator("main").inner_text()).split())


async def mails_of_kind(db: Database, a: Association, sink: Sink, to: str, kind: str) -> list[Any]:
    """Deliver the tenant's outbox as the worker would; the parsed mails of `kind` to `to`."""
    await deliver_all(db, a.tenant)
    return [m.parsed() for m in sink.to(to) if str(m.parsed()["X-MentorHub-Kind"]) == kind]


def invitation_of(mail: Any) -> icalendar.Calendar:
    """The `invite.ics` attachment of a mail, parsed; its inline text/calendar part must be
    the same bytes."""
    files = [p for p in mail.walk() if p.get_filename() == "invite.ics"]
    assert len(files) == 1, "no single invite.ics attachment"
    [file] = files
    assert file.get_content_type() == "text/calendar"
    assert file.get_content_disposition() == "attachment"
    data = file.get_payload(decode=True)
    inline = [
        p
        for p in mail.walk()
        if p.get_content_type() == "text/calendar" and p.get_content_disposition() is None
    ]
    assert [p.get_payload(decode=True) for p in inline] == [data]
    assert file.get_param("method") == inline[0].get_param("method")
    return icalendar.Calendar.from_ical(data)
