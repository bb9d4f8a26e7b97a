"""A pair's timeline: the meetings expected and every checkpoint due, from rules + dates.

:func:`timeline` is pure — no I/O, no clock, no global state apart from the holiday cache —
so the web page, the reminder workers and the tests all get the same answer for the same
inputs, and it can be benchmarked alone. The jurisdiction (tenant's `jurisdiction`, e.g.
"CA-AB") is passed explicitly because it belongs to the tenant, not to the scheme version;
:func:`tenant_timeline` reads it from a loaded tenant file.

Rules of computation (the decisions a coordinator would expect):

- The *start* is the matching date, or the cohort's start when matching happened before
  the programme opened. The *official end* is start + months (fixed), start + max months
  (range: the pair may finish earlier), or the last day of the cohort's final month;
  `programme_months` caps it at cohort start + N months (a pilot).
- An extension (agreed on, months) adds months to the end in effect when it was agreed; it
  must be agreed between matching and that end. It moves only events on or after its
  agreement date: the end, checkpoints anchored to the end, the midpoint when the midpoint
  was still ahead, and meetings/checkpoints that now fit before the new end.
- Interval meetings roll from the last meeting held (or the start): the k-th expected one
  is due k intervals after that anchor (counted from the anchor, so month-end clamping does
  not drift). On time from the previous meeting until `at_most` after it. Calendar-month
  cadence expects one meeting in every month without one held. Meetings held are listed as
  such, dated when they happened.
- Events before the start (or, for offsets, before matching) are dropped; events after the
  official end are dropped unless the checkpoint says `after_end = true`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import msgspec

from mentorhub.schemes.calendar import (
    MONTH_NAMES,
    add_months,
    first_business_day,
    last_day_of_month,
    month_bounds,
    next_business_day,
)
from mentorhub.schemes.errors import FactsError
from mentorhub.schemes.rules import (
    AfterEachMeetingWhen,
    AgreedByPairCadence,
    CalendarMonthCadence,
    Checkpoint,
    CohortDuration,
    CohortMonthWhen,
    EndWhen,
    FirstBusinessDayWhen,
    FixedDuration,
    IntervalCadence,
    MidpointWhen,
    OffsetWhen,
    Period,
    RangeDuration,
    Scheme,
)

__all__ = ["Event", "PairFacts", "Span", "relationship_span", "tenant_timeline", "timeline"]


# Sort rank on the same day: meetings, then checkpoints, then the end.
_RANK_MEETING, _RANK_CHECKPOINT, _RANK_END = 0, 1, 2


class PairFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What is known about one pair. Dates are `datetime.date`.

    - `cohort_start`: the programme's start; derived from the cohort window when omitted,
      defaults to the matching date for schemes without one.
    - `agreed_cadence`: the interval the pair agreed (schemes whose cadence is agreed by the
      pair, or that let the pair replace the default).
    - `extensions`: (agreed_on, months) pairs.
    """

    matched_on: date
    cohort_start: date | None = None
    agreed_cadence: Period | None = None
    meetings_held: tuple[date, ...] = ()
    extensions: tuple[tuple[date, int], ...] = ()


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One dated item of a pair's timeline.

    `kind` is "meeting", a checkpoint kind ("survey", "quarterly_update"…) or "end";
    `window_start`–`window_end` (inclusive) is when it counts as on time; `business_day` is
    true when `due` is guaranteed to be a business day of the jurisdiction.
    """

    kind: str
    due: date
    audience: str
    title: str
    window_start: date
    window_end: date
    status: Literal["expected", "held"] = "expected"
    checkpoint: str | None = None
    readers: tuple[str, ...] = ()
    business_day: bool = False


class Span(msgspec.Struct, frozen=True):
    """A pair's relationship period: start, official end (extensions included), cohort start."""

    start: date
    end: date
    cohort_start: date
    midpoint: date


def _cohort_end(d: CohortDuration, cohort_start: date) -> date:
    return _cohort_end_of(d.start_month, d.end_month, cohort_start.year)


@lru_cache(maxsize=1024)
def _cohort_end_of(start_month: int, end_month: int, start_year: int) -> date:
    return last_day_of_month(start_year + (1 if end_month < start_month else 0), end_month)


def _cohort_for(d: CohortDuration, matched_on: date) -> date:
    return _cohort_start_for(d.start_month, d.end_month, matched_on)


@lru_cache(maxsize=1 << 14)
def _cohort_start_for(start_month: int, end_month: int, matched_on: date) -> date:
    """The first day of the cohort a pair matched on `matched_on` belongs to (the running
    one, or the next one when matched between cohorts)."""
    year = matched_on.year if matched_on.month >= start_month else matched_on.year - 1
    if matched_on > _cohort_end_of(start_month, end_month, year):
        year += 1
    return date(year, start_month, 1)


def relationship_span(scheme: Scheme, facts: PairFacts) -> Span:
    """Start, official end (with extensions) and midpoint of a pair; raises FactsError."""
    problems: list[str] = []
    d = scheme.duration
    matched = facts.matched_on
    if isinstance(d, CohortDuration):
        if facts.cohort_start is not None:
            cohort_start = facts.cohort_start
            if cohort_start.month != d.start_month:
                problems.append(
                    f"cohort_start {cohort_start.isoformat()} is not in "
                    f"{MONTH_NAMES[d.start_month]}, when this scheme's cohorts start"
                )
        else:
            cohort_start = _cohort_for(d, matched)
        start = max(matched, cohort_start)
        end = _cohort_end(d, cohort_start)
        if matched > end:
            problems.append(
                f"matched on {matched.isoformat()}, after the cohort ended ({end.isoformat()})"
            )
    else:
        cohort_start = facts.cohort_start or matched
        start = max(matched, cohort_start)
        months = d.months if isinstance(d, FixedDuration) else d.max_months
        end = add_months(start, months)
        if d.programme_months is not None:
            programme_end = add_months(cohort_start, d.programme_months)
            if start > programme_end:
                problems.append(
                    f"matched on {matched.isoformat()}, after the programme ended "
                    f"({programme_end.isoformat()})"
                )
            end = min(end, programme_end)
    mid = start + timedelta(days=(end - start).days // 2)
    if facts.extensions:
        ext = d.extension
        if ext is None:
            problems.append("this scheme does not allow extensions")
        for agreed_on, months in sorted(facts.extensions):
            if months < 1:
                problems.append(f"extension agreed on {agreed_on.isoformat()}: months must be ≥ 1")
                continue
            if agreed_on < matched:
                problems.append(
                    f"extension agreed on {agreed_on.isoformat()}, before matching"
                )
                continue
            if agreed_on > end:
                problems.append(
                    f"extension agreed on {agreed_on.isoformat()}, after the relationship "
                    f"ended ({end.isoformat()})"
                )
                continue
            end = add_months(end, months)
            if agreed_on <= mid:
                mid = start + timedelta(days=(end - start).days // 2)
        if ext is not None and ext.max_total_months is not None:
            cap = add_months(start, ext.max_total_months)
            if end > cap:
                problems.append(
                    f"extensions run to {end.isoformat()}, beyond the "
                    f"{ext.max_total_months}-month maximum ({cap.isoformat()})"
                )
        if d.monitoring_limit_months is not None:
            limit = add_months(matched, d.monitoring_limit_months)
            if end > limit:
                problems.append(
                    f"extensions run to {end.isoformat()}, beyond the "
                    f"{d.monitoring_limit_months}-month monitoring limit ({limit.isoformat()})"
                )
    if problems:
        raise FactsError(problems)
    return Span(start=start, end=end, cohort_start=cohort_start, midpoint=mid)


_ZERO = timedelta(0)


def _shift(d: date, months: int, delta: timedelta) -> date:
    """`d` + months (clamped) + a fixed timedelta — add_period with the timedelta prebuilt."""
    if months:
        d = add_months(d, months)
    return d + delta if delta else d


def _split(p: Period) -> tuple[int, timedelta]:
    return p.months, timedelta(days=p.weeks * 7 + p.days)


class _CheckpointPlan(msgspec.Struct, frozen=True):
    checkpoint: Checkpoint
    before: timedelta
    after: timedelta
    months: int = 0  # offset months
    delta: timedelta = _ZERO  # offset weeks/days, or the after-each-meeting delay
    months_sorted: tuple[int, ...] = ()  # first-business-day months, in calendar order


class _Plan(msgspec.Struct, frozen=True):
    """What :func:`timeline` derives from a scheme alone, computed once per scheme object:
    timedeltas and lookups that would otherwise be rebuilt for every pair."""

    checkpoints: tuple[_CheckpointPlan, ...]
    every: tuple[int, timedelta] | None
    late: tuple[int, timedelta] | None
    end_title: str


_PLANS: dict[int, tuple[Scheme, _Plan]] = {}


def _plan(scheme: Scheme) -> _Plan:
    cached = _PLANS.get(id(scheme))
    if cached is not None and cached[0] is scheme:
        return cached[1]
    cps = []
    for c in scheme.checkpoints:
        w = c.when
        before, after = timedelta(days=c.window_days_before), timedelta(days=c.window_days_after)
        if isinstance(w, OffsetWhen):
            cps.append(_CheckpointPlan(
                c, before, after, w.offset_months,
                timedelta(days=w.offset_weeks * 7 + w.offset_days),
            ))
        elif isinstance(w, AfterEachMeetingWhen):
            cps.append(_CheckpointPlan(c, before, after, 0, timedelta(days=w.within_days)))
        elif isinstance(w, FirstBusinessDayWhen):
            cps.append(_CheckpointPlan(c, before, after, months_sorted=tuple(sorted(w.months))))
        else:
            cps.append(_CheckpointPlan(c, before, after))
    cadence = scheme.meetings.cadence
    every = late = None
    if isinstance(cadence, IntervalCadence):
        every = _split(cadence.every)
        late = _split(cadence.at_most or cadence.every)
    d = scheme.duration
    end_title = (
        "Latest end of the relationship" if isinstance(d, RangeDuration)
        else "End of the programme" if isinstance(d, CohortDuration)
        else "Official end of the relationship"
    )
    plan = _Plan(tuple(cps), every, late, end_title)
    if len(_PLANS) > 1024:  # scheme versions come and go; keep the memo small
        _PLANS.clear()
    _PLANS[id(scheme)] = (scheme, plan)
    return plan


def _meetings(
    scheme: Scheme, plan: _Plan, facts: PairFacts, span: Span,
    out: list[tuple[date, int, int, Event]],
) -> list[Event]:
    """Append held and expected meetings to `out`; return them in date order."""
    m = scheme.meetings
    cadence = m.cadence
    if facts.agreed_cadence is not None:
        if isinstance(cadence, AgreedByPairCadence) or cadence.pair_may_agree:
            p = facts.agreed_cadence
            if p.months == p.weeks == p.days == 0:
                raise FactsError(["agreed_cadence must be longer than zero"])
            cadence = IntervalCadence(every=p)
            plan = msgspec.structs.replace(plan, every=_split(p), late=_split(p))
        else:
            raise FactsError(["this scheme does not let the pair agree its own cadence"])
    held = sorted(facts.meetings_held)
    for h in held:
        if h < facts.matched_on:
            raise FactsError([f"meeting held on {h.isoformat()}, before matching"])
    max_sessions = m.sessions.max if m.sessions is not None else None
    # (due, window_start, window_end, held, label suffix), numbered once sorted.
    slots: list[tuple[date, date, date, bool, str]] = [(h, h, h, True, "") for h in held]
    end = span.end
    if isinstance(cadence, IntervalCadence):
        assert plan.every is not None and plan.late is not None
        (every_months, every_delta), (late_months, late_delta) = plan.every, plan.late
        anchor = held[-1] if held else span.start
        previous = anchor
        k = 1
        while max_sessions is None or len(slots) < max_sessions:
            due = add_months(anchor, every_months * k) if every_months else anchor
            if every_delta:
                due = due + every_delta * k
            if due > end:
                break
            # Month clamping can put previous + interval before the k-th due date.
            late_end = _shift(previous, late_months, late_delta)
            if late_end < due:
                late_end = due
            slots.append((due, previous, late_end, False, ""))
            previous = due
            k += 1
    elif isinstance(cadence, CalendarMonthCadence):
        held_months = {(h.year, h.month) for h in held}
        start = span.start
        y, mo = start.year, start.month
        while max_sessions is None or len(slots) < max_sessions:
            first, last, label = month_bounds(y, mo)
            if first > end:
                break
            if (y, mo) not in held_months:
                slots.append((
                    last if last < end else end, first if first > start else start, last,
                    False, f" ({label})",
                ))
            y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    if held and not isinstance(cadence, IntervalCadence):
        # Interval slots already follow the last meeting held; calendar slots may not.
        slots.sort(key=lambda slot: (slot[0], not slot[3]))
    meetings = [
        Event(
            kind="meeting", due=due, audience="pair",
            title=f"Meeting {i} (held)" if is_held else f"Meeting {i}{suffix}",
            window_start=ws, window_end=we, status="held" if is_held else "expected",
        )
        for i, (due, ws, we, is_held, suffix) in enumerate(slots, start=1)
    ]
    for e in meetings:
        out.append((e.due, _RANK_MEETING, len(out), e))
    return meetings


def _checkpoint_events(
    cp: _CheckpointPlan,
    facts: PairFacts,
    span: Span,
    meetings: Sequence[Event],
    jurisdiction: str,
    out: list[tuple[date, int, int, Event]],
) -> None:
    c = cp.checkpoint
    w = c.when
    before, after = cp.before, cp.after
    end = span.end
    kind, audience, cid, readers = c.kind, c.audience, c.id, c.readers

    def add(due: date, title: str, ws: date, we: date, business: bool = False) -> None:
        out.append((due, _RANK_CHECKPOINT, len(out), Event(
            kind=kind, due=due, audience=audience, title=title, window_start=ws,
            window_end=we, checkpoint=cid, readers=readers, business_day=business,
        )))

    if isinstance(w, OffsetWhen):
        base = (
            facts.matched_on if w.anchor == "matching"
            else span.start if w.anchor == "start"
            else span.cohort_start
        )
        due = _shift(base, cp.months, cp.delta)
        if w.business_day:
            due = next_business_day(due, jurisdiction)
        if due < facts.matched_on or (due > end and not c.after_end):
            return
        add(due, c.title, due - before, due + after, w.business_day)
    elif isinstance(w, MidpointWhen):
        add(span.midpoint, c.title, span.midpoint - before, span.midpoint + after)
    elif isinstance(w, EndWhen):
        add(end, c.title, end - before, end + after)
    elif isinstance(w, CohortMonthWhen):
        y = span.cohort_start.year + (1 if w.month < span.cohort_start.month else 0)
        first, last, _label = month_bounds(y, w.month)
        if last < span.start or (last > end and not c.after_end):
            return
        add(last, c.title, first if first > span.start else span.start, last)
    elif isinstance(w, FirstBusinessDayWhen):
        start = span.start
        for y in range(start.year, end.year + 1):
            for mo in cp.months_sorted:
                due = first_business_day(y, mo, jurisdiction)
                if start <= due <= end:
                    label = month_bounds(y, mo)[2]
                    add(due, f"{c.title} ({label})", due - before, due + after, True)
    elif isinstance(w, AfterEachMeetingWhen):
        within = cp.delta
        for i, meeting in enumerate(meetings, start=1):
            if meeting.due > end and not c.after_end:
                continue
            due = meeting.due + within
            if due > end and not c.after_end:
                due = end
            add(due, f"{c.title} (after meeting {i})", meeting.due, due)


def timeline(scheme: Scheme, facts: PairFacts, *, jurisdiction: str) -> list[Event]:
    """Every expected meeting and checkpoint of one pair, sorted by due date.

    `scheme` is the version the pair started under; `jurisdiction` is the tenant's holiday
    jurisdiction ("GB-ENG", "CA-AB"). Raises :class:`FactsError` when the facts contradict
    the scheme. Does not modify its inputs.
    """
    plan = _plan(scheme)
    span = relationship_span(scheme, facts)
    out: list[tuple[date, int, int, Event]] = []
    meetings = _meetings(scheme, plan, facts, span, out)
    for cp in plan.checkpoints:
        _checkpoint_events(cp, facts, span, meetings, jurisdiction, out)
    out.append((span.end, _RANK_END, len(out), Event(
        kind="end", due=span.end, audience="pair", title=plan.end_title,
        window_start=span.end, window_end=span.end,
    )))
    out.sort()  # (due, rank, sequence) is unique, so events themselves are never compared
    return [t[3] for t in out]


def tenant_timeline(tenant_file: object, facts: PairFacts) -> list[Event]:
    """:func:`timeline` for a loaded :class:`~mentorhub.schemes.loader.TenantFile`."""
    from mentorhub.schemes.loader import TenantFile

    if not isinstance(tenant_file, TenantFile):
        raise TypeError("tenant_timeline expects a TenantFile")
    return timeline(tenant_file.scheme, facts, jurisdiction=tenant_file.tenant.jurisdiction)
