"""What the application journeys in Chromium share (tests/browser/test_application_journeys.py).

* `association`: a tenant running one reference association's scheme (stored as its version,
  as tenant loading does), its coordinator and tenant admin, and a cohort whose windows are
  opened through the coordinator's own actions (`services.create_cohort`, `open_window`).
* `Site`: the real application on loopback with the demo identity provider mounted and
  provisioned for the tenant, as on the embedded default, so people sign in through its pages
  (the application's login → the provider's page, where one picks who to be → the callback);
  links in mail point at the site.
* `sign_in`: a fresh browser context (its own cookies: one per person) signed in that way.
* `answer`: one question of a form, found by the words on the screen (its label or legend,
  with or without " (required)"), answered as a person would: typed, ticked or chosen.

The database really commits (the SMTP sink's delivery runs in transactions of its own), so
each journey makes its own tenant.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, Page
from sqlalchemy import func, select

from mentorhub.app import create_app
from mentorhub.applications import services
from mentorhub.applications.models import Application, Cohort
from mentorhub.db import Database
from mentorhub.identity import demo_idp
from mentorhub.identity.models import Member
from mentorhub.schemes.loader import load_tenant
from mentorhub.schemes.rules import Scheme
from mentorhub.schemes.services import store_version
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.applications.conftest import add_member
from tests.browser.helpers import serving_on_loopback
from tests.foundation.helpers import make_tenant
from tests.messages.sink import Sink
from tests.messages.test_messages import deliver_all


@dataclass
class Association:
    tenant: Tenant
    scheme: Scheme
    cohort: Cohort
    coordinator: Member
    admin: Member

    @property
    def id(self) -> uuid.UUID:
        return self.tenant.id

    @property
    def slug(self) -> str:
        return self.tenant.slug


async def association(
    db: Database, slug: str, *, roles: Sequence[str] = ("mentor", "mentee")
) -> Association:
    """A new tenant under `slug`'s scheme with a coordinator, a tenant admin and a cohort
    whose windows for `roles` opened a minute ago and close in thirty days."""
    tenant = await make_tenant(db, f"{slug[:12]}-{uuid.uuid4().hex[:8]}")
    scheme = load_tenant(slug).scheme
    async with db.tenant(tenant.id) as session:
        await store_version(session, scheme, f"{slug}.toml")
    coordinator = await add_member(db, tenant, "Coral Coordinator", roles=("coordinator",))
    admin = await add_member(db, tenant, "Adam Admin", roles=("tenant_admin",))
    today = date.today()
    cohort = await services.create_cohort(
        db,
        tenant.id,
        coordinator.id,
        name=f"{today.year + 1} intake",
        starts_on=today + timedelta(days=60),
        ends_on=today + timedelta(days=400),
    )
    now = datetime.now(UTC)
    for role in roles:
        await services.open_window(
            db,
            tenant.id,
            coordinator.id,
            cohort.id,
            role,
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=30),
        )
    return Association(tenant, scheme, cohort, coordinator, admin)


async def applicant(
    db: Database, a: Association, name: str, role: str = "mentee", **kw: Any
) -> Member:
    """A member on the association's roster (the demo provider lists the tenant's members)."""
    return await add_member(db, a.tenant, name, roles=(role,), **kw)


async def applications(db: Database, a: Association) -> int:
    async with db.tenant(a.id) as session:
        return int(
            (await session.execute(select(func.count()).select_from(Application))).scalar_one()
        )


@dataclass
class Site:
    url: str
    browser: Browser
    db: Database

    def t(self, a: Association, path: str = "") -> str:
        return f"{self.url}/t/{a.slug}{path}"


@asynccontextmanager
async def site_for(
    db: Database,
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    associations: Sequence[Association],
) -> AsyncIterator[Site]:
    """The application served on loopback with the demo identity provider, as the embedded
    default mounts and provisions it (the module's switches are put back afterwards)."""
    monkeypatch.setenv("MENTORHUB_EMBEDDED", "1")
    monkeypatch.setattr(demo_idp, "_EMBEDDED_PROCESS", True)
    monkeypatch.setattr(demo_idp, "_PLATFORM_ORIGIN", [])
    async with serving_on_loopback(create_app(settings, db=db)) as url:
        monkeypatch.setenv("MENTORHUB_BASE_URL", url)  # links in mail lead here
        await demo_idp.provision(db, settings, [a.tenant for a in associations], url)
        yield Site(url, browser, db)


async def sign_in(site: Site, a: Association, member: Member) -> Page:
    """A new browser context, signed in as `member` through the demo identity provider's
    pages: the tenant's sign-in, the provider's list of people, back on the member's page."""
    context = await site.browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(site.t(a, "/login"))
    await page.wait_for_url(re.compile(r"/demo-idp/"))
    await page.get_by_label(f"({member.email})", exact=False).check()
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(rf"/t/{re.escape(a.slug)}/me$"))
    return page


def _label(text: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(text)}( \(required\))?$")


async def answer(page: Page, label: str, value: str | Sequence[str]) -> None:
    """Answer the question shown as `label`: a group of choices (radios or checkboxes, its
    legend) gets each of `value` ticked by its own label; a list gets its option chosen by
    name; a box is typed in."""
    values = [value] if isinstance(value, str) else list(value)
    group = page.get_by_role("group", name=_label(label))
    if await group.count() == 1:
        for v in values:
            await group.get_by_label(v, exact=True).check()
        return
    control = page.get_by_label(_label(label))
    assert await control.count() == 1, f"no single control labelled {label!r}"
    if await control.evaluate("e => e.tagName") == "SELECT":
        await control.select_option(label=values[0])
    else:
        await control.fill(values[0])


async def answer_all(page: Page, answers: Mapping[str, str | Sequence[str]]) -> None:
    for label, value in answers.items():
        await answer(page, label, value)


async def press(page: Page, button: str) -> None:
    """Press a button by its name and wait for the page it leads to."""
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


async def text(page: Page) -> str:
    """The page's visible words, with runs of white space made one space."""
    return " ".join((await page.locator("main").inner_text()).split())


async def mail_link(db: Database, a: Association, sink: Sink, to: str, marker: str) -> str:
    """Deliver the tenant's outbox as the worker would, then the one link containing
    `marker` in the one mail sent to `to`."""
    await deliver_all(db, a.tenant)
    [mail] = sink.to(to)
    body = mail.parsed().get_body(("plain",))
    assert body is not None
    plain = str(body.get_content())
    return next(w for w in plain.split() if marker in w)


async def mail_kinds(db: Database, a: Association, sink: Sink, to: str) -> list[str]:
    """Deliver the tenant's outbox, then the kinds of mail `to` got, in the order they were
    written (the message id in the stable Message-ID, `<m<id>.<tenant>@…>`): a worker sends
    a batch over several SMTP connections, so the sink's arrival order is not the order the
    actions wrote them."""
    await deliver_all(db, a.tenant)

    def written(message: Any) -> int:
        return int(str(message.parsed()["Message-ID"]).strip("<").split(".", 1)[0][1:])

    return [str(m.parsed()["X-MentorHub-Kind"]) for m in sorted(sink.to(to), key=written)]


async def open_own_application(page: Page, site: Site, a: Association) -> str:
    """The applicant's way back to their application: My applications, then its link.
    Returns the page's words."""
    await page.goto(site.t(a, "/applications"))
    await page.locator("main a[href*='/applications/']").first.click()
    await page.wait_for_load_state()
    return await text(page)


async def open_in_queue(page: Page, site: Site, a: Association, name: str) -> str:
    """The coordinator's way to an application: the queue, then the applicant's name."""
    await page.goto(site.t(a, "/coordinator/applications"))
    await page.get_by_role("link", name=name).first.click()
    await page.wait_for_url(re.compile(r"/coordinator/applications/[0-9a-f-]{36}$"))
    return await text(page)
