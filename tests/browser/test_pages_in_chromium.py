"""The pages in a real headless Chromium: keyboard use, names, language, contrast.

Chromium comes from the system (`/usr/bin/chromium`, Debian's package; `.ci/run` installs
it). If it is missing the test fails and says so: it never skips.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.services import set_status
from tests.browser.helpers import serving_on_loopback
from tests.foundation.helpers import make_tenant
from tests.support import as_owner

PAGES = [
    "/",
    "/t/arts-marketing/",
    "/t/museums-association/scheme",
    "/t/advice-skills-academy/scheme",
    "/t/ahep/",
    "/t/alberta-museums/scheme",
    "/t/no-such-association/",
    "/t/suspended-demo/",
]

# Contrast of every text element against the nearest opaque background behind it (WCAG 2).
CONTRAST_JS = """
() => {
  const parse = c => { const m = c.match(/[\\d.]+/g).map(Number); return m.length > 3 ? m : [...m, 1]; };
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  };
  const worst = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === 'hidden' || style.display === 'none' || el.offsetParent === null) continue;
    const fg = lum(parse(style.color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) worst.push(`${el.tagName} "${el.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}`);
  }
  return worst;
}
"""

NAMES_JS = """
() => [...document.querySelectorAll('a, button, input, select, textarea')]
  .filter(e => !(e.innerText || e.getAttribute('aria-label') || e.labels?.length || e.title).trim?.())
  .map(e => e.outerHTML.slice(0, 80))
"""


@pytest.fixture
async def site(db: Database) -> AsyncIterator[str]:
    async with as_owner(db):
        await load_tenants(db, get_settings().tenants_dir)
    await make_tenant(db, "suspended-demo")
    async with as_owner(db):
        await set_status(db, "suspended-demo", "suspended")
    async with serving_on_loopback(create_app(get_settings(), db=db)) as url:
        yield url


async def check_page(page: Page) -> list[str]:
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


@pytest.mark.parametrize("path", PAGES)
async def test_page_is_accessible(site: str, browser: Browser, path: str, tmp_path: Path) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    response = await page.goto(site + path)
    assert response is not None
    problems = await check_page(page)
    await page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    await page.close()
    assert problems == [], f"{path}: {problems}"


async def test_keyboard_reaches_sign_in_and_the_scheme_page(site: str, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(site + "/t/ahep/")
    reached = []
    for _ in range(8):
        await page.keyboard.press("Tab")
        reached.append(await page.evaluate("document.activeElement.textContent.trim()"))
    assert any("Sign in" in r for r in reached)
    link = next(r for r in reached if r.startswith("How the scheme works"))
    while await page.evaluate("document.activeElement.textContent.trim()") != link:
        await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/t/ahep/scheme")
    assert "How AHEP Mentoring works" in await page.inner_text("h1")
    await page.close()


async def test_the_checks_catch_what_they_look_for(browser: Browser) -> None:
    """The accessibility checks are not vacuous: a bad page fails each of them."""
    page = await browser.new_page()
    await page.set_content(
        "<html><body><h1>One</h1><h1>Two</h1><a href='/x'></a>"
        "<p style='color:#bbb;background:#fff'>faint text</p></body></html>"
    )
    problems = await check_page(page)
    await page.close()
    assert "html has no lang" in problems
    assert "not exactly one h1" in problems
    assert any(p.startswith("unnamed control <a") for p in problems)
    assert any(p.startswith('low contrast P "faint text"') for p in problems)
    assert any("not the skip link" in p for p in problems)
