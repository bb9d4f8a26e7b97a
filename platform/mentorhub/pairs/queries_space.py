"""The pair's home (`GET /pairs/{pair_id}`): everything the overview shows, read in two
statements — `pairs.access.space_for` (the viewer, the pair, its two people and the cohort in
one; the scheme version is cached per process), then one statement: a row of scalar
subqueries, each an index lookup by (tenant_id, pair_id) — the agreement's revisions, the
goals by status, the plan's state, the log entries shared with the coordinator (coordinator
only), and, where the scheme has chat, the viewer's unread count
(`pairs.queries_chat.unread_chat_count`) — LEFT JOINed to the pair's live meetings (one
indexed range on `meetings_by_pair`). Each round trip costs about half a millisecond of
CPU in SQLAlchemy and asyncpg, more than the index lookups themselves (benchmarks/pairs.py).

What a coordinator's read may touch (DESIGN.md, "Who reads what"): the meetings' dates,
states and lengths (counts and contact hours — never a meeting's notes, place or link), the
plan's state and only once submitted, the *number* of shared log entries. The agreement and
the goals are not read at all for them.

The timeline is the scheme engine's (`mentorhub.schemes.timeline.timeline`) from the pair's
stored scheme version and its facts (`pairs.services.facts_of` plus the days meetings were
held, in the association's time zone). Each event gets a state for the page:

* a meeting: `done` (held), `overdue` (its on-time window closed), `due` (in its window),
  `upcoming`;
* a checkpoint the space can tell (a `document` checkpoint is the plan where the scheme has
  one and the coordinator reads it, else the agreement where the scheme has one): `done`
  once the plan is submitted / the agreement agreed by both, else `overdue`/`due`/`upcoming`;
* any other checkpoint (their items arrive with issue 16): `due`/`upcoming`, and `past`
  (not `overdue`: the space cannot tell whether it was done) once its window closed.

`next_step` (pure) chooses the one thing to do next, first that applies: answer the other's
extension proposal; answer a meeting they proposed; agree the agreement; write and submit
the plan; record a past meeting; propose the first meeting; set the goals the scheme asks
for; propose the next meeting; else say when the next meeting is.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import Select, Text, Uuid, and_, bindparam, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db.session import current_tenant
from mentorhub.pairs.access import Space, space_for
from mentorhub.pairs.cadence import CadenceSummary, Held, summarise
from mentorhub.pairs.services.lifecycle import facts_of
from mentorhub.pairs.space_models import (
    Agreement,
    ChatMessage,
    Goal,
    LogEntry,
    Meeting,
    PairMemberState,
    Plan,
)
from mentorhub.schemes.errors import FactsError
from mentorhub.schemes.timeline import Event, Span, relationship_span, timeline

__all__ = [
    "AgreementState",
    "Home",
    "MeetingRow",
    "NextStep",
    "PlanState",
    "TimelineItem",
    "checkpoint_tracks",
    "goals_words",
    "home_of",
    "item_state",
    "next_step",
]

ItemState = Literal["done", "due", "overdue", "upcoming", "past", "end"]
LIVE_MEETINGS = ("proposed", "scheduled", "held")


@dataclass(frozen=True)
class MeetingRow:
    """A meeting as the home counts it (never its notes, place or link)."""

    id: uuid.UUID
    starts_at: datetime
    minutes: int
    state: str
    proposed_by: uuid.UUID
    held_minutes: int | None


@dataclass(frozen=True)
class AgreementState:
    exists: bool
    agreed: bool
    i_agreed: bool
    other_agreed: bool


@dataclass(frozen=True)
class PlanState:
    exists: bool
    submitted: bool
    submitted_at: datetime | None
    #: Changed since it was last submitted.
    changed: bool


@dataclass(frozen=True)
class TimelineItem:
    event: Event
    state: ItemState
    #: "agreement", "plan" or None: what the space tracks for it.
    tracks: str | None = None


@dataclass(frozen=True)
class NextStep:
    text: str
    #: The path under the pair's space ("" is the home itself) and the button's words.
    path: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Home:
    space: Space
    today: date
    span: Span | None
    items: tuple[TimelineItem, ...]
    held: int
    scheduled: int
    proposed: int
    contact_minutes: int
    #: The next scheduled or proposed meeting ahead.
    next_meeting: MeetingRow | None
    #: A meeting the other proposed, waiting for the viewer's answer (party only).
    to_answer: MeetingRow | None
    #: The latest scheduled meeting already past, not recorded yet.
    to_record: MeetingRow | None
    agreement: AgreementState | None
    goals: Mapping[str, int]
    plan: PlanState | None
    shared_log_entries: int | None
    unread_chat: int | None
    cadence: CadenceSummary | None
    next: NextStep | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def goals_set(self) -> int:
        return sum(n for status, n in self.goals.items() if status != "dropped")


# --- pure parts -----------------------------------------------------------------------------


def checkpoint_tracks(space: Space, event: Event) -> str | None:
    """What the space tracks for a checkpoint event: "plan", "agreement" or None."""
    if event.kind != "document":
        return None
    scheme = space.scheme
    if scheme.space.plan and "coordinator" in event.readers:
        return "plan"
    if scheme.space.agreement:
        return "agreement"
    return None


def item_state(event: Event, today: date, *, tracks: str | None, done: bool) -> ItemState:
    if event.kind == "end":
        return "end"
    if event.kind == "meeting":
        if event.status == "held":
            return "done"
        tracked = True
    else:
        if done:
            return "done"
        tracked = tracks is not None
    if event.window_end < today:
        return "overdue" if tracked else "past"
    if event.window_start <= today:
        return "due"
    return "upcoming"


def _shown_to(space: Space, event: Event) -> bool:
    if not space.is_party or event.kind in ("meeting", "end"):
        return True
    return event.audience in ("pair", "each", space.role)


def next_step(home: Home) -> NextStep | None:
    """The one thing to do next (party only; None for the coordinator)."""
    space = home.space
    if not space.is_party:
        return None
    if space.read_only:
        return NextStep("This relationship has ended. You can still read what is here.")
    me = str(space.viewer.id)
    pending = space.pair.pending_extension
    other = space.other.display_name if space.other else "Your partner"
    if pending and pending.get("by") != me:
        return NextStep(
            f"{other} proposes to extend your relationship by {pending.get('months')} "
            "months. Agree or decline it below.",
            "#extension",
            "Answer the extension",
        )
    if home.to_answer is not None:
        return NextStep(
            f"{other} proposed a meeting. Accept it or suggest another time.",
            f"/meetings#meeting-{home.to_answer.id}",
            "Answer the proposed meeting",
        )
    a = home.agreement
    if a is not None and not a.agreed and not a.i_agreed:
        if not a.exists:
            return NextStep(
                "Start with your mentoring agreement: write it together, then both agree to it.",
                "/agreement",
                "Write the agreement",
            )
        return NextStep(
            f"{other} has agreed the mentoring agreement: read it and agree to it too."
            if a.other_agreed
            else "Read your mentoring agreement and agree to it (or change it together).",
            "/agreement",
            "Agree the agreement",
        )
    p = home.plan
    if p is not None and not p.submitted:
        return NextStep(
            "Write your plan together and submit it to the coordinator.",
            "/plan",
            "Write and submit the plan",
        )
    if home.to_record is not None:
        return NextStep(
            "Record the meeting you had: how long it was and what you agreed.",
            f"/meetings#meeting-{home.to_record.id}",
            "Record the last meeting",
        )
    if home.held == home.scheduled == home.proposed == 0:
        return NextStep(
            "Propose your first meeting: a date, a time and how you will meet.",
            "/meetings",
            "Propose your first meeting",
        )
    bounds = space.scheme.relationship.goals
    wanted = bounds.min if bounds is not None and bounds.min else 1
    if home.goals_set < wanted:
        words = (
            f"{bounds.min} to {bounds.max} development goals"
            if bounds is not None and bounds.min and bounds.max
            else "your development goals"
        )
        return NextStep(f"Set {words} for your relationship.", "/goals", "Set your goals")
    if home.next_meeting is None:
        return NextStep(
            "You have no meeting planned: propose the next one.",
            "/meetings",
            "Propose the next meeting",
        )
    return None


# --- the reads -------------------------------------------------------------------------------


def _count(query: Any) -> Any:
    return query.scalar_subquery()


@functools.lru_cache(maxsize=16)
def _home_statement(
    *, party: bool, agreement: bool, plan: bool, chat: bool
) -> tuple[Select[Any], tuple[str, ...]]:
    """The home's one statement after `space_for`, built once per shape and reused (a Core
    statement: its SQL and cache key are computed once per process). The counts as one row
    of scalar subqueries, each an index lookup by (tenant_id, pair_id) — never empty: a
    party reads the goals, a coordinator the shared entries — LEFT JOINed to the pair's live
    meetings (one indexed range on `meetings_by_pair`), so there is a row even with no
    meeting. Every table is named with the tenant (`:tenant`, the session's) and the pair
    (`:pair`), as the ORM sessions' scoping would add it; row-level security holds below."""
    tenant = bindparam("tenant", type_=Uuid)
    pair_key = bindparam("pair", type_=Uuid)
    viewer = bindparam("viewer", type_=Uuid)
    agreements, goals, plans = Agreement.__table__.c, Goal.__table__.c, Plan.__table__.c
    logs, meetings = LogEntry.__table__.c, Meeting.__table__.c
    states, messages = PairMemberState.__table__.c, ChatMessage.__table__.c
    columns: list[Any] = []
    names: list[str] = []

    def add(name: str, column: Any) -> None:
        names.append(name)
        columns.append(column.label(name))

    if party and agreement:
        for name, col in (
            ("a_revision", agreements.revision),
            ("a_mentor", agreements.mentor_agreed_revision),
            ("a_mentee", agreements.mentee_agreed_revision),
        ):
            add(
                name,
                _count(
                    select(col).where(
                        agreements.tenant_id == tenant, agreements.pair_id == pair_key
                    )
                ),
            )
    if party:
        by_status = (
            select(goals.status, func.count().label("n"))
            .where(goals.tenant_id == tenant, goals.pair_id == pair_key)
            .group_by(goals.status)
            .subquery()
        )
        add(
            "goals",
            _count(select(func.jsonb_object_agg(by_status.c.status, by_status.c.n))),
        )
    if plan:
        plan_where = [plans.tenant_id == tenant, plans.pair_id == pair_key]
        if not party:
            plan_where.append(plans.submitted_at.is_not(None))
        for name, col in (
            ("p_revision", plans.revision),
            ("p_submitted", plans.submitted_revision),
            ("p_at", plans.submitted_at),
        ):
            add(name, _count(select(col).where(*plan_where)))
    if not party:
        add(
            "shared",
            _count(
                select(func.count())
                .select_from(LogEntry.__table__)
                .where(
                    logs.tenant_id == tenant,
                    logs.pair_id == pair_key,
                    logs.shared_at.is_not(None),
                )
            ),
        )
    if party and chat:
        seen = _count(
            select(states.chat_read_at).where(
                states.tenant_id == tenant,
                states.pair_id == pair_key,
                states.member_id == viewer,
            )
        )
        add(
            "unread",
            _count(
                select(func.count())
                .select_from(ChatMessage.__table__)
                .where(
                    messages.tenant_id == tenant,
                    messages.pair_id == pair_key,
                    messages.author_id != viewer,
                    or_(seen.is_(None), messages.created_at > seen),
                )
            ),
        )
    counts = select(*columns).subquery("counts")
    statement = (
        select(
            *(counts.c[name] for name in names),
            meetings.id,
            meetings.starts_at,
            meetings.minutes,
            meetings.state,
            meetings.proposed_by,
            meetings.held_minutes,
        )
        .select_from(
            counts.outerjoin(
                Meeting.__table__,
                and_(
                    meetings.tenant_id == tenant,
                    meetings.pair_id == pair_key,
                    # literals, not an expanding parameter: no per-request rewrite
                    meetings.state.in_([literal(state, Text) for state in LIVE_MEETINGS]),
                ),
            )
        )
        .order_by(meetings.starts_at)
    )
    return statement, tuple(names)


async def home_of(
    session: AsyncSession,
    pair_id: uuid.UUID | str,
    viewer_id: uuid.UUID | str,
    *,
    zone: ZoneInfo,
    jurisdiction: str,
    now: datetime,
) -> Home:
    """The home of `pair_id` as `viewer_id` sees it (NotFound for anyone else)."""
    space = await space_for(session, pair_id, viewer_id)
    pair = space.pair
    today = now.astimezone(zone).date()
    party = space.is_party

    scheme = space.scheme
    statement, names = _home_statement(
        party=party,
        agreement=bool(scheme.space.agreement),
        plan=bool(scheme.space.plan),
        chat=space.has_chat,
    )
    rows = list(
        await session.execute(
            statement,
            {"tenant": current_tenant(session), "pair": pair.id, "viewer": space.viewer.id},
        )
    )
    width = len(names)
    values: dict[str, Any] = dict(zip(names, rows[0][:width], strict=True))
    meetings = [MeetingRow(*row[width:]) for row in rows if row[width] is not None]
    unread = int(values["unread"]) if "unread" in values else None

    agreement = None
    if party and scheme.space.agreement:
        rev = values.get("a_revision")
        mine = values.get("a_mentor" if space.role == "mentor" else "a_mentee")
        theirs = values.get("a_mentee" if space.role == "mentor" else "a_mentor")
        agreement = AgreementState(
            exists=rev is not None,
            agreed=rev is not None and mine == rev == theirs,
            i_agreed=rev is not None and mine == rev,
            other_agreed=rev is not None and theirs == rev,
        )
    plan = None
    if scheme.space.plan:
        prev = values.get("p_revision")
        sub = values.get("p_submitted")
        plan = PlanState(
            exists=prev is not None,
            submitted=sub is not None,
            submitted_at=values.get("p_at"),
            changed=sub is not None and prev != sub,
        )
    goals: dict[str, int] = {str(k): int(v) for k, v in (values.get("goals") or {}).items()}

    held_rows = [m for m in meetings if m.state == "held"]
    held = [
        Held(m.starts_at.astimezone(zone).date(), m.held_minutes or m.minutes) for m in held_rows
    ]
    moment = now
    ahead = [m for m in meetings if m.state in ("scheduled", "proposed") and m.starts_at >= moment]
    past_scheduled = [m for m in meetings if m.state == "scheduled" and m.starts_at < moment]
    me = space.viewer.id
    to_answer = next(
        (m for m in ahead if m.state == "proposed" and m.proposed_by != me and party), None
    )

    facts = facts_of(pair, space.cohort, scheme)
    facts = msgspec.structs.replace(
        facts, meetings_held=tuple(sorted(h.on for h in held if h.on >= facts.matched_on))
    )
    span: Span | None = None
    items: list[TimelineItem] = []
    cadence: CadenceSummary | None = None
    problems: tuple[str, ...] = ()
    ended_on = pair.ended_at.astimezone(zone).date() if pair.ended_at else None
    try:
        span = relationship_span(scheme, facts)
        events = timeline(scheme, facts, jurisdiction=jurisdiction)
        cadence = summarise(
            scheme, facts, held, today, jurisdiction=jurisdiction, ended_on=ended_on
        )
    except FactsError as exc:
        problems = tuple(exc.problems)
        events = []
    for event in events:
        if not _shown_to(space, event):
            continue
        tracks = checkpoint_tracks(space, event)
        if tracks == "agreement" and not party:
            tracks = None  # the coordinator is not told about the agreement
        done = (tracks == "agreement" and agreement is not None and agreement.agreed) or (
            tracks == "plan" and plan is not None and plan.submitted
        )
        items.append(
            TimelineItem(event, item_state(event, today, tracks=tracks, done=done), tracks)
        )

    home = Home(
        space=space,
        today=today,
        span=span,
        items=tuple(items),
        held=len(held_rows),
        scheduled=sum(1 for m in meetings if m.state == "scheduled"),
        proposed=sum(1 for m in meetings if m.state == "proposed"),
        contact_minutes=sum(h.minutes for h in held),
        next_meeting=ahead[0] if ahead else None,
        to_answer=to_answer,
        to_record=past_scheduled[-1] if past_scheduled and party else None,
        agreement=agreement,
        goals=goals,
        plan=plan,
        shared_log_entries=int(values["shared"]) if "shared" in values else None,
        unread_chat=unread,
        cadence=cadence,
        problems=problems,
    )
    return _with_next(home)


def _with_next(home: Home) -> Home:
    return replace(home, next=next_step(home))


def goals_words(goals: Mapping[str, int], order: Sequence[str]) -> list[tuple[str, int]]:
    """The goals' counts in the statuses' order, only those with any."""
    return [(s, goals[s]) for s in order if goals.get(s)]
