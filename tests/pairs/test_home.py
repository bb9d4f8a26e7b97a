"""The pair's home (`GET /pairs/{pair_id}`) through the real app over HTTP: each tenant's home
for the mentor and the mentee with that scheme's items; the coordinator's version (counts
and dates, never the content); everyone else not found; the timeline's states and the next
thing to do from what is in the space. Plus the pure parts (item states, the next step)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import event, update
from sqlalchemy.engine import Engine

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE, Identity, SessionStore
from mentorhub.pairs.models import Pair
from mentorhub.pairs.queries_space import item_state
from mentorhub.pairs.space_models import Agreement, Goal, LogEntry, Meeting, Plan
from mentorhub.schemes.timeline import Event
from mentorhub.settings import Settings
from tests.applications.test_coordinator_pages import sign_in_as
from tests.checkpoints.member_helpers import add_item, member_world
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.support import serving

BASE = "https://localhost"
SLUGS = (
    "museums-association",
    "alberta-museums",
    "ahep",
    "advice-skills-academy",
    "arts-marketing",
)


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"\s+", " ", page.text))).replace("  ", " ")


def words(page: httpx.Response) -> str:
    return re.sub(r"\s+", " ", text(page))


def timeline_states(page: httpx.Response) -> dict[str, str]:
    """Each timeline item's title → its state (from the item's class)."""
    out: dict[str, str] = {}
    for state, body in re.findall(
        r'<li class="timeline-item timeline-(\w+)">(.*?)</li>', page.text, flags=re.S
    ):
        title = re.search(r'<span class="timeline-title">(.*?)(?:<span|</span>)', body, re.S)
        assert title is not None
        out.setdefault(html.unescape(title.group(1)).strip(), state)
    return out


async def matched(db: Database, pw: PairWorld, on: date) -> None:
    """Move the pair's match date (`pair_world`'s `matched_on` does not reach the row)."""
    async with db.tenant(pw.id) as session:
        await session.execute(update(Pair).where(Pair.id == pw.pair.id).values(matched_on=on))


async def home(
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    pw: PairWorld,
    who: object,
) -> httpx.Response:
    await sign_in_as(client, settings, pw.world, who)  # type: ignore[arg-type]
    return await client.get(pw.url())


# --- each tenant, both people ----------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
async def test_each_tenants_home_for_both_people(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    slug: str,
) -> None:
    pw = await pair_world(db, slug)
    if slug == "alberta-museums":
        # Alberta's cohort starts in October: a pair matched then has the plan due that month.
        await matched(db, pw, date(2026, 10, 1))
    page = await home(client, settings, pw, pw.mentor)
    assert page.status_code == 200, page.text[:800]
    w = words(page)
    assert "Your mentoring with Theo Mentee" in w
    assert "Your mentee" in w and "you are the mentor" in w
    assert "Next thing to do" in w
    assert "Timeline" in w and 'class="timeline-list"' in page.text
    assert 'aria-current="page">Overview' in page.text  # the space's navigation
    assert "Matched on" in w and "Official end" in w

    scheme = pw.world.scheme
    if slug == "museums-association":
        assert "9 to 12 hours" in w  # the contact goal, from the cadence summary
        assert "Mentoring agreement" in w and f"{pw.url('/agreement')}" in page.text
        assert "the scheme suggests 2 to 4" in w
        assert "mailto:" not in page.text  # no contact details in this scheme
        assert "End the relationship" not in w  # only the coordinator ends
        assert "the coordinator ends relationships" in w
        assert "Propose an extension" in w
        assert "/chat" not in page.text and "/documents" not in page.text
    if slug == "alberta-museums":
        assert "Mentorship Plan to the Program Coordinator" in w
        assert timeline_states(page)["Mentorship Plan to the Program Coordinator"] == "overdue"
        assert f"{pw.url('/plan')}" in page.text
        assert "Not started" in w
        assert "Propose an extension" not in w  # no extension rule
        assert "End the relationship" not in w
    if slug == "ahep":
        assert f'href="mailto:{pw.mentee.email}"' in page.text
        assert pw.url("/chat") in page.text and pw.url("/documents") in page.text
        assert "End the relationship" in w and "Propose an extension" in w
        assert "First-meeting agenda" in w
    if slug == "advice-skills-academy":
        assert pw.url("/log") in page.text and "My log" in w
        assert "Reflective learning log entry" in w
        assert "End the relationship" in w
        assert "Propose an extension" not in w
    if slug == "arts-marketing":
        assert "up to 18 months in all" in w
        assert "/agreement" not in page.text  # no agreement in this scheme
        assert "End the relationship" in w
    assert bool(scheme.space.agreement) == (pw.url("/agreement") in page.text)

    page = await home(client, settings, pw, pw.mentee)
    assert page.status_code == 200
    w = words(page)
    assert "Your mentoring with Maya Mentor" in w and "you are the mentee" in w
    if slug == "ahep":
        assert f'href="mailto:{pw.mentor.email}"' in page.text


async def test_my_mentoring_links_each_pair_to_its_space(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "arts-marketing")
    await sign_in_as(client, settings, pw.world, pw.mentee)
    page = await client.get(f"/t/{pw.world.tenant.slug}/pairs")
    assert page.status_code == 200
    assert f'href="{pw.url()}"' in page.text
    assert "Open your mentoring space with Maya Mentor" in words(page)
    assert str(pw.other_pair.id) not in page.text
    assert f'href="/t/{pw.world.tenant.slug}/calendar"' in page.text  # the navigation


# --- what is in the space shows on the home ----------------------------------------------------


async def test_the_home_reads_the_space_and_picks_the_next_thing_to_do(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "museums-association")
    w = words(await home(client, settings, pw, pw.mentor))
    assert "Write the agreement" in w  # nothing written yet: the agreement first
    states = timeline_states(await client.get(pw.url()))
    assert states["Mentoring agreement"] == "due"

    now = datetime.now(UTC)
    async with db.tenant(pw.id) as session:
        session.add(
            Agreement(
                tenant_id=pw.id,
                pair_id=pw.pair.id,
                sections=[],
                revision=2,
                mentor_agreed_revision=2,
                mentee_agreed_revision=1,
            )
        )
    w = words(await client.get(pw.url()))
    assert "You agreed; waiting for Theo Mentee" in w
    assert "Propose your first meeting" in w  # the mentor has agreed: the meetings next

    async with db.tenant(pw.id) as session:
        agreement = await session.execute(
            Agreement.__table__.update()  # type: ignore[attr-defined]
            .where(Agreement.pair_id == pw.pair.id)
            .values(mentee_agreed_revision=2)
        )
        del agreement
        session.add_all(
            [
                Meeting(
                    tenant_id=pw.id,
                    pair_id=pw.pair.id,
                    starts_at=now - timedelta(days=1),
                    minutes=90,
                    mode="video",
                    state="held",
                    held_minutes=75,
                    record="SECRET-MEETING-NOTE",
                    proposed_by=pw.mentor.id,
                ),
                Meeting(
                    tenant_id=pw.id,
                    pair_id=pw.pair.id,
                    starts_at=now + timedelta(days=20),
                    minutes=60,
                    mode="in_person",
                    place="SECRET-PLACE",
                    state="proposed",
                    proposed_by=pw.mentee.id,
                ),
                Goal(
                    tenant_id=pw.id,
                    pair_id=pw.pair.id,
                    title="SECRET-GOAL",
                    status="in_progress",
                    created_by=pw.mentee.id,
                ),
            ]
        )
    page = await client.get(pw.url())
    w = words(page)
    assert "Agreed by both of you" in w
    assert timeline_states(page)["Mentoring agreement"] == "done"
    assert "Answer the proposed meeting" in w  # the mentee proposed one: the mentor answers
    assert "1.25 hours" in w  # held 75 minutes
    assert "1 in progress" in w
    assert "SECRET" not in page.text  # the home never shows notes, places or goal titles

    # The mentee proposed it: for them, the next thing is the goals (1 of 2-4 set).
    page = await home(client, settings, pw, pw.mentee)
    assert "Set 2 to 4 development goals" in words(page)


async def test_alberta_plan_submitted_is_done_on_the_timeline(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "alberta-museums")
    await matched(db, pw, date(2026, 10, 1))
    page = await home(client, settings, pw, pw.mentee)
    assert "Write and submit the plan" in words(page)
    async with db.tenant(pw.id) as session:
        session.add(
            Plan(
                tenant_id=pw.id,
                pair_id=pw.pair.id,
                months=[],
                revision=1,
                submitted_revision=1,
                submitted_at=datetime.now(UTC),
                submitted_by=pw.mentee.id,
            )
        )
    page = await client.get(pw.url())
    assert "Submitted to the coordinator on" in words(page)
    assert timeline_states(page)["Mentorship Plan to the Program Coordinator"] == "done"


# --- the coordinator's version --------------------------------------------------------------


async def test_the_coordinator_sees_counts_and_dates_not_content(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "alberta-museums")
    now = datetime.now(UTC)
    async with db.tenant(pw.id) as session:
        session.add_all(
            [
                Agreement(tenant_id=pw.id, pair_id=pw.pair.id, sections=[], revision=1),
                Goal(
                    tenant_id=pw.id,
                    pair_id=pw.pair.id,
                    title="SECRET-GOAL",
                    status="achieved",
                    created_by=pw.mentor.id,
                ),
                Meeting(
                    tenant_id=pw.id,
                    pair_id=pw.pair.id,
                    starts_at=now - timedelta(days=2),
                    minutes=60,
                    mode="video",
                    link="https://SECRET-LINK.example.org",
                    state="held",
                    held_minutes=120,
                    record="SECRET-NOTE",
                    proposed_by=pw.mentor.id,
                ),
                Plan(tenant_id=pw.id, pair_id=pw.pair.id, months=[], revision=1),
                LogEntry(
                    tenant_id=pw.id,
                    pair_id=pw.pair.id,
                    author_id=pw.mentee.id,
                    written_on=date.today(),
                    body="SECRET-LOG",
                    shared_at=now,
                ),
                LogEntry(
                    tenant_id=pw.id,
                    pair_id=pw.pair.id,
                    author_id=pw.mentee.id,
                    written_on=date.today(),
                    body="SECRET-PRIVATE-LOG",
                ),
            ]
        )
    page = await home(client, settings, pw, pw.world.coordinator)
    assert page.status_code == 200
    w = words(page)
    assert "coordinator's view" in w
    assert "Maya Mentor and Theo Mentee" in w
    assert "Held 1" in w and "2 hours" in w  # counts and contact hours
    assert "Plan Not submitted yet" in w and pw.url("/plan") not in page.text.split("</nav>", 2)[-1]
    assert "Shared log entries 1" in w and pw.url("/log/shared") in page.text
    assert "Remove the pair" in w and "End the relationship" in w  # Alberta removes
    assert "SECRET" not in page.text
    for absent in ("/agreement", "/goals", "/meetings", "/chat", "/documents", "Agreed", "Goals"):
        assert absent not in page.text, absent

    async with db.tenant(pw.id) as session:
        await session.execute(
            Plan.__table__.update()  # type: ignore[attr-defined]
            .where(Plan.pair_id == pw.pair.id)
            .values(submitted_revision=1, submitted_at=now)
        )
    w = words(await client.get(pw.url()))
    assert "Submitted on" in w and "Read the plan" in w

    # Museums Association: no removal in the scheme.
    ma = await pair_world(db, "museums-association")
    w = words(await home(client, settings, ma, ma.world.coordinator))
    assert "Remove the pair" not in w and "End the relationship" in w


# --- nobody else -----------------------------------------------------------------------------


async def test_anyone_else_gets_not_found(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    for who in (pw.other_mentor, pw.other_mentee, pw.world.admin):
        page = await home(client, settings, pw, who)
        assert page.status_code == 404, who.display_name
        assert "Theo Mentee" not in page.text and "Maya Mentor" not in page.text
    # A member of another association, with the right pair id in this one's address.
    away = await pair_world(db, "ahep")
    await sign_in_as(client, settings, away.world, away.mentor)
    page = await client.get(f"/t/{away.world.tenant.slug}/pairs/{pw.pair.id}")
    assert page.status_code == 404
    page = await client.get(pw.url())
    assert page.status_code in (302, 303, 401, 403, 404) and "Theo Mentee" not in page.text
    # Not a pair id at all.
    await sign_in_as(client, settings, pw.world, pw.mentor)
    assert (await client.get(f"/t/{pw.world.tenant.slug}/pairs/{uuid.uuid4()}")).status_code == 404

    # The platform admin: no member session in the tenant, no access.
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(email="pat@platform.example.org", display_name="Pat", platform_admin=True)
        )
    finally:
        await redis.aclose()
    client.cookies.clear()
    client.cookies.set(PLATFORM_COOKIE, token)
    client.cookies.set(TENANT_COOKIE, token)
    page = await client.get(pw.url())
    assert page.status_code in (302, 303, 401, 403, 404)
    assert "Theo Mentee" not in page.text


# --- pure parts -------------------------------------------------------------------------------


def _event(kind: str, due: date, start: date, end: date, status: str = "expected") -> Event:
    return Event(
        kind=kind,
        due=due,
        audience="pair",
        title=kind,
        window_start=start,
        window_end=end,
        status=status,  # type: ignore[arg-type]
    )


def test_item_states() -> None:
    d = date(2027, 3, 10)
    before, after = d - timedelta(days=7), d + timedelta(days=7)
    meeting = _event("meeting", d, before, after)
    assert item_state(meeting, before - timedelta(days=1), tracks=None, done=False) == "upcoming"
    assert item_state(meeting, d, tracks=None, done=False) == "due"
    assert item_state(meeting, after + timedelta(days=1), tracks=None, done=False) == "overdue"
    held = _event("meeting", d, d, d, status="held")
    assert item_state(held, d + timedelta(days=100), tracks=None, done=False) == "done"
    survey = _event("survey", d, before, after)
    # Not tracked by the space (issue 16): past, never claimed overdue.
    assert item_state(survey, after + timedelta(days=1), tracks=None, done=False) == "past"
    document = _event("document", d, before, after)
    assert item_state(document, after + timedelta(days=1), tracks="plan", done=False) == "overdue"
    assert item_state(document, after + timedelta(days=1), tracks="plan", done=True) == "done"
    assert item_state(_event("end", d, d, d), d, tracks=None, done=False) == "end"


# --- the checkpoints panel (issue 16) ----------------------------------------------------------


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement sent while inside, by any engine (the app's reads may use their
    own); `db` only says which test database this is about."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", listen)


def panel(page: httpx.Response) -> str:
    """The Checkpoints panel's HTML."""
    found = re.search(r'<section class="[^"]*pair-checkpoints".*?</section>', page.text, flags=re.S)
    assert found, "no Checkpoints panel"
    return found.group(0)


async def test_the_home_shows_the_checkpoints_to_do_in_one_statement(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    mw = await member_world(db, "alberta-museums")
    pw = mw.pw
    today = date.today()
    late = await add_item(db, mw, "quarterly_update", due_on=today - timedelta(days=3))
    missed = await add_item(
        db,
        mw,
        "mid_program_survey",
        member=pw.mentee,
        state="missed",
        due_on=today - timedelta(days=20),
    )
    due = await add_item(db, mw, "final_survey", member=pw.mentee, due_on=today + timedelta(days=9))
    theirs = await add_item(
        db, mw, "final_survey", member=pw.mentor, due_on=today + timedelta(days=9)
    )
    soon = await add_item(
        db, mw, "quarterly_update", state="upcoming", due_on=today + timedelta(days=60)
    )
    later = await add_item(
        db, mw, "quarterly_update", state="upcoming", due_on=today + timedelta(days=150)
    )
    sent = await add_item(db, mw, "mid_program_survey", member=pw.mentee, state="submitted")
    gone = await add_item(db, mw, "final_survey", member=pw.mentee, state="cancelled")

    await sign_in_as(client, settings, pw.world, pw.mentee)
    with statements(db) as seen:
        page = await client.get(pw.url())
    assert page.status_code == 200
    # One statement reads the items, and nothing else on the page touches them.
    assert sum("checkpoint_items" in s for s in seen) == 1
    box = panel(page)
    w = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", box)))
    for item in (late, missed, due, soon):
        assert f'href="{pw.url(f"/checkpoints/{item.id}")}"' in box
    for item in (theirs, later, sent, gone):  # the mentor's own, a second upcoming, done
        assert str(item.id) not in box
    late_day = today - timedelta(days=3)
    assert f"Due {late_day.day} {late_day:%B %Y}" in w
    assert box.count("tag-overdue") == 2  # the late one and the missed one
    assert "Overdue: you can still send it in" in w
    assert "Next: Quarterly Update" in w and "opens on" in w
    assert f'href="{pw.url("/checkpoints")}">All checkpoints' in box
    # The order: soonest due first.
    assert box.index(str(missed.id)) < box.index(str(late.id)) < box.index(str(due.id))


async def test_the_home_says_when_nothing_is_to_do(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    await sign_in_as(client, settings, pw.world, pw.mentor)
    page = await client.get(pw.url())
    box = panel(page)
    assert "Nothing to send in now." in box and "Next:" not in box
    assert f'href="{pw.url("/checkpoints")}">All checkpoints' in box


async def test_the_coordinator_sees_the_checkpoints_sent_in_to_them(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    mw = await member_world(db, "alberta-museums")
    pw = mw.pw
    update_sent = await add_item(
        db, mw, "quarterly_update", state="submitted", answers={"progress": "SECRET"}
    )
    reviewed = await add_item(db, mw, "mid_program_survey", member=pw.mentor, state="reviewed")
    draft = await add_item(
        db, mw, "mid_program_survey", member=pw.mentee, answers={"satisfaction": 4}
    )
    not_theirs = await add_item(db, mw, "quarterly_update", state="submitted", readers=("pair",))
    await sign_in_as(client, settings, pw.world, pw.world.coordinator)
    with statements(db) as seen:
        page = await client.get(pw.url())
    assert page.status_code == 200
    assert sum("checkpoint_items" in s for s in seen) == 1
    box = panel(page)
    w = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", box)))
    assert "Checkpoints sent in to you" in w
    for item in (update_sent, reviewed):
        assert f'href="{pw.url(f"/checkpoints/{item.id}")}"' in box
    assert str(draft.id) not in box and str(not_theirs.id) not in box
    assert "To review" in w and "Reviewed" in w
    assert "SECRET" not in page.text
