"""What the agreement, goals and plan page tests share: the app over HTTP, signing in as a
member of a PairWorld, posting a page's form with its CSRF token, the page's words, and
snapshots of the rows, audit entries and messages an action writes (to show that a refused
or bad request wrote nothing)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from mentorhub.app import create_app
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.pairs.space_models import Agreement, Goal, Plan
from mentorhub.settings import Settings
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity import conftest as identity_fixtures
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.support import serving

BASE = "https://localhost"


@pytest.fixture(name="settings")
def settings_fixture() -> Settings:
    """The identity tests' settings (rate limits high enough for a test run)."""
    return identity_fixtures.settings.__wrapped__()  # type: ignore[attr-defined, no-any-return]


@pytest.fixture(name="client")
async def client_fixture(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


OpenSpace = Callable[..., Awaitable[tuple[PairWorld, "Browser"]]]


@pytest.fixture(name="open_space")
def open_space_fixture(db: Database, client: httpx.AsyncClient, settings: Settings) -> OpenSpace:
    """`await open_space("ahep")`: a PairWorld of that tenant and a browser on it."""

    async def make(slug: str, **given: Any) -> tuple[PairWorld, Browser]:
        pw = await pair_world(db, slug, **given)
        return pw, Browser(client, settings, pw)

    return make


def words(page: httpx.Response) -> str:
    """The page's text, tags removed and spaces collapsed."""
    body = re.sub(r"<[^>]+>", " ", page.text)
    return html.unescape(re.sub(r"\s+", " ", body))


def csrf(page: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def hidden(page: str, name: str, form_action: str | None = None) -> str:
    """A hidden input's value (in the form posting to `form_action`, if given)."""
    scope = page
    if form_action is not None:
        start = page.index(f'action="{form_action}"')
        scope = page[start : page.index("</form>", start)]
    found = re.search(rf'name="{name}" value="([^"]*)"', scope)
    assert found, f"no {name} on the page"
    return found.group(1)


class Browser:
    """One signed-in member's client on one PairWorld."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings, pw: PairWorld) -> None:
        self.client, self.settings, self.pw = client, settings, pw

    async def as_(self, member: Member) -> Browser:
        await sign_in_as(self.client, self.settings, self.pw.world, member)
        return self

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(self.pw.url(path))

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> httpx.Response:
        """POST to the pair's `path` with the session's CSRF token (read from My mentoring,
        a page every member opens)."""
        mine = await self.client.get(f"/t/{self.pw.world.tenant.slug}/pairs")
        items = list(data.items()) if isinstance(data, dict) else list(data)
        return await self.client.post(
            self.pw.url(path),
            content=urlencode([("_csrf_token", csrf(mine.text)), *items]),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )


async def snapshot(db: Database, pw: PairWorld) -> tuple[Any, ...]:
    """Everything an agreement, goal or plan action writes for the pair: the rows, the
    tenant's audit entries and messages."""
    async with db.tenant(pw.id) as s:
        agreements = [
            (
                a.revision,
                a.lock_version,
                a.sections,
                a.mentor_agreed_revision,
                a.mentee_agreed_revision,
            )
            for a in (
                await s.execute(select(Agreement).where(Agreement.pair_id == pw.pair.id))
            ).scalars()
        ]
        goals = [
            (g.id, g.title, g.detail, g.status, g.position, g.lock_version)
            for g in (
                await s.execute(
                    select(Goal).where(Goal.pair_id == pw.pair.id).order_by(Goal.position)
                )
            ).scalars()
        ]
        plans = [
            (
                p.revision,
                p.lock_version,
                p.months,
                p.first_meeting_on,
                p.last_meeting_on,
                p.submitted_revision,
                p.changes,
            )
            for p in (await s.execute(select(Plan).where(Plan.pair_id == pw.pair.id))).scalars()
        ]
        audits = (await s.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
        messages = (await s.execute(select(func.count()).select_from(Message))).scalar_one()
    return agreements, goals, plans, audits, messages


async def messages_to(db: Database, pw: PairWorld, member_id: uuid.UUID, kind: str) -> list[Any]:
    """The contexts of `kind` messages written for `member_id`."""
    async with db.tenant(pw.id) as s:
        rows = await s.execute(
            select(Message).where(Message.member_id == member_id, Message.kind == kind)
        )
        return list(rows.scalars())


async def audit_actions(db: Database, pw: PairWorld) -> list[str]:
    async with db.tenant(pw.id) as s:
        rows = await s.execute(
            select(AuditEntry.action)
            .where(AuditEntry.subject == str(pw.pair.id))
            .order_by(AuditEntry.created_at)
        )
        return list(rows.scalars())
