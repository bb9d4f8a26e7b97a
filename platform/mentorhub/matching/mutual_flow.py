"""Mutual acceptance (Arts Marketing Association, `[scheme.matching] flow =
"mutual_acceptance"`): the coordinator, helped by the engine (the scheme's hard rules — a
five-year career gap, a short travelling distance — and its scores), proposes a mentor for a
mentee; both are mailed and asked; the pair starts (through
:func:`mentorhub.pairs.services.create_pair`) only when both accept; either declining sends
it back to the coordinator with the reason.

Actions (one tenant transaction each, audited, mail through messages.services.send):
:func:`propose`, :func:`answer_proposal`, :func:`withdraw_proposal`. Queries for the pages:
:func:`candidates` (engine-ranked mentors for a mentee), :func:`proposals_for_cohort`
(the coordinator's list), :func:`proposals_for_member` (what waits for a member's answer).

Re-matching after a failed pair: :func:`mentorhub.pairs.services.reopen_for_rematch` ends
the pair and frees the mentee's application; :func:`candidates` then offers the mentee
again, without the mentor of the failed pair or anyone who declined them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Application, Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import TEXT, BadText, clean_text
from mentorhub.db import Database
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.matching.models import MatchProposal
from mentorhub.matching.scoring import Contribution, score_pair
from mentorhub.matching.services import CohortInput, build_input
from mentorhub.matching.suggest import suggest
from mentorhub.matching.suggest_flow import plain_why
from mentorhub.messages.delivery import base_url
from mentorhub.messages.services import send
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import NewPair, create_pair
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant

__all__ = [
    "Candidate",
    "ProposalView",
    "Refused",
    "answer_proposal",
    "candidates",
    "proposals_for_cohort",
    "proposals_for_member",
    "propose",
    "withdraw_proposal",
]

FLOW = "mutual_acceptance"
STAFF = frozenset({Role.COORDINATOR, Role.TENANT_ADMIN})
TEXT_MAX = 2000
DEFAULT_CANDIDATES = 10


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _clean(value: str, label: str, path: str, *, required: bool) -> str:
    try:
        text = clean_text(value or "", label=label, kind=TEXT, max_length=TEXT_MAX)
    except BadText as exc:
        raise Problems([Problem(path=path, message=str(exc))]) from None
    if required and not text:
        raise Problems([Problem(path=path, message=f"{label} — write a few words")])
    return text


async def _tenant(session: AsyncSession) -> Tenant:
    return (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()


def _link(tenant: Tenant, tail: str) -> str:
    return f"{base_url(get_settings(), tenant)}/matching/{tail}"


async def _staff(session: AsyncSession, actor_id: uuid.UUID | str) -> Member:
    actor = await get_in_tenant(session, Member, actor_id, what="cohort")
    if not STAFF & set(actor.roles):
        raise NotFound("cohort")
    return actor


async def _mutual_cohort(session: AsyncSession, cohort_id: uuid.UUID | str) -> Cohort:
    cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
    scheme = await scheme_of(session, cohort.scheme_version)
    if scheme.matching.flow != FLOW:
        raise Refused("In this scheme the coordinator does not propose matches one by one.")
    return cohort


async def _ruled_out(
    session: AsyncSession, cohort_id: uuid.UUID, mentee_id: uuid.UUID
) -> dict[uuid.UUID, str]:
    """Mentors not to propose again to this mentee: who declined (or was declined by) them,
    and the mentor of a pair that failed (ended early or removed)."""
    out: dict[uuid.UUID, str] = {}
    for mentor_id, mentor_answer, mentee_answer in await session.execute(
        select(
            MatchProposal.mentor_id, MatchProposal.mentor_answer, MatchProposal.mentee_answer
        ).where(
            MatchProposal.cohort_id == cohort_id,
            MatchProposal.mentee_id == mentee_id,
            MatchProposal.state == "declined",
        )
    ):
        if mentor_answer == "declined":
            out[mentor_id] = "declined this mentee"
        elif mentee_answer == "declined":
            out[mentor_id] = "the mentee declined this mentor"
    for (mentor_id,) in await session.execute(
        select(Pair.mentor_id).where(
            Pair.cohort_id == cohort_id,
            Pair.mentee_id == mentee_id,
            Pair.state == "ended",
            Pair.end_kind.in_(("ended_early", "removed")),
        )
    ):
        out.setdefault(mentor_id, "their earlier pair did not work out")
    return out


async def _open_counts(session: AsyncSession, cohort_id: uuid.UUID) -> dict[str, int]:
    """Open proposals per mentor application: each holds one of the mentor's places."""
    counts: dict[str, int] = {}
    for (app_id,) in await session.execute(
        select(MatchProposal.mentor_application_id).where(
            MatchProposal.cohort_id == cohort_id, MatchProposal.state == "proposed"
        )
    ):
        if app_id is not None:
            counts[str(app_id)] = counts.get(str(app_id), 0) + 1
    return counts


# --- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    mentor_id: uuid.UUID
    mentor_application_id: uuid.UUID
    name: str
    score: float
    why: list[str]
    explanation: list[dict[str, Any]]
    #: Free places left (capacity less live pairs and open proposals).
    free: int


@dataclass(frozen=True)
class Candidates:
    mentee_id: uuid.UUID
    mentee_application_id: uuid.UUID
    mentee_name: str
    candidates: list[Candidate]
    #: Why the list is short or empty, in words ("" otherwise).
    note: str


async def candidates(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    mentee_application_id: uuid.UUID | str,
    *,
    limit: int = DEFAULT_CANDIDATES,
) -> Candidates:
    """The engine's best mentors for one mentee (hard rules met, free places left after
    open proposals, none who declined them or whose pair with them failed), best first,
    with the explanation in plain words."""
    async with db.tenant(tenant_id, read_only=True) as session:
        await _staff(session, actor_id)
        cohort = await _mutual_cohort(session, cohort_id)
        ci = await build_input(session, cohort)
        mentee_app = await _mentee_app(session, cohort, mentee_application_id)
        aid = str(mentee_app.id)
        mentee_name = ci.name(aid)
        if not ci.instance.has_mentee(aid):
            why = ci.left_out.get(aid) or "already matched"
            return Candidates(
                mentee_app.member_id, mentee_app.id, mentee_name, [], f"Not matchable now: {why}."
            )
        ruled_out = await _ruled_out(session, cohort.id, mentee_app.member_id)
        held = await _open_counts(session, cohort.id)
        wanted = limit + len(ruled_out) + len(held)
        out: list[Candidate] = []
        for s in suggest(ci.instance, aid, top=wanted):
            member = uuid.UUID(ci.people[s.mentor][0])
            mentor = ci.instance.mentors[ci.instance.mentor_index(s.mentor)]
            free = mentor.free - held.get(s.mentor, 0)
            if member in ruled_out or free <= 0 or member == mentee_app.member_id:
                continue
            out.append(
                Candidate(
                    mentor_id=member,
                    mentor_application_id=uuid.UUID(s.mentor),
                    name=ci.name(s.mentor),
                    score=s.score,
                    why=plain_why(ci.instance.criteria, s.why.contributions),
                    explanation=[c.to_dict() for c in s.why.contributions],
                    free=free,
                )
            )
            if len(out) >= limit:
                break
        note = "" if out else "No mentor meets the scheme's rules with a free place."
        return Candidates(mentee_app.member_id, mentee_app.id, mentee_name, out, note)


@dataclass(frozen=True)
class ProposalView:
    id: uuid.UUID
    cohort_id: uuid.UUID
    mentor_id: uuid.UUID
    mentor_name: str
    mentee_id: uuid.UUID
    mentee_name: str
    state: str
    mentor_answer: str | None
    mentor_reason: str | None
    mentee_answer: str | None
    mentee_reason: str | None
    score: float | None
    explanation: list[dict[str, Any]]
    note: str
    created_at: datetime | None
    lock_version: int
    #: The viewer's part ("mentor", "mentee" or "coordinator").
    viewer: str = "coordinator"


def _view(p: MatchProposal, names: dict[uuid.UUID, str], viewer: str) -> ProposalView:
    staff = viewer == "coordinator"
    return ProposalView(
        id=p.id,
        cohort_id=p.cohort_id,
        mentor_id=p.mentor_id,
        mentor_name=names.get(p.mentor_id, "a former member"),
        mentee_id=p.mentee_id,
        mentee_name=names.get(p.mentee_id, "a former member"),
        state=p.state,
        mentor_answer=p.mentor_answer,
        # A decline's reason is for the coordinator; each person sees their own.
        mentor_reason=p.mentor_reason if staff or viewer == "mentor" else None,
        mentee_answer=p.mentee_answer,
        mentee_reason=p.mentee_reason if staff or viewer == "mentee" else None,
        score=p.score,
        explanation=list(p.explanation or ()) if staff else [],
        note=p.note,
        created_at=p.created_at,
        lock_version=p.lock_version,
        viewer=viewer,
    )


async def _names(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {
        i: n
        for i, n in await session.execute(
            select(Member.id, Member.display_name).where(Member.id.in_(wanted))
        )
    }


async def proposals_for_cohort(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    *,
    states: Iterable[str] | None = None,
) -> list[ProposalView]:
    """The coordinator's list: every proposal of the cohort (or those in `states`), open
    ones first, with both answers and any decline's reason."""
    async with db.tenant(tenant_id, read_only=True) as session:
        await _staff(session, actor_id)
        cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
        query = select(MatchProposal).where(MatchProposal.cohort_id == cohort.id)
        if states is not None:
            query = query.where(MatchProposal.state.in_(list(states)))
        found = list((await session.execute(query)).scalars())
        found.sort(key=lambda p: (p.state != "proposed", -_when(p).timestamp()))
        names = await _names(session, [p.mentor_id for p in found] + [p.mentee_id for p in found])
        return [_view(p, names, "coordinator") for p in found]


def _when(p: MatchProposal) -> datetime:
    return p.decided_at or p.created_at or datetime.min.replace(tzinfo=UTC)


async def proposals_for_member(
    db: Database, tenant_id: uuid.UUID, member_id: uuid.UUID | str, *, open_only: bool = True
) -> list[ProposalView]:
    """Proposals addressed to the member (as mentor or mentee): open ones by default."""
    async with db.tenant(tenant_id, read_only=True) as session:
        me = await get_in_tenant(session, Member, member_id, what="member")
        query = select(MatchProposal).where(
            (MatchProposal.mentor_id == me.id) | (MatchProposal.mentee_id == me.id)
        )
        if open_only:
            query = query.where(MatchProposal.state == "proposed")
        found = list((await session.execute(query.order_by(MatchProposal.id))).scalars())
        names = await _names(session, [p.mentor_id for p in found] + [p.mentee_id for p in found])
        return [_view(p, names, "mentor" if p.mentor_id == me.id else "mentee") for p in found]


# --- actions ---------------------------------------------------------------------------------


async def _mentee_app(
    session: AsyncSession, cohort: Cohort, application_id: uuid.UUID | str
) -> Application:
    app = await get_in_tenant(session, Application, application_id, what="application")
    if app.cohort_id != cohort.id or app.role != "mentee" or app.state != "accepted":
        raise Problems(
            [Problem(path="mentee", message="Choose a mentee accepted into this cohort")]
        )
    return app


async def _mentor_app(
    session: AsyncSession, cohort: Cohort, application_id: uuid.UUID | str
) -> Application:
    try:
        app = await get_in_tenant(session, Application, application_id, what="application")
    except NotFound:
        app = None
    if app is None or app.cohort_id != cohort.id or app.role != "mentor" or app.state != "accepted":
        raise Problems(
            [Problem(path="mentor", message="Choose a mentor accepted into this cohort")]
        )
    return app


def _engine_check(ci: CohortInput, mentee_app: str, mentor_app: str) -> tuple[float, list[Any]]:
    """The pair's score and explanation, or Problems naming the rule it breaks."""
    if not ci.instance.has_mentee(mentee_app):
        why = ci.left_out.get(mentee_app) or "already matched"
        raise Problems([Problem(path="mentee", message=f"{ci.name(mentee_app)}: {why}")])
    if not ci.instance.has_mentor(mentor_app):
        why = ci.left_out.get(mentor_app) or "not matchable now"
        raise Problems([Problem(path="mentor", message=f"{ci.name(mentor_app)}: {why}")])
    scored = score_pair(ci.instance, mentee_app, mentor_app)
    if not scored.eligible:
        raise Problems(
            [
                Problem(
                    path="mentor",
                    message=f"{ci.name(mentor_app)} cannot mentor {ci.name(mentee_app)}: "
                    f"{ci.words(scored.excluded_by or 'a rule of the scheme')}",
                )
            ]
        )
    return scored.score, [c.to_dict() for c in scored.contributions]


async def propose(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    mentee_application_id: uuid.UUID | str,
    mentor_application_id: uuid.UUID | str,
    *,
    note: str = "",
    now: datetime | None = None,
) -> MatchProposal:
    """The coordinator proposes a mentor for a mentee; both are mailed and asked. Refused
    with nothing written: a pair the scheme's hard rules exclude, a mentor with no free
    place (open proposals hold places), one who declined this mentee, a mentee already
    matched or with an open proposal."""
    now = _now(now)
    text = _clean(note, "Note", "note", required=False)
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        cohort = await _mutual_cohort(session, cohort_id)
        mentee_app = await _mentee_app(session, cohort, mentee_application_id)
        mentor_app = await _mentor_app(session, cohort, mentor_application_id)
        # One proposal at a time per mentee: the second of two coordinators waits here.
        await session.execute(
            select(Application.id).where(Application.id == mentee_app.id).with_for_update()
        )
        open_one = await session.execute(
            select(MatchProposal.id).where(
                MatchProposal.mentee_id == mentee_app.member_id,
                MatchProposal.state == "proposed",
            )
        )
        if open_one.first() is not None:
            raise Refused("This mentee already has an open proposal; withdraw it first.")
        ci = await build_input(session, cohort)
        score, explanation = _engine_check(ci, str(mentee_app.id), str(mentor_app.id))
        ruled_out = await _ruled_out(session, cohort.id, mentee_app.member_id)
        if mentor_app.member_id in ruled_out:
            raise Problems(
                [
                    Problem(
                        path="mentor",
                        message=f"{ci.name(str(mentor_app.id))}: {ruled_out[mentor_app.member_id]}",
                    )
                ]
            )
        mentor = ci.instance.mentors[ci.instance.mentor_index(str(mentor_app.id))]
        held = (await _open_counts(session, cohort.id)).get(str(mentor_app.id), 0)
        if mentor.free - held <= 0:
            raise Problems(
                [
                    Problem(
                        path="mentor",
                        message=f"{ci.name(str(mentor_app.id))} has no free place left "
                        "(open proposals included)",
                    )
                ]
            )
        proposal = MatchProposal(
            tenant_id=current_tenant(session),
            id=uuid.uuid4(),
            cohort_id=cohort.id,
            mentor_id=mentor_app.member_id,
            mentee_id=mentee_app.member_id,
            mentor_application_id=mentor_app.id,
            mentee_application_id=mentee_app.id,
            proposed_by=actor.id,
            score=score,
            explanation=explanation,
            note=text,
            state="proposed",
            lock_version=0,
        )
        session.add(proposal)
        await session.flush()
        audit.record(
            session,
            "proposal_made",
            actor=actor.email,
            subject=str(proposal.id),
            details={
                "mentor": str(proposal.mentor_id),
                "mentee": str(proposal.mentee_id),
                "score": score,
            },
        )
        tenant = await _tenant(session)
        members = {
            m.id: m
            for m in (
                await session.execute(
                    select(Member).where(Member.id.in_((proposal.mentor_id, proposal.mentee_id)))
                )
            ).scalars()
        }
        for role, me, other in (
            ("mentor", proposal.mentor_id, proposal.mentee_id),
            ("mentee", proposal.mentee_id, proposal.mentor_id),
        ):
            context: dict[str, Any] = {
                "role": role,
                "other_name": members[other].display_name,
                "cohort": cohort.name,
                "link": _link(tenant, f"proposals/{proposal.id}"),
            }
            if text:
                context["note"] = text
            await send(
                session,
                tenant,
                "proposal_made",
                context,
                f"proposal:{proposal.id}:made:{role}",
                to_member=members[me],
            )
        return proposal


async def _locked(session: AsyncSession, proposal_id: uuid.UUID | str) -> MatchProposal:
    try:
        key = uuid.UUID(str(proposal_id))
    except ValueError:
        raise NotFound("proposal") from None
    found = (
        await session.execute(
            select(MatchProposal)
            .where(MatchProposal.id == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("proposal")
    return found


async def answer_proposal(
    db: Database,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID | str,
    proposal_id: uuid.UUID | str,
    answer: Literal["accepted", "declined"] | str,
    *,
    reason: str = "",
    lock_version: int | None = None,
    now: datetime | None = None,
) -> MatchProposal:
    """The mentor or the mentee answers. Both accepted: the pair starts (create_pair, in
    this transaction; a mentor who filled up meanwhile is refused, nothing changed). One
    declines (a reason is required): the proposal goes back to the coordinator who made it,
    with the reason, and the other person is told it will not go ahead. A proposal not
    addressed to the member is not found; a second answer is refused."""
    now = _now(now)
    if answer not in ("accepted", "declined"):
        raise Problems([Problem(path="answer", message="Choose accept or decline")])
    text = _clean(reason, "Your reason", "reason", required=answer == "declined")
    async with db.tenant(tenant_id) as session:
        me = await get_in_tenant(session, Member, member_id, what="proposal")
        p = await _locked(session, proposal_id)
        if me.id == p.mentor_id:
            role = "mentor"
        elif me.id == p.mentee_id:
            role = "mentee"
        else:
            raise NotFound("proposal")
        if lock_version is not None and lock_version != p.lock_version:
            raise Refused(
                "This proposal changed since the page was shown. Nothing was changed: look at "
                "it again."
            )
        if p.state != "proposed":
            raise Refused(
                {
                    "accepted": "This match has already started.",
                    "declined": "This proposal was declined; it is back with the coordinator.",
                    "withdrawn": "The coordinator withdrew this proposal.",
                }.get(p.state, "This proposal is closed.")
            )
        if getattr(p, f"{role}_answer") is not None:
            raise Refused("You have already answered this proposal.")
        setattr(p, f"{role}_answer", answer)
        setattr(p, f"{role}_reason", text or None)
        setattr(p, f"{role}_answered_at", now)
        p.lock_version += 1
        audit.record(
            session,
            f"proposal_{answer}",
            actor=me.email,
            subject=str(p.id),
            details={"role": role, "reason": text or None},
        )
        if answer == "declined":
            await _declined(session, p, role, text, now)
        elif p.mentor_answer == "accepted" and p.mentee_answer == "accepted":
            p.state = "accepted"
            p.decided_at = now
            await session.flush()
            cohort = await get_in_tenant(session, Cohort, p.cohort_id, what="cohort")
            scheme = await scheme_of(session, cohort.scheme_version)
            contributions = [
                Contribution(
                    str(c.get("criterion")),
                    str(c.get("kind")),
                    float(c.get("points") or 0.0),
                    str(c.get("detail")),
                )
                for c in p.explanation or ()
            ]
            await create_pair(
                session,
                NewPair(
                    cohort_id=p.cohort_id,
                    mentor_id=p.mentor_id,
                    mentee_id=p.mentee_id,
                    flow=FLOW,
                    mentor_application_id=p.mentor_application_id,
                    mentee_application_id=p.mentee_application_id,
                    score=p.score,
                    explanation=list(p.explanation or ()),
                    proposal_id=p.id,
                    why=" ".join(plain_why(scheme.matching.criteria, contributions)),
                ),
                actor_id=me.id,
                actor=me.email,
                now=now,
            )
        await session.flush()
        return p


async def _declined(
    session: AsyncSession, p: MatchProposal, role: str, reason: str, now: datetime
) -> None:
    p.state = "declined"
    p.decided_at = now
    await session.flush()
    tenant = await _tenant(session)
    cohort = await get_in_tenant(session, Cohort, p.cohort_id, what="cohort")
    members = {
        m.id: m
        for m in (
            await session.execute(
                select(Member).where(
                    Member.id.in_([i for i in (p.mentor_id, p.mentee_id, p.proposed_by) if i])
                )
            )
        ).scalars()
    }
    mentor, mentee = members[p.mentor_id], members[p.mentee_id]
    decliner = mentor if role == "mentor" else mentee
    coordinators = [members[p.proposed_by]] if p.proposed_by in members else []
    if not coordinators or not STAFF & set(coordinators[0].roles):
        coordinators = list(
            (
                await session.execute(
                    select(Member).where(Member.roles.contains([Role.COORDINATOR.value]))
                )
            ).scalars()
        )
    for coordinator in coordinators:
        await send(
            session,
            tenant,
            "proposal_declined",
            {
                "mentor_name": mentor.display_name,
                "mentee_name": mentee.display_name,
                "declined_by": f"{decliner.display_name} (the {role})",
                "reason": reason,
                "cohort": cohort.name,
                "link": _link(tenant, f"cohorts/{cohort.id}/proposals"),
            },
            f"proposal:{p.id}:declined:{coordinator.id}",
            to_member=coordinator,
        )
    other_role = "mentee" if role == "mentor" else "mentor"
    other = mentee if role == "mentor" else mentor
    await send(
        session,
        tenant,
        "proposal_cancelled",
        {
            "role": other_role,
            "other_name": decliner.display_name,
            "cohort": cohort.name,
            "link": _link(tenant, "proposals"),
        },
        f"proposal:{p.id}:cancelled:{other_role}",
        to_member=other,
    )


async def withdraw_proposal(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    proposal_id: uuid.UUID | str,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> MatchProposal:
    """The coordinator withdraws an open proposal (both are told it will not go ahead)."""
    now = _now(now)
    text = _clean(reason, "Reason", "reason", required=False)
    async with db.tenant(tenant_id) as session:
        actor = await _staff(session, actor_id)
        p = await _locked(session, proposal_id)
        if p.state != "proposed":
            raise Refused("Only an open proposal can be withdrawn.")
        p.state = "withdrawn"
        p.decided_at = now
        p.lock_version += 1
        audit.record(
            session,
            "proposal_withdrawn",
            actor=actor.email,
            subject=str(p.id),
            details={"reason": text or None},
        )
        await session.flush()
        tenant = await _tenant(session)
        cohort = await get_in_tenant(session, Cohort, p.cohort_id, what="cohort")
        names = await _names(session, (p.mentor_id, p.mentee_id))
        for role, me, other in (
            ("mentor", p.mentor_id, p.mentee_id),
            ("mentee", p.mentee_id, p.mentor_id),
        ):
            member = await get_in_tenant(session, Member, me, what="member")
            await send(
                session,
                tenant,
                "proposal_cancelled",
                {
                    "role": role,
                    "other_name": names.get(other, "the other person"),
                    "cohort": cohort.name,
                    "link": _link(tenant, "proposals"),
                },
                f"proposal:{p.id}:withdrawn:{role}",
                to_member=member,
            )
        return p
