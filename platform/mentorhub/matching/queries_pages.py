"""Readers the suggest-and-accept and mutual-acceptance pages need besides the flows' own
queries (`suggest_flow`, `mutual_flow`): the cohorts whose scheme uses a flow, a cohort's
accepted mentees with where each stands (for the coordinator proposing matches), and one
request as one of its asked mentors sees it (a mail's link to a request that has since
passed on or been answered still opens, saying so).

Who may read what is checked here, not only by the pages' guards: the cohort readers are for
staff (anyone else gets "No such cohort."), a request is found only by a mentor among its
choices (anyone else, the mentee included, gets "No such request.")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Application, Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.matching.models import MatchProposal, MatchRequest
from mentorhub.pairs import rules
from mentorhub.pairs.models import Pair

__all__ = [
    "CohortRow",
    "MenteeRow",
    "MentorsRequest",
    "cohort_for_staff",
    "cohort_mentees",
    "cohorts_with_flow",
    "proposal_cohort",
    "request_for_mentor",
]

STAFF = frozenset({Role.COORDINATOR, Role.TENANT_ADMIN})


async def _staff(session: AsyncSession, viewer_id: uuid.UUID | str) -> Member:
    viewer = await get_in_tenant(session, Member, viewer_id, what="cohort")
    if not STAFF & set(viewer.roles):
        raise NotFound("cohort")
    return viewer


@dataclass(frozen=True)
class CohortRow:
    id: uuid.UUID
    name: str
    starts_on: date
    mentees: int
    mentors: int
    open_proposals: int
    pairs: int


async def cohorts_with_flow(
    session: AsyncSession, viewer_id: uuid.UUID | str, flow: str
) -> list[CohortRow]:
    """The cohorts whose scheme version matches by `flow`, newest first, with counts."""
    await _staff(session, viewer_id)
    cohorts = list(
        (await session.execute(select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id)))
        .scalars()
        .all()
    )
    wanted = [
        c for c in cohorts if (await scheme_of(session, c.scheme_version)).matching.flow == flow
    ]
    if not wanted:
        return []
    ids = [c.id for c in wanted]
    apps = {
        (cohort, role): n
        for cohort, role, n in await session.execute(
            select(Application.cohort_id, Application.role, func.count())
            .where(Application.cohort_id.in_(ids), Application.state == "accepted")
            .group_by(Application.cohort_id, Application.role)
        )
    }
    proposals = dict(
        (
            await session.execute(
                select(MatchProposal.cohort_id, func.count())
                .where(MatchProposal.cohort_id.in_(ids), MatchProposal.state == "proposed")
                .group_by(MatchProposal.cohort_id)
            )
        ).all()
    )
    pairs = dict(
        (
            await session.execute(
                select(Pair.cohort_id, func.count())
                .where(Pair.cohort_id.in_(ids), Pair.state.in_(rules.LIVE))
                .group_by(Pair.cohort_id)
            )
        ).all()
    )
    return [
        CohortRow(
            id=c.id,
            name=c.name,
            starts_on=c.starts_on,
            mentees=int(apps.get((c.id, "mentee"), 0)),
            mentors=int(apps.get((c.id, "mentor"), 0)),
            open_proposals=int(proposals.get(c.id, 0)),
            pairs=int(pairs.get(c.id, 0)),
        )
        for c in wanted
    ]


async def cohort_for_staff(
    session: AsyncSession, viewer_id: uuid.UUID | str, cohort_id: uuid.UUID | str, flow: str
) -> Cohort:
    """The cohort, for staff, when its scheme matches by `flow`; else "No such cohort."."""
    await _staff(session, viewer_id)
    cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
    if (await scheme_of(session, cohort.scheme_version)).matching.flow != flow:
        raise NotFound("cohort")
    return cohort


async def proposal_cohort(
    session: AsyncSession, viewer_id: uuid.UUID | str, proposal_id: uuid.UUID | str
) -> uuid.UUID:
    """The cohort of a proposal, for staff; else "No such proposal."."""
    viewer = await get_in_tenant(session, Member, viewer_id, what="proposal")
    if not STAFF & set(viewer.roles):
        raise NotFound("proposal")
    try:
        key = uuid.UUID(str(proposal_id))
    except ValueError:
        raise NotFound("proposal") from None
    found = await session.scalar(select(MatchProposal.cohort_id).where(MatchProposal.id == key))
    if found is None:
        raise NotFound("proposal")
    return uuid.UUID(str(found))


@dataclass(frozen=True)
class MenteeRow:
    application_id: uuid.UUID
    member_id: uuid.UUID
    name: str
    #: "matched" (a live pair), "proposed" (an open proposal) or "waiting".
    status: str
    #: The mentor of the live pair or of the open proposal ("" when waiting).
    with_name: str
    #: Proposals to this mentee that were declined (each goes back to the coordinator).
    declined: int


async def cohort_mentees(
    session: AsyncSession, viewer_id: uuid.UUID | str, cohort_id: uuid.UUID | str, flow: str
) -> list[MenteeRow]:
    """The cohort's accepted mentees, those waiting for a match first, then by name."""
    cohort = await cohort_for_staff(session, viewer_id, cohort_id, flow)
    rows = (
        await session.execute(
            select(Application.id, Application.member_id, Member.display_name)
            .join(Member, Member.id == Application.member_id)
            .where(
                Application.cohort_id == cohort.id,
                Application.role == "mentee",
                Application.state == "accepted",
            )
            .order_by(Member.display_name, Application.id)
        )
    ).all()
    members = [m for _, m, _ in rows]
    mentor = select(Member.display_name).where(Member.id == Pair.mentor_id).scalar_subquery()
    paired = {
        mentee: name
        for mentee, name in await session.execute(
            select(Pair.mentee_id, mentor).where(
                Pair.cohort_id == cohort.id,
                Pair.state.in_(rules.LIVE),
                Pair.mentee_id.in_(members),
            )
        )
    }
    proposed_to = (
        select(Member.display_name).where(Member.id == MatchProposal.mentor_id).scalar_subquery()
    )
    proposed = {
        mentee: name
        for mentee, name in await session.execute(
            select(MatchProposal.mentee_id, proposed_to).where(
                MatchProposal.cohort_id == cohort.id,
                MatchProposal.state == "proposed",
                MatchProposal.mentee_id.in_(members),
            )
        )
    }
    declined = dict(
        (
            await session.execute(
                select(MatchProposal.mentee_id, func.count())
                .where(
                    and_(
                        MatchProposal.cohort_id == cohort.id,
                        MatchProposal.state == "declined",
                        MatchProposal.mentee_id.in_(members),
                    )
                )
                .group_by(MatchProposal.mentee_id)
            )
        ).all()
    )
    out = []
    for app_id, member_id, name in rows:
        if member_id in paired:
            status, other = "matched", paired[member_id]
        elif member_id in proposed:
            status, other = "proposed", proposed[member_id]
        else:
            status, other = "waiting", ""
        out.append(
            MenteeRow(app_id, member_id, name, status, other, int(declined.get(member_id, 0)))
        )
    order = {"waiting": 0, "proposed": 1, "matched": 2}
    out.sort(key=lambda r: order[r.status])
    return out


@dataclass(frozen=True)
class MentorsRequest:
    id: uuid.UUID
    mentee_name: str
    cohort_name: str
    #: Whether it waits for this mentor's answer now.
    waiting: bool
    #: Where it stands for this mentor, in words (when not waiting).
    words: str
    expires_at: datetime


async def request_for_mentor(
    session: AsyncSession, mentor_id: uuid.UUID | str, request_id: uuid.UUID | str
) -> MentorsRequest:
    """One request, for the mentor it asks now or one it asked before; anyone else (a
    later choice not asked yet included): "No such request."."""
    me = await get_in_tenant(session, Member, mentor_id, what="request")
    try:
        key = uuid.UUID(str(request_id))
    except ValueError:
        raise NotFound("request") from None
    found = (
        await session.execute(
            select(MatchRequest, Member.display_name, Cohort.name)
            .join(Member, Member.id == MatchRequest.mentee_id)
            .join(Cohort, Cohort.id == MatchRequest.cohort_id)
            .where(MatchRequest.id == key)
        )
    ).first()
    if found is None:
        raise NotFound("request")
    req, mentee, cohort = found
    mine = [o for o in req.outcomes or () if str(o.get("mentor")) == str(me.id)]
    if me.id != req.mentor_id and not mine:  # (a later choice not asked yet never knows)
        raise NotFound("request")
    waiting = req.state == "open" and req.mentor_id == me.id
    if waiting:
        words = ""
    elif req.state == "accepted" and req.mentor_id == me.id:
        words = "You accepted this request: you are now paired."
    elif mine:
        words = {
            "declined": "You declined this request.",
            "expired": "This request expired before you answered; it passed to the mentee's "
            "next choice.",
            "unavailable": "You were unavailable, so the request passed to the mentee's next "
            "choice.",
            "full": "You had no free place left, so the request passed to the mentee's next "
            "choice.",
            "skipped": "The request skipped you: you were full or away when it came to you.",
        }.get(str(mine[-1].get("outcome")), "This request is no longer waiting for you.")
    elif req.state == "withdrawn":
        words = "The mentee withdrew this request."
    else:
        words = "This request is no longer waiting for your answer."
    return MentorsRequest(req.id, mentee, cohort, waiting, words, req.expires_at)
