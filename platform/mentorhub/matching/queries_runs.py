"""Readers for the coordinator's matching pages (matching/views/runs*.py) that
`run_queries` does not give: the cohorts a coordinator matches, one cohort's accepted
applicants counted, the people a run can pin or forbid (application and member ids with
names), two runs compared with names, the cohort's conflicts of interest.

Staff only (coordinator, tenant admin): anyone else gets "No such cohort." / "No such
matching run.", the same answer as for one that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Application, Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.matching.criteria import Criterion
from mentorhub.matching.models import ConflictOfInterest, MatchingRun
from mentorhub.matching.services import compare_runs

__all__ = [
    "CohortOverview",
    "Comparison",
    "Person",
    "RunPeople",
    "cohort_overview",
    "compare",
    "conflicts_of",
    "matching_cohorts",
    "run_people",
]

STAFF = frozenset({Role.COORDINATOR, Role.TENANT_ADMIN})


@dataclass(frozen=True)
class CohortOverview:
    id: uuid.UUID
    name: str
    starts_on: date
    ends_on: date
    #: The scheme's matching flow (coordinator, suggest_and_accept, mutual_acceptance).
    flow: str
    mentees: int
    mentors: int
    runs: int
    #: The published run's (id, number), if one is.
    published: tuple[uuid.UUID, int] | None
    #: The scheme's matching criteria (for the engine's words in plain words).
    criteria: tuple[Criterion, ...] = ()


@dataclass(frozen=True)
class Person:
    application: str
    member: str
    name: str


@dataclass(frozen=True)
class RunPeople:
    run_id: uuid.UUID
    cohort_id: uuid.UUID
    number: int
    state: str
    mentees: list[Person]
    mentors: list[Person]
    pins: list[dict[str, str]]
    forbids: list[dict[str, str]]


@dataclass(frozen=True)
class Comparison:
    a: int
    b: int
    a_id: uuid.UUID
    b_id: uuid.UUID
    #: (mentee name, mentor name) pairs only in run a / only in run b.
    only_in_a: list[tuple[str, str]]
    only_in_b: list[tuple[str, str]]
    common: int
    pairs: tuple[int, int]
    total_score: tuple[float, float]
    unmatched: tuple[int, int]


async def _staff(session: AsyncSession, viewer_id: uuid.UUID | str, what: str) -> Member:
    viewer = await get_in_tenant(session, Member, viewer_id, what=what)
    if not STAFF & set(viewer.roles):
        raise NotFound(what)
    return viewer


async def _overview(session: AsyncSession, cohort: Cohort) -> CohortOverview:
    scheme = await scheme_of(session, cohort.scheme_version)
    counts = dict(
        (
            await session.execute(
                select(Application.role, func.count())
                .where(Application.cohort_id == cohort.id, Application.state == "accepted")
                .group_by(Application.role)
            )
        ).all()
    )
    runs = (
        await session.execute(
            select(MatchingRun.id, MatchingRun.number, MatchingRun.state).where(
                MatchingRun.cohort_id == cohort.id
            )
        )
    ).all()
    published = next(((i, n) for i, n, s in runs if s == "published"), None)
    return CohortOverview(
        id=cohort.id,
        name=cohort.name,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        flow=str(scheme.matching.flow),
        mentees=int(counts.get("mentee", 0)),
        mentors=int(counts.get("mentor", 0)),
        runs=len(runs),
        published=published,
        criteria=tuple(scheme.matching.criteria),
    )


async def matching_cohorts(
    session: AsyncSession, viewer_id: uuid.UUID | str
) -> list[CohortOverview]:
    """The tenant's cohorts, newest first, with their accepted applicants counted."""
    await _staff(session, viewer_id, "cohort")
    cohorts = (await session.execute(select(Cohort).order_by(Cohort.starts_on.desc()))).scalars()
    return [await _overview(session, c) for c in list(cohorts)]


async def cohort_overview(
    session: AsyncSession, viewer_id: uuid.UUID | str, cohort_id: uuid.UUID | str
) -> CohortOverview:
    await _staff(session, viewer_id, "cohort")
    cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
    return await _overview(session, cohort)


async def _names(session: AsyncSession, member_ids: set[str]) -> dict[str, str]:
    ids = {uuid.UUID(m) for m in member_ids}
    rows = await session.execute(select(Member.id, Member.display_name).where(Member.id.in_(ids)))
    return {str(i): n for i, n in rows}


def _people(inputs: dict[str, Any], role: str, names: dict[str, str]) -> list[Person]:
    found = [
        Person(application=a, member=str(facts[0]), name=names.get(str(facts[0]), "a member"))
        for a, facts in inputs.get(role, {}).items()
    ]
    return sorted(found, key=lambda p: (p.name, p.application))


async def run_people(
    session: AsyncSession, viewer_id: uuid.UUID | str, run_id: uuid.UUID | str
) -> RunPeople:
    """Who the run was computed over (for the pin, forbid and conflict forms)."""
    await _staff(session, viewer_id, "matching run")
    run = await get_in_tenant(session, MatchingRun, run_id, what="matching run")
    members = {
        str(f[0]) for role in ("mentees", "mentors") for f in run.inputs.get(role, {}).values()
    }
    names = await _names(session, members)
    return RunPeople(
        run_id=run.id,
        cohort_id=run.cohort_id,
        number=run.number,
        state=run.state,
        mentees=_people(run.inputs, "mentees", names),
        mentors=_people(run.inputs, "mentors", names),
        pins=[dict(p) for p in run.pins],
        forbids=[dict(p) for p in run.forbids],
    )


async def compare(
    session: AsyncSession,
    viewer_id: uuid.UUID | str,
    cohort_id: uuid.UUID | str,
    a_id: uuid.UUID | str,
    b_id: uuid.UUID | str,
) -> Comparison:
    """Two runs of the cohort side by side: totals, and the pairs only one of them makes."""
    await _staff(session, viewer_id, "matching run")
    cohort = await get_in_tenant(session, Cohort, cohort_id, what="cohort")
    a = await get_in_tenant(session, MatchingRun, a_id, what="matching run")
    b = await get_in_tenant(session, MatchingRun, b_id, what="matching run")
    if a.cohort_id != cohort.id or b.cohort_id != cohort.id:
        raise NotFound("matching run")
    members = {
        str(f[0])
        for run in (a, b)
        for role in ("mentees", "mentors")
        for f in run.inputs.get(role, {}).values()
    }
    names = await _names(session, members)
    by_app = {
        app: names.get(str(f[0]), "a member")
        for run in (a, b)
        for role in ("mentees", "mentors")
        for app, f in run.inputs.get(role, {}).items()
    }
    got = compare_runs(a, b)

    def named(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return sorted((by_app.get(t, "a mentee"), by_app.get(r, "a mentor")) for t, r in pairs)

    return Comparison(
        a=a.number,
        b=b.number,
        a_id=a.id,
        b_id=b.id,
        only_in_a=named(got.only_in_a),
        only_in_b=named(got.only_in_b),
        common=got.common,
        pairs=got.pairs,
        total_score=got.total_score,
        unmatched=(a.unmatched_count, b.unmatched_count),
    )


async def conflicts_of(
    session: AsyncSession, viewer_id: uuid.UUID | str, member_ids: set[str]
) -> list[tuple[str, str, str]]:
    """Conflicts of interest among these members: (mentee name, mentor name, source)."""
    await _staff(session, viewer_id, "matching run")
    ids = {uuid.UUID(m) for m in member_ids}
    rows = (
        await session.execute(
            select(ConflictOfInterest).where(
                ConflictOfInterest.mentee_id.in_(ids), ConflictOfInterest.mentor_id.in_(ids)
            )
        )
    ).scalars()
    found = list(rows)
    names = await _names(
        session, {str(c.mentee_id) for c in found} | {str(c.mentor_id) for c in found}
    )
    return sorted(
        (names.get(str(c.mentee_id), "a member"), names.get(str(c.mentor_id), "a member"), c.source)
        for c in found
    )
