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

import calendar as _stdcal
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal

import msgspec

from mentorhub.schemes.calendar import (
    add_months,
    add_period,
    first_business_day,
    last_day_of_month,
    next_business_day,
)
from mentorhub.schemes.errors import FactsError
from mentorhub.schemes.model import (
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

_MONTH_NAMES = _stdcal.month_name

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
    year = cohort_start.year + (1 if d.end_month < d.start_month else 0)
    return last_day_of_month(year, d.end_month)


def _cohort_for(d: CohortDuration, matched_on: date) -> date:
    """The first day of the cohort a pair matched on `matched_on` belongs to (the running
    one, or the next one when matched between cohorts)."""
    year = matched_on.year if matched_on.month >= d.start_month else matched_on.year - 1
    start = date(year, d.start_month, 1)
    if matched_on > _cohort_end(d, start):
        start = date(year + 1, d.start_month, 1)
    return start


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
                    f"{_MONTH_NAMES[d.start_month]}, when this scheme's cohorts start"
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


def _meetings(
    scheme: Scheme, facts: PairFacts, span: Span, out: list[tuple[date, int, int, Event]]
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
        every, late = cadence.every, cadence.at_most or cadence.every
        anchor = held[-1] if held else span.start
        previous = anchor
        k = 1
        while max_sessions is None or len(slots) < max_sessions:
            due = add_period(anchor, every.months * k, every.weeks * k, every.days * k)
            if due > end:
                break
            # max(): month clamping can put previous + interval before the k-th due date.
            late_end = max(due, add_period(previous, late.months, late.weeks, late.days))
            slots.append((due, previous, late_end, False, ""))
            previous = due
            k += 1
    elif isinstance(cadence, CalendarMonthCadence):
        held_months = {(h.year, h.month) for h in held}
        y, mo = span.start.year, span.start.month
        while max_sessions is None or len(slots) < max_sessions:
            first = date(y, mo, 1)
            if first > end:
                break
            if (y, mo) not in held_months:
                last = last_day_of_month(y, mo)
                slots.append(
                    (min(last, end), max(first, span.start), last, False,
                     f" ({_MONTH_NAMES[mo]} {y})")
                )
            y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    if held:
        slots.sort(key=lambda s: (s[0], not s[3]))
    meetings = [
        Event(
            kind="meeting", due=due, audience="pair",
            title=f"Meeting {i}" + (" (held)" if is_held else suffix),
            window_start=ws, window_end=we, status="held" if is_held else "expected",
        )
        for i, (due, ws, we, is_held, suffix) in enumerate(slots, start=1)
    ]
    for e in meetings:
        out.append((e.due, _RANK_MEETING, len(out), e))
    return meetings


def _checkpoint_events(
    c: Checkpoint,
    facts: PairFacts,
    span: Span,
    meetings: Sequence[Event],
    jurisdiction: str,
    out: list[tuple[date, int, int, Event]],
) -> None:
    w = c.when
    before, after = timedelta(days=c.window_days_before), timedelta(days=c.window_days_after)
    end = span.end

    def add(due: date, title: str, ws: date, we: date, business: bool = False) -> None:
        out.append((due, _RANK_CHECKPOINT, len(out), Event(
            kind=c.kind, due=due, audience=c.audience, title=title, window_start=ws,
            window_end=we, checkpoint=c.id, readers=c.readers, business_day=business,
        )))

    if isinstance(w, OffsetWhen):
        base = (
            facts.matched_on if w.anchor == "matching"
            else span.start if w.anchor == "start"
            else span.cohort_start
        )
        due = add_period(base, w.offset_months, w.offset_weeks, w.offset_days)
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
        first, last = date(y, w.month, 1), last_day_of_month(y, w.month)
        if last < span.start or (last > end and not c.after_end):
            return
        add(last, c.title, max(first, span.start), last)
    elif isinstance(w, FirstBusinessDayWhen):
        y, mo = span.start.year, span.start.month
        wanted = frozenset(w.months)
        while date(y, mo, 1) <= end:
            if mo in wanted:
                due = first_business_day(y, mo, jurisdiction)
                if span.start <= due <= end:
                    add(due, f"{c.title} ({_MONTH_NAMES[mo]} {y})", due - before, due + after, True)
            y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    elif isinstance(w, AfterEachMeetingWhen):
        within = timedelta(days=w.within_days)
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
    span = relationship_span(scheme, facts)
    out: list[tuple[date, int, int, Event]] = []
    meetings = _meetings(scheme, facts, span, out)
    for c in scheme.checkpoints:
        _checkpoint_events(c, facts, span, meetings, jurisdiction, out)
    d = scheme.duration
    title = (
        "Latest end of the relationship" if isinstance(d, RangeDuration)
        else "End of the programme" if isinstance(d, CohortDuration)
        else "Official end of the relationship"
    )
    out.append((span.end, _RANK_END, len(out), Event(
        kind="end", due=span.end, audience="pair", title=title,
        window_start=span.end, window_end=span.end,
    )))
    out.sort(key=lambda t: (t[0], t[1], t[2]))
    return [t[3] for t in out]


def tenant_timeline(tenant_file: object, facts: PairFacts) -> list[Event]:
    """:func:`timeline` for a loaded :class:`~mentorhub.schemes.loader.TenantFile`."""
    from mentorhub.schemes.loader import TenantFile

    if not isinstance(tenant_file, TenantFile):
        raise TypeError("tenant_timeline expects a TenantFile")
    return timeline(tenant_file.scheme, facts, jurisdiction=tenant_file.tenant.jurisdiction)
