"""Readers of the coordinator's matching runs (for the pages): a cohort's runs side by side,
and one run with names — its pairs and why, the unmatched and why, the mentors left without
a mentee, the pins and forbids — and whether the applicants changed since it was computed.

Staff only (coordinator, tenant admin): anyone else gets "No such cohort." / "No such
matching run.", the same answer as for one that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Cohort
from mentorhub.core.problems import Problems
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.matching.models import MatchingRun
from mentorhub.matching.services import build_input

__all__ = [
    "RunPair",
    "RunSummary",
    "RunView",
    "Unmatched",
    "run_view",
    "runs_of_cohort",
]

STAFF = frozenset({Role.COORDINATOR, Role.TENANT_ADMIN})


@dataclass(frozen=True)
class RunSummary:
    id: uuid.UUID
    number: int
    state: str
    created_at: datetime
    pairs_count: int
    unmatched_count: int
    total_score: float
    compute_ms: int
    pins: int
    forbids: int
    published_at: datetime | None
    note: str


@dataclass(frozen=True)
class RunPair:
    mentee_application: str
    mentor_application: str
    mentee_name: str
    mentor_name: str
    score: float
    pinned: bool
    #: Each criterion's words ("2 shared: Confidence, …"), for the pair's explanation.
    why: list[str]


@dataclass(frozen=True)
class Unmatched:
    application: str
    role: str
    name: str
    reason: str
    told: bool


@dataclass(frozen=True)
class RunView:
    summary: RunSummary
    cohort: str
    pairs: list[RunPair]
    unmatched: list[Unmatched]
    #: (name, free places) of mentors the run gives no mentee.
    mentors_without_mentee: list[tuple[str, int]]
    pins: list[tuple[str, str]]
    forbids: list[tuple[str, str]]
    #: False when the applicants changed since the run was computed (publishing would be
    #: refused); None when not checked.
    current: bool | None


async def _staff(session: AsyncSession, viewer_id: uuid.UUID | str, what: str) -> Member:
    viewer = await get_in_tenant(session, Member, viewer_id, what=what)
    if not STAFF & set(viewer.roles):
        raise NotFound(what)
    return viewer


def _summary(run: MatchingRun) -> RunSummary:
    return RunSummary(
        id=run.id,
        number=run.number,
        state=run.state,
        created_at=run.created_at,
        pairs_count=run.pairs_count,
        unmatched_count=run.unmatched_count,
        total_score=run.total_score,
        compute_ms=run.compute_ms,
        pins=len(run.pins),
        forbids=len(run.forbids),
        published_at=run.published_at,
        note=run.note,
    )


async def runs_of_cohort(
    session: AsyncSession, viewer_id: uuid.UUID | str, cohort_id: uuid.UUID | str
) -> list[RunSummary]:
    """The cohort's runs, newest first (drafts kept to compare; at most one published)."""
    await _staff(session, viewer_id, "cohort")
    cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
    rows = await session.execute(
        select(MatchingRun)
        .where(MatchingRun.cohort_id == cohort.id)
        .order_by(MatchingRun.number.desc())
    )
    return [_summary(r) for r in rows.scalars()]


async def _names_by_application(session: AsyncSession, run: MatchingRun) -> dict[str, str]:
    member_of: dict[str, str] = {}
    for role in ("mentees", "mentors"):
        for app_id, facts in run.inputs.get(role, {}).items():
            member_of[app_id] = str(facts[0])
    ids = {uuid.UUID(m) for m in member_of.values()}
    names = {
        str(i): n
        for i, n in await session.execute(
            select(Member.id, Member.display_name).where(Member.id.in_(ids))
        )
    }
    return {a: names.get(m, "a former member") for a, m in member_of.items()}


def _why(explanation: list[dict[str, Any]]) -> list[str]:
    return [
        f"{c.get('criterion', '')}: {c.get('detail', '')}" for c in explanation if c.get("detail")
    ]


async def run_view(
    session: AsyncSession,
    viewer_id: uuid.UUID | str,
    run_id: uuid.UUID | str,
    *,
    check_current: bool = False,
) -> RunView:
    """One run with names. `check_current`: also read the cohort's applicants now and say
    whether the run could still be published (the fingerprint check publishing makes)."""
    await _staff(session, viewer_id, "matching run")
    run = await get_in_tenant(session, MatchingRun, run_id, what="matching run")
    cohort = await get_in_tenant(session, Cohort, run.cohort_id, what="cohort")
    names = await _names_by_application(session, run)

    def name(app_id: str) -> str:
        return names.get(app_id, "someone no longer in the cohort")

    result = run.result
    pairs = [
        RunPair(
            mentee_application=p["mentee"],
            mentor_application=p["mentor"],
            mentee_name=name(p["mentee"]),
            mentor_name=name(p["mentor"]),
            score=float(p["score"]),
            pinned=bool(p.get("pinned")),
            why=_why(p.get("explanation", [])),
        )
        for p in result.get("pairs", [])
    ]
    pairs.sort(key=lambda p: (p.mentor_name, p.mentee_name))
    unmatched = sorted(
        (
            Unmatched(
                application=u["application"],
                role=u["role"],
                name=name(u["application"]),
                reason=u["reason"],
                told=bool(u.get("tell")),
            )
            for u in result.get("unmatched", [])
        ),
        key=lambda u: (u.role, u.name),
    )
    idle = sorted(
        (name(m["mentor"]), int(m["free"])) for m in result.get("mentors_without_mentee", [])
    )
    current: bool | None = None
    if check_current and run.state == "draft":
        try:
            now = await build_input(
                session, cohort, pins=run.pins, forbids=run.forbids, engine_input=False
            )
            current = now.fingerprint == run.fingerprint
        except Problems:
            current = False
    return RunView(
        summary=_summary(run),
        cohort=cohort.name,
        pairs=pairs,
        unmatched=unmatched,
        mentors_without_mentee=idle,
        pins=[(name(p["mentee"]), name(p["mentor"])) for p in run.pins],
        forbids=[(name(p["mentee"]), name(p["mentor"])) for p in run.forbids],
        current=current,
    )
