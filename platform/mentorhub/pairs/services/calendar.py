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
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.queue import tenant_zone
from mentorhub.core import audit
from mentorhub.db import Database
from mentorhub.db.access import get_in_tenant
from mentorhub.identity.models import Member
from mentorhub.pairs import ics
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services.meetings import calendar_meeting
from mentorhub.pairs.space_models import CalendarFeed, Meeting
from mentorhub.tenancy.models import Tenant

__all__ = ["FeedState", "create_feed", "feed_for_token", "feed_state", "revoke_feed", "token_hash"]

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


async def feed_for_token(
    session: AsyncSession, tenant: Tenant, token: str, *, now: datetime | None = None
) -> str | None:
    """The feed's iCalendar text for a live secret; None for any other (unknown, revoked,
    malformed)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    member_id = (
        await session.execute(
            select(CalendarFeed.member_id).where(
                CalendarFeed.token_hash == token_hash(token), CalendarFeed.revoked_at.is_(None)
            )
        )
    ).scalar_one_or_none()
    if member_id is None:
        return None
    pairs = list(
        (
            await session.execute(
                select(Pair).where(or_(Pair.mentor_id == member_id, Pair.mentee_id == member_id))
            )
        ).scalars()
    )
    people_ids = {p.mentor_id for p in pairs} | {p.mentee_id for p in pairs} | {member_id}
    people = {
        m.id: m
        for m in (await session.execute(select(Member).where(Member.id.in_(people_ids)))).scalars()
    }
    by_pair = {p.id: p for p in pairs}
    rows: list[Meeting] = []
    if by_pair:
        rows = list(
            (
                await session.execute(
                    select(Meeting)
                    .where(
                        Meeting.pair_id.in_(list(by_pair)),
                        Meeting.state.in_(("scheduled", "held")),
                    )
                    .order_by(Meeting.starts_at, Meeting.id)
                )
            ).scalars()
        )
    meetings = []
    for m in rows:
        pair = by_pair[m.pair_id]
        if m.state == "scheduled" and not pair.live:
            continue
        meetings.append(
            calendar_meeting(tenant, m, people[pair.mentor_id], people[pair.mentee_id], None)
        )
    return ics.feed(
        meetings,
        name=f"Mentoring meetings — {tenant.name}",
        zone=tenant_zone(tenant.jurisdiction),
        tenant_slug=tenant.slug,
        stamp=now or datetime.now(UTC),
    )
