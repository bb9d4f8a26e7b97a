"""A member's calendar feed (issue 15): a secret address their calendar program subscribes
to, listing every scheduled or held meeting of all their pairs in this association.

Decisions:

* The secret is `secrets.token_urlsafe(32)` (256 bits); only its SHA-256 (hex) is stored,
  so the address can be shown once only — when it is made. "Make a new link" replaces it
  (the old one is revoked in the same transaction: one live feed per member, a partial
  unique index); "Turn off" revokes it. A revoked or unknown secret answers 404, the same
  for both, so a guess learns nothing.
* The feed is read by the secret alone (calendar programs carry no session); it belongs to
  the tenant whose address it is under, and the lookup runs in that tenant's transaction
  (row-level security). It lists the member's held meetings of every pair, and the
  scheduled ones of the pairs still running (an ended pair's future meetings are not
  coming). Proposed, declined and cancelled meetings are not in it.
* Making and revoking are audited (never the secret or its hash).
* Performance (calendar programs poll): the feed is read in ONE statement — the live feed
  by its secret's hash, the member's pairs by `pairs_by_mentor`/`pairs_by_mentee`, both
  people, and the meetings by `meetings_by_pair` (tests/pairs/test_calendar_plan.py checks
  the plan) — as plain rows, not ORM objects. Its entity tag is a digest of every value
  the text is made of (not a count or a newest `updated_at`: an edit that forgot to touch
  `updated_at`, a renamed person or an ended pair changes it too), so `If-None-Match`
  answers 304 exactly while nothing the feed shows changed, and the text is kept per
  process by that tag (an LRU of 256: a body is reused only for the very same inputs, so
  nothing needs invalidating when a meeting changes). The text is written by
  `pairs.ics.feed` (see there why not with icalendar).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import UUID, Select, String, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mentorhub.applications.queue import tenant_zone
from mentorhub.core import audit
from mentorhub.db import Database
from mentorhub.db.access import get_in_tenant
from mentorhub.identity.models import Member
from mentorhub.pairs import ics
from mentorhub.pairs.models import LIVE_STATES, Pair
from mentorhub.pairs.services.lifecycle import pair_link
from mentorhub.pairs.space_models import CalendarFeed, Meeting
from mentorhub.tenancy.models import Tenant

__all__ = [
    "FeedBody",
    "FeedState",
    "create_feed",
    "feed_for_token",
    "feed_state",
    "revoke_feed",
    "token_hash",
]

#: The longest secret accepted in an address (token_urlsafe(32) is 43 characters).
TOKEN_MAX = 64


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FeedState:
    """The member's live feed: when it was made (the secret itself is never kept)."""

    made_at: datetime


async def feed_state(session: AsyncSession, member_id: uuid.UUID) -> FeedState | None:
    row = (
        await session.execute(
            select(CalendarFeed.created_at).where(
                CalendarFeed.member_id == member_id, CalendarFeed.revoked_at.is_(None)
            )
        )
    ).scalar_one_or_none()
    return FeedState(made_at=row) if row is not None else None


async def _revoke(session: AsyncSession, member_id: uuid.UUID, now: datetime) -> int:
    result = await session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.member_id == member_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def create_feed(
    db: Database, tenant_id: uuid.UUID, member_id: uuid.UUID, *, now: datetime | None = None
) -> str:
    """A new secret for the member's feed (the old one, if any, stops working); the secret
    is returned once and not stored."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    async with db.tenant(tenant_id) as session:
        member = await get_in_tenant(session, Member, member_id, what="member")
        replaced = await _revoke(session, member.id, now)
        await session.flush()
        session.add(
            CalendarFeed(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                member_id=member.id,
                token_hash=token_hash(token),
            )
        )
        audit.record(
            session,
            "calendar_feed_created",
            actor=member.email,
            subject=str(member.id),
            details={"replaced": bool(replaced)},
        )
    return token


async def revoke_feed(
    db: Database, tenant_id: uuid.UUID, member_id: uuid.UUID, *, now: datetime | None = None
) -> bool:
    """Turn the member's feed off; False when there was none."""
    now = now or datetime.now(UTC)
    async with db.tenant(tenant_id) as session:
        member = await get_in_tenant(session, Member, member_id, what="member")
        revoked = await _revoke(session, member.id, now)
        if revoked:
            audit.record(
                session, "calendar_feed_revoked", actor=member.email, subject=str(member.id)
            )
    return bool(revoked)


@dataclass(frozen=True)
class FeedBody:
    """The feed's text and its entity tag (a digest of everything the text is made of)."""

    etag: str
    text: str


#: Feeds lately made, by their entity tag (per process; an entry is right for as long as
#: its key is asked for: the key is a digest of all the feed's inputs).
_BODIES: OrderedDict[str, str] = OrderedDict()
_BODIES_MAX = 256
#: Changes with the way the text is written, so a new release does not answer 304 to text
#: it would now write differently.
_FORMAT = b"feed-v1"


@functools.cache
def _feed_statement() -> Select[*tuple[Any, ...]]:
    """The member's feed in one statement: the live feed by its secret's hash (unique
    index), the member's pairs by `pairs_by_mentor`/`pairs_by_mentee`, both people of each,
    and each pair's scheduled or held meetings by `meetings_by_pair` — one row per meeting
    (a pair without one, or a member without pairs, still gives a row: the outer joins).
    Built once (building it cost more than running it); the tenant and the secret's hash
    are the bind parameters `tenant_id` and `token_hash`. It names the tenant itself — the
    feed's, and every join carries it on — because it runs as a Core statement on the
    session's connection (the ORM's per-statement work, the automatic tenant criteria
    included, cost ~1 ms of the request); row-level security filters it again."""
    feed_row = aliased(CalendarFeed, name="feed")
    mentor = aliased(Member, name="mentor")
    mentee = aliased(Member, name="mentee")
    return (
        select(
            feed_row.member_id,
            Pair.id,
            Pair.state,
            mentor.id,
            mentor.display_name,
            mentor.email,
            mentee.id,
            mentee.display_name,
            mentee.email,
            Meeting.id,
            Meeting.starts_at,
            Meeting.minutes,
            Meeting.held_minutes,
            Meeting.mode,
            Meeting.place,
            Meeting.link,
            Meeting.sequence,
            Meeting.state,
            Meeting.proposed_by,
            func.coalesce(Meeting.updated_at, Meeting.created_at),
        )
        .select_from(feed_row)
        .outerjoin(
            Pair,
            and_(
                Pair.tenant_id == feed_row.tenant_id,
                or_(Pair.mentor_id == feed_row.member_id, Pair.mentee_id == feed_row.member_id),
            ),
        )
        .outerjoin(mentor, and_(mentor.tenant_id == Pair.tenant_id, mentor.id == Pair.mentor_id))
        .outerjoin(mentee, and_(mentee.tenant_id == Pair.tenant_id, mentee.id == Pair.mentee_id))
        .outerjoin(
            Meeting,
            and_(
                Meeting.tenant_id == Pair.tenant_id,
                Meeting.pair_id == Pair.id,
                or_(
                    Meeting.state == "held",
                    and_(Meeting.state == "scheduled", Pair.state.in_(LIVE_STATES)),
                ),
            ),
        )
        .where(
            feed_row.tenant_id == bindparam("tenant_id", type_=UUID(as_uuid=True)),
            feed_row.token_hash == bindparam("token_hash", type_=String),
            feed_row.revoked_at.is_(None),
        )
    )


async def feed_for_token(
    session: AsyncSession, tenant: Tenant, token: str, *, now: datetime | None = None
) -> FeedBody | None:
    """The feed for a live secret; None for any other (unknown, revoked, malformed).

    One statement reads everything (:func:`_feed_statement`). The entity tag is a digest
    of every value the text is made of — the tenant's name, slug and zone, the pairs'
    addresses, each meeting's fields, its people and when it was last changed — so any
    change to any of them gives another tag; the text is then made only when this process
    has not made it for that tag lately (see `pairs.ics` for why the text depends on
    nothing else: DTSTAMP is the meeting's last change, not the time of the request)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    connection = await session.connection()
    params = {"tenant_id": tenant.id, "token_hash": token_hash(token)}
    rows = (await connection.execute(_feed_statement(), params)).all()
    if not rows:
        return None
    zone = tenant_zone(tenant.jurisdiction)
    name = f"Mentoring meetings — {tenant.name}"
    links: dict[uuid.UUID, str] = {}
    meetings: list[ics.CalendarMeeting] = []
    for row in rows:
        (_, pair_id, _, _, mentor_name, mentor_email, mentee_id, mentee_name) = row[:8]
        (mentee_email, m_id, starts_at, minutes, held_minutes, mode, place, link) = row[8:16]
        (sequence, state, by, revised_at) = row[16:]
        if m_id is None:
            continue
        page = links.get(pair_id)
        if page is None:
            page = links[pair_id] = f"{pair_link(tenant, pair_id)}/meetings"
        mentor = ics.Person(mentor_name, mentor_email)
        mentee = ics.Person(mentee_name, mentee_email)
        organizer = mentee if by == mentee_id else mentor
        meetings.append(
            ics.CalendarMeeting(
                id=m_id,
                starts_at=starts_at,
                minutes=held_minutes if state == "held" and held_minutes else minutes,
                mode=mode,
                place=place,
                link=link,
                sequence=sequence,
                state=state,
                organizer=organizer,
                attendees=(mentor, mentee),
                summary=f"Mentoring: {mentor_name} and {mentee_name}",
                page_url=page,
                revised_at=revised_at,
            )
        )
    meetings.sort(key=lambda m: (m.starts_at, str(m.id)))
    stamp = now or datetime.now(UTC)
    digest = hashlib.blake2b(_FORMAT, digest_size=16)
    digest.update(repr((tenant.slug, name, zone.key, meetings)).encode("utf-8"))
    etag = f'"{digest.hexdigest()}"'
    text = _BODIES.get(etag)
    if text is None:
        text = ics.feed(meetings, name=name, zone=zone, tenant_slug=tenant.slug, stamp=stamp)
        _BODIES[etag] = text
        if len(_BODIES) > _BODIES_MAX:
            _BODIES.popitem(last=False)
    else:
        _BODIES.move_to_end(etag)
    return FeedBody(etag=etag, text=text)
