"""What the clock's mails and tasks share: the pair's people, dates in words, links."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.identity.models import Member
from mentorhub.pairs.services.lifecycle import pair_link
from mentorhub.tenancy.models import Tenant

__all__ = ["ACTOR", "day_words", "item_link", "members_by_id"]

#: Who the clock's audit rows and closed tasks name.
ACTOR = "system:clock"


def day_words(d: date) -> str:
    """ "Monday 4 January 2027"."""
    return f"{d:%A} {d.day} {d:%B %Y}"


def item_link(tenant: Tenant, pair_id: uuid.UUID, item_id: uuid.UUID) -> str:
    """The absolute address of an item's page (`/t/<slug>/pairs/<pair>/checkpoints/<item>`)."""
    return f"{pair_link(tenant, pair_id)}/checkpoints/{item_id}"


async def members_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Member]:
    """The session's tenant's members among `ids`, in one statement."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Member).where(Member.id.in_(wanted)))
    return {m.id: m for m in rows.scalars()}
