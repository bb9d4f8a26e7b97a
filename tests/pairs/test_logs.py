"""The private reflective log through the real app over HTTP (issue 15): the author writes,
reads, changes, shares, withdraws and deletes their own entries; the other person of the
pair, the coordinator (but for entries shared with them, on /log/shared only), the other
pair's people and a tenant admin read nothing; bad input changes nothing; after the end the
log is read-only but a share can still be withdrawn."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import end_pair, logs
from mentorhub.pairs.space_models import LogEntry, Meeting
from mentorhub.settings import Settings
from tests.applications.conftest import add_member
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity.conftest import csrf_from, settings  # noqa: F401  (fixture)
from tests.matching.flows_helpers import run_outbox
from tests.messages.conftest import inbox, sink  # noqa: F401  (fixtures)
from tests.messages.sink import Sink
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.support import serving

BASE = "https://localhost"
ASA = "advice-skills-academy"
PRIVACY = (
    "Only you can read your log. You can share a single entry with the coordinator for a "
    "review, and withdraw it."
)


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page.text)))


def secret(name: str) -> str:
    return f"SECRET-{name}-{uuid.uuid4().hex[:6]}"


async def as_member(
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    pw: PairWorld,
    member: Member,
) -> str:
    """Sign in as `member`; their CSRF token (from a page every member may open)."""
    await sign_in_as(client, settings, pw.world, member)
    page = await client.get(f"/t/{pw.world.tenant.slug}/pairs")
    assert page.status_code == 200
    return csrf_from(page.text)


async def post(client: httpx.AsyncClient, path: str, csrf: str, **data: str) -> httpx.Response:
    return await client.post(path, data={**data, "_csrf_token": csrf})


async def rows(db: Database, pw: PairWorld) -> list[tuple[object, ...]]:
    """Every log entry of the tenant, as it is stored."""
    async with db.tenant(pw.id) as session:
        found = await session.execute(
            select(
                LogEntry.id,
                LogEntry.author_id,
                LogEntry.title,
                LogEntry.body,
                LogEntry.written_on,
                LogEntry.meeting_id,
                LogEntry.shared_at,
                LogEntry.lock_version,
            ).order_by(LogEntry.id)
        )
        return [tuple(r) for r in found.all()]


async def matched_on(db: Database, pw: PairWorld, day: date) -> None:
    """Both pairs matched on `day` (pair_world's own `matched_on` does not reach the rows)."""
    async with db.tenant(pw.id) as session:
        await session.execute(
            update(Pair).where(Pair.id.in_((pw.pair.id, pw.other_pair.id))).values(matched_on=day)
        )


async def held_meeting(db: Database, pw: PairWorld, pair_id: uuid.UUID) -> uuid.UUID:
    """A meeting of the pair recorded as held yesterday (60 minutes, by video)."""
    async with db.tenant(pw.id) as session:
        pair_mentor = pw.mentor.id if pair_id == pw.pair.id else pw.other_mentor.id
        meeting = Meeting(
            tenant_id=pw.id,
            id=uuid.uuid4(),
            pair_id=pair_id,
            starts_at=datetime.now(UTC) - timedelta(days=1),
            minutes=60,
            mode="video",
            link="https://meet.example.org/x",
            state="held",
            proposed_by=pair_mentor,
            held_minutes=60,
            recorded_by=pair_mentor,
            recorded_at=datetime.now(UTC),
        )
        session.add(meeting)
        return meeting.id


async def mails(db: Database, pw: PairWorld, kind: str) -> list[uuid.UUID | None]:
    async with db.tenant(pw.id) as session:
        found = await session.execute(
            select(Message.member_id).where(Message.kind == kind).order_by(Message.id)
        )
        return list(found.scalars())


# --- the author ----------------------------------------------------------------------------


async def test_the_author_writes_changes_shares_withdraws_and_deletes(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    inbox: Sink,  # noqa: F811
) -> None:
    pw = await pair_world(db, ASA)
    await matched_on(db, pw, date.today() - timedelta(days=30))
    meeting = await held_meeting(db, pw, pw.pair.id)
    csrf = await as_member(client, settings, pw, pw.mentor)

    page = await client.get(pw.url("/log"))
    assert page.status_code == 200
    words = text(page)
    assert PRIVACY in words
    assert "You have not written an entry yet" in words
    assert 'aria-current="page">My log' in page.text

    body = secret("BODY")
    written = await post(
        client,
        pw.url("/log"),
        csrf,
        title="After our first session",
        written_on=(date.today() - timedelta(days=1)).isoformat(),
        meeting=str(meeting),
        body=f"{body}\nWhat I will try next.",
    )
    assert written.status_code == 303, re.findall(
        r'error-summary-list">(.*?)</ul>', written.text, re.S
    )
    assert written.headers["location"] == pw.url("/log")
    [entry] = await rows(db, pw)
    entry_id = entry[0]
    assert entry[1] == pw.mentor.id and entry[5] == meeting and entry[6] is None

    page = await client.get(pw.url("/log"))
    words = text(page)
    assert "Entry saved. Only you can read it." in words
    assert "After our first session" in words and body in words
    assert "About the meeting of" in words and "Private" in words

    page = await client.get(pw.url(f"/log/{entry_id}"))
    assert page.status_code == 200
    assert body in page.text and "Change the entry" in text(page)
    # A meeting cancelled after an entry named it is still named (and still chosen).
    async with db.tenant(pw.id) as session:
        await session.execute(
            update(Meeting)
            .where(Meeting.id == meeting)
            .values(state="cancelled", held_minutes=None, recorded_by=None, recorded_at=None)
        )
    page = await client.get(pw.url(f"/log/{entry_id}"))
    assert "(not held)" in text(page) and f'value="{meeting}" selected' in page.text
    assert "(not held)" in text(await client.get(pw.url("/log")))

    changed = await post(
        client,
        pw.url(f"/log/{entry_id}"),
        csrf,
        title="After our first meeting",
        written_on=(date.today() - timedelta(days=1)).isoformat(),
        meeting="",
        body="Changed words.",
        lock_version="0",
    )
    assert changed.status_code == 303
    [entry] = await rows(db, pw)
    assert entry[2] == "After our first meeting" and entry[3] == "Changed words."
    assert entry[5] is None and entry[7] == 1

    shared = await post(client, pw.url(f"/log/{entry_id}/share"), csrf, lock_version="1")
    assert shared.status_code == 303
    assert "Shared with the coordinator" in text(await client.get(pw.url(f"/log/{entry_id}")))
    [entry] = await rows(db, pw)
    assert entry[6] is not None
    # Each coordinator of the tenant is told, by a mail that carries no word of the entry.
    assert await mails(db, pw, "log_shared") == [pw.world.coordinator.id]
    await run_outbox(db, pw.world)
    [mail] = inbox.to(pw.world.coordinator.email)
    message = mail.parsed()
    assert "Maya Mentor shared a log entry with you" in str(message["Subject"])
    plain = message.get_body(("plain",))
    assert plain is not None
    content = plain.get_content()
    assert "Changed words" not in content and "first meeting" not in content
    assert f"/pairs/{pw.pair.id}/log/shared" in content
    # Sharing again changes nothing and mails nobody again.
    again = await post(client, pw.url(f"/log/{entry_id}/share"), csrf)
    assert again.status_code == 303
    assert await mails(db, pw, "log_shared") == [pw.world.coordinator.id]

    await sign_in_as(client, settings, pw.world, pw.world.coordinator)
    words = text(await client.get(pw.url("/log/shared")))
    assert "Changed words." in words and "By Maya Mentor" in words and "Shared " in words

    csrf = await as_member(client, settings, pw, pw.mentor)
    withdrawn = await post(client, pw.url(f"/log/{entry_id}/unshare"), csrf)
    assert withdrawn.status_code == 303
    assert "Share withdrawn" in text(await client.get(pw.url(f"/log/{entry_id}")))
    await sign_in_as(client, settings, pw.world, pw.world.coordinator)
    words = text(await client.get(pw.url("/log/shared")))
    assert "Changed words." not in words and "No entry is shared with you" in words

    csrf = await as_member(client, settings, pw, pw.mentor)
    [entry] = await rows(db, pw)
    deleted = await post(
        client, pw.url(f"/log/{entry_id}/delete"), csrf, lock_version=str(entry[7])
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == pw.url("/log")
    assert await rows(db, pw) == []
    assert "Entry deleted." in text(await client.get(pw.url("/log")))
    assert (await client.get(pw.url(f"/log/{entry_id}"))).status_code == 404

    async with db.tenant(pw.id) as session:
        from mentorhub.core.audit import AuditEntry

        actions = list(
            (
                await session.execute(
                    select(AuditEntry.action)
                    .where(AuditEntry.subject == str(entry_id))
                    .order_by(AuditEntry.created_at, AuditEntry.action)
                )
            ).scalars()
        )
        details = list(
            (
                await session.execute(
                    select(AuditEntry.details).where(AuditEntry.subject == str(entry_id))
                )
            ).scalars()
        )
    assert sorted(actions) == sorted(
        [
            "log_entry_written",
            "log_entry_edited",
            "log_entry_shared",
            "log_entry_unshared",
            "log_entry_deleted",
        ]
    )
    assert all(d == {"pair": str(pw.pair.id)} for d in details)  # never the words


# --- everyone else -------------------------------------------------------------------------


async def test_only_the_author_reads_and_acts_on_an_entry(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, ASA)
    tid, p = pw.id, pw.pair.id
    private, shared_words, mentee_words = secret("PRIVATE"), secret("SHARED"), secret("MENTEE")
    entry = await logs.write_entry(db, tid, pw.mentor.id, p, title="Private one", body=private)
    shared = await logs.write_entry(db, tid, pw.mentor.id, p, title="For review", body=shared_words)
    await logs.share_entry(db, tid, pw.mentor.id, p, shared.id)
    mentee_entry = await logs.write_entry(db, tid, pw.mentee.id, p, body=mentee_words)
    before = await rows(db, pw)
    entry_urls = [pw.url(f"/log/{e}") for e in (entry.id, shared.id)]
    actions = ("", "/share", "/unshare", "/delete")

    async def refused_everything(member: Member, log_status: int, shared_status: int) -> None:
        csrf = await as_member(client, settings, pw, member)
        page = await client.get(pw.url("/log"))
        assert page.status_code == log_status, member.display_name
        assert private not in page.text and shared_words not in page.text
        for url in entry_urls:
            answer = await client.get(url)
            assert answer.status_code == 404, (member.display_name, url)
            assert private not in answer.text and shared_words not in answer.text
            for action in actions:
                answer = await post(
                    client, url + action, csrf, body="Overwritten", lock_version="0"
                )
                assert answer.status_code == 404, (member.display_name, url + action)
        answer = await client.get(pw.url("/log/shared"), follow_redirects=False)
        assert answer.status_code == shared_status, member.display_name
        assert private not in answer.text

    # The other person of the pair: their own log only; the author's entries are not found.
    await refused_everything(pw.mentee, 200, 303)
    await sign_in_as(client, settings, pw.world, pw.mentee)
    page = await client.get(pw.url("/log"))
    assert mentee_words in page.text and "For review" not in page.text
    answer = await client.get(pw.url("/log/shared"), follow_redirects=False)
    assert answer.headers["location"] == pw.url("/log")  # nothing extra: their own log

    # The coordinator: the shared entry on /log/shared, nothing else; 404 everywhere else.
    await refused_everything(pw.world.coordinator, 404, 200)
    await sign_in_as(client, settings, pw.world, pw.world.coordinator)
    page = await client.get(pw.url("/log/shared"))
    words = text(page)
    assert shared_words in words and "For review" in words and "By Maya Mentor" in words
    assert private not in words and mentee_words not in words and "Private one" not in words
    assert page.text.count('class="card log-entry"') == 1
    assert not re.search(r"\b\d+ (private )?(entry|entries)\b", words)  # no counts
    assert (await client.get(pw.url(f"/log/{mentee_entry.id}"))).status_code == 404

    # The other pair's people and a tenant admin without the coordinator role: not found.
    for outsider in (pw.other_mentor, pw.other_mentee, pw.world.admin):
        await refused_everything(outsider, 404, 404)
    # The author's entry under the other pair's address: not found either.
    await sign_in_as(client, settings, pw.world, pw.mentor)
    other_url = f"/t/{pw.world.tenant.slug}/pairs/{pw.other_pair.id}/log/{entry.id}"
    assert (await client.get(other_url)).status_code == 404

    assert await rows(db, pw) == before


async def test_a_coordinator_in_the_pair_is_the_party_and_is_not_mailed(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, ASA)
    mentor = await add_member(db, pw.world.tenant, "Cora Both", roles=("mentor", "coordinator"))
    mentee = await add_member(db, pw.world.tenant, "Mo Mentee", roles=("mentee",))
    from mentorhub.pairs.services import NewPair, create_pairs

    async with db.tenant(pw.id) as session:
        [pair] = await create_pairs(
            session,
            [NewPair(pw.world.cohort.id, mentor.id, mentee.id, "coordinator")],
            actor_id=pw.world.coordinator.id,
        )
    words = secret("MENTEE-SHARED")
    entry = await logs.write_entry(db, pw.id, mentee.id, pair.id, body=words)
    await logs.share_entry(db, pw.id, mentee.id, pair.id, entry.id)
    # Only the coordinator outside the pair is told.
    assert await mails(db, pw, "log_shared") == [pw.world.coordinator.id]
    await sign_in_as(client, settings, pw.world, mentor)
    base = f"/t/{pw.world.tenant.slug}/pairs/{pair.id}"
    answer = await client.get(base + "/log/shared", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == base + "/log"
    assert words not in (await client.get(base + "/log")).text
    assert (await client.get(f"{base}/log/{entry.id}")).status_code == 404


# --- bad input ------------------------------------------------------------------------------


async def test_bad_input_is_shown_at_its_field_and_changes_nothing(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, ASA)
    await matched_on(db, pw, date.today() - timedelta(days=10))
    other_meeting = await held_meeting(db, pw, pw.other_pair.id)
    entry = await logs.write_entry(db, pw.id, pw.mentor.id, pw.pair.id, body="Kept words")
    csrf = await as_member(client, settings, pw, pw.mentor)
    before = await rows(db, pw)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    too_early = (date.today() - timedelta(days=11)).isoformat()
    cases = [
        ({"body": "  "}, "body", "Entry is needed"),
        ({"body": "x", "title": "t" * 201}, "title", "Title must be 200 characters or fewer"),
        ({"body": "x" * 20_001}, "body", "Entry must be 20,000 characters or fewer"),
        ({"body": "a\x00b"}, "body", "must not contain control characters"),
        ({"body": "x", "written_on": "31/12/2026"}, "written_on", "Date must be a date like"),
        ({"body": "x", "written_on": tomorrow}, "written_on", "Date must be today or earlier"),
        ({"body": "x", "written_on": too_early}, "written_on", "on or after the day you were"),
        ({"body": "x", "meeting": "not-an-id"}, "meeting", "Choose a meeting from the list"),
        ({"body": "x", "meeting": str(other_meeting)}, "meeting", "Choose one of this pair"),
    ]
    for url in (pw.url("/log"), pw.url(f"/log/{entry.id}")):
        for data, where, message in cases:
            answer = await post(client, url, csrf, **data)
            assert answer.status_code == 400, (url, data)
            assert 'class="error-summary"' in answer.text
            assert f'href="#{where}"' in answer.text, (url, data)
            assert message.lower() in text(answer).lower(), (url, data, message)
            assert f'id="{where}-error"' in answer.text or where == "meeting"
    # A stale form (the entry changed in another tab) is refused as such.
    await logs.edit_entry(db, pw.id, pw.mentor.id, pw.pair.id, entry.id, body="Kept words")
    before = await rows(db, pw)
    stale = await post(client, pw.url(f"/log/{entry.id}"), csrf, body="Lost", lock_version="0")
    assert stale.status_code == 409 and "changed since the page was shown" in text(stale)
    stale = await post(client, pw.url(f"/log/{entry.id}/delete"), csrf, lock_version="0")
    assert stale.status_code == 409
    # A malformed entry id is not found; a missing CSRF token is refused.
    assert (await client.get(pw.url("/log/not-an-id"))).status_code == 404
    assert (await post(client, pw.url("/log/not-an-id/share"), csrf)).status_code == 404
    refused = await client.post(pw.url("/log"), data={"body": "No token"})
    assert refused.status_code == 403
    assert await rows(db, pw) == before


# --- after the end --------------------------------------------------------------------------


async def test_after_the_end_the_log_is_read_only_but_a_share_can_be_withdrawn(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, ASA)
    tid, p = pw.id, pw.pair.id
    words = secret("ENDED")
    kept = await logs.write_entry(db, tid, pw.mentor.id, p, title="Kept", body="Private words")
    shared = await logs.write_entry(db, tid, pw.mentor.id, p, title="Shared", body=words)
    await logs.share_entry(db, tid, pw.mentor.id, p, shared.id)
    await end_pair(db, tid, pw.world.coordinator.id, p, kind="completed")
    before = await rows(db, pw)

    csrf = await as_member(client, settings, pw, pw.mentor)
    page = await client.get(pw.url("/log"))
    assert page.status_code == 200
    words_on_page = text(page)
    assert "Private words" in words_on_page and "read-only" in words_on_page
    assert "Write an entry" not in words_on_page and "Share with the coordinator" not in page.text
    page = await client.get(pw.url(f"/log/{kept.id}"))
    assert page.status_code == 200 and "Change the entry" not in text(page)
    assert "Delete this entry" not in page.text

    for url, data in (
        (pw.url("/log"), {"body": "New"}),
        (pw.url(f"/log/{kept.id}"), {"body": "Changed", "lock_version": "0"}),
        (pw.url(f"/log/{kept.id}/share"), {}),
        (pw.url(f"/log/{kept.id}/delete"), {"lock_version": "0"}),
    ):
        answer = await post(client, url, csrf, **data)
        assert answer.status_code == 409, url
        assert "read-only" in text(answer) and "Nothing was changed" in text(answer)
    assert await rows(db, pw) == before
    with pytest.raises(Refused):
        await logs.write_entry(db, tid, pw.mentor.id, p, body="Service refuses too")

    # Withdrawing is the author's right over their data: still allowed.
    withdrawn = await post(client, pw.url(f"/log/{shared.id}/unshare"), csrf)
    assert withdrawn.status_code == 303
    await sign_in_as(client, settings, pw.world, pw.world.coordinator)
    assert words not in (await client.get(pw.url("/log/shared"))).text
    async with db.tenant(tid) as session:
        still = (
            await session.execute(
                select(func.count()).select_from(LogEntry).where(LogEntry.shared_at.is_not(None))
            )
        ).scalar_one()
    assert still == 0
