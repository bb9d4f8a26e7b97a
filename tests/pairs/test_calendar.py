"""A member's calendar feed through the real app over HTTP (issue 15): the secret address is
shown once, only its hash is stored; the feed lists the member's scheduled and held meetings
from every pair they are in and no one else's; a new address revokes the old (404), turning
it off revokes it (404), an unknown or malformed secret is 404 too; the feed is private to
caches; another association's address does not open this one's feed."""

from __future__ import annotations

import hashlib
import html
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.pairs.services import NewPair, create_pairs, end_pair
from mentorhub.pairs.space_models import CalendarFeed, Meeting
from mentorhub.settings import Settings
from tests.applications.conftest import add_member
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity.conftest import csrf_from, settings  # noqa: F401  (fixture)
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.support import serving

BASE = "https://localhost"


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page.text)))


async def as_member(
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    pw: PairWorld,
    member: Member,
) -> str:
    await sign_in_as(client, settings, pw.world, member)
    page = await client.get(f"/t/{pw.world.tenant.slug}/calendar")
    assert page.status_code == 200
    return csrf_from(page.text)


async def add_meeting(
    db: Database, pw: PairWorld, pair_id: uuid.UUID, by: uuid.UUID, state: str, days: int
) -> uuid.UUID:
    async with db.tenant(pw.id) as session:
        meeting = Meeting(
            tenant_id=pw.id,
            id=uuid.uuid4(),
            pair_id=pair_id,
            starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=days),
            minutes=60,
            mode="in_person",
            place=f"Room {state}",
            state=state,
            proposed_by=by,
            held_minutes=60 if state == "held" else None,
        )
        session.add(meeting)
        return meeting.id


def new_address(page: httpx.Response) -> str:
    found = re.search(r'id="feed-url"[^>]*value="([^"]+)"', page.text)
    assert found, "the new address is shown"
    return html.unescape(found.group(1))


def uids(feed: httpx.Response) -> set[str]:
    cal = Calendar.from_ical(feed.text)
    return {str(e["UID"]).split("@")[0] for e in cal.walk("VEVENT")}


async def test_the_feed_lists_my_meetings_from_all_my_pairs_and_no_one_elses(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    # Theo is the mentee of the first pair and also mentors Nina in a third one.
    nina = await add_member(db, pw.world.tenant, "Nina Newcomer", roles=("mentee",))
    async with db.tenant(pw.id) as session:
        [third] = await create_pairs(
            session,
            [NewPair(pw.world.cohort.id, pw.mentee.id, nina.id, "coordinator")],
            actor_id=pw.world.coordinator.id,
        )
    scheduled = await add_meeting(db, pw, pw.pair.id, pw.mentor.id, "scheduled", 5)
    held = await add_meeting(db, pw, pw.pair.id, pw.mentor.id, "held", -3)
    proposed = await add_meeting(db, pw, pw.pair.id, pw.mentor.id, "proposed", 9)
    cancelled = await add_meeting(db, pw, pw.pair.id, pw.mentor.id, "cancelled", 6)
    mentoring = await add_meeting(db, pw, third.id, pw.mentee.id, "scheduled", 12)
    elsewhere = await add_meeting(db, pw, pw.other_pair.id, pw.other_mentor.id, "scheduled", 4)

    csrf = await as_member(client, settings, pw, pw.mentee)
    page = await client.get(f"/t/{pw.world.tenant.slug}/calendar")
    assert "You have no calendar address yet." in text(page)
    made = await client.post(
        f"/t/{pw.world.tenant.slug}/calendar", data={"action": "create", "_csrf_token": csrf}
    )
    assert made.status_code == 200
    assert "it is shown only this once" in text(made)
    assert made.headers["cache-control"] == "no-store"
    address = new_address(made)
    assert address.startswith(f"{BASE}/t/{pw.world.tenant.slug}/calendar/")
    assert address.endswith(".ics")
    secret = address.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(secret) >= 43
    # Only the hash is stored, and the page does not show the address again.
    async with db.tenant(pw.id) as session:
        stored = list((await session.execute(select(CalendarFeed.token_hash))).scalars())
    assert stored == [hashlib.sha256(secret.encode()).hexdigest()]
    again = await client.get(f"/t/{pw.world.tenant.slug}/calendar")
    assert secret not in again.text and "It is not shown again" in text(again)

    # The feed needs no session: a calendar program fetches it.
    client.cookies.clear()
    feed = await client.get(address.removeprefix(BASE))
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert feed.headers["cache-control"].startswith("private")
    cal = Calendar.from_ical(feed.text)
    assert "METHOD" not in cal and "Mentoring meetings" in str(cal["X-WR-CALNAME"])
    assert uids(feed) == {str(scheduled), str(held), str(mentoring)}
    assert str(proposed) not in feed.text and str(cancelled) not in feed.text
    assert str(elsewhere) not in feed.text and "Olga Other" not in feed.text
    for event in cal.walk("VEVENT"):
        assert event["DTSTART"].params["TZID"] == "Europe/London"

    # A new address revokes the old one.
    csrf = await as_member(client, settings, pw, pw.mentee)
    remade = await client.post(
        f"/t/{pw.world.tenant.slug}/calendar", data={"action": "create", "_csrf_token": csrf}
    )
    newer = new_address(remade)
    assert newer != address
    assert (await client.get(address.removeprefix(BASE))).status_code == 404
    assert (await client.get(newer.removeprefix(BASE))).status_code == 200

    # Turning it off revokes it; unknown and malformed secrets are 404 the same way.
    off = await client.post(
        f"/t/{pw.world.tenant.slug}/calendar", data={"action": "revoke", "_csrf_token": csrf}
    )
    assert off.status_code == 200 and "turned off" in text(off)
    assert (await client.get(newer.removeprefix(BASE))).status_code == 404
    base = f"/t/{pw.world.tenant.slug}/calendar"
    for wrong in ("nope.ics", f"{secret}", "x" * 200 + ".ics", "%00.ics"):
        assert (await client.get(f"{base}/{wrong}")).status_code == 404, wrong
    async with db.tenant(pw.id) as session:
        live = (
            await session.execute(select(CalendarFeed).where(CalendarFeed.revoked_at.is_(None)))
        ).all()
    assert live == []

    # A bad form answer changes nothing.
    bad = await client.post(base, data={"action": "steal", "_csrf_token": csrf})
    assert bad.status_code == 400


async def test_another_associations_address_does_not_open_this_feed(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    away = await pair_world(db, "ahep")
    await add_meeting(db, pw, pw.pair.id, pw.mentor.id, "scheduled", 5)
    csrf = await as_member(client, settings, pw, pw.mentor)
    made = await client.post(
        f"/t/{pw.world.tenant.slug}/calendar", data={"action": "create", "_csrf_token": csrf}
    )
    secret = new_address(made).rsplit("/", 1)[1]
    client.cookies.clear()
    assert (await client.get(f"/t/{pw.world.tenant.slug}/calendar/{secret}")).status_code == 200
    assert (await client.get(f"/t/{away.world.tenant.slug}/calendar/{secret}")).status_code == 404
    # The management page needs a signed-in member.
    page = await client.get(f"/t/{pw.world.tenant.slug}/calendar", follow_redirects=False)
    assert page.status_code in (302, 303, 401)


async def test_the_feed_answers_304_while_nothing_changed_and_any_change_shows(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    first = await add_meeting(db, pw, pw.pair.id, pw.mentor.id, "scheduled", 5)
    csrf = await as_member(client, settings, pw, pw.mentor)
    made = await client.post(
        f"/t/{pw.world.tenant.slug}/calendar", data={"action": "create", "_csrf_token": csrf}
    )
    path = new_address(made).removeprefix(BASE)
    client.cookies.clear()

    feed = await client.get(path)
    assert feed.status_code == 200
    # One charset, once.
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    etag = feed.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    # The same feed asked again: the same bytes (DTSTAMP is each meeting's last change).
    again = await client.get(path)
    assert again.text == feed.text and again.headers["etag"] == etag

    unchanged = await client.get(path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert unchanged.headers["cache-control"].startswith("private")
    weak = await client.get(path, headers={"If-None-Match": f'"nope", W/{etag}'})
    assert weak.status_code == 304
    assert (await client.get(path, headers={"If-None-Match": '"nope"'})).status_code == 200

    async def changed(what: str) -> None:
        nonlocal etag
        now = await client.get(path, headers={"If-None-Match": etag})
        assert now.status_code == 200, what
        assert now.headers["etag"] != etag, what
        etag = now.headers["etag"]

    # A new meeting, a moved one, a renamed person, a recorded length, an ended pair: each
    # gives a new tag.
    second = await add_meeting(db, pw, pw.pair.id, pw.mentee.id, "held", -2)
    await changed("a new meeting")

    async def change(model: Any, row_id: uuid.UUID, **values: object) -> None:
        async with db.tenant(pw.id) as session:
            await session.execute(update(model).where(model.id == row_id).values(**values))

    await change(Meeting, first, place="Room 101, upstairs")
    await changed("a new place, even without updated_at")
    await change(Member, pw.mentee.id, display_name="Theo Renamed")
    await changed("a renamed person")
    assert "Theo Renamed" in (await client.get(path)).text
    await change(Meeting, second, held_minutes=45)
    await changed("a held meeting's recorded length")
    await end_pair(db, pw.id, pw.world.coordinator.id, pw.pair.id, kind="completed")
    await changed("the pair ended: its scheduled meeting is not coming")
    assert str(first) not in (await client.get(path)).text
