"""Reads of a pair's chat and documents (issue 15) — for the pages and the pair's home.

Only the pair's two people read them (DESIGN.md, "Who reads what"): `open_chat` and
`open_documents` are the access check every read starts with (a coordinator, anyone else,
and a scheme whose `relationship.shared_space` does not list the feature: "not found").
Every query names the pair in its WHERE clause; the session adds the tenant.

* `chat_page`: 50 messages a page, newest last, read in one statement with when the viewer
  last read the chat; "older" pages by keyset (the messages
  before a given one), so a long chat costs the same as a short one.
* `unread_chat(session, pair_id, member_id)`: the other person's messages since the member
  last opened the chat (their `PairMemberState.chat_read_at`) — the pair's home shows it.
* `documents_of` / `document_for_download`: the pair's documents, and one to download
  (never a removed one).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Uuid, and_, bindparam, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db.access import NotFound
from mentorhub.db.session import current_tenant
from mentorhub.pairs.access import Space, require_party, space_for
from mentorhub.pairs.space_models import ChatMessage, Document, PairMemberState

__all__ = [
    "PAGE_SIZE",
    "ChatLine",
    "ChatPage",
    "DocumentRow",
    "chat_page",
    "document_for_download",
    "documents_of",
    "open_chat",
    "open_documents",
    "read_at",
    "unread_chat",
    "unread_chat_count",
]

#: Messages on one chat page.
PAGE_SIZE = 50


async def open_chat(
    session: AsyncSession, pair_id: uuid.UUID | str, viewer_id: uuid.UUID | str
) -> Space:
    """The pair's space for its chat: one of the pair, and the scheme has chat."""
    space = require_party(await space_for(session, pair_id, viewer_id))
    if not space.has_chat:
        raise NotFound("chat")
    return space


async def open_documents(
    session: AsyncSession, pair_id: uuid.UUID | str, viewer_id: uuid.UUID | str
) -> Space:
    """The pair's space for its documents: one of the pair, and the scheme has documents."""
    space = require_party(await space_for(session, pair_id, viewer_id))
    if not space.has_documents:
        raise NotFound("documents")
    return space


# --- chat ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatLine:
    id: uuid.UUID
    author_id: uuid.UUID
    author_name: str
    body: str
    at: datetime
    mine: bool
    #: The other person's message the viewer had not seen before this page was shown.
    new: bool


@dataclass(frozen=True)
class ChatPage:
    lines: list[ChatLine]
    #: The oldest shown message's id when there are older ones (the "older" link).
    older_than: uuid.UUID | None
    #: The page ends with the newest message (not an "older" page).
    latest: bool
    #: The newest shown message's time (what opening the page marks as read).
    newest_at: datetime | None


async def read_at(
    session: AsyncSession, pair_id: uuid.UUID, member_id: uuid.UUID
) -> datetime | None:
    """When the member last read the pair's chat."""
    return (
        await session.execute(
            select(PairMemberState.chat_read_at).where(
                PairMemberState.pair_id == pair_id, PairMemberState.member_id == member_id
            )
        )
    ).scalar_one_or_none()


@functools.lru_cache(maxsize=8)
def _page_statement(older: bool, size: int) -> Select[Any]:
    """A chat page's one statement, built once per shape (a Core statement: its SQL and
    cache key are computed once per process): when the viewer last read the chat (a scalar
    subquery), LEFT JOINed to the page's `size + 1` messages as plain rows, newest first —
    so the read time comes back even when the page is empty. `older`: the messages before
    the cursor (`:cursor_at`, `:cursor_id`). Every table is named with the tenant
    (`:tenant`, the session's) and the pair, as the ORM sessions' scoping would add it;
    row-level security holds below."""
    tenant = bindparam("tenant", type_=Uuid)
    pair_key = bindparam("pair", type_=Uuid)
    viewer = bindparam("viewer", type_=Uuid)
    states, messages = PairMemberState.__table__.c, ChatMessage.__table__.c
    seen = (
        select(states.chat_read_at)
        .where(states.tenant_id == tenant, states.pair_id == pair_key, states.member_id == viewer)
        .scalar_subquery()
        .label("seen")
    )
    where = [messages.tenant_id == tenant, messages.pair_id == pair_key]
    if older:
        at = bindparam("cursor_at", type_=messages.created_at.type)
        where.append(
            or_(
                messages.created_at < at,
                and_(messages.created_at == at, messages.id < bindparam("cursor_id", type_=Uuid)),
            )
        )
    page = (
        select(messages.id, messages.author_id, messages.body, messages.created_at)
        .where(*where)
        .order_by(messages.created_at.desc(), messages.id.desc())
        .limit(size + 1)
        .subquery("page")
    )
    return (
        select(seen, page.c.id, page.c.author_id, page.c.body, page.c.created_at)
        .select_from(select(seen).subquery("s").outerjoin(page, true()))
        .order_by(page.c.created_at.desc(), page.c.id.desc())
    )


async def chat_page(
    session: AsyncSession,
    space: Space,
    *,
    before: uuid.UUID | None = None,
    size: int = PAGE_SIZE,
) -> ChatPage:
    """One page of the pair's chat, oldest first: the newest `size` messages, or the `size`
    before message `before` (NotFound for a message not in this pair)."""
    pair_id, viewer_id = space.pair.id, space.viewer.id
    params: dict[str, Any] = {
        "tenant": current_tenant(session),
        "pair": pair_id,
        "viewer": viewer_id,
    }
    if before is not None:
        cursor = (
            await session.execute(
                select(ChatMessage.created_at, ChatMessage.id).where(
                    ChatMessage.pair_id == pair_id, ChatMessage.id == before
                )
            )
        ).one_or_none()
        if cursor is None:
            raise NotFound("message")
        params |= {"cursor_at": cursor.created_at, "cursor_id": cursor.id}
    result = list(await session.execute(_page_statement(before is not None, size), params))
    seen_at = result[0][0] if result else None
    rows = [r[1:] for r in result if r[1] is not None]
    more = len(rows) > size
    rows = rows[:size][::-1]
    names = {space.mentor.id: space.mentor.display_name, space.mentee.id: space.mentee.display_name}
    lines = [
        ChatLine(
            id=id_,
            author_id=author_id,
            author_name=names.get(author_id, "Someone"),
            body=body,
            at=at,
            mine=author_id == viewer_id,
            new=author_id != viewer_id and (seen_at is None or at > seen_at),
        )
        for id_, author_id, body, at in rows
    ]
    return ChatPage(
        lines=lines,
        older_than=rows[0][0] if more and rows else None,
        latest=before is None,
        newest_at=rows[-1][3] if rows else None,
    )


def _read_at(pair_id: Any, member_id: Any) -> Any:
    """When the member last read the pair's chat, as a scalar subquery."""
    return (
        select(PairMemberState.chat_read_at)
        .where(PairMemberState.pair_id == pair_id, PairMemberState.member_id == member_id)
        .scalar_subquery()
    )


def unread_chat_count(pair_id: Any, member_id: Any) -> Any:
    """`unread_chat` as a scalar subquery, for a statement reading more (the pair's home)."""
    seen = _read_at(pair_id, member_id)
    return (
        select(func.count())
        .select_from(ChatMessage)
        .where(
            ChatMessage.pair_id == pair_id,
            ChatMessage.author_id != member_id,
            or_(seen.is_(None), ChatMessage.created_at > seen),
        )
        .scalar_subquery()
    )


async def unread_chat(session: AsyncSession, pair_id: uuid.UUID, member_id: uuid.UUID) -> int:
    """How many of the other person's messages the member has not read (one query)."""
    return int((await session.execute(select(unread_chat_count(pair_id, member_id)))).scalar_one())


# --- documents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRow:
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    uploaded_by: uuid.UUID
    uploader_name: str
    at: datetime
    mine: bool
    removed_at: datetime | None
    removed_by_name: str | None


async def documents_of(session: AsyncSession, space: Space) -> list[DocumentRow]:
    """The pair's documents, newest first (removed ones too, marked: the history stays)."""
    names = {space.mentor.id: space.mentor.display_name, space.mentee.id: space.mentee.display_name}
    rows = (
        await session.execute(
            select(Document)
            .where(Document.pair_id == space.pair.id)
            .order_by(Document.created_at.desc(), Document.id.desc())
        )
    ).scalars()
    return [
        DocumentRow(
            id=d.id,
            filename=d.filename,
            content_type=d.content_type,
            size_bytes=d.size_bytes,
            uploaded_by=d.uploaded_by,
            uploader_name=names.get(d.uploaded_by, "Someone"),
            at=d.created_at,
            mine=d.uploaded_by == space.viewer.id,
            removed_at=d.removed_at,
            removed_by_name=names.get(d.removed_by) if d.removed_by else None,
        )
        for d in rows
    ]


async def document_for_download(
    session: AsyncSession, space: Space, document_id: uuid.UUID | str
) -> Document:
    """One of the pair's documents that is still there; NotFound otherwise."""
    try:
        key = uuid.UUID(str(document_id))
    except ValueError:
        raise NotFound("document") from None
    found = (
        await session.execute(
            select(Document).where(
                Document.pair_id == space.pair.id,
                Document.id == key,
                Document.removed_at.is_(None),
            )
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("document")
    return found
