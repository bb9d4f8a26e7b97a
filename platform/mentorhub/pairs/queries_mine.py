"""A member's pairs for "My mentoring" (pairs/views/mine.py): `pairs.queries.pairs_of_member`
and, for each pair, what the page adds — the other person (name, and their e-mail address
where the scheme shares contact details within a pair), the relationship's start and
official end recomputed by the timeline engine from the pair's stored scheme version (see
`pairs.models`), and the scheme's duration in words.

A member reads only the pairs they are in (the query filters on them); nobody else's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.identity.models import Member
from mentorhub.pairs.models import Pair
from mentorhub.pairs.queries import PairRow, pairs_of_member
from mentorhub.pairs.services import facts_of
from mentorhub.schemes.describe import describe
from mentorhub.schemes.errors import FactsError
from mentorhub.schemes.rules import Scheme
from mentorhub.schemes.timeline import relationship_span

__all__ = ["MyPair", "my_pairs"]


@dataclass(frozen=True)
class MyPair:
    row: PairRow
    #: "mentor" or "mentee": the viewer's part.
    my_role: str
    other_name: str
    #: The other person's e-mail address, only where the scheme shares contact details.
    other_email: str | None
    starts_on: date | None
    ends_on: date | None
    #: The scheme's duration, in sentences.
    duration: tuple[str, ...]


async def my_pairs(session: AsyncSession, member_id: uuid.UUID | str) -> list[MyPair]:
    """The member's pairs (as mentor or mentee), live ones first, with what the page shows."""
    rows = await pairs_of_member(session, member_id)
    if not rows:
        return []
    ids = [r.id for r in rows]
    pairs = {
        p.id: p for p in (await session.execute(select(Pair).where(Pair.id.in_(ids)))).scalars()
    }
    cohorts = {
        c.id: c
        for c in (
            await session.execute(select(Cohort).where(Cohort.id.in_({r.cohort_id for r in rows})))
        ).scalars()
    }
    others = {r.mentee_id if r.viewer_role == "mentor" else r.mentor_id for r in rows}
    emails = {
        i: e
        for i, e in await session.execute(
            select(Member.id, Member.email).where(Member.id.in_(others))
        )
    }
    schemes: dict[int, Scheme] = {}
    out: list[MyPair] = []
    for row in rows:
        pair = pairs[row.id]
        if pair.scheme_version not in schemes:
            schemes[pair.scheme_version] = await scheme_of(session, pair.scheme_version)
        scheme = schemes[pair.scheme_version]
        try:
            span = relationship_span(scheme, facts_of(pair, cohorts[row.cohort_id], scheme))
            starts_on, ends_on = span.start, span.end
        except FactsError:
            starts_on, ends_on = pair.matched_on, None
        is_mentor = row.viewer_role == "mentor"
        other = row.mentee_id if is_mentor else row.mentor_id
        shared = "contact_details" in scheme.relationship.shared_space
        duration = next((s.sentences for s in describe(scheme) if s.key == "duration"), ())
        out.append(
            MyPair(
                row=row,
                my_role=row.viewer_role,
                other_name=row.mentee_name if is_mentor else row.mentor_name,
                other_email=emails.get(other) if shared and row.live else None,
                starts_on=starts_on,
                ends_on=ends_on,
                duration=duration,
            )
        )
    return out
