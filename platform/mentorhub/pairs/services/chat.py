"""The pair's chat (issue 15, where the scheme's `relationship.shared_space` lists "chat").

`post_message` — one tenant transaction: the pair is locked FOR SHARE and must be live
(`require_writable`: read-only after the end), the text is checked (`clean_text`, TEXT,
up to `MESSAGE_MAX` characters, not empty), the message is written with an audit row
`chat_posted` (ids only, never the text: the tenant admin reads the audit log, and the chat
is the pair's alone), and the new-message e-mail is decided. Posting does not mark the
poster's chat read (they may not have seen what the other wrote meanwhile): the chat page
they are sent back to does, showing the other's new messages as new.

* the recipient's `PairMemberState` row is made if missing (INSERT … ON CONFLICT DO
  NOTHING) and locked FOR UPDATE, so two messages to them posted at the same moment see
  each other's decision (each transaction locks only the recipient's row: the two people
  posting at once wait for nothing of each other's);
* they are mailed (`chat_unread` {other_name, count, link}) when they were never mailed
  about this chat or last mailed an hour or more ago (`chat_mailed_at`), and then
  `chat_mailed_at` is set. The count is their unread messages, this one included. Nothing is
  mailed (and `chat_mailed_at` stays) while the recipient has read everything — which,
  right after a post, only happens when their read mark is at the message's very
  instant. We mail even when the recipient
  happens to have the chat open at that moment: a page open in a tab is no proof they read
  it, and the hour's limit keeps it to one mail. Idempotency key
  `chat:<pair>:<recipient>:<hour bucket>` (UTC hours since the epoch): the rolling hour
  means two mails never share a bucket.

`mark_chat_read` — the member opened the chat: their `chat_read_at` moves forward to the
newest message the page showed (never backwards). The chat page's GET calls this small
action after its reads, in its own transaction — the pragmatic choice: opening the chat is
what reading it means, and a separate "mark read" button would leave counts wrong for
everyone who does not press it. It writes only when something was unread (no write per
page view otherwise), needs no live pair (the member's own state, not the shared content:
an ended pair's chat can still be read) and writes no audit row (reading is not a change
to anything anyone else sees).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import TEXT, BadText, clean_text
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member
from mentorhub.messages.services import send
from mentorhub.pairs.access import require_party, require_writable, space_for
from mentorhub.pairs.queries_chat import unread_chat
from mentorhub.pairs.services.lifecycle import pair_link
from mentorhub.pairs.space_models import ChatMessage, PairMemberState
from mentorhub.tenancy.models import Tenant

__all__ = ["MAIL_EVERY", "MESSAGE_MAX", "mark_chat_read", "post_message"]

#: The longest message (characters).
MESSAGE_MAX = 4000
#: At most one new-message e-mail per person per pair in this time.
MAIL_EVERY = timedelta(hours=1)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


async def _state(
    session: AsyncSession, pair_id: uuid.UUID, member_id: uuid.UUID
) -> PairMemberState:
    """The member's state in the pair, made if missing, locked FOR UPDATE."""
    await session.execute(
        insert(PairMemberState)
        .values(
            tenant_id=current_tenant(session),
            id=uuid.uuid4(),
            pair_id=pair_id,
            member_id=member_id,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "pair_id", "member_id"])
    )
    return (
        await session.execute(
            select(PairMemberState)
            .where(PairMemberState.pair_id == pair_id, PairMemberState.member_id == member_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()


def _clean_body(body: str) -> str:
    try:
        return clean_text(
            body or "", label="Message", kind=TEXT, max_length=MESSAGE_MAX, required=True
        )
    except BadText as exc:
        message = "Write a message to send" if not (body or "").strip() else str(exc)
        raise Problems([Problem(path="body", message=message)]) from None


async def post_message(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    body: str,
    *,
    now: datetime | None = None,
) -> ChatMessage:
    """Post a message in the pair's chat (see the module docstring)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        if not space.has_chat:
            raise NotFound("chat")
        text = _clean_body(body)
        other = space.other
        assert other is not None  # a party has the other person
        message = ChatMessage(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            pair_id=space.pair.id,
            author_id=space.viewer.id,
            body=text,
            created_at=now,
        )
        session.add(message)
        audit.record(
            session,
            "chat_posted",
            actor=space.viewer.email,
            subject=str(space.pair.id),
            details={"message": str(message.id)},
        )
        await session.flush()
        theirs = await _state(session, space.pair.id, other.id)
        due = theirs.chat_mailed_at is None or now - theirs.chat_mailed_at >= MAIL_EVERY
        if due and await _mail(session, space.pair.id, space.viewer, other, now):
            theirs.chat_mailed_at = now
        await session.flush()
        return message


async def _mail(
    session: AsyncSession, pair_id: uuid.UUID, poster: Member, to: Member, now: datetime
) -> bool:
    """Mail `to` about their unread messages; False when nothing is unread (they read the
    chat at this very moment)."""
    count = await unread_chat(session, pair_id, to.id)
    if count == 0:
        return False
    tenant = (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()
    bucket = int(now.timestamp()) // 3600
    await send(
        session,
        tenant,
        "chat_unread",
        {
            "other_name": poster.display_name,
            "count": count,
            "link": pair_link(tenant, pair_id) + "/chat",
        },
        f"chat:{pair_id}:{to.id}:{bucket}",
        to_member=to,
    )
    return True


async def mark_chat_read(
    db: Database,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    up_to: datetime | None = None,
) -> None:
    """The member has read the pair's chat up to `up_to` (the newest message their page
    showed; now when not given). Writes only when that moves their mark forward."""
    up_to = _now(up_to)
    async with db.tenant(tenant_id) as session:
        space = require_party(await space_for(session, pair_id, member_id))
        if not space.has_chat:
            raise NotFound("chat")
        await session.execute(
            insert(PairMemberState)
            .values(
                tenant_id=current_tenant(session),
                id=uuid.uuid4(),
                pair_id=space.pair.id,
                member_id=space.viewer.id,
                chat_read_at=up_to,
            )
            .on_conflict_do_update(
                index_elements=["tenant_id", "pair_id", "member_id"],
                set_={"chat_read_at": up_to},
                where=func.coalesce(
                    PairMemberState.__table__.c.chat_read_at, datetime(1970, 1, 1, tzinfo=UTC)
                )
                < up_to,
            )
        )
