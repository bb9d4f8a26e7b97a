"""Suggest and accept (AHEP, `[scheme.matching] flow = "suggest_and_accept"`): a mentee with
an accepted application sees their top N mentors with the engine's reasons, ranks up to
three and writes why; the mentor is asked, accepts (the pair starts, through
:func:`mentorhub.pairs.services.create_pair`) or declines with a reason; on a decline, an
expiry or the mentor marking themselves unavailable the request passes to the next choice by
itself, and when the choices run out the mentee is told and picks again from a fresh top N.

Actions (each one tenant transaction, audited, its mail through messages.services.send):
:func:`choose`, :func:`accept_request`, :func:`decline_request`, :func:`withdraw_request`,
:func:`set_unavailable`, :func:`set_available`, and :func:`sweep_requests` (expiries and
the one reminder per ask; the clock's task runs it, `mentorhub.matching.tasks`).
Queries for the pages: :func:`suggestions_for`, :func:`request_status`,
:func:`incoming_requests`, :func:`availability_of`.

Suggestions are never a mentor at capacity (live pairs against the capacity row, or the
application's declared capacity), marked unavailable, who declined this mentee (or let their
request lapse), with a conflict of interest, the mentee themself, or excluded by a hard
criterion (the engine's `eligible`).

Speed (10,000 mentors in PostgreSQL): the cohort's *static* side — every accepted mentor's
and mentee's matching fields parsed into the engine's Instance and its vectorised
:class:`~mentorhub.matching.vector.ScoreTable` (mentor arrays, vocabularies) — is cached
in-process per (tenant, cohort) (:class:`MentorTable`, at most `CACHE_SIZE` cohorts). What
changes often is read fresh on every page, in one statement returning only *exclusions* as
one text value: mentors full or unavailable (the capacity rows joined with the live pairs'
counts), this mentee's declined/lapsed mentors, their conflicts. So a page is three round
trips: the mentee's application with their pair and open request, the exclusions, the three
suggested mentors' names and profiles.

Invalidation: the cohort's *stamp* — one aggregate over the cohort's accepted applications
(count, sum of lock versions, sum of id hashes, latest update) plus the cohort's scheme
version — is compared with the cached table's, and the table rebuilt when they differ. An
application accepted, withdrawn or edited (the applications area bumps `lock_version` on
every change) or a new scheme version changes the stamp, so every process (web workers, the
worker) sees the change without any message between them. The stamp is checked at most
every `STAMP_TTL` (2) seconds per process for a page; a choice (:func:`choose`) always
checks it, so a mentee never sends a request against applicants that changed; a mentee not
in the cached table forces a check. Capacities, availability, pairs and declines are never
cached, so they can't go stale.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Text, and_, cast, func, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Application, Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import TEXT, BadText, clean_text
from mentorhub.db import Database
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member
from mentorhub.matching.criteria import Criterion, InputError
from mentorhub.matching.input import Instance, parse_instance
from mentorhub.matching.models import (
    MAX_CHOICES,
    UNAVAILABLE_REASONS,
    ConflictOfInterest,
    MatchRequest,
    MentorCapacity,
)
from mentorhub.matching.scoring import Contribution, score_people
from mentorhub.matching.suggest import top_k
from mentorhub.matching.vector import ScoreTable
from mentorhub.messages.delivery import base_url
from mentorhub.messages.services import send
from mentorhub.pairs import rules
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import (
    CapacityFull,
    NewPair,
    capacity_for,
    create_pair,
    lock_capacities,
)
from mentorhub.schemes import forms
from mentorhub.schemes.rules import Scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant

__all__ = [
    "DEFAULT_RESPONSE_DAYS",
    "CapacityFull",
    "IncomingRequest",
    "MenteeSuggestions",
    "MentorTable",
    "Refused",
    "RequestView",
    "SuggestedMentor",
    "accept_request",
    "availability_of",
    "cache_stats",
    "choose",
    "decline_request",
    "forget_tables",
    "incoming_requests",
    "plain_why",
    "reminder_lead",
    "request_status",
    "response_time",
    "set_available",
    "set_unavailable",
    "suggestions_for",
    "sweep_requests",
    "withdraw_request",
]

FLOW = "suggest_and_accept"
DEFAULT_RESPONSE_DAYS = 7
DEFAULT_TOP_N = 3
REASONS_MAX = 2000
#: The reminder goes this long before the ask lapses (at most half the response time).
REMINDER_LEAD = timedelta(days=2)
#: Cohort tables kept per process (each ~ a few MB for 10,000 mentors).
CACHE_SIZE = 16

_OUTCOME_WORDS = {
    "declined": "declined your request",
    "expired": "did not answer in time",
    "unavailable": "is not available at the moment",
    "full": "has no free place left",
    "withdrawn": "withdrew",
}


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _day(d: datetime | date) -> str:
    return f"{d.day} {d:%B %Y}"


def response_time(scheme: Scheme) -> timedelta:
    """How long a mentor has to answer: the scheme's `response_days` where it sets one,
    else 7 days."""
    days = scheme.matching.response_days or DEFAULT_RESPONSE_DAYS
    return timedelta(days=int(days))


def reminder_lead(asked_at: datetime, expires_at: datetime) -> timedelta:
    """How long before the lapse the mentor is reminded: two days, or half the response
    time when that is shorter."""
    return min(REMINDER_LEAD, (expires_at - asked_at) / 2)


async def _tenant(session: AsyncSession) -> Tenant:
    return (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()


def _links(tenant: Tenant) -> str:
    return f"{base_url(get_settings(), tenant)}/matching"


def _clean(value: str, label: str, path: str, *, required: bool) -> str:
    try:
        text = clean_text(value or "", label=label, kind=TEXT, max_length=REASONS_MAX)
    except BadText as exc:
        raise Problems([Problem(path=path, message=str(exc))]) from None
    if required and not text:
        raise Problems([Problem(path=path, message=f"{label} — write a few words")])
    return text


# --- plain words for the engine's explanation -------------------------------------------------


def plain_why(criteria: Sequence[Criterion], contributions: Iterable[Contribution]) -> list[str]:
    """The engine's explanation in words a mentee reads: one sentence per criterion that
    counted for the pair, in the scheme's own description of the criterion."""
    by_name = {c.name: c for c in criteria}
    out: list[str] = []
    for part in contributions:
        crit = by_name.get(part.criterion)
        if crit is None or part.points <= 0:
            continue
        words = (crit.description or crit.label or crit.name.replace("_", " ")).rstrip(".")
        detail = part.detail
        if crit.kind in ("overlap", "availability") and ": " in detail:
            detail = "in common: " + detail.partition(": ")[2]
        out.append(f"{words} ({detail}).")
    return out or [
        "A suitable mentor by the scheme's rules, though nothing in particular stands out."
    ]


# --- the cached cohort table -------------------------------------------------------------------


@dataclass
class MentorTable:
    """One cohort's static matching side, built once per change of its applications."""

    stamp: tuple[Any, ...]
    scheme: Scheme
    instance: Instance
    table: ScoreTable
    #: Per mentor column: member id, application id, declared capacity.
    mentor_members: list[uuid.UUID]
    mentor_apps: list[uuid.UUID]
    declared: np.ndarray[Any, np.dtype[np.int64]]
    column_of: dict[uuid.UUID, int]
    #: The same by the id's text (the exclusions arrive as text).
    column_of_text: dict[str, int]
    #: Mentee member id → (application id, engine row).
    mentee_row: dict[uuid.UUID, tuple[uuid.UUID, int]]
    #: Applicants left out of the table (a criterion's answer missing), member id → reason.
    left_out: dict[uuid.UUID, str] = field(default_factory=dict)


_TABLES: OrderedDict[tuple[uuid.UUID, uuid.UUID], MentorTable] = OrderedDict()
#: When each cached table's stamp was last found current (time.monotonic()).
_CHECKED: dict[tuple[uuid.UUID, uuid.UUID], float] = {}
#: Seconds a table is used without checking its stamp again (0: check on every read).
STAMP_TTL = 2.0
_STATS = {"builds": 0, "hits": 0}


def cache_stats() -> dict[str, int]:
    """Builds and hits of the in-process cohort tables (tests and the benchmark read it)."""
    return dict(_STATS)


def forget_tables() -> None:
    """Drop every cached table (tests; a process that wants its memory back)."""
    _TABLES.clear()
    _CHECKED.clear()


async def _stamp(session: AsyncSession, cohort: Cohort) -> tuple[Any, ...]:
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Application.lock_version), 0),
                func.coalesce(func.sum(func.hashtext(cast(Application.id, Text))), 0),
                func.max(Application.updated_at),
            ).where(Application.cohort_id == cohort.id, Application.state == "accepted")
        )
    ).one()
    return (cohort.scheme_version, *row)


async def mentor_table(
    session: AsyncSession, cohort: Cohort, *, fresh: bool = False
) -> MentorTable:
    """The cohort's cached table, rebuilt when its stamp changed (see the module's note).
    The stamp is checked at most every `STAMP_TTL` seconds per process, or now (`fresh`)."""
    key = (current_tenant(session), cohort.id)
    cached = _TABLES.get(key)
    clock = time.monotonic()
    if (
        cached is not None
        and not fresh
        and cached.stamp[0] == cohort.scheme_version
        and clock - _CHECKED.get(key, -math.inf) < STAMP_TTL
    ):
        _TABLES.move_to_end(key)
        _STATS["hits"] += 1
        return cached
    stamp = await _stamp(session, cohort)
    if cached is not None and cached.stamp == stamp:
        _TABLES.move_to_end(key)
        _CHECKED[key] = clock
        _STATS["hits"] += 1
        return cached
    built = await _build(session, cohort, stamp)
    _TABLES[key] = built
    _CHECKED[key] = clock
    _TABLES.move_to_end(key)
    while len(_TABLES) > CACHE_SIZE:
        gone, _ = _TABLES.popitem(last=False)
        _CHECKED.pop(gone, None)
    _STATS["builds"] += 1
    return built


async def _build(session: AsyncSession, cohort: Cohort, stamp: tuple[Any, ...]) -> MentorTable:
    scheme = await scheme_of(session, cohort.scheme_version)
    rows = (
        await session.execute(
            select(Application.id, Application.member_id, Application.role, Application.answers)
            .where(Application.cohort_id == cohort.id, Application.state == "accepted")
            .order_by(Application.id)
        )
    ).all()
    needed = {c.field for c in scheme.matching.criteria}
    forms_by_role = {role: forms.form_for(scheme, role) for role in ("mentor", "mentee")}
    mentors: list[dict[str, Any]] = []
    mentees: list[dict[str, Any]] = []
    mentor_members: list[uuid.UUID] = []
    mentor_apps: list[uuid.UUID] = []
    declared: list[int] = []
    mentee_of: list[tuple[uuid.UUID, uuid.UUID]] = []
    left_out: dict[uuid.UUID, str] = {}
    for app_id, member_id, role, answers in rows:
        form = forms_by_role.get(role)
        values = forms.matching_fields(form, answers) if form is not None else {}
        missing = sorted(needed - set(values))
        if missing:
            labels = [
                q.label for q in (form.questions if form else ()) if q.feeds in missing
            ] or missing
            left_out[member_id] = "the application does not answer: " + "; ".join(labels)
            continue
        record = {"id": str(app_id), **{k: values[k] for k in needed}}
        if role == "mentor":
            mentors.append(record)
            mentor_members.append(member_id)
            mentor_apps.append(app_id)
            declared.append(capacity_for(scheme, answers)[0])
        elif role == "mentee":
            mentees.append(record)
            mentee_of.append((member_id, app_id))
    try:
        instance = parse_instance(
            {
                "criteria": [_builtin(c) for c in scheme.matching.criteria],
                "mentees": mentees,
                "mentors": mentors,
            }
        )
    except InputError as exc:
        raise Refused(
            "The cohort's matching answers cannot be read: " + "; ".join(exc.problems[:3])
        ) from None
    return MentorTable(
        stamp=stamp,
        scheme=scheme,
        instance=instance,
        table=ScoreTable(instance),
        mentor_members=mentor_members,
        mentor_apps=mentor_apps,
        declared=np.array(declared, dtype=np.int64),
        column_of={m: i for i, m in enumerate(mentor_members)},
        column_of_text={str(m): i for i, m in enumerate(mentor_members)},
        mentee_row={m: (a, i) for i, (m, a) in enumerate(mentee_of)},
        left_out=left_out,
    )


def _builtin(criterion: Criterion) -> dict[str, Any]:
    import msgspec

    return dict(msgspec.to_builtins(criterion))


# --- what rules a mentor out, read fresh -------------------------------------------------------


async def _blocked_mentors(
    session: AsyncSession, cohort_id: uuid.UUID, today: date, only: Sequence[uuid.UUID] = ()
) -> dict[uuid.UUID, str]:
    """Mentors of the cohort who are full or unavailable today, with the reason. A mentor
    with live pairs always has a capacity row (create_pairs makes it), so the rows and the
    live pairs' counts are all it takes."""
    live = (
        select(Pair.mentor_id, func.count().label("n"))
        .where(Pair.cohort_id == cohort_id, Pair.state.in_(rules.LIVE))
        .group_by(Pair.mentor_id)
        .subquery()
    )
    n = func.coalesce(live.c.n, 0)
    off = and_(
        MentorCapacity.unavailable,
        or_(MentorCapacity.unavailable_until.is_(None), MentorCapacity.unavailable_until >= today),
    )
    query = (
        select(MentorCapacity.mentor_id, off, MentorCapacity.unavailable_until)
        .outerjoin(live, live.c.mentor_id == MentorCapacity.mentor_id)
        .where(MentorCapacity.cohort_id == cohort_id, or_(off, n >= MentorCapacity.capacity))
    )
    if only:
        query = query.where(MentorCapacity.mentor_id.in_(list(only)))
    out: dict[uuid.UUID, str] = {}
    for mentor_id, unavailable, until in await session.execute(query):
        out[mentor_id] = (
            ("unavailable" + (f" until {_day(until)}" if until else ""))
            if unavailable
            else "has no free place"
        )
    return out


async def _ruled_out_for(
    session: AsyncSession, cohort_id: uuid.UUID, mentee_id: uuid.UUID
) -> set[uuid.UUID]:
    """Mentors who declined this mentee or let an ask lapse (this cohort), and conflicts."""
    out: set[uuid.UUID] = set()
    for declined_by, outcomes in await session.execute(
        select(MatchRequest.declined_by, MatchRequest.outcomes).where(
            MatchRequest.cohort_id == cohort_id, MatchRequest.mentee_id == mentee_id
        )
    ):
        out.update(declined_by or ())
        out.update(
            uuid.UUID(str(o["mentor"]))
            for o in outcomes or ()
            if o.get("outcome") in ("declined", "expired")
        )
    out.update(
        (
            await session.execute(
                select(ConflictOfInterest.mentor_id).where(
                    ConflictOfInterest.mentee_id == mentee_id
                )
            )
        ).scalars()
    )
    return out


#: One row, one text value: the excluded mentors' ids joined by commas (a thousand full
#: mentors as rows cost more to fetch and hash in Python than the rest of the page).
_EXCLUSIONS = sql_text(
    """
    SELECT string_agg(CAST(x.mentor_id AS text), ',') FROM (
    SELECT c.mentor_id
      FROM mentor_capacities c
      LEFT JOIN (SELECT mentor_id, count(*) AS n FROM pairs
                  WHERE tenant_id = :tenant AND cohort_id = :cohort
                    AND state = ANY(CAST(:live AS text[]))
                  GROUP BY mentor_id) p ON p.mentor_id = c.mentor_id
     WHERE c.tenant_id = :tenant AND c.cohort_id = :cohort
       AND ((c.unavailable AND (c.unavailable_until IS NULL OR c.unavailable_until >= :today))
            OR coalesce(p.n, 0) >= c.capacity)
    UNION ALL
    SELECT unnest(r.declined_by) FROM match_requests r
     WHERE r.tenant_id = :tenant AND r.cohort_id = :cohort AND r.mentee_id = :mentee
    UNION ALL
    SELECT CAST(o->>'mentor' AS uuid)
      FROM match_requests r, jsonb_array_elements(r.outcomes) o
     WHERE r.tenant_id = :tenant AND r.cohort_id = :cohort AND r.mentee_id = :mentee
       AND o->>'outcome' IN ('declined', 'expired')
    UNION ALL
    SELECT mentor_id FROM conflicts_of_interest
     WHERE tenant_id = :tenant AND mentee_id = :mentee
    ) x
    """
)


async def _exclusions(
    session: AsyncSession, cohort_id: uuid.UUID, mentee_id: uuid.UUID, today: date
) -> list[str]:
    """Every mentor not to suggest to this mentee now, in one round trip: full or
    unavailable (as :func:`_blocked_mentors`), declined or lapsed, conflicted (as
    :func:`_ruled_out_for`)."""
    joined = await session.scalar(
        _EXCLUSIONS,
        {
            "tenant": current_tenant(session),
            "cohort": cohort_id,
            "mentee": mentee_id,
            "today": today,
            "live": list(rules.LIVE),
        },
    )
    return joined.split(",") if joined else []


# --- queries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestedMentor:
    mentor_id: uuid.UUID
    application_id: uuid.UUID
    name: str
    score: float
    #: The engine's explanation in plain words (one sentence per criterion that counted).
    why: list[str]
    #: The engine's contributions as it gave them ([{"criterion", "kind", "points", "detail"}]).
    explanation: list[dict[str, Any]]
    #: What the scheme lets the mentee see besides the name (`mentee_sees`): (label, answer).
    shown: list[tuple[str, str]]


@dataclass(frozen=True)
class RequestView:
    id: uuid.UUID
    cohort_id: uuid.UUID
    state: str
    #: (mentor member id, name, where it stands: asking|declined|expired|skipped|waiting|…)
    choices: list[tuple[uuid.UUID, str, str]]
    mentor_id: uuid.UUID
    mentor_name: str
    reasons: str
    asked_at: datetime
    expires_at: datetime
    decline_reason: str | None
    lock_version: int


@dataclass(frozen=True)
class MenteeSuggestions:
    cohort_id: uuid.UUID | None
    cohort_name: str
    mentee_application_id: uuid.UUID | None
    suggestions: list[SuggestedMentor]
    open_request: RequestView | None
    #: The mentee may send a request now (no open request, not matched, a suggestion).
    may_choose: bool
    #: Why there is nothing to choose, in plain words ("" when there is).
    note: str
    max_choices: int = MAX_CHOICES


@dataclass(frozen=True)
class IncomingRequest:
    id: uuid.UUID
    mentee_id: uuid.UUID
    mentee_name: str
    cohort_name: str
    #: The mentee's reasons (empty where the scheme does not show them to the mentor).
    reasons: str
    #: The mentee's answers the form shows to the mentor: (label, answer).
    answers: list[tuple[str, str]]
    asked_at: datetime
    expires_at: datetime
    lock_version: int


def _answer_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _mentee_sees(scheme: Scheme, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    form = forms.form_for(scheme, "mentor")
    if form is None:
        return []
    out: list[tuple[str, str]] = []
    for phrase in scheme.matching.mentee_sees:
        key = phrase.strip().lower().replace(" ", "_")
        if key == "name":
            continue
        for q in form.questions:
            if q.id == key and q.id in answers:
                out.append((phrase[:1].upper() + phrase[1:], _answer_text(answers[q.id])))
    return out


def _shown_to_mentor(scheme: Scheme, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    form = forms.form_for(scheme, "mentee")
    if form is None:
        return []
    return [(q.label, _answer_text(v)) for q, v in forms.visible_answers(form, answers, "mentor")]


async def _mentee_application(
    session: AsyncSession, mentee_id: uuid.UUID, cohort_id: uuid.UUID | str | None
) -> tuple[Application, Cohort, Scheme] | None:
    """The mentee's accepted mentee application in a suggest-and-accept cohort (the given
    cohort, else the newest)."""
    query = (
        select(Application, Cohort)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(
            Application.member_id == mentee_id,
            Application.role == "mentee",
            Application.state == "accepted",
        )
        .order_by(Cohort.starts_on.desc(), Application.id)
    )
    if cohort_id is not None:
        try:
            query = query.where(Application.cohort_id == uuid.UUID(str(cohort_id)))
        except ValueError:
            raise NotFound("cohort") from None
    for app, cohort in (await session.execute(query)).all():
        scheme = await scheme_of(session, cohort.scheme_version)
        if scheme.matching.flow == FLOW:
            return app, cohort, scheme
    return None


@dataclass(frozen=True)
class _MenteeState:
    app: Application
    cohort: Cohort
    scheme: Scheme
    paired: bool
    open_request: uuid.UUID | None


async def _mentee_state(
    session: AsyncSession, mentee_id: uuid.UUID | str, cohort_id: uuid.UUID | str | None
) -> _MenteeState | None:
    """:func:`_mentee_application` with, in the same statement, whether the mentee has a
    live pair in the cohort and their open request (the suggestion page's one round trip)."""
    try:
        member = uuid.UUID(str(mentee_id))
    except ValueError:
        raise NotFound("member") from None
    paired = (
        select(Pair.id)
        .where(
            Pair.state.in_(rules.LIVE),
            Pair.mentee_id == Application.member_id,
            Pair.cohort_id == Application.cohort_id,
        )
        .exists()
    )
    open_request = (
        select(MatchRequest.id)
        .where(MatchRequest.mentee_id == Application.member_id, MatchRequest.state == "open")
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(Application, Cohort, paired, open_request)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(
            Application.member_id == member,
            Application.role == "mentee",
            Application.state == "accepted",
        )
        .order_by(Cohort.starts_on.desc(), Application.id)
    )
    if cohort_id is not None:
        try:
            query = query.where(Application.cohort_id == uuid.UUID(str(cohort_id)))
        except ValueError:
            raise NotFound("cohort") from None
    for app, cohort, is_paired, request_id in (await session.execute(query)).all():
        scheme = await scheme_of(session, cohort.scheme_version)
        if scheme.matching.flow == FLOW:
            return _MenteeState(app, cohort, scheme, bool(is_paired), request_id)
    return None


async def _has_live_pair(session: AsyncSession, app: Application) -> bool:
    found = await session.execute(
        select(Pair.id)
        .where(
            Pair.state.in_(rules.LIVE),
            or_(
                Pair.mentee_application_id == app.id,
                and_(Pair.mentee_id == app.member_id, Pair.cohort_id == app.cohort_id),
            ),
        )
        .limit(1)
    )
    return found.first() is not None


async def _open_request(session: AsyncSession, mentee_id: uuid.UUID) -> MatchRequest | None:
    return (
        await session.execute(
            select(MatchRequest).where(
                MatchRequest.mentee_id == mentee_id, MatchRequest.state == "open"
            )
        )
    ).scalar_one_or_none()


async def _names(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Member.id, Member.display_name).where(Member.id.in_(wanted))
    )
    return {i: n for i, n in rows}


async def _view(session: AsyncSession, req: MatchRequest) -> RequestView:
    names = await _names(session, req.choices)
    status: dict[uuid.UUID, str] = {}
    for o in req.outcomes or ():
        status[uuid.UUID(str(o["mentor"]))] = str(o["outcome"])
    choices = []
    for i, m in enumerate(req.choices):
        if i == req.choice_index and req.state in ("open", "accepted"):
            where = "asking" if req.state == "open" else "accepted"
        else:
            where = status.get(m, "waiting")
        choices.append((m, names.get(m, "a former member"), where))
    return RequestView(
        id=req.id,
        cohort_id=req.cohort_id,
        state=req.state,
        choices=choices,
        mentor_id=req.mentor_id,
        mentor_name=names.get(req.mentor_id, "a former member"),
        reasons=req.reasons,
        asked_at=req.asked_at,
        expires_at=req.expires_at,
        decline_reason=req.decline_reason,
        lock_version=req.lock_version,
    )


async def _suggest(
    session: AsyncSession,
    app: Application,
    cohort: Cohort,
    scheme: Scheme,
    today: date,
    *,
    fresh: bool = False,
) -> tuple[list[SuggestedMentor], str]:
    """The mentee's top N now, and why there are none (plain words) when so. `fresh`: check
    the cohort table's stamp now (a choice is checked against the applicants as they are)."""
    mt = await mentor_table(session, cohort, fresh=fresh)
    found = mt.mentee_row.get(app.member_id)
    if (found is None or found[0] != app.id) and not fresh:
        mt = await mentor_table(session, cohort, fresh=True)  # accepted since the last check?
        found = mt.mentee_row.get(app.member_id)
    if found is None or found[0] != app.id:
        why = mt.left_out.get(app.member_id, "your application is not ready for matching")
        return [], f"We cannot suggest mentors yet: {why}."
    row = found[1]
    top = scheme.matching.top_n or DEFAULT_TOP_N
    excluded = await _exclusions(session, cohort.id, app.member_id, today)
    excluded.append(str(app.member_id))
    scores, eligible = mt.table.block(np.array([row], dtype=np.int64))
    eligible[0] &= mt.declared > 0
    col_of = mt.column_of_text
    off = [col_of[m] for m in excluded if m in col_of]
    if off:
        eligible[0, off] = False
    cols, vals = top_k(scores, eligible, mt.table.rank, top)
    picked = [c for c in cols[0].tolist() if c >= 0]
    if not picked:
        return [], "No mentor is free for you at the moment; please look again later."
    info = {
        member_id: (name, answers)
        for member_id, name, answers in await session.execute(
            select(Member.id, Member.display_name, Application.answers)
            .join(Application, Application.member_id == Member.id)
            .where(
                Application.id.in_([mt.mentor_apps[c] for c in picked]),
            )
        )
    }
    mentee = mt.instance.mentees[row]
    out: list[SuggestedMentor] = []
    for col, val in zip(picked, vals[0].tolist(), strict=False):
        scored = score_people(mt.instance, mentee, mt.instance.mentors[col])
        name, answers = info.get(mt.mentor_members[col], ("a mentor", {}))
        out.append(
            SuggestedMentor(
                mentor_id=mt.mentor_members[col],
                application_id=mt.mentor_apps[col],
                name=name,
                score=float(val),
                why=plain_why(mt.instance.criteria, scored.contributions),
                explanation=[c.to_dict() for c in scored.contributions],
                shown=_mentee_sees(scheme, answers),
            )
        )
    return out, ""


async def suggestions_for(
    db: Database,
    tenant_id: uuid.UUID,
    mentee_id: uuid.UUID | str,
    *,
    cohort_id: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> MenteeSuggestions:
    """The mentee's suggestion page: their top N with plain-words reasons, their open
    request if any, and whether they may choose now (and if not, why)."""
    now = _now(now)
    async with db.tenant(tenant_id, read_only=True) as session:
        found = await _mentee_state(session, mentee_id, cohort_id)
        if found is None:
            return MenteeSuggestions(
                None,
                "",
                None,
                [],
                None,
                False,
                "You have no accepted mentee application in a scheme where you choose your mentor.",
            )
        app, cohort, scheme = found.app, found.cohort, found.scheme
        view = None
        if found.open_request is not None:
            open_req = await session.get(
                MatchRequest, {"tenant_id": tenant_id, "id": found.open_request}
            )
            view = await _view(session, open_req) if open_req is not None else None
        if found.paired:
            return MenteeSuggestions(
                cohort.id, cohort.name, app.id, [], view, False, "You already have a mentor."
            )
        if not await _may_choose_again(session, app, scheme):
            return MenteeSuggestions(
                cohort.id,
                cohort.name,
                app.id,
                [],
                view,
                False,
                "Your choices have been asked; the coordinator will be in touch.",
            )
        suggestions, note = await _suggest(session, app, cohort, scheme, now.date())
        if view is not None:
            note = (
                f"Your request is with {view.mentor_name}; you can choose again if it does "
                "not work out."
            )
        return MenteeSuggestions(
            cohort.id,
            cohort.name,
            app.id,
            suggestions,
            view,
            view is None and bool(suggestions),
            note,
        )


async def _may_choose_again(session: AsyncSession, app: Application, scheme: Scheme) -> bool:
    """A scheme without `rematch_on_decline` lets a mentee choose once."""
    if scheme.matching.rematch_on_decline:
        return True
    earlier = await session.execute(
        select(MatchRequest.id)
        .where(
            MatchRequest.mentee_application_id == app.id,
            MatchRequest.state.in_(("declined", "expired")),
        )
        .limit(1)
    )
    return earlier.first() is None


async def request_status(
    db: Database,
    tenant_id: uuid.UUID,
    mentee_id: uuid.UUID | str,
    *,
    cohort_id: uuid.UUID | str | None = None,
) -> RequestView | None:
    """The mentee's latest request (open or not), with where each choice stands."""
    async with db.tenant(tenant_id, read_only=True) as session:
        me = await get_in_tenant(session, Member, mentee_id, what="member")
        query = (
            select(MatchRequest)
            .where(MatchRequest.mentee_id == me.id)
            .order_by(MatchRequest.asked_at.desc(), MatchRequest.id)
            .limit(1)
        )
        if cohort_id is not None:
            try:
                query = query.where(MatchRequest.cohort_id == uuid.UUID(str(cohort_id)))
            except ValueError:
                raise NotFound("cohort") from None
        req = (await session.execute(query)).scalar_one_or_none()
        return await _view(session, req) if req is not None else None


async def incoming_requests(
    db: Database, tenant_id: uuid.UUID, mentor_id: uuid.UUID | str
) -> list[IncomingRequest]:
    """Requests waiting for this mentor's answer, oldest first, with the mentee's reasons
    (where the scheme shows them) and the answers their form shows to the mentor."""
    async with db.tenant(tenant_id, read_only=True) as session:
        me = await get_in_tenant(session, Member, mentor_id, what="member")
        rows = (
            await session.execute(
                select(MatchRequest, Member.display_name, Application.answers, Cohort)
                .join(Member, Member.id == MatchRequest.mentee_id)
                .join(Application, Application.id == MatchRequest.mentee_application_id)
                .join(Cohort, Cohort.id == MatchRequest.cohort_id)
                .where(MatchRequest.mentor_id == me.id, MatchRequest.state == "open")
                .order_by(MatchRequest.asked_at, MatchRequest.id)
            )
        ).all()
        out: list[IncomingRequest] = []
        for req, name, answers, cohort in rows:
            scheme = await scheme_of(session, cohort.scheme_version)
            out.append(
                IncomingRequest(
                    id=req.id,
                    mentee_id=req.mentee_id,
                    mentee_name=name,
                    cohort_name=cohort.name,
                    reasons=req.reasons if scheme.matching.mentor_sees_mentee_reasons else "",
                    answers=_shown_to_mentor(scheme, answers),
                    asked_at=req.asked_at,
                    expires_at=req.expires_at,
                    lock_version=req.lock_version,
                )
            )
        return out


@dataclass(frozen=True)
class Availability:
    cohort_id: uuid.UUID
    cohort_name: str
    capacity: int
    matched: int
    unavailable: bool
    unavailable_until: date | None
    unavailable_reason: str | None


async def availability_of(
    db: Database, tenant_id: uuid.UUID, mentor_id: uuid.UUID | str
) -> list[Availability]:
    """The mentor's places and availability in each cohort they mentor in."""
    async with db.tenant(tenant_id, read_only=True) as session:
        me = await get_in_tenant(session, Member, mentor_id, what="member")
        apps = await _mentor_applications(session, me.id, None)
        caps = {
            c.cohort_id: c
            for c in (
                await session.execute(
                    select(MentorCapacity).where(MentorCapacity.mentor_id == me.id)
                )
            ).scalars()
        }
        counts = dict(
            (
                await session.execute(
                    select(Pair.cohort_id, func.count())
                    .where(Pair.mentor_id == me.id, Pair.state.in_(rules.LIVE))
                    .group_by(Pair.cohort_id)
                )
            ).all()
        )
        out = []
        for app, cohort, scheme in apps:
            cap = caps.get(cohort.id)
            places = cap.capacity if cap is not None else capacity_for(scheme, app.answers)[0]
            out.append(
                Availability(
                    cohort.id,
                    cohort.name,
                    places,
                    int(counts.get(cohort.id, 0)),
                    bool(cap and cap.unavailable),
                    cap.unavailable_until if cap else None,
                    cap.unavailable_reason if cap else None,
                )
            )
        return out


# --- actions -------------------------------------------------------------------------------------


def _choice_ids(choices: Sequence[str | uuid.UUID]) -> list[uuid.UUID]:
    problems: list[Problem] = []
    ids: list[uuid.UUID] = []
    for raw in choices:
        if raw in ("", None):
            continue
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            problems.append(Problem(path="choices", message="Choose mentors from your suggestions"))
    if not ids and not problems:
        problems.append(Problem(path="choices", message="Choose at least one mentor"))
    if len(ids) > MAX_CHOICES:
        problems.append(Problem(path="choices", message=f"Choose at most {MAX_CHOICES} mentors"))
    if len(set(ids)) != len(ids):
        problems.append(Problem(path="choices", message="Choose each mentor once"))
    if problems:
        raise Problems(problems)
    return ids


async def _tell_mentor_asked(
    session: AsyncSession, tenant: Tenant, req: MatchRequest, cohort: Cohort, scheme: Scheme
) -> None:
    mentor = await get_in_tenant(session, Member, req.mentor_id, what="member")
    mentee = await get_in_tenant(session, Member, req.mentee_id, what="member")
    context: dict[str, Any] = {
        "mentee_name": mentee.display_name,
        "cohort": cohort.name,
        "link": f"{_links(tenant)}/requests/{req.id}",
        "expires_on": _day(req.expires_at),
    }
    if scheme.matching.mentor_sees_mentee_reasons and req.reasons:
        context["reasons"] = req.reasons
    app = await get_in_tenant(session, Application, req.mentee_application_id, what="application")
    shown = _shown_to_mentor(scheme, app.answers)
    if shown:
        context["answers"] = [list(pair) for pair in shown]
    await send(
        session,
        tenant,
        "match_request_received",
        context,
        f"match_request:{req.id}:{req.choice_index}:asked",
        to_member=mentor,
    )


async def choose(
    db: Database,
    tenant_id: uuid.UUID,
    mentee_id: uuid.UUID | str,
    choices: Sequence[str | uuid.UUID],
    reasons: str,
    *,
    cohort_id: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> MatchRequest:
    """The mentee ranks up to three of their suggested mentors and writes why; the first is
    asked (and mailed). Refused with nothing written: a mentor not among the suggestions
    now, an open request already, a mentee already matched."""
    now = _now(now)
    ids = _choice_ids(choices)
    text = _clean(reasons, "Why would you like this mentor?", "reasons", required=True)
    async with db.tenant(tenant_id) as session:
        me = await get_in_tenant(session, Member, mentee_id, what="member")
        found = await _mentee_application(session, me.id, cohort_id)
        if found is None:
            raise Refused(
                "You have no accepted mentee application in a scheme where you choose your mentor."
            )
        app, cohort, scheme = found
        # Serialise this mentee's choices (a double click): the second waits, then sees
        # the first's open request.
        await session.execute(
            select(Application.id).where(Application.id == app.id).with_for_update()
        )
        if await _open_request(session, me.id) is not None:
            raise Refused(
                "You already have an open request; you can choose again if it does not work out."
            )
        if await _has_live_pair(session, app):
            raise Refused("You already have a mentor.")
        if not await _may_choose_again(session, app, scheme):
            raise Refused("Your choices have been asked; the coordinator will be in touch.")
        suggested, _ = await _suggest(session, app, cohort, scheme, now.date(), fresh=True)
        allowed = {s.mentor_id for s in suggested}
        wrong = [i for i in ids if i not in allowed]
        if wrong:
            names = await _names(session, wrong)
            raise Problems(
                [
                    Problem(
                        path="choices",
                        message=f"{names[i]} is not one of your suggestions"
                        if i in names
                        else "Choose mentors from your suggestions",
                    )
                    for i in wrong
                ]
            )
        req = MatchRequest(
            tenant_id=current_tenant(session),
            id=uuid.uuid4(),
            cohort_id=cohort.id,
            mentee_id=me.id,
            mentee_application_id=app.id,
            choices=ids,
            choice_index=0,
            mentor_id=ids[0],
            reasons=text,
            state="open",
            asked_at=now,
            expires_at=now + response_time(scheme),
            declined_by=[],
            outcomes=[],
            lock_version=0,
        )
        session.add(req)
        await session.flush()
        audit.record(
            session,
            "match_request_made",
            actor=me.email,
            subject=str(req.id),
            details={"choices": [str(i) for i in ids], "cohort": str(cohort.id)},
        )
        await _tell_mentor_asked(session, await _tenant(session), req, cohort, scheme)
        return req


async def _locked_request(session: AsyncSession, request_id: uuid.UUID | str) -> MatchRequest:
    try:
        key = uuid.UUID(str(request_id))
    except ValueError:
        raise NotFound("request") from None
    req = (
        await session.execute(
            select(MatchRequest)
            .where(MatchRequest.id == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if req is None:
        raise NotFound("request")
    return req


def _check_mentor_may_answer(req: MatchRequest, me: Member, now: datetime) -> None:
    """Someone else's request is not found; a closed, passed-on or lapsed one is refused."""
    if me.id != req.mentor_id and me.id not in req.choices:
        raise NotFound("request")
    if req.state == "accepted" and me.id == req.mentor_id:
        raise Refused("You have already accepted this request.")
    if req.state != "open" or me.id != req.mentor_id:
        raise Refused("This request is no longer waiting for your answer.")
    if now >= req.expires_at:
        raise Refused(
            f"This request expired on {_day(req.expires_at)}; it has passed to the mentee's "
            "next choice."
        )


async def _pass_on(
    session: AsyncSession,
    req: MatchRequest,
    outcome: str,
    reason: str,
    now: datetime,
    *,
    actor: str | None,
) -> None:
    """The current choice's answer is `outcome` (declined, expired, unavailable): ask the
    next choice still free (skipping any who became full or unavailable), or close the
    request and tell the mentee to choose again."""
    cohort = await get_in_tenant(session, Cohort, req.cohort_id, what="cohort")
    scheme = await scheme_of(session, cohort.scheme_version)
    tenant = await _tenant(session)
    previous = req.mentor_id
    outcomes = list(req.outcomes or ())
    outcomes.append(
        {
            "mentor": str(previous),
            "outcome": outcome,
            "reason": reason or None,
            "at": now.isoformat(),
        }
    )
    if outcome == "declined":
        req.declined_by = [*(req.declined_by or ()), previous]
        req.decline_reason = reason or None
    later = list(req.choices[req.choice_index + 1 :])
    blocked = await _blocked_mentors(session, req.cohort_id, now.date(), later) if later else {}
    ruled_out = await _ruled_out_for(session, req.cohort_id, req.mentee_id)
    next_index: int | None = None
    for i in range(req.choice_index + 1, len(req.choices)):
        mentor = req.choices[i]
        why = blocked.get(mentor) or ("declined earlier" if mentor in ruled_out else None)
        if why:
            outcomes.append(
                {"mentor": str(mentor), "outcome": "skipped", "reason": why, "at": now.isoformat()}
            )
            continue
        next_index = i
        break
    req.outcomes = outcomes
    req.lock_version += 1
    names = await _names(session, [previous, *req.choices])
    mentee = await get_in_tenant(session, Member, req.mentee_id, what="member")
    link = f"{_links(tenant)}/suggestions"
    common: dict[str, Any] = {
        "mentor_name": names.get(previous, "Your mentor"),
        "outcome": _OUTCOME_WORDS.get(outcome, outcome),
        "cohort": cohort.name,
        "link": link,
    }
    if outcome == "declined" and reason:
        common["reason"] = reason
    if next_index is not None:
        req.choice_index = next_index
        req.mentor_id = req.choices[next_index]
        req.asked_at = now
        req.expires_at = now + response_time(scheme)
        req.reminded_at = None
        await session.flush()
        await _tell_mentor_asked(session, tenant, req, cohort, scheme)
        await send(
            session,
            tenant,
            "match_request_passed",
            {**common, "next_name": names.get(req.mentor_id, "your next choice")},
            f"match_request:{req.id}:{next_index}:passed",
            to_member=mentee,
        )
    else:
        req.state = "declined" if outcome == "declined" else "expired"
        req.closed_at = now
        await session.flush()
        may_again = bool(scheme.matching.rematch_on_decline)
        await send(
            session,
            tenant,
            "match_request_exhausted",
            {**common, **({"may_choose_again": True} if may_again else {})},
            f"match_request:{req.id}:exhausted",
            to_member=mentee,
        )
    audit.record(
        session,
        f"match_request_{outcome}",
        actor=actor,
        subject=str(req.id),
        details={
            "mentor": str(previous),
            "reason": reason or None,
            "next": str(req.mentor_id) if next_index is not None else None,
        },
    )


async def accept_request(
    db: Database,
    tenant_id: uuid.UUID,
    mentor_id: uuid.UUID | str,
    request_id: uuid.UUID | str,
    *,
    now: datetime | None = None,
) -> Pair:
    """The asked mentor accepts: the pair starts (create_pair: the capacity row locked, so
    the last place is never given twice — a full mentor is refused with nothing changed)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        me = await get_in_tenant(session, Member, mentor_id, what="request")
        req = await _locked_request(session, request_id)
        _check_mentor_may_answer(req, me, now)
        mentor_app = (
            await session.execute(
                select(Application).where(
                    Application.cohort_id == req.cohort_id,
                    Application.member_id == me.id,
                    Application.role == "mentor",
                    Application.state == "accepted",
                )
            )
        ).scalar_one_or_none()
        if mentor_app is None:
            raise Refused("Your mentor application in this cohort is no longer accepted.")
        cohort = await get_in_tenant(session, Cohort, req.cohort_id, what="cohort")
        score, explanation, why = None, [], ""
        mt = await mentor_table(session, cohort)
        if req.mentee_id not in mt.mentee_row or me.id not in mt.column_of:
            mt = await mentor_table(session, cohort, fresh=True)
        found = mt.mentee_row.get(req.mentee_id)
        col = mt.column_of.get(me.id)
        if found is not None and col is not None:
            scored = score_people(
                mt.instance, mt.instance.mentees[found[1]], mt.instance.mentors[col]
            )
            score = scored.score
            explanation = [c.to_dict() for c in scored.contributions]
            why = " ".join(plain_why(mt.instance.criteria, scored.contributions))
        req.state = "accepted"
        req.closed_at = now
        req.lock_version += 1
        await session.flush()
        pair = await create_pair(
            session,
            NewPair(
                cohort_id=req.cohort_id,
                mentor_id=me.id,
                mentee_id=req.mentee_id,
                flow=FLOW,
                mentor_application_id=mentor_app.id,
                mentee_application_id=req.mentee_application_id,
                score=score,
                explanation=explanation,
                request_id=req.id,
                why=why,
            ),
            actor_id=me.id,
            actor=me.email,
            now=now,
        )
        audit.record(
            session,
            "match_request_accepted",
            actor=me.email,
            subject=str(req.id),
            details={"pair": str(pair.id)},
        )
        if me.id in await _blocked_mentors(session, req.cohort_id, now.date(), [me.id]):
            await _pass_on_stuck(session, now, cohort_id=req.cohort_id, mentor_id=me.id)
        return pair


async def decline_request(
    db: Database,
    tenant_id: uuid.UUID,
    mentor_id: uuid.UUID | str,
    request_id: uuid.UUID | str,
    reason: str,
    *,
    now: datetime | None = None,
) -> MatchRequest:
    """The asked mentor declines, with a reason: the request passes to the mentee's next
    choice (or the mentee is told to choose again)."""
    now = _now(now)
    text = _clean(reason, "Your reason", "reason", required=True)
    async with db.tenant(tenant_id) as session:
        me = await get_in_tenant(session, Member, mentor_id, what="request")
        req = await _locked_request(session, request_id)
        _check_mentor_may_answer(req, me, now)
        await _pass_on(session, req, "declined", text, now, actor=me.email)
        return req


async def withdraw_request(
    db: Database,
    tenant_id: uuid.UUID,
    mentee_id: uuid.UUID | str,
    request_id: uuid.UUID | str,
    *,
    now: datetime | None = None,
) -> MatchRequest:
    """The mentee withdraws their open request (to choose again)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        me = await get_in_tenant(session, Member, mentee_id, what="request")
        req = await _locked_request(session, request_id)
        if req.mentee_id != me.id:
            raise NotFound("request")
        if req.state != "open":
            raise Refused("This request is no longer open.")
        req.state = "withdrawn"
        req.closed_at = now
        req.lock_version += 1
        audit.record(session, "match_request_withdrawn", actor=me.email, subject=str(req.id))
        await session.flush()
        return req


async def _mentor_applications(
    session: AsyncSession, mentor_id: uuid.UUID, cohort_id: uuid.UUID | str | None
) -> list[tuple[Application, Cohort, Scheme]]:
    query = (
        select(Application, Cohort)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(
            Application.member_id == mentor_id,
            Application.role == "mentor",
            Application.state == "accepted",
        )
        .order_by(Cohort.starts_on.desc(), Application.id)
    )
    if cohort_id is not None:
        try:
            query = query.where(Application.cohort_id == uuid.UUID(str(cohort_id)))
        except ValueError:
            raise NotFound("cohort") from None
    out = []
    for app, cohort in (await session.execute(query)).all():
        scheme = await scheme_of(session, cohort.scheme_version)
        if scheme.matching.flow == FLOW:
            out.append((app, cohort, scheme))
    return out


async def set_unavailable(
    db: Database,
    tenant_id: uuid.UUID,
    mentor_id: uuid.UUID | str,
    *,
    reason: str,
    until: date | None = None,
    cohort_id: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> list[MentorCapacity]:
    """The mentor is away (holiday) or full, until a date (inclusive) or until they say so;
    their profile and application stay. They are not suggested meanwhile, and a request
    waiting for them passes to the mentee's next choice at once."""
    now = _now(now)
    problems = []
    if reason not in UNAVAILABLE_REASONS:
        problems.append(Problem(path="reason", message="Choose why: holiday, full or other"))
    if until is not None and until < now.date():
        problems.append(Problem(path="until", message="The date must be today or later"))
    if problems:
        raise Problems(problems)
    async with db.tenant(tenant_id) as session:
        me = await get_in_tenant(session, Member, mentor_id, what="member")
        apps = await _mentor_applications(session, me.id, cohort_id)
        if not apps:
            raise Refused("You are not an accepted mentor in a scheme where mentees choose.")
        caps = await lock_capacities(session, ((c.id, me.id, a.id) for a, c, _ in apps))
        for cap in caps.values():
            cap.unavailable = True
            cap.unavailable_until = until
            cap.unavailable_reason = reason
            cap.updated_by = me.id
            cap.updated_at = now
        audit.record(
            session,
            "mentor_unavailable",
            actor=me.email,
            subject=str(me.id),
            details={"reason": reason, "until": until.isoformat() if until else None},
        )
        await session.flush()
        waiting = (
            await session.execute(
                select(MatchRequest)
                .where(
                    MatchRequest.mentor_id == me.id,
                    MatchRequest.state == "open",
                    MatchRequest.cohort_id.in_([c.id for _, c, _ in apps]),
                )
                .order_by(MatchRequest.id)
                .with_for_update()
            )
        ).scalars()
        for req in list(waiting):
            await _pass_on(session, req, "unavailable", "", now, actor=me.email)
        return list(caps.values())


async def set_available(
    db: Database,
    tenant_id: uuid.UUID,
    mentor_id: uuid.UUID | str,
    *,
    cohort_id: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> list[MentorCapacity]:
    """The mentor is back: suggested again (where they have a free place)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        me = await get_in_tenant(session, Member, mentor_id, what="member")
        apps = await _mentor_applications(session, me.id, cohort_id)
        if not apps:
            raise Refused("You are not an accepted mentor in a scheme where mentees choose.")
        caps = await lock_capacities(session, ((c.id, me.id, a.id) for a, c, _ in apps))
        for cap in caps.values():
            cap.unavailable = False
            cap.unavailable_until = None
            cap.unavailable_reason = None
            cap.updated_by = me.id
            cap.updated_at = now
        audit.record(session, "mentor_available", actor=me.email, subject=str(me.id))
        await session.flush()
        return list(caps.values())


# --- the clock's sweep -----------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    expired: int
    reminded: int


async def sweep_requests(session: AsyncSession, now: datetime) -> SweepResult:
    """In the caller's tenant transaction: every open request whose ask lapsed passes to
    the next choice (or closes, the mentee told); every ask within its reminder lead that
    was not reminded gets its one reminder. Rows another sweep holds are skipped (SKIP
    LOCKED), so two sweeps never act twice."""
    lapsed = list(
        (
            await session.execute(
                select(MatchRequest)
                .where(MatchRequest.state == "open", MatchRequest.expires_at <= now)
                .order_by(MatchRequest.expires_at, MatchRequest.id)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )
    for req in lapsed:
        await _pass_on(session, req, "expired", "", now, actor=None)
    await _pass_on_stuck(session, now)
    due = [
        req
        for req in (
            await session.execute(
                select(MatchRequest)
                .where(
                    MatchRequest.state == "open",
                    MatchRequest.reminded_at.is_(None),
                    MatchRequest.expires_at > now,
                    MatchRequest.expires_at <= now + REMINDER_LEAD,
                )
                .order_by(MatchRequest.expires_at, MatchRequest.id)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
        ).scalars()
        if now >= req.expires_at - reminder_lead(req.asked_at, req.expires_at)
    ]
    if due:
        tenant = await _tenant(session)
        names = await _names(session, [r.mentee_id for r in due])
        cohorts = {
            c.id: c
            for c in (
                await session.execute(
                    select(Cohort).where(Cohort.id.in_({r.cohort_id for r in due}))
                )
            ).scalars()
        }
        for req in due:
            mentor = await get_in_tenant(session, Member, req.mentor_id, what="member")
            req.reminded_at = now
            await send(
                session,
                tenant,
                "match_request_reminder",
                {
                    "mentee_name": names.get(req.mentee_id, "A mentee"),
                    "cohort": cohorts[req.cohort_id].name,
                    "link": f"{_links(tenant)}/requests/{req.id}",
                    "expires_on": _day(req.expires_at),
                },
                f"match_request:{req.id}:{req.choice_index}:reminder",
                to_member=mentor,
            )
            audit.record(
                session,
                "match_request_reminded",
                actor=None,
                subject=str(req.id),
                details={"mentor": str(req.mentor_id)},
            )
        await session.flush()
    return SweepResult(expired=len(lapsed), reminded=len(due))


async def _stuck(
    session: AsyncSession,
    now: datetime,
    *,
    cohort_id: uuid.UUID | None = None,
    mentor_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, str]:
    """Open requests whose asked mentor is full or unavailable now (filled up by another
    mentee's acceptance or another flow, or away): request id → outcome."""
    query = select(MatchRequest.id, MatchRequest.cohort_id, MatchRequest.mentor_id).where(
        MatchRequest.state == "open"
    )
    if cohort_id is not None:
        query = query.where(MatchRequest.cohort_id == cohort_id)
    if mentor_id is not None:
        query = query.where(MatchRequest.mentor_id == mentor_id)
    by_cohort: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]] = {}
    for req_id, cohort, mentor in await session.execute(query):
        by_cohort.setdefault(cohort, []).append((req_id, mentor))
    out: dict[uuid.UUID, str] = {}
    for cohort, asked in by_cohort.items():
        blocked = await _blocked_mentors(session, cohort, now.date(), [m for _, m in asked])
        for req_id, mentor in asked:
            if mentor in blocked:
                out[req_id] = "full" if blocked[mentor] == "has no free place" else "unavailable"
    return out


async def _pass_on_stuck(
    session: AsyncSession,
    now: datetime,
    *,
    cohort_id: uuid.UUID | None = None,
    mentor_id: uuid.UUID | None = None,
) -> int:
    """Pass every stuck request (:func:`_stuck`) to its next choice. Rows another
    transaction holds (a concurrent acceptance) are skipped; the next sweep gets them."""
    stuck = await _stuck(session, now, cohort_id=cohort_id, mentor_id=mentor_id)
    if not stuck:
        return 0
    locked = (
        await session.execute(
            select(MatchRequest)
            .where(MatchRequest.id.in_(list(stuck)), MatchRequest.state == "open")
            .order_by(MatchRequest.id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    ).scalars()
    done = 0
    for req in list(locked):
        await _pass_on(session, req, stuck[req.id], "", now, actor=None)
        done += 1
    return done


async def due_work(session: AsyncSession, now: datetime) -> bool:
    """Whether this tenant has a lapsed ask, a reminder coming due or an ask stuck on a
    mentor now full or away (the clock asks before it schedules a sweep)."""
    found = await session.execute(
        select(MatchRequest.id)
        .where(
            MatchRequest.state == "open",
            or_(
                MatchRequest.expires_at <= now,
                and_(
                    MatchRequest.reminded_at.is_(None),
                    MatchRequest.expires_at <= now + REMINDER_LEAD,
                ),
            ),
        )
        .limit(1)
    )
    return found.first() is not None or bool(await _stuck(session, now))
