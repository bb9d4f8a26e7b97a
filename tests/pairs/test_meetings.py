"""A pair's meetings through the real app over HTTP (issue 15): propose (several at once),
accept, decline, move, cancel, record as held (also one never arranged here), with the
mails and their calendar attachments (one delivered through the SMTP sink); the .ics
download; the other pair's people, the coordinator and a tenant admin get 404 for every
meetings page, file and action; bad input and stale pages change nothing; read-only after
the end."""

from __future__ import annotations

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
from mentorhub.applications.queue import tenant_zone
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import end_pair
from mentorhub.pairs.space_models import Meeting
from mentorhub.settings import Settings
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity.conftest import csrf_from, settings  # noqa: F401  (fixture)
from tests.matching.flows_helpers import run_outbox
from tests.messages.conftest import inbox, sink  # noqa: F401  (fixtures)
from tests.messages.sink import Sink
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.support import serving

BASE = "https://localhost"
MA = "museums-association"


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page.text)))


def problems(page: httpx.Response) -> list[str]:
    """The error summary's messages, in order."""
    found = re.findall(r'error-summary-list">(.*?)</ul>', page.text, re.S)
    items = re.findall(r"<li>(.*?)</li>", found[0], re.S) if found else []
    return [html.unescape(re.sub(r"<[^>]+>", "", p)).strip() for p in items]


async def as_member(
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    pw: PairWorld,
    member: Member,
) -> str:
    await sign_in_as(client, settings, pw.world, member)
    page = await client.get(f"/t/{pw.world.tenant.slug}/pairs")
    assert page.status_code == 200
    return csrf_from(page.text)


async def post(client: httpx.AsyncClient, path: str, csrf: str, **data: str) -> httpx.Response:
    return await client.post(path, data={**data, "_csrf_token": csrf})


def ahead(days: int) -> str:
    return (datetime.now(tenant_zone("GB-ENG")).date() + timedelta(days=days)).isoformat()


def phone_call(days: int = 5) -> dict[str, str]:
    """The propose form's first row: a one-hour phone call at 10:00 in `days` days."""
    return {"date1": ahead(days), "time1": "10:00", "minutes1": "60", "mode1": "phone"}


async def mentor_in(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> tuple[PairWorld, str]:
    """A fresh pair's world with its mentor signed in; the CSRF token."""
    pw = await pair_world(db, MA)
    return pw, await as_member(client, settings, pw, pw.mentor)


async def propose_one(db: Database, client: httpx.AsyncClient, pw: PairWorld, csrf: str) -> Meeting:
    """Propose `phone_call()` as the signed-in person; it is the pair's one meeting."""
    ok = await post(client, pw.url("/meetings"), csrf, **phone_call())
    assert ok.status_code == 303
    [m] = await meetings(db, pw)
    return m


async def meetings(db: Database, pw: PairWorld) -> list[Meeting]:
    async with db.tenant(pw.id) as session:
        found = await session.execute(select(Meeting).order_by(Meeting.starts_at, Meeting.id))
        rows = list(found.scalars())
        for r in rows:
            session.expunge(r)
        return rows


async def snapshot(db: Database, pw: PairWorld) -> list[tuple[Any, ...]]:
    return [
        (m.id, m.state, m.starts_at, m.minutes, m.sequence, m.lock_version, m.held_minutes)
        for m in await meetings(db, pw)
    ]


async def mail_rows(db: Database, pw: PairWorld, kind: str) -> list[Message]:
    async with db.tenant(pw.id) as session:
        found = await session.execute(
            select(Message).where(Message.kind == kind).order_by(Message.id)
        )
        rows = list(found.scalars())
        for r in rows:
            session.expunge(r)
        return rows


def attached(message: Message) -> Calendar:
    [file] = message.context["_attachments"]
    assert file["filename"] == "invite.ics"
    return Calendar.from_ical(file["content"])


def one_event(cal: Calendar) -> Any:
    [event] = cal.walk("VEVENT")
    return event


async def test_propose_accept_decline_move_and_cancel(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    inbox: Sink,  # noqa: F811
) -> None:
    pw, csrf = await mentor_in(db, client, settings)
    page = await client.get(pw.url("/meetings"))
    assert page.status_code == 200
    words = text(page)
    assert "Meetings with Theo Mentee" in words
    assert "No meetings held yet: the scheme asks for 9 to 12 hours in six months." in (words)
    assert 'aria-current="page">Meetings' in page.text

    proposed = await post(
        client,
        pw.url("/meetings"),
        csrf,
        lock_version=str(pw.pair.lock_version),
        date1=ahead(7),
        time1="14:00",
        minutes1="90",
        mode1="in_person",
        place1="The museum café",
        date2=ahead(40),
        time2="09:30",
        minutes2="60",
        mode2="video",
        link2="https://meet.example.org/maya-theo",
    )
    assert proposed.status_code == 303, problems(proposed)
    assert proposed.headers["location"] == pw.url("/meetings")
    first, second = await meetings(db, pw)
    assert (first.state, first.minutes, first.mode, first.place) == (
        "proposed",
        90,
        "in_person",
        "The museum café",
    )
    assert first.starts_at.astimezone(tenant_zone("GB-ENG")).strftime("%H:%M") == "14:00"
    assert (second.mode, second.link, second.proposed_by) == (
        "video",
        "https://meet.example.org/maya-theo",
        pw.mentor.id,
    )
    asked = await mail_rows(db, pw, "meeting_proposed")
    assert [m.member_id for m in asked] == [pw.mentee.id, pw.mentee.id]
    assert asked[0].context["other_name"] == "Maya Mentor"
    assert asked[0].context["where"] == "The museum café"
    assert "(Europe/London)" in asked[0].context["when"]
    assert asked[0].context["link"].endswith(f"/pairs/{pw.pair.id}/meetings")
    words = text(await client.get(pw.url("/meetings")))
    assert "Proposed. Theo Mentee has been asked by e-mail." in words
    assert "Waiting for Theo Mentee" in words

    # The proposer cannot accept their own time.
    before = await snapshot(db, pw)
    own = await post(client, pw.url(f"/meetings/{first.id}/accept"), csrf, lock_version="0")
    assert own.status_code == 409
    assert "You proposed this time; the other person accepts it." in text(own)
    assert await snapshot(db, pw) == before

    # The mentee accepts the first: both get meeting_scheduled with a REQUEST.
    csrf = await as_member(client, settings, pw, pw.mentee)
    words = text(await client.get(pw.url("/meetings")))
    assert "Waiting for your answer" in words
    accepted = await post(client, pw.url(f"/meetings/{first.id}/accept"), csrf, lock_version="0")
    assert accepted.status_code == 303
    first, second = await meetings(db, pw)
    assert first.state == "scheduled" and first.answered_by == pw.mentee.id
    scheduled = await mail_rows(db, pw, "meeting_scheduled")
    assert sorted(str(m.member_id) for m in scheduled) == sorted(
        [str(pw.mentor.id), str(pw.mentee.id)]
    )
    cal = attached(scheduled[0])
    event = one_event(cal)
    assert cal["METHOD"] == "REQUEST" and int(event["SEQUENCE"]) == 0
    uid = str(event["UID"])
    assert uid.startswith(str(first.id))
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    # Delivered through the SMTP sink with the calendar part.
    await run_outbox(db, pw.world)
    [mail] = [
        m for m in inbox.to(pw.mentor.email) if "confirmed" in str(m.parsed()["Subject"]).lower()
    ]
    message = mail.parsed()
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert parts and any("METHOD:REQUEST" in p.get_content() for p in parts)
    assert any(p.get_filename() == "invite.ics" for p in parts)

    # The mentee declines the second with a reason: the mentor is told.
    declined = await post(
        client,
        pw.url(f"/meetings/{second.id}/decline"),
        csrf,
        lock_version="0",
        reason="I am away that week.",
    )
    assert declined.status_code == 303
    _, second = await meetings(db, pw)
    assert second.state == "declined" and second.cancel_reason == "I am away that week."
    [told] = await mail_rows(db, pw, "meeting_declined")
    assert told.member_id == pw.mentor.id and told.context["reason"] == "I am away that week."
    assert "_attachments" not in told.context  # it was never in a calendar

    # The mentee moves the first: a proposal again, SEQUENCE 1, the mentor asked.
    moved = await post(
        client,
        pw.url(f"/meetings/{first.id}/reschedule"),
        csrf,
        lock_version="1",
        date=ahead(9),
        time="16:15",
        minutes="60",
        mode="phone",
        place="Theo calls Maya",
    )
    assert moved.status_code == 303, problems(moved)
    first = (await meetings(db, pw))[0]
    assert (first.state, first.sequence, first.proposed_by, first.mode) == (
        "proposed",
        1,
        pw.mentee.id,
        "phone",
    )
    assert [m.member_id for m in await mail_rows(db, pw, "meeting_proposed")][-1] == pw.mentor.id

    # The mentor accepts the new time: meeting_changed to both, REQUEST SEQUENCE 1, same UID.
    csrf = await as_member(client, settings, pw, pw.mentor)
    ok = await post(client, pw.url(f"/meetings/{first.id}/accept"), csrf, lock_version="2")
    assert ok.status_code == 303
    changed = await mail_rows(db, pw, "meeting_changed")
    assert len(changed) == 2
    event = one_event(attached(changed[0]))
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
    assert event["DTSTART"].dt.strftime("%H:%M") == "16:15"

    # The .ics download: an attachment, the same UID.
    file = await client.get(pw.url(f"/meetings/{first.id}.ics"))
    assert file.status_code == 200
    assert file.headers["content-type"].startswith("text/calendar")
    assert file.headers["content-disposition"].startswith("attachment;")
    assert str(one_event(Calendar.from_ical(file.text))["UID"]) == uid

    # The mentor cancels: both told, CANCEL at SEQUENCE 2 with the same UID.
    cancelled = await post(
        client, pw.url(f"/meetings/{first.id}/cancel"), csrf, lock_version="3", reason="Ill."
    )
    assert cancelled.status_code == 303
    first = (await meetings(db, pw))[0]
    assert first.state == "cancelled" and first.sequence == 2 and first.cancelled_by == pw.mentor.id
    gone = await mail_rows(db, pw, "meeting_cancelled")
    assert sorted(str(m.member_id) for m in gone) == sorted([str(pw.mentor.id), str(pw.mentee.id)])
    to_mentee = next(m for m in gone if m.member_id == pw.mentee.id)
    assert to_mentee.context["reason"] == "Ill."
    cal = attached(to_mentee)
    event = one_event(cal)
    assert cal["METHOD"] == "CANCEL" and str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == 2 and event["STATUS"] == "CANCELLED"
    words = text(await client.get(pw.url("/meetings")))
    assert "Declined and cancelled" in words and "Reason given: Ill." in words


async def test_record_held_and_the_cadence(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, MA)
    async with db.tenant(pw.id) as session:
        await session.execute(
            update(Pair)
            .where(Pair.id == pw.pair.id)
            .values(matched_on=datetime.now(UTC).date() - timedelta(days=20))
        )
    csrf = await as_member(client, settings, pw, pw.mentor)
    proposed = await post(
        client,
        pw.url("/meetings"),
        csrf,
        date1=ahead(3),
        time1="10:00",
        minutes1="60",
        mode1="video",
        link1="https://meet.example.org/x",
    )
    assert proposed.status_code == 303, problems(proposed)
    [m] = await meetings(db, pw)
    # Not yet held: recording is refused.
    early = await post(
        client, pw.url(f"/meetings/{m.id}/record"), csrf, lock_version="0", held_minutes="60"
    )
    assert early.status_code == 409 and "has not started yet" in text(early)
    # It took place (moved into the past here): recorded with its actual length.
    async with db.tenant(pw.id) as session:
        await session.execute(
            update(Meeting)
            .where(Meeting.id == m.id)
            .values(starts_at=datetime.now(UTC) - timedelta(hours=2))
        )
    words = text(await client.get(pw.url("/meetings")))
    assert "Did these take place?" in words
    recorded = await post(
        client,
        pw.url(f"/meetings/{m.id}/record"),
        csrf,
        lock_version="0",
        held_minutes="75",
        record="Agreed goals; Theo drafts the plan.",
    )
    assert recorded.status_code == 303, problems(recorded)
    [m] = await meetings(db, pw)
    assert (m.state, m.held_minutes, m.recorded_by) == ("held", 75, pw.mentor.id)
    assert m.record == "Agreed goals; Theo drafts the plan."

    # A meeting held that was never arranged here.
    yesterday = (datetime.now(tenant_zone("GB-ENG")).date() - timedelta(days=1)).isoformat()
    held = await post(
        client,
        pw.url("/meetings/held"),
        csrf,
        lock_version=str(pw.pair.lock_version),
        date=yesterday,
        time="12:00",
        held_minutes="45",
        mode="phone",
        record="A quick call.",
    )
    assert held.status_code == 303, problems(held)
    states = [(x.state, x.held_minutes) for x in await meetings(db, pw)]
    assert sorted(states, key=str) == sorted([("held", 75), ("held", 45)], key=str)
    words = text(await client.get(pw.url("/meetings")))
    assert "2 meetings, 2 hours of contact: the scheme asks for 9 to 12 hours in six months." in (
        words
    )
    assert "Agreed goals; Theo drafts the plan." in words

    # A held meeting cannot be in the future; the form says so at its field.
    before = await snapshot(db, pw)
    future = await post(
        client,
        pw.url("/meetings/held"),
        csrf,
        date=ahead(2),
        time="12:00",
        held_minutes="45",
        mode="phone",
    )
    assert future.status_code == 400
    assert problems(future) == ["A meeting held cannot be in the future"]
    assert 'href="#date"' in future.text
    assert await snapshot(db, pw) == before


async def test_bad_input_and_stale_pages_change_nothing(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw, csrf = await mentor_in(db, client, settings)
    past = (datetime.now(tenant_zone("GB-ENG")).date() - timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, str], list[str]]] = [
        (
            {},
            ["Give the date", "Give the time", "Length must be a whole number of minutes, like 60"],
        ),
        (
            {"date1": "31/12/2027", "time1": "2pm", "minutes1": "sixty"},
            [
                "Date must be a date like 2027-03-31",
                "Time must be a time like 14:30",
                "Length must be a whole number of minutes, like 60",
            ],
        ),
        (
            {"date1": past, "time1": "10:00", "minutes1": "60", "mode1": "in_person"},
            ["The meeting must be in the future", "Say where you will meet"],
        ),
        (
            {
                "date1": ahead(5),
                "time1": "10:00",
                "minutes1": "5",
                "mode1": "video",
                "link1": "http://meet.example.org/x",
            },
            [
                "Length must be 15 to 480 minutes",
                "The link must be a web address starting with https://",
            ],
        ),
        (
            {"date1": ahead(5), "time1": "10:00", "minutes1": "60", "mode1": "carrier pigeon"},
            ["Choose in person, video call or phone call"],
        ),
        (
            {
                "date1": ahead(5),
                "time1": "10:00",
                "minutes1": "60",
                "mode1": "phone",
                "date2": ahead(6),
            },
            ["Give the time", "Length must be a whole number of minutes, like 60"],
        ),
    ]
    for data, expected in cases:
        answer = await post(client, pw.url("/meetings"), csrf, **data)
        assert answer.status_code == 400, data
        assert problems(answer) == expected, data
        assert await meetings(db, pw) == []
    # A field's message is at the field and the summary links to it.
    answer = await post(
        client, pw.url("/meetings"), csrf, date1=past, time1="10:00", minutes1="60", mode1="phone"
    )
    assert 'href="#date1"' in answer.text and 'id="date1-error"' in answer.text
    # A stale page (the pair changed since) changes nothing.
    stale = await post(
        client,
        pw.url("/meetings"),
        csrf,
        lock_version=str(pw.pair.lock_version + 5),
        **phone_call(),
    )
    assert stale.status_code == 409 and "changed since the page was shown" in text(stale)
    assert await meetings(db, pw) == []

    m = await propose_one(db, client, pw, csrf)
    csrf = await as_member(client, settings, pw, pw.mentee)
    before = await snapshot(db, pw)
    stale = await post(client, pw.url(f"/meetings/{m.id}/accept"), csrf, lock_version="7")
    assert stale.status_code == 409
    bad_move = await post(
        client,
        pw.url(f"/meetings/{m.id}/reschedule"),
        csrf,
        lock_version="0",
        date=past,
        time="10:00",
        minutes="60",
        mode="phone",
    )
    assert bad_move.status_code == 400
    assert problems(bad_move) == ["The meeting must be in the future"]
    long_reason = await post(
        client, pw.url(f"/meetings/{m.id}/decline"), csrf, lock_version="0", reason="x" * 1001
    )
    assert long_reason.status_code == 400
    bad_record = await post(
        client, pw.url(f"/meetings/{m.id}/record"), csrf, lock_version="0", held_minutes="lots"
    )
    assert bad_record.status_code == 400
    assert (await post(client, pw.url("/meetings/not-an-id/accept"), csrf)).status_code == 404
    no_token = await client.post(pw.url(f"/meetings/{m.id}/accept"), data={"lock_version": "0"})
    assert no_token.status_code == 403
    assert await snapshot(db, pw) == before


async def test_only_the_pair_reads_or_acts(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw, csrf = await mentor_in(db, client, settings)
    m = await propose_one(db, client, pw, csrf)
    csrf = await as_member(client, settings, pw, pw.mentee)
    assert (
        await post(client, pw.url(f"/meetings/{m.id}/accept"), csrf, lock_version="0")
    ).status_code == 303
    before = await snapshot(db, pw)
    for outsider in (pw.other_mentor, pw.other_mentee, pw.world.coordinator, pw.world.admin):
        csrf = await as_member(client, settings, pw, outsider)
        for path in ("/meetings", f"/meetings/{m.id}", f"/meetings/{m.id}.ics"):
            answer = await client.get(pw.url(path))
            assert answer.status_code == 404, (outsider.display_name, path)
            assert "Theo Mentee" not in answer.text
        for action in ("accept", "decline", "cancel", "reschedule", "record"):
            answer = await post(
                client,
                pw.url(f"/meetings/{m.id}/{action}"),
                csrf,
                lock_version="1",
                date=ahead(8),
                time="10:00",
                minutes="60",
                mode="phone",
                held_minutes="60",
            )
            assert answer.status_code == 404, (outsider.display_name, action)
        answer = await post(
            client,
            pw.url("/meetings"),
            csrf,
            **phone_call(),
        )
        assert answer.status_code == 404
    assert await snapshot(db, pw) == before
    # The other pair's own meeting id under this pair's address is not found either.
    csrf = await as_member(client, settings, pw, pw.other_mentor)
    theirs = f"/t/{pw.world.tenant.slug}/pairs/{pw.other_pair.id}/meetings"
    assert (await client.get(theirs)).status_code == 200
    assert (await client.get(f"{theirs}/{m.id}")).status_code == 404
    assert (await client.get(f"{theirs}/{m.id}.ics")).status_code == 404
    assert (await client.get(f"{theirs}/{uuid.uuid4()}.ics")).status_code == 404


async def test_read_only_after_the_end(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw, csrf = await mentor_in(db, client, settings)
    m = await propose_one(db, client, pw, csrf)
    await end_pair(db, pw.id, pw.world.coordinator.id, pw.pair.id, kind="completed")
    page = await client.get(pw.url("/meetings"))
    assert page.status_code == 200
    assert "Propose meetings" not in text(page) and "read-only" in text(page)
    page = await client.get(pw.url(f"/meetings/{m.id}"))
    assert page.status_code == 200 and "/cancel" not in page.text
    before = await snapshot(db, pw)
    csrf = await as_member(client, settings, pw, pw.mentee)
    refused = await post(client, pw.url(f"/meetings/{m.id}/accept"), csrf, lock_version="0")
    assert refused.status_code == 409 and "Nothing was changed." in text(refused)
    refused = await post(
        client,
        pw.url("/meetings"),
        csrf,
        **phone_call(),
    )
    assert refused.status_code == 409
    assert await snapshot(db, pw) == before


async def test_a_moved_meeting_declined_leaves_both_calendars_and_a_withdrawn_proposal_is_quiet(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw, csrf = await mentor_in(db, client, settings)
    for day in (5, 6):
        made = await post(
            client,
            pw.url("/meetings"),
            csrf,
            date1=ahead(day),
            time1="10:00",
            minutes1="60",
            mode1="phone",
        )
        assert made.status_code == 303
    first, second = await meetings(db, pw)
    # The mentor withdraws the second proposal: the mentee is told, no calendar file.
    withdrawn = await post(client, pw.url(f"/meetings/{second.id}/cancel"), csrf, lock_version="0")
    assert withdrawn.status_code == 303
    [told] = await mail_rows(db, pw, "meeting_cancelled")
    assert told.member_id == pw.mentee.id and "_attachments" not in told.context
    assert (await meetings(db, pw))[1].sequence == 0

    csrf = await as_member(client, settings, pw, pw.mentee)
    assert (
        await post(client, pw.url(f"/meetings/{first.id}/accept"), csrf, lock_version="0")
    ).status_code == 303
    csrf = await as_member(client, settings, pw, pw.mentor)
    moved = await post(
        client,
        pw.url(f"/meetings/{first.id}/reschedule"),
        csrf,
        lock_version="1",
        date=ahead(8),
        time="11:00",
        minutes="60",
        mode="phone",
    )
    assert moved.status_code == 303, problems(moved)
    csrf = await as_member(client, settings, pw, pw.mentee)
    page = text(await client.get(pw.url(f"/meetings/{first.id}")))
    assert "waiting for your answer" in page and "Propose another time" in page
    declined = await post(
        client, pw.url(f"/meetings/{first.id}/decline"), csrf, lock_version="2", reason="No."
    )
    assert declined.status_code == 303
    first = next(m for m in await meetings(db, pw) if m.id == first.id)
    assert first.state == "declined" and first.sequence == 2
    [to_mentor] = await mail_rows(db, pw, "meeting_declined")
    assert to_mentor.member_id == pw.mentor.id
    cal = attached(to_mentor)
    assert cal["METHOD"] == "CANCEL" and int(one_event(cal)["SEQUENCE"]) == 2
    to_mentee = [
        m for m in await mail_rows(db, pw, "meeting_cancelled") if m.member_id == pw.mentee.id
    ]
    assert len(to_mentee) == 2  # the withdrawn proposal, and this one for their calendar
    cal = attached(to_mentee[-1])
    assert cal["METHOD"] == "CANCEL"
    assert str(one_event(cal)["UID"]).startswith(str(first.id))
    # Declined: nothing to download for a calendar.
    assert (await client.get(pw.url(f"/meetings/{first.id}.ics"))).status_code == 404


async def test_the_schemes_guidance_on_the_page(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    await as_member(client, settings, pw, pw.mentee)
    page = await client.get(pw.url("/meetings"))
    assert page.status_code == 200
    words = text(page)
    assert "The scheme suggests 60 to 90 minutes." in words
    assert "You agree together how often to meet; the scheme sets no number." in words
    assert 'id="minutes1" name="minutes1" type="text" value="60"' in page.text
    assert "Agree the agenda in advance" in words  # the scheme's note
