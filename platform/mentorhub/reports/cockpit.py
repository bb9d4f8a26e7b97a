"""What the coordinator's cockpit reads (issue 17, point 1): the cohorts in the coordinator's
scope with their headline counts, and one cohort's pairs — their states, meetings and contact
hours against the cadence, checkpoints open / overdue / missed, quiet pairs, membership
lapses, requests waiting and open tasks — filtered, searched, sorted and paged, or streamed as
CSV. A person's page is `reports.cockpit_person`.

Only what the confidentiality table (DESIGN.md) gives a coordinator: counts, states, names
and dates. No statement here selects an answer, a log, a meeting's record, chat or documents.

How it is read (built for a 3,000-pair cohort; `tests/reports/test_cockpit_scale.py`
EXPLAINs it):

* ONE statement reads the cohort's pairs with three aggregates — the held meetings (their
  count, their minutes summed, and their local days and minutes as one string), the
  open/overdue/missed checkpoint items and the open coordinator tasks — each a LATERAL
  subquery of the pair, read through its (tenant_id, pair_id, …) index, never a query per
  pair. (Grouped subqueries joined on pair_id were nested and re-read for every pair when the
  planner took the cohort for one pair, as it does among 1,000 tenants: 10 s.) Every
  table is filtered by its tenant explicitly as well (the row policy's "or the clock" does not
  give the planner the first column of the (tenant_id, …) indexes). Its ORDER BY is the
  page's sort, so the page and the CSV list the same pairs in the same order. It is built
  once per sort with its values as bound parameters (`_statement`).
* The two people's names and addresses come with every pair only where they are needed for
  all of them (a search, the CSV); otherwise whether either is lapsed comes as one boolean
  and the page's 50 rows get their people from one more statement (`_page_people`).
* The meetings expected by today come from the pair's own scheme version through
  `pairs.cadence.summarise` (the timeline's meeting events counted, as on the pair's page).
  That is pure and costs some 20-40 µs a pair, so it is memoised: the statement gives each
  pair its cadence inputs as ONE string (version | matched on | ended on | day:minutes,… |
  extensions), and the memo maps it to the figures per (tenant, cohort start, today,
  jurisdiction) — a cohort looked at again the same day costs one string lookup per pair.
  The stored version is immutable; the scheme is handed to `summarise` without its
  checkpoints (they do not move meetings; the timeline skips their events).
* The summary is added up over every pair's raw row and the filters and the search run over
  them in Python ("behind the cadence" can only be known there); only the page's rows
  become PairRows.
* The CSV streams the same statement through a server-side cursor, row by row, with the
  same Python filter: its memory does not grow with the cohort.

Decisions where the issue is silent:

* Flags (quiet, lapsed, behind the cadence) are raised on live pairs only (active or
  extended): an ended pair has nothing left to chase. Overdue and open tasks are counts and
  stay true of any pair that has them.
* A membership lapse: either person's `membership_status` is `lapsed` now (the roster's or
  the sign-in claim's latest word; `membership_lapses` keeps the history).
* Checkpoint counts leave out the coordinator's own checkpoints (the Museums Association's
  calls): they are open tasks, counted as such. "Open" is open and not yet past its due
  date; "overdue" is open past it (as on the checkpoints list), so the two never overlap.
* Tasks are the open coordinator tasks of the cohort's pairs (tasks belong to the scheme's
  coordinators, not to one of them).
* Requests waiting: the cohort's open suggest-and-accept requests (AHEP), shown where the
  scheme matches that way or any exist.
* The name sort is the mentor's name, then the mentee's; "meetings" sorts by meetings held.
  Each sort's ties are broken by the names, then the pair's id, so pages never swap rows.
* The search looks in both people's names and e-mail addresses, case-insensitively: every
  word must be in one of them. An erased member is shown as "Erased member" and is never
  found by the words their row held.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Literal

import msgspec
from sqlalchemy import (
    Date,
    Select,
    String,
    Text,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from mentorhub.admin.scope import Scope, in_scope
from mentorhub.applications.models import Cohort
from mentorhub.applications.queue import csv_cell, tenant_zone
from mentorhub.applications.services import scheme_of
from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.core.paging import PAGE_SIZE, Page
from mentorhub.db.access import NotFound
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member
from mentorhub.matching.models import MatchRequest
from mentorhub.pairs.cadence import Held, summarise
from mentorhub.pairs.models import LIVE_STATES, Pair
from mentorhub.pairs.space_models import Meeting
from mentorhub.schemes.errors import FactsError
from mentorhub.schemes.rules import CohortDuration, Scheme
from mentorhub.schemes.timeline import PairFacts
from mentorhub.tenancy.models import Tenant

__all__ = [
    "CSV_HEAD",
    "FLAGS",
    "FLAG_WORDS",
    "SORTS",
    "SORT_WORDS",
    "STATES",
    "STATE_WORDS",
    "Cockpit",
    "CockpitQuery",
    "CohortHeadline",
    "CohortInfo",
    "Figures",
    "PairRow",
    "Person",
    "Summary",
    "cockpit",
    "cockpit_home",
    "cohort_in_scope",
    "csv_cells",
    "jurisdiction_of",
    "pairs_statement",
    "stream_rows",
]

StateFilter = Literal["live", "active", "extended", "ended", "completed", "ended_early", "removed"]
Flag = Literal["overdue", "quiet", "lapsed", "behind", "tasks"]
Sort = Literal["name", "matched", "meetings", "overdue"]

#: The state filter's choices, in the order the page offers them.
STATES: tuple[StateFilter, ...] = (
    "live",
    "active",
    "extended",
    "ended",
    "completed",
    "ended_early",
    "removed",
)
STATE_WORDS = {
    "live": "Active or extended",
    "active": "Active",
    "extended": "Extended",
    "ended": "Ended (any way)",
    "completed": "Completed",
    "ended_early": "Ended early",
    "removed": "Removed",
}
FLAGS: tuple[Flag, ...] = ("overdue", "quiet", "lapsed", "behind", "tasks")
FLAG_WORDS = {
    "overdue": "Checkpoints overdue",
    "quiet": "Quiet",
    "lapsed": "Membership lapsed",
    "behind": "Behind the cadence",
    "tasks": "Open tasks",
}
SORTS: tuple[Sort, ...] = ("name", "matched", "meetings", "overdue")
SORT_WORDS = {
    "name": "Mentor's name",
    "matched": "Matched on",
    "meetings": "Meetings held",
    "overdue": "Checkpoints overdue",
}
ERASED = "Erased member"
COORDINATOR = "coordinator"

#: The days in the cadence key: whole days since this one (integer arithmetic in SQL, no
#: date formatting per meeting, whatever the session's DateStyle).
_EPOCH = date(2000, 1, 1)
_EPOCH_SQL = literal_column("DATE '2000-01-01'", Date)

_Mentor = aliased(Member, name="mentor")
_Mentee = aliased(Member, name="mentee")


# --- what the pages are given -------------------------------------------------------------


@dataclass(frozen=True)
class CockpitQuery:
    """What the page asks for: a state, a flag, words to search, a sort, a page (1-based).
    The default is the whole cohort by mentor's name, first page."""

    state: StateFilter | None = None
    flag: Flag | None = None
    search: str = ""
    sort: Sort = "name"
    descending: bool = False
    page: int = 1


@dataclass(frozen=True)
class CohortInfo:
    id: uuid.UUID
    name: str
    starts_on: date
    ends_on: date
    scheme_version: int
    scheme_name: str
    flow: str
    #: The scheme's contact hours (None where it states none).
    hours_min: float | None
    hours_max: float | None


@dataclass(slots=True)
class Person:
    id: uuid.UUID
    name: str
    email: str
    lapsed: bool
    erased: bool


@dataclass(frozen=True, slots=True)
class Figures:
    """A pair's meetings against its cadence (`pairs.cadence.summarise`, condensed)."""

    #: Meetings the timeline expects by today (held ones included) and in all; None when the
    #: scheme expects no number (a cadence the pair agrees, not agreed yet).
    expected: int | None
    expected_total: int | None
    #: Contact hours the scheme's minimum asks for by now (pro rata), or None.
    hours_due: float | None
    behind: bool


@dataclass(slots=True)
class PairRow:
    id: uuid.UUID
    state: str
    end_kind: str | None
    matched_on: date
    mentor: Person
    mentee: Person
    held: int
    contact_minutes: int
    #: None: the pair's dates contradict its scheme (the timeline refused them).
    figures: Figures | None
    items_open: int
    items_overdue: int
    items_missed: int
    open_tasks: int
    quiet: bool
    lapsed: bool
    behind: bool
    #: The flags it carries, in FLAGS' order.
    flags: tuple[str, ...]

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def shown_state(self) -> str:
        """active, extended, or how it ended (completed, ended_early, removed)."""
        return (self.end_kind or self.state) if self.state == "ended" else self.state

    @property
    def contact_hours(self) -> float:
        return self.contact_minutes / 60

    def has(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(frozen=True)
class Summary:
    pairs: int
    #: active, extended, completed, ended_early, removed (an ended pair without its kind: ended).
    by_state: dict[str, int]
    held: int
    #: Meetings expected by today over the pairs whose scheme expects a number, and how many
    #: pairs that is.
    expected: int
    counted_pairs: int
    contact_minutes: int
    hours_due: float
    behind: int
    items_open: int
    items_overdue: int
    items_missed: int
    quiet: int
    lapsed: int
    open_tasks: int
    #: Open suggest-and-accept requests of the cohort (None: the scheme does not match that
    #: way and none exist).
    requests_waiting: int | None
    #: How many pairs carry each flag (the flag filter's counts).
    flagged: dict[str, int]

    @property
    def live(self) -> int:
        return self.by_state.get("active", 0) + self.by_state.get("extended", 0)

    @property
    def ended(self) -> int:
        return self.pairs - self.live


@dataclass(frozen=True)
class Cockpit:
    cohort: CohortInfo
    summary: Summary
    page: Page[PairRow]
    query: CockpitQuery


@dataclass(frozen=True)
class CohortHeadline:
    id: uuid.UUID
    name: str
    starts_on: date
    ends_on: date
    live_pairs: int
    overdue: int
    quiet: int
    open_tasks: int


# --- the cadence, memoised ----------------------------------------------------------------


#: Stored scheme versions without their checkpoints, by (tenant, version): a stored version
#: never changes, so a page reads each once per process.
_RULES: dict[tuple[uuid.UUID, int], Scheme] = {}


async def _rules(session: AsyncSession, version: int) -> Scheme:
    key = (current_tenant(session), version)
    found = _RULES.get(key)
    if found is None:
        scheme = await scheme_of(session, version)
        if len(_RULES) >= 512:
            _RULES.clear()
        found = _RULES[key] = _without_checkpoints(scheme)
    return found


def _without_checkpoints(scheme: Scheme) -> Scheme:
    """The scheme for the meetings' figures: its checkpoints do not move meetings (the
    timeline only adds their events), so the memo's misses skip computing them."""
    return msgspec.structs.replace(scheme, checkpoints=())


def _figures(
    scheme: Scheme,
    cohort_starts_on: date,
    matched_on: date,
    extensions: tuple[tuple[str, int], ...],
    days: tuple[date, ...],
    minutes: tuple[int, ...],
    today: date,
    ended_on: date | None,
    jurisdiction: str,
) -> Figures | None:
    """The pair's cadence figures (kept by `_Reader.figures_of`'s memo)."""
    facts = pair_facts(
        scheme,
        cohort_starts_on,
        matched_on,
        [{"agreed_on": on, "months": n} for on, n in extensions],
    )
    held = [Held(d, m) for d, m in zip(days, minutes, strict=True)]
    try:
        s = summarise(scheme, facts, held, today, jurisdiction=jurisdiction, ended_on=ended_on)
    except FactsError:
        return None
    return Figures(s.expected_so_far, s.expected_total, s.hours_due_by_now, bool(s.behind))


def pair_facts(
    scheme: Scheme, cohort_starts_on: date, matched_on: date, extensions: Sequence[Any]
) -> PairFacts:
    """What the timeline is computed from — `pairs.services.lifecycle.facts_of` from a row's
    columns instead of a loaded Pair (a test holds the two equal)."""
    d = scheme.duration
    cohort_start: date | None = cohort_starts_on
    if isinstance(d, CohortDuration) and cohort_starts_on.month != d.start_month:
        cohort_start = None
    return PairFacts(
        matched_on=matched_on,
        cohort_start=cohort_start,
        extensions=tuple(
            (date.fromisoformat(str(e["agreed_on"])), int(e["months"])) for e in extensions or ()
        ),
    )


# --- the cohort -----------------------------------------------------------------------------


async def jurisdiction_of(session: AsyncSession) -> str:
    """The session's tenant's jurisdiction (its holidays and time zone)."""
    found = await session.execute(
        select(Tenant.jurisdiction).where(Tenant.id == current_tenant(session))
    )
    return str(found.scalar_one())


async def cohort_in_scope(session: AsyncSession, cohort_id: uuid.UUID, scope: Scope) -> CohortInfo:
    """The cohort if the coordinator runs it; NotFound otherwise (missing, another tenant's,
    out of scope: the same page)."""
    if not in_scope(scope, cohort_id):
        raise NotFound("cohort")
    row = (
        await session.execute(
            select(
                Cohort.id, Cohort.name, Cohort.starts_on, Cohort.ends_on, Cohort.scheme_version
            ).where(Cohort.tenant_id == current_tenant(session), Cohort.id == cohort_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("cohort")
    scheme = await scheme_of(session, row.scheme_version)
    hours = scheme.meetings.contact_hours
    return CohortInfo(
        *row,
        scheme_name=scheme.name,
        flow=str(scheme.matching.flow),
        hours_min=hours.min if hours is not None else None,
        hours_max=hours.max if hours is not None else None,
    )


def _order(q: CockpitQuery, held: Any, overdue: Any) -> list[Any]:
    names = [func.lower(_Mentor.display_name), func.lower(_Mentee.display_name)]
    first: Any = {
        "name": None,
        "matched": Pair.matched_on,
        "meetings": func.coalesce(held, 0),
        "overdue": func.coalesce(overdue, 0),
    }[q.sort]
    if first is None:
        keys = [n.desc() if q.descending else n for n in names]
    else:
        keys = [first.desc() if q.descending else first, *names]
    return [*keys, Pair.id]


def pairs_statement(
    tenant_id: uuid.UUID,
    cohort_id: uuid.UUID,
    q: CockpitQuery,
    *,
    today: date,
    zone: str,
    people: bool = True,
) -> Select[Any]:
    """The cohort's pairs with their aggregates (and their people, unless `people` is
    False), in the query's order (the one statement of the page and the CSV; the tests
    EXPLAIN it), with its values bound."""
    return _statement(q.sort, q.descending, people).params(
        _values(tenant_id, cohort_id, today, zone)
    )


def _values(tenant_id: uuid.UUID, cohort_id: uuid.UUID, today: date, zone: str) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "cohort_id": cohort_id, "today": today, "zone": zone}


def _people_columns() -> list[Any]:
    people = []
    for who in (_Mentor, _Mentee):
        people += [
            who.id,
            who.display_name,
            who.email,
            who.membership_status,
            who.erased_at,
        ]
    return people


@lru_cache(maxsize=32)
def _statement(sort: Sort, descending: bool, people: bool) -> Select[Any]:
    """The pairs statement for a sort, built once with its values as parameters
    (tenant_id, cohort_id, today, zone): a request only binds them."""
    tenant_id: Any = bindparam("tenant_id", type_=Uuid)
    cohort_id: Any = bindparam("cohort_id", type_=Uuid)
    today: Any = bindparam("today", type_=Date)
    zone: Any = bindparam("zone", type_=String)
    q = CockpitQuery(sort=sort, descending=descending)
    # Each aggregate is a LATERAL subquery of the pair (one index range of its own rows),
    # not a grouped subquery joined on pair_id: the planner misjudges a cohort's size (the
    # (tenant, cohort) estimate times the row policy's filter comes to one pair where the
    # benchmark's cohort has 3,000), and with one pair it nests the grouped subqueries as
    # inner sides re-read for every pair — quadratic, 10 s at full scale. A lateral
    # aggregate can only be read per pair, through the (tenant_id, pair_id, …) index.
    local_day = cast(func.timezone(zone, Meeting.starts_at), Date)
    length = func.coalesce(Meeting.held_minutes, Meeting.minutes)
    meetings = (
        select(
            func.count().label("held"),
            func.sum(func.greatest(length, 0)).label("contact"),
            # The held meetings as "day:minutes,day:minutes…" in their order: the cadence
            # memo's key (one string, hashed once), parsed only when the memo misses.
            func.string_agg(
                func.concat(local_day - _EPOCH_SQL, ":", length),
                aggregate_order_by(literal_column("','"), Meeting.starts_at),
            ).label("trail"),
        )
        .where(
            Meeting.tenant_id == tenant_id,
            Meeting.pair_id == Pair.id,
            Meeting.state == "held",
        )
        .lateral("held_meetings")
    )
    is_open = CheckpointItem.state == "open"
    items = (
        select(
            func.count().filter(and_(is_open, CheckpointItem.due_on >= today)).label("open"),
            func.count().filter(and_(is_open, CheckpointItem.due_on < today)).label("overdue"),
            func.count().filter(CheckpointItem.state == "missed").label("missed"),
        )
        .where(
            CheckpointItem.tenant_id == tenant_id,
            CheckpointItem.pair_id == Pair.id,
            CheckpointItem.state.in_(("open", "missed")),
            CheckpointItem.audience != COORDINATOR,
        )
        .lateral("waiting_items")
    )
    tasks = (
        select(func.count().label("open_tasks"))
        .where(
            CoordinatorTask.tenant_id == tenant_id,
            CoordinatorTask.pair_id == Pair.id,
            CoordinatorTask.state == "open",
        )
        .lateral("open_tasks")
    )
    lapsed = or_(
        and_(_Mentor.membership_status == "lapsed", _Mentor.erased_at.is_(None)),
        and_(_Mentee.membership_status == "lapsed", _Mentee.erased_at.is_(None)),
    )
    # The day it ended in the tenant's zone.
    ended_on = cast(func.timezone(zone, Pair.ended_at), Date)
    # Everything the pair's cadence figures are computed from besides the cohort, the
    # day and the jurisdiction (the memo's key; see `_Reader.figures_of`). The extensions
    # come last: their JSON may hold the separator.
    cadence_key = func.concat(
        Pair.scheme_version,
        "|",
        Pair.matched_on - _EPOCH_SQL,
        "|",
        ended_on - _EPOCH_SQL,
        "|",
        meetings.c.trail,
        "|",
        # Only where there is something (most pairs were never extended).
        case((func.jsonb_array_length(Pair.extensions) > 0, cast(Pair.extensions, Text))),
    )
    statement: Select[Any] = (
        select(  # type: ignore[assignment]
            Pair.id,
            Pair.state,
            Pair.end_kind,
            Pair.matched_on,
            Pair.scheme_version,
            cadence_key,
            Pair.quiet_stage,
            lapsed,
            meetings.c.held,
            meetings.c.contact,
            items.c.open,
            items.c.overdue,
            items.c.missed,
            tasks.c.open_tasks,
            *(_people_columns() if people else ()),
        )
        .join(_Mentor, and_(_Mentor.tenant_id == Pair.tenant_id, _Mentor.id == Pair.mentor_id))
        .join(_Mentee, and_(_Mentee.tenant_id == Pair.tenant_id, _Mentee.id == Pair.mentee_id))
        # An aggregate without GROUP BY gives every pair its one row (counts 0).
        .join(meetings, true())
        .join(items, true())
        .join(tasks, true())
        .where(Pair.tenant_id == tenant_id, Pair.cohort_id == cohort_id)
        .order_by(*_order(q, meetings.c.held, items.c.overdue))
    )
    return statement


def _person(id_: uuid.UUID, name: str, email: str, status: str | None, erased: Any) -> Person:
    if erased is not None:
        return Person(id_, ERASED, "", False, True)
    return Person(id_, name, email, status == "lapsed", False)


#: The pairs statement's columns (see `pairs_statement`); the people's last (left out
#: where a page's rows get theirs from `_page_people`).
_ID, _STATE, _END_KIND, _MATCHED, _VERSION, _KEY, _QUIET, _LAPSED = range(8)
_HELD, _CONTACT, _OPEN, _OVERDUE, _MISSED, _TASKS = range(8, 14)
_MENTOR, _MENTEE = slice(14, 19), slice(19, 24)
_M_ERASED, _E_ERASED = 18, 23

_MISSING: Any = object()

#: The figures by cadence key, per (tenant, cohort start, today, jurisdiction): a cohort
#: looked at again the same day costs one dictionary lookup of one string per pair.
_MEMO: dict[tuple[uuid.UUID, date, date, str], dict[str, Figures | None]] = {}
_MEMO_CONTEXTS = 64
_MEMO_KEYS = 50_000


def _day(days: str) -> date:
    """A day of the cadence key."""
    return _EPOCH + timedelta(days=int(days))


class _Reader:
    """Turns the statement's rows into cadence figures, flags and PairRows (the cadence
    through the memo)."""

    def __init__(
        self,
        rules: dict[int, Scheme],
        cohort: CohortInfo,
        today: date,
        jurisdiction: str,
        tenant_id: uuid.UUID,
    ) -> None:
        self.rules = rules
        self.cohort = cohort
        self.today = today
        self.jurisdiction = jurisdiction
        context = (tenant_id, cohort.starts_on, today, jurisdiction)
        memo = _MEMO.get(context)
        if memo is None or len(memo) > _MEMO_KEYS:
            if len(_MEMO) >= _MEMO_CONTEXTS:
                _MEMO.clear()
            memo = _MEMO[context] = {}
        self.memo = memo

    def figures_of(self, key: str) -> Figures | None:
        """The figures for a pair's cadence key (version|matched on|ended on|day:minutes,…|
        extensions' JSON; days counted from _EPOCH): the memo's, or computed through
        `_figures` and kept."""
        found: Figures | None = self.memo.get(key, _MISSING)
        if found is _MISSING:
            version, matched, ended, trail, extensions = key.split("|", 4)
            held = [m.split(":") for m in trail.split(",")] if trail else []
            found = self.memo[key] = _figures(
                self.rules[int(version)],
                self.cohort.starts_on,
                _day(matched),
                tuple(
                    (str(e["agreed_on"]), int(e["months"]))
                    for e in (json.loads(extensions) if extensions else ())
                ),
                tuple(_day(d) for d, _ in held),
                tuple(int(m) for _, m in held),
                self.today,
                _day(ended) if ended else None,
                self.jurisdiction,
            )
        return found

    def flags(self, r: Sequence[Any], figures: Figures | None) -> tuple[str, ...]:
        """The flags a row carries, in FLAGS' order (quiet, lapsed and behind: live only)."""
        live = r[_STATE] in LIVE_STATES
        overdue = bool(r[_OVERDUE])
        tasks = bool(r[_TASKS])
        quiet = live and r[_QUIET] > 0
        lapsed = live and bool(r[_LAPSED])
        behind = live and figures is not None and figures.behind
        if not (overdue or quiet or lapsed or behind or tasks):
            return ()
        return tuple(
            f
            for f, on in (
                ("overdue", overdue),
                ("quiet", quiet),
                ("lapsed", lapsed),
                ("behind", behind),
                ("tasks", tasks),
            )
            if on
        )

    def row(self, r: Sequence[Any], figures: Any = _MISSING) -> PairRow:
        if figures is _MISSING:
            figures = self.figures_of(r[_KEY])
        flags = self.flags(r, figures)
        return PairRow(
            id=r[_ID],
            state=r[_STATE],
            end_kind=r[_END_KIND],
            matched_on=r[_MATCHED],
            mentor=_person(*r[_MENTOR]),
            mentee=_person(*r[_MENTEE]),
            held=int(r[_HELD] or 0),
            contact_minutes=int(r[_CONTACT] or 0),
            figures=figures,
            items_open=int(r[_OPEN] or 0),
            items_overdue=int(r[_OVERDUE] or 0),
            items_missed=int(r[_MISSED] or 0),
            open_tasks=int(r[_TASKS] or 0),
            quiet="quiet" in flags,
            lapsed="lapsed" in flags,
            behind="behind" in flags,
            flags=flags,
        )


def _words(search: str) -> list[str]:
    return [w.casefold() for w in search.split()]


def matches(row: PairRow, q: CockpitQuery, words: Iterable[str] = ()) -> bool:
    """Whether a pair passes the query's state, flag and words (the page's and the CSV's
    one filter)."""
    return _passes(row.shown_state, row.live, row.flags, q) and _found(
        (row.mentor.name, row.mentor.email, row.mentee.name, row.mentee.email), words
    )


def _passes(shown: str, live: bool, flags: tuple[str, ...], q: CockpitQuery) -> bool:
    """The query's state and flag."""
    if q.state is not None:
        if q.state == "live":
            if not live:
                return False
        elif q.state == "ended":
            if live:
                return False
        elif shown != q.state:
            return False
    return q.flag is None or q.flag in flags


def _found(texts: Iterable[str], words: Iterable[str]) -> bool:
    """Every word in one of the names and addresses (an erased member's are not looked at)."""
    if not words:
        return True
    fields = [p.casefold() for p in texts if p and p != ERASED]
    return all(any(word in f for f in fields) for word in words)


def _texts(r: Sequence[Any]) -> tuple[str, ...]:
    """A statement row's names and addresses as its PairRow shows them."""
    mentor = (r[15], r[16]) if r[_M_ERASED] is None else ()
    mentee = (r[20], r[21]) if r[_E_ERASED] is None else ()
    return (*mentor, *mentee)


async def _reader(
    session: AsyncSession,
    cohort: CohortInfo,
    today: date,
    jurisdiction: str,
    versions: Iterable[int] | None = None,
) -> _Reader:
    """The row reader with the scheme versions of the cohort's pairs (`versions` when the
    caller knows them, else read: one statement)."""
    if versions is None:
        versions = (
            await session.execute(
                select(Pair.scheme_version)
                .where(Pair.tenant_id == current_tenant(session), Pair.cohort_id == cohort.id)
                .distinct()
            )
        ).scalars()
    rules = {v: await _rules(session, v) for v in {cohort.scheme_version, *versions}}
    return _Reader(rules, cohort, today, jurisdiction, current_tenant(session))


class _Tally:
    """The summary's sums, added up row by row over the statement's rows."""

    def __init__(self) -> None:
        self.by_state: dict[str, int] = dict.fromkeys(
            ("active", "extended", "completed", "ended_early", "removed"), 0
        )
        self.flagged: dict[str, int] = dict.fromkeys(FLAGS, 0)
        self.pairs = self.held = self.contact = self.expected = self.counted = 0
        self.items_open = self.items_overdue = self.items_missed = self.tasks = 0
        self.hours_due = 0.0

    def add(
        self, r: Sequence[Any], shown: str, figures: Figures | None, flags: tuple[str, ...]
    ) -> None:
        self.pairs += 1
        self.by_state[shown] = self.by_state.get(shown, 0) + 1
        self.held += r[_HELD] or 0
        self.contact += r[_CONTACT] or 0
        self.items_open += r[_OPEN] or 0
        self.items_overdue += r[_OVERDUE] or 0
        self.items_missed += r[_MISSED] or 0
        self.tasks += r[_TASKS] or 0
        if figures is not None:
            if figures.expected is not None:
                self.expected += figures.expected
                self.counted += 1
            if figures.hours_due is not None:
                self.hours_due += figures.hours_due
        for f in flags:
            self.flagged[f] += 1

    def summary(self, requests_waiting: int | None) -> Summary:
        return Summary(
            pairs=self.pairs,
            by_state=self.by_state,
            held=int(self.held),
            expected=self.expected,
            counted_pairs=self.counted,
            contact_minutes=int(self.contact),
            hours_due=self.hours_due,
            behind=self.flagged["behind"],
            items_open=int(self.items_open),
            items_overdue=int(self.items_overdue),
            items_missed=int(self.items_missed),
            quiet=self.flagged["quiet"],
            lapsed=self.flagged["lapsed"],
            open_tasks=int(self.tasks),
            requests_waiting=requests_waiting,
            flagged=self.flagged,
        )


async def _custom_plans(session: AsyncSession) -> None:
    """Plan the pairs statement for its own tenant and cohort every time, for the rest of
    the transaction. The driver prepares statements, and after five runs PostgreSQL may
    keep a generic plan, made without knowing which tenant and cohort: for this statement
    one that runs for seconds on a large tenant (the consoles benchmark saw the 5 s
    statement timeout) where a plan for the values takes milliseconds."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def _requests_waiting(session: AsyncSession, cohort: CohortInfo) -> int | None:
    n = int(
        (
            await session.execute(
                select(func.count())
                .select_from(MatchRequest)
                .where(
                    MatchRequest.tenant_id == current_tenant(session),
                    MatchRequest.state == "open",
                    MatchRequest.cohort_id == cohort.id,
                )
            )
        ).scalar_one()
    )
    return n if n or cohort.flow == "suggest_and_accept" else None


async def cockpit(
    session: AsyncSession,
    cohort_id: uuid.UUID,
    query: CockpitQuery,
    *,
    scope: Scope,
    today: date,
    jurisdiction: str | None = None,
    size: int = PAGE_SIZE,
) -> Cockpit:
    """One cohort's cockpit: its summary and the page of pairs the query asks for. NotFound
    for a cohort out of `scope` or not the session tenant's. `today` is the tenant's (its
    time zone); `jurisdiction` the tenant's (read when not given)."""
    cohort = await cohort_in_scope(session, cohort_id, scope)
    jurisdiction = jurisdiction or await jurisdiction_of(session)
    zone = tenant_zone(jurisdiction).key
    await _custom_plans(session)
    # Run as a Core statement: columns only, no ORM loading of 3,000 rows. The statement
    # names the tenant on every table itself (the ORM's scoping would only repeat it), and
    # row-level security holds as for any statement.
    # The people come with every pair only when words are searched; otherwise the page's
    # rows get theirs in a second statement (50 pairs, not 3,000).
    words = _words(query.search)
    connection = await session.connection()
    tenant_id = current_tenant(session)
    result = await connection.execute(
        _statement(query.sort, query.descending, bool(words)),
        _values(tenant_id, cohort.id, today, zone),
    )
    raw = result.all()
    reader = await _reader(session, cohort, today, jurisdiction, {r[_VERSION] for r in raw})
    # Every pair counts in the summary; only the page's rows become PairRows.
    tally = _Tally()
    filtering = query.state is not None or query.flag is not None or bool(words)
    chosen: list[tuple[Sequence[Any], Figures | None]] = []
    figures_of, flags_of, add = reader.figures_of, reader.flags, tally.add
    for r in raw:
        figures = figures_of(r[_KEY])
        flags = flags_of(r, figures)
        state = r[_STATE]
        shown = (r[_END_KIND] or state) if state == "ended" else state
        add(r, shown, figures, flags)
        if not filtering or (
            _passes(shown, state in LIVE_STATES, flags, query)
            and (not words or _found(_texts(r), words))
        ):
            chosen.append((r, figures))
    summary = tally.summary(await _requests_waiting(session, cohort))
    total = len(chosen)
    number = min(max(1, query.page), max(1, -(-total // size)))
    start = (number - 1) * size
    shown_rows = chosen[start : start + size]
    if not words and shown_rows:
        people = await _page_people(connection, tenant_id, [r[_ID] for r, _ in shown_rows])
        shown_rows = [((*r, *people[r[_ID]]), f) for r, f in shown_rows]
    page = Page(
        rows=[reader.row(r, f) for r, f in shown_rows],
        number=number,
        size=size,
        total=total,
    )
    return Cockpit(cohort=cohort, summary=summary, page=page, query=query)


async def _page_people(
    connection: AsyncConnection, tenant_id: uuid.UUID, pair_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[Any, ...]]:
    """The page's pairs' people, as the pairs statement's last columns give them."""
    found = await connection.execute(
        select(Pair.id, *_people_columns())
        .join(_Mentor, and_(_Mentor.tenant_id == Pair.tenant_id, _Mentor.id == Pair.mentor_id))
        .join(_Mentee, and_(_Mentee.tenant_id == Pair.tenant_id, _Mentee.id == Pair.mentee_id))
        .where(Pair.tenant_id == tenant_id, Pair.id.in_(pair_ids))
    )
    return {r[0]: tuple(r[1:]) for r in found.all()}


async def stream_rows(
    session: AsyncSession,
    cohort: CohortInfo,
    query: CockpitQuery,
    *,
    today: date,
    jurisdiction: str,
    batch: int = 500,
) -> AsyncIterator[PairRow]:
    """Every pair the query lets through (all pages), in its order, read through a
    server-side cursor `batch` rows at a time (the CSV). The caller's transaction holds the
    cursor: keep it open while iterating."""
    reader = await _reader(session, cohort, today, jurisdiction)
    zone = tenant_zone(jurisdiction).key
    statement = _statement(query.sort, query.descending, True)
    values = _values(current_tenant(session), cohort.id, today, zone)
    words = _words(query.search)
    await _custom_plans(session)
    connection = await session.connection()
    result = await connection.stream(statement.execution_options(yield_per=batch), values)
    async for part in result.partitions(batch):
        for r in part:
            row = reader.row(r)
            if matches(row, query, words):
                yield row


# --- the CSV --------------------------------------------------------------------------------

CSV_HEAD = (
    "Pair",
    "Mentor",
    "Mentor e-mail",
    "Mentee",
    "Mentee e-mail",
    "State",
    "Matched on",
    "Meetings held",
    "Meetings expected by today",
    "Meetings expected in all",
    "Contact hours",
    "Contact hours due by now",
    "Checkpoints open",
    "Checkpoints overdue",
    "Checkpoints missed",
    "Open tasks",
    "Quiet",
    "Membership lapsed",
    "Behind the cadence",
)
_SHOWN_STATES = {
    "active": "Active",
    "extended": "Extended",
    "completed": "Completed",
    "ended_early": "Ended early",
    "removed": "Removed",
    "ended": "Ended",
}


def shown_state_words(state: str) -> str:
    return _SHOWN_STATES.get(state, state)


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def csv_cells(row: PairRow) -> list[str]:
    """One pair as CSV cells, each through `applications.queue.csv_cell` (a cell a
    spreadsheet would run as a formula starts with a quote)."""
    f = row.figures
    cells: list[Any] = [
        str(row.id),
        row.mentor.name,
        row.mentor.email,
        row.mentee.name,
        row.mentee.email,
        shown_state_words(row.shown_state),
        row.matched_on.isoformat(),
        row.held,
        "" if f is None or f.expected is None else f.expected,
        "" if f is None or f.expected_total is None else f.expected_total,
        _hours(row.contact_hours),
        _hours(f.hours_due if f is not None else None),
        row.items_open,
        row.items_overdue,
        row.items_missed,
        row.open_tasks,
        row.quiet,
        row.lapsed,
        row.behind,
    ]
    return [csv_cell(c) for c in cells]


# --- the cohorts ----------------------------------------------------------------------------


async def cockpit_home(session: AsyncSession, *, scope: Scope, today: date) -> list[CohortHeadline]:
    """The cohorts in `scope`, newest first, each with its live pairs, overdue checkpoint
    items, quiet live pairs and open tasks (three grouped statements' worth, in one)."""
    tenant_id = current_tenant(session)
    live = Pair.state.in_(LIVE_STATES)
    pairs = (
        select(
            Pair.cohort_id.label("cohort_id"),
            func.count().filter(live).label("live"),
            func.count().filter(and_(live, Pair.quiet_stage > 0)).label("quiet"),
        )
        .where(Pair.tenant_id == tenant_id)
        .group_by(Pair.cohort_id)
        .subquery("pair_counts")
    )
    overdue = (
        select(Pair.cohort_id.label("cohort_id"), func.count().label("overdue"))
        .select_from(CheckpointItem)
        .join(
            Pair,
            and_(Pair.tenant_id == CheckpointItem.tenant_id, Pair.id == CheckpointItem.pair_id),
        )
        .where(
            CheckpointItem.tenant_id == tenant_id,
            CheckpointItem.state == "open",
            CheckpointItem.due_on < today,
            CheckpointItem.audience != COORDINATOR,
        )
        .group_by(Pair.cohort_id)
        .subquery("overdue_counts")
    )
    tasks = (
        select(Pair.cohort_id.label("cohort_id"), func.count().label("tasks"))
        .select_from(CoordinatorTask)
        .join(
            Pair,
            and_(Pair.tenant_id == CoordinatorTask.tenant_id, Pair.id == CoordinatorTask.pair_id),
        )
        .where(CoordinatorTask.tenant_id == tenant_id, CoordinatorTask.state == "open")
        .group_by(Pair.cohort_id)
        .subquery("task_counts")
    )
    query = (
        select(
            Cohort.id,
            Cohort.name,
            Cohort.starts_on,
            Cohort.ends_on,
            func.coalesce(pairs.c.live, 0),
            func.coalesce(overdue.c.overdue, 0),
            func.coalesce(pairs.c.quiet, 0),
            func.coalesce(tasks.c.tasks, 0),
        )
        .outerjoin(pairs, pairs.c.cohort_id == Cohort.id)
        .outerjoin(overdue, overdue.c.cohort_id == Cohort.id)
        .outerjoin(tasks, tasks.c.cohort_id == Cohort.id)
        .where(Cohort.tenant_id == tenant_id)
        .order_by(Cohort.starts_on.desc(), Cohort.name, Cohort.id)
    )
    if scope is not None:
        query = query.where(Cohort.id.in_(list(scope)))
    rows = await session.execute(query)
    return [CohortHeadline(*r) for r in rows.all()]
