"""Readers of pairs (for the pages): a member's own pairs (both roles), a cohort's pairs for
the coordinator. Who may read what: a member reads the pairs they are in; the coordinator and
the tenant admin read a cohort's — checked here, not only by the pages' guards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mentorhub.applications.models import Cohort
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.pairs.models import Pair

__all__ = ["PairRow", "pairs_of_cohort", "pairs_of_member"]

STAFF = frozenset({Role.COORDINATOR, Role.TENANT_ADMIN})


@dataclass(frozen=True)
class PairRow:
    id: uuid.UUID
    cohort_id: uuid.UUID
    cohort: str
    mentor_id: uuid.UUID
    mentor_name: str
    mentee_id: uuid.UUID
    mentee_name: str
    matched_on: date
    flow: str
    state: str
    end_kind: str | None
    score: float | None
    explanation: list[dict[str, Any]]
    extended_until: date | None
    lock_version: int
    #: The viewer's part: "mentor", "mentee" or "coordinator".
    viewer_role: str

    @property
    def live(self) -> bool:
        return self.state != "ended"


def _query() -> Select[Pair, str, str, str]:
    mentor, mentee = aliased(Member), aliased(Member)
    return (
        select(Pair, Cohort.name, mentor.display_name, mentee.display_name)
        .join(Cohort, (Cohort.tenant_id == Pair.tenant_id) & (Cohort.id == Pair.cohort_id))
        .join(mentor, (mentor.tenant_id == Pair.tenant_id) & (mentor.id == Pair.mentor_id))
        .join(mentee, (mentee.tenant_id == Pair.tenant_id) & (mentee.id == Pair.mentee_id))
    )


def _row(pair: Pair, cohort: str, mentor: str, mentee: str, viewer_role: str) -> PairRow:
    return PairRow(
        id=pair.id,
        cohort_id=pair.cohort_id,
        cohort=cohort,
        mentor_id=pair.mentor_id,
        mentor_name=mentor,
        mentee_id=pair.mentee_id,
        mentee_name=mentee,
        matched_on=pair.matched_on,
        flow=pair.flow,
        state=pair.state,
        end_kind=pair.end_kind,
        score=pair.score,
        explanation=list(pair.explanation),
        extended_until=pair.extended_until,
        lock_version=pair.lock_version,
        viewer_role=viewer_role,
    )


async def pairs_of_member(session: AsyncSession, member_id: uuid.UUID | str) -> list[PairRow]:
    """The member's pairs, as mentor or mentee: live ones first, newest first."""
    me = uuid.UUID(str(member_id))
    rows = await session.execute(
        _query()
        .where((Pair.mentor_id == me) | (Pair.mentee_id == me))
        .order_by((Pair.state == "ended").asc(), Pair.matched_on.desc(), Pair.id)
    )
    return [_row(p, c, a, b, "mentor" if p.mentor_id == me else "mentee") for p, c, a, b in rows]


async def pairs_of_cohort(
    session: AsyncSession,
    viewer_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    *,
    live_only: bool = False,
) -> list[PairRow]:
    """A cohort's pairs for its coordinator (or the tenant admin), by mentor then mentee.
    Anyone else gets "No such cohort.", the same as for a cohort that does not exist."""
    viewer = await get_in_tenant(session, Member, viewer_id, what="cohort")
    if not STAFF & set(viewer.roles):
        raise NotFound("cohort")
    cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
    mentor, mentee = aliased(Member), aliased(Member)
    query = (
        select(Pair, Cohort.name, mentor.display_name, mentee.display_name)
        .join(Cohort, (Cohort.tenant_id == Pair.tenant_id) & (Cohort.id == Pair.cohort_id))
        .join(mentor, (mentor.tenant_id == Pair.tenant_id) & (mentor.id == Pair.mentor_id))
        .join(mentee, (mentee.tenant_id == Pair.tenant_id) & (mentee.id == Pair.mentee_id))
        .where(Pair.cohort_id == cohort.id)
        .order_by(mentor.display_name, mentee.display_name, Pair.id)
    )
    if live_only:
        query = query.where(Pair.state != "ended")
    rows = await session.execute(query)
    return [_row(p, c, a, b, "coordinator") for p, c, a, b in rows]


async def pair_for(
    session: AsyncSession, viewer_id: uuid.UUID | str, pair_id: uuid.UUID | str
) -> PairRow:
    """One pair, for one of its two people or staff; anyone else: "No such pair."."""
    viewer = await get_in_tenant(session, Member, viewer_id, what="pair")
    try:
        key = uuid.UUID(str(pair_id))
    except ValueError:
        raise NotFound("pair") from None
    found = (await session.execute(_query().where(Pair.id == key))).first()
    if found is None:
        raise NotFound("pair")
    p, c, a, b = found
    if STAFF & set(viewer.roles):
        role = "coordinator"
    elif viewer.id == p.mentor_id:
        role = "mentor"
    elif viewer.id == p.mentee_id:
        role = "mentee"
    else:
        raise NotFound("pair")
    return _row(p, c, a, b, role)
