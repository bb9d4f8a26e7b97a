"""The pair's chat (issue 15) against real PostgreSQL and the real app over HTTP: posting,
the page (newest last, 50 a page, "older"), unread counts and marking read by opening the
chat, the hourly new-message mail (two posts in a minute: one mail; an hour later: another),
read-only after the end, and who gets the 404 page (the other pair, the coordinator, the
tenant admin; every scheme without chat)."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from mentorhub.app import create_app
from mentorhub.core.audit import AuditEntry
from mentorhub.core.problems import Problems
from mentorhub.db import Database, NotFound
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.pairs.access import ReadOnly
from mentorhub.pairs.queries_chat import unread_chat
from mentorhub.pairs.services import end_pair
from mentorhub.pairs.services.chat import MESSAGE_MAX, mark_chat_read, post_message
from mentorhub.pairs.space_models import ChatMessage, PairMemberState
from mentorhub.settings import Settings
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.helpers import kinds_of
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.support import serving

BASE = "https://localhost"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page.text)))


async def unread(db: Database, pw: PairWorld, member_id: object) -> int:
    async with db.tenant(pw.id) as session:
        return await unread_chat(session, pw.pair.id, member_id)  # type: ignore[arg-type]


async def message_count(db: Database, pw: PairWorld) -> int:
    async with db.tenant(pw.id) as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(ChatMessage)
                    .where(ChatMessage.pair_id == pw.pair.id)
                )
            ).scalar_one()
        )


async def chat_mails(db: Database, pw: PairWorld, member_id: object) -> list[Message]:
    async with db.tenant(pw.id) as session:
        rows = await session.execute(
            select(Message)
            .where(Message.member_id == member_id, Message.kind == "chat_unread")
            .order_by(Message.id)
        )
        return list(rows.scalars())


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str], page_path: str | None = None
) -> httpx.Response:
    page = await client.get(page_path or path)
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return await client.post(path, data={"_csrf_token": found.group(1), **data})


async def test_post_list_unread_and_mark_read(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "Hello Theo, shall we meet Tuesday?")
    await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "  Or Wednesday.  ")
    assert await unread(db, pw, pw.mentee.id) == 2
    assert await unread(db, pw, pw.mentor.id) == 0  # their own messages are never unread

    await sign_in_as(client, settings, pw.world, pw.mentee)
    page = await client.get(pw.url("/chat"))
    assert page.status_code == 200
    words = text(page)
    assert "Chat with Maya Mentor" in words
    assert words.index("Hello Theo, shall we meet Tuesday?") < words.index("Or Wednesday.")
    assert "New messages" in words and words.count(">New<") == 2
    assert 'aria-current="page"' in page.text and "/chat" in page.text
    # Opening the chat marked it read: the count is 0, and the page no longer says "New".
    assert await unread(db, pw, pw.mentee.id) == 0
    again = text(await client.get(pw.url("/chat")))
    assert "New messages" not in again

    answer = await post_form(client, pw.url("/chat"), {"body": "Tuesday at 10 works."})
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"/pairs/{pw.pair.id}/chat#latest")
    assert await unread(db, pw, pw.mentor.id) == 1
    assert await unread(db, pw, pw.mentee.id) == 0
    words = text(await client.get(pw.url("/chat")))
    assert "You" in words and "Tuesday at 10 works." in words

    # The audit log has the event, never the words.
    async with db.tenant(pw.id) as session:
        entries = list(
            (
                await session.execute(select(AuditEntry).where(AuditEntry.action == "chat_posted"))
            ).scalars()
        )
    assert len(entries) == 3
    assert all("Tuesday" not in str(e.details) for e in entries)


async def test_empty_and_too_long_messages_are_refused(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    await sign_in_as(client, settings, pw.world, pw.mentor)
    empty = await post_form(client, pw.url("/chat"), {"body": "   \n "})
    assert empty.status_code == 400
    assert "Your message was not sent" in empty.text
    assert 'href="#body"' in empty.text and "Write a message to send" in empty.text
    long = await post_form(client, pw.url("/chat"), {"body": "x" * (MESSAGE_MAX + 1)})
    assert long.status_code == 400
    assert "4,000 characters or fewer" in long.text
    control = await post_form(client, pw.url("/chat"), {"body": "hi\x00there"})
    assert control.status_code == 400 and "control characters" in control.text
    assert await message_count(db, pw) == 0
    with pytest.raises(Problems):
        await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "")


async def test_others_get_not_found(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "Private words")
    for who in (pw.other_mentor, pw.other_mentee, pw.world.coordinator, pw.world.admin):
        await sign_in_as(client, settings, pw.world, who)
        page = await client.get(pw.url("/chat"))
        assert page.status_code == 404, who.display_name
        assert "Private words" not in page.text
        # Their own page's token, posted to this pair: still not found, nothing written.
        home = await client.get(f"/t/{pw.world.tenant.slug}/me")
        token = CSRF.search(home.text)
        assert token, home.text[:300]
        refused = await client.post(
            pw.url("/chat"), data={"_csrf_token": token.group(1), "body": "Sneaky"}
        )
        assert refused.status_code == 404
        with pytest.raises(NotFound):
            await post_message(db, pw.id, who.id, pw.pair.id, "Sneaky")
        with pytest.raises(NotFound):
            await mark_chat_read(db, pw.id, who.id, pw.pair.id)
    assert await message_count(db, pw) == 1


async def test_new_message_mail_at_most_once_an_hour(db: Database) -> None:
    pw = await pair_world(db, "ahep")
    t0 = datetime(2027, 3, 1, 9, 0, 5, tzinfo=UTC)
    await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "One", now=t0)
    await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "Two", now=t0 + timedelta(seconds=40))
    mails = await chat_mails(db, pw, pw.mentee.id)
    assert len(mails) == 1
    assert mails[0].context["other_name"] == "Maya Mentor"
    assert mails[0].context["count"] == 1
    assert mails[0].context["link"].endswith(f"/pairs/{pw.pair.id}/chat")
    assert mails[0].key == f"chat:{pw.pair.id}:{pw.mentee.id}:{int(t0.timestamp()) // 3600}"
    assert await chat_mails(db, pw, pw.mentor.id) == []  # the poster is not mailed

    # 59 minutes after the mail: still one.
    await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "Three", now=t0 + timedelta(minutes=59))
    assert len(await chat_mails(db, pw, pw.mentee.id)) == 1
    # An hour after the mail: another, counting everything unread.
    later = t0 + timedelta(minutes=60, seconds=1)
    await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "Four", now=later)
    mails = await chat_mails(db, pw, pw.mentee.id)
    assert len(mails) == 2
    assert mails[1].context["count"] == 4

    # The reply mails the other way, on its own clock.
    await post_message(db, pw.id, pw.mentee.id, pw.pair.id, "Hi!", now=later + timedelta(minutes=1))
    assert len(await chat_mails(db, pw, pw.mentor.id)) == 1
    assert (await kinds_of(db, pw.world, pw.mentor.id)).count("chat_unread") == 1
    # Reading, then a new message within the hour of the last mail: no new mail.
    await mark_chat_read(db, pw.id, pw.mentee.id, pw.pair.id, up_to=later)
    await post_message(
        db, pw.id, pw.mentor.id, pw.pair.id, "Five", now=later + timedelta(minutes=5)
    )
    assert len(await chat_mails(db, pw, pw.mentee.id)) == 2
    assert await unread(db, pw, pw.mentee.id) == 1


async def test_older_pages(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    t0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    for i in range(120):
        author = pw.mentor if i % 2 == 0 else pw.mentee
        await post_message(
            db,
            pw.id,
            author.id,
            pw.pair.id,
            f"Message number {i:03d}",
            now=t0 + timedelta(minutes=i),
        )
    await sign_in_as(client, settings, pw.world, pw.mentee)
    first = await client.get(pw.url("/chat"))
    shown = re.findall(r"Message number (\d{3})", first.text)
    assert shown == [f"{i:03d}" for i in range(70, 120)]
    older = re.search(r'href="([^"]*/chat\?before=[^"]+)"', first.text)
    assert older and "Older messages" in first.text
    second = await client.get(html.unescape(older.group(1)))
    assert re.findall(r"Message number (\d{3})", second.text) == [f"{i:03d}" for i in range(20, 70)]
    assert "Back to the newest messages" in second.text
    assert 'name="body"' not in second.text  # the form is on the newest page
    oldest = re.search(r'href="([^"]*/chat\?before=[^"]+)"', second.text)
    assert oldest
    third = await client.get(html.unescape(oldest.group(1)))
    assert re.findall(r"Message number (\d{3})", third.text) == [f"{i:03d}" for i in range(20)]
    assert "Older messages" not in third.text
    # A cursor from another pair, or not an id: not found.
    assert (await client.get(pw.url("/chat?before=nonsense"))).status_code == 404
    other = await post_message(db, pw.id, pw.other_mentor.id, pw.other_pair.id, "Elsewhere")
    assert (await client.get(pw.url(f"/chat?before={other.id}"))).status_code == 404


async def test_read_only_after_the_end(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    pw = await pair_world(db, "ahep")
    await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "Before the end")
    await sign_in_as(client, settings, pw.world, pw.mentee)
    page = await client.get(pw.url("/chat"))
    token = CSRF.search(page.text)
    assert token
    await end_pair(db, pw.id, pw.world.coordinator.id, pw.pair.id, kind="completed")
    with pytest.raises(ReadOnly):
        await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "After the end")
    refused = await client.post(
        pw.url("/chat"), data={"_csrf_token": token.group(1), "body": "After the end"}
    )
    assert refused.status_code == 409
    assert "read-only" in refused.text and "Your message was not sent" in refused.text
    page = await client.get(pw.url("/chat"))
    assert page.status_code == 200
    assert "Before the end" in page.text and 'name="body"' not in page.text
    assert "read-only" in page.text
    assert await message_count(db, pw) == 1


@pytest.mark.parametrize(
    "slug", ["museums-association", "advice-skills-academy", "alberta-museums", "arts-marketing"]
)
async def test_schemes_without_chat_answer_not_found(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    slug: str,
) -> None:
    pw = await pair_world(db, slug)
    await sign_in_as(client, settings, pw.world, pw.mentor)
    assert (await client.get(pw.url("/chat"))).status_code == 404
    with pytest.raises(NotFound):
        await post_message(db, pw.id, pw.mentor.id, pw.pair.id, "Hello")
    assert await message_count(db, pw) == 0


async def test_posts_at_the_same_moment_mail_once_and_never_deadlock(live_db: Database) -> None:
    """Both people post at once, three messages each, on six connections (committing
    transactions): every message is written, no deadlock, and each person gets exactly one
    mail — the state rows are made once and locked in one order."""
    pw = await pair_world(live_db, "ahep")
    start = asyncio.Event()
    now = datetime.now(UTC)

    async def post(author: Member, i: int) -> ChatMessage:
        await start.wait()
        return await post_message(live_db, pw.id, author.id, pw.pair.id, f"At once {i}", now=now)

    tasks = [
        asyncio.create_task(post(author, i)) for i in range(3) for author in (pw.mentor, pw.mentee)
    ]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, ChatMessage) for r in results), results
    assert len(await chat_mails(live_db, pw, pw.mentee.id)) == 1
    assert len(await chat_mails(live_db, pw, pw.mentor.id)) == 1
    async with live_db.tenant(pw.id) as session:
        states = (
            await session.execute(
                select(func.count())
                .select_from(PairMemberState)
                .where(PairMemberState.pair_id == pw.pair.id)
            )
        ).scalar_one()
    assert states == 2
