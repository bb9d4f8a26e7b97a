"""A pair's meetings against its scheme's cadence: how many held, how much contact, what the
scheme expects by now and in all, and whether the pair is on track — in plain words.

Pure (no database, web or clock: `today` is passed in), like the timeline it reads. The
expected meetings are the timeline's (:func:`mentorhub.schemes.timeline.timeline`): this
module never re-derives a cadence's due dates, it counts the timeline's meeting events.

Decisions where the issue is silent:

- *Contact time* is the held meetings' minutes (the recorded actual length). Meetings held
  before the matching date are ignored (the services refuse recording them anyway); meetings
  held after the official end (pairs carrying on informally) count.
- *Expected so far* is the number of the timeline's meeting events (held or expected) due on
  or before the day we look from; *in all* is every meeting event within the relationship.
  The day we look from is `today`, or the day the pair ended / its official end when earlier.
- *Behind* has three plain reasons, each one line on the page:
  1. a meeting the timeline expects is overdue (its on-time window closed before today);
  2. the contact time is below the scheme's minimum pro rata — `contact_hours.min` × whole
     months elapsed / whole months of the relationship (no expectation in the first month);
  3. the last complete cadence interval (ASA: a month) had less than
     `min_hours_per_interval` of meetings (the scheme counts preparation and reflection too,
     which the product does not see, so the line says "meetings" not "time");
  and, once the relationship is over, fewer sessions held than `sessions.min`.
- A scheme whose cadence the pair agrees (AHEP) expects no meetings until the pair has
  agreed one (`PairFacts.agreed_cadence`); its summary says so instead of counting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, NamedTuple

import msgspec

from mentorhub.schemes.calendar import add_months
from mentorhub.schemes.rules import (
    AgreedByPairCadence,
    CalendarMonthCadence,
    IntervalCadence,
    Period,
    Scheme,
)
from mentorhub.schemes.timeline import PairFacts, Span, relationship_span, timeline

__all__ = [
    "CadenceSummary",
    "Held",
    "hours_words",
    "months_between",
    "period_words",
    "summarise",
]

Stage = Literal["not_started", "running", "over"]

_NUMBER_WORDS: tuple[str, ...] = ("no", "one", "two", "three", "four", "five", "six")
_NUMBER_WORDS += ("seven", "eight", "nine", "ten", "eleven", "twelve")


class Held(NamedTuple):
    """A meeting held: the day (in the tenant's zone) and its actual length in minutes."""

    on: date
    minutes: int


@dataclass(frozen=True)
class CadenceSummary:
    """What the pair's page, the pair's home and the coordinator show about the meetings."""

    span: Span
    #: The day the counts are taken on (today, capped at the end).
    as_of: date
    stage: Stage
    held: int
    contact_minutes: int
    #: Meetings the timeline expects by `as_of` (held ones included) and in all; None when
    #: the scheme expects no particular number (cadence agreed by the pair, not agreed yet).
    expected_so_far: int | None
    expected_total: int | None
    #: The next expected meeting's due date and the end of its on-time window.
    next_due: date | None
    next_due_by: date | None
    #: Expected meetings whose on-time window closed before `as_of`.
    overdue: tuple[date, ...]
    #: The scheme's figures (None where it states none).
    contact_hours_min: float | None
    contact_hours_max: float | None
    min_hours_per_interval: float | None
    interval_words: str | None
    #: Complete intervals with less than `min_hours_per_interval` of meetings, and whether
    #: the last complete one is among them.
    short_intervals: int
    last_interval_short: bool
    sessions_min: int | None
    sessions_max: int | None
    session_minutes_min: int | None
    session_minutes_max: int | None
    #: Contact hours the scheme's minimum asks for by now (pro rata), or None.
    hours_due_by_now: float | None
    #: Why the pair is behind (plain words, one per reason); empty when on track.
    behind: tuple[str, ...]
    #: Plain-words lines for the page, the most important first.
    lines: tuple[str, ...]

    @property
    def contact_hours(self) -> float:
        return self.contact_minutes / 60

    @property
    def on_track(self) -> bool:
        return not self.behind


def months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end` (0 when `end` is before a month passed)."""
    if end <= start:
        return 0
    n = (end.year - start.year) * 12 + end.month - start.month
    while n > 0 and add_months(start, n) > end:
        n -= 1
    return n


def hours_words(minutes: int) -> str:
    """Contact time in words: "5.5 hours", "1 hour", "45 minutes", "no time"."""
    if minutes <= 0:
        return "no time"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes / 60
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return f"{text} hour{'' if text == '1' else 's'}"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _spelled(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def period_words(p: Period) -> str:
    """ "month", "two months", "six weeks", "two weeks and three days"."""
    parts = []
    for n, unit in ((p.months, "month"), (p.weeks, "week"), (p.days, "day")):
        if n:
            parts.append(unit if n == 1 else f"{_spelled(n)} {unit}s")
    return " and ".join(parts) if parts else "day"


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _interval(scheme: Scheme, facts: PairFacts) -> Period | None:
    """The cadence interval: the pair's agreed one where the scheme lets it, else the
    scheme's (a calendar month for a calendar-month cadence); None when not known yet."""
    cadence = scheme.meetings.cadence
    if facts.agreed_cadence is not None and (
        isinstance(cadence, AgreedByPairCadence) or cadence.pair_may_agree
    ):
        return facts.agreed_cadence
    if isinstance(cadence, IntervalCadence):
        return cadence.every
    if isinstance(cadence, CalendarMonthCadence):
        return Period(months=1)
    return None


def _step(start: date, p: Period, k: int) -> date:
    d = add_months(start, p.months * k) if p.months else start
    return d + timedelta(days=(p.weeks * 7 + p.days) * k)


def _range_words(low: float | None, high: float | None, unit: str) -> str:
    if low is not None and high is not None:
        if low == high:
            return f"{_number(low)} {unit}"
        return f"{_number(low)} to {_number(high)} {unit}"
    if low is not None:
        return f"at least {_number(low)} {unit}"
    return f"up to {_number(high or 0)} {unit}"


def summarise(
    scheme: Scheme,
    facts: PairFacts,
    held: Sequence[Held],
    today: date,
    *,
    jurisdiction: str,
    ended_on: date | None = None,
) -> CadenceSummary:
    """The pair's meetings against the scheme's cadence as of `today`.

    `facts` is the pair's (pairs.services.facts_of; its `meetings_held` is ignored: the held
    meetings come from `held`); `jurisdiction` is the tenant's (the timeline's business days);
    `ended_on`: the day the pair ended early, if it did. Raises FactsError like the timeline.
    """
    held = sorted((h for h in held if h.on >= facts.matched_on), key=lambda h: h.on)
    facts = msgspec.structs.replace(facts, meetings_held=tuple(h.on for h in held))
    span = relationship_span(scheme, facts)
    end = span.end if ended_on is None else min(span.end, ended_on)
    as_of = min(today, end)
    stage: Stage = "not_started" if today < span.start else "over" if today >= end else "running"
    m = scheme.meetings
    contact = sum(max(0, h.minutes) for h in held)

    # Expected meetings: the timeline's meeting events, counted, never re-derived.
    cadence = m.cadence
    counts_meetings = not (
        isinstance(cadence, AgreedByPairCadence) and facts.agreed_cadence is None
    )
    events = [e for e in timeline(scheme, facts, jurisdiction=jurisdiction) if e.kind == "meeting"]
    expected_so_far = expected_total = None
    next_due = next_due_by = None
    overdue: tuple[date, ...] = ()
    if counts_meetings:
        expected_so_far = sum(1 for e in events if e.due <= as_of)
        expected_total = len(events)
        waiting = [e for e in events if e.status == "expected"]
        overdue = tuple(e.due for e in waiting if e.window_end < as_of)
        upcoming = [e for e in waiting if e.window_end >= as_of]
        if upcoming and stage != "over":
            next_due, next_due_by = upcoming[0].due, upcoming[0].window_end

    # Contact hours pro rata.
    total_months = max(1, months_between(span.start, span.end))
    elapsed = min(total_months, months_between(span.start, as_of)) if stage != "not_started" else 0
    hours = m.contact_hours
    hours_due = None
    if hours is not None and hours.min is not None:
        hours_due = hours.min * elapsed / total_months

    # Hours in each complete cadence interval.
    interval = _interval(scheme, facts)
    short = 0
    last_short = False
    if m.min_hours_per_interval is not None and interval is not None and stage != "not_started":
        need = m.min_hours_per_interval * 60
        k = 0
        while True:
            lo, hi = _step(span.start, interval, k), _step(span.start, interval, k + 1)
            if hi <= lo or hi > as_of:
                break
            got = sum(h.minutes for h in held if lo <= h.on < hi)
            last_short = got < need
            short += last_short
            k += 1

    # Why behind.
    behind: list[str] = []
    if overdue:
        first = overdue[0]
        due_event = next(e for e in events if e.status == "expected" and e.due == first)
        more = f" ({_count(len(overdue), 'meeting')} overdue)" if len(overdue) > 1 else ""
        behind.append(
            f"A meeting was due by {_day(due_event.window_end)} and none is recorded{more}."
        )
    if hours_due is not None and contact / 60 < hours_due:
        behind.append(
            f"{hours_words(contact).capitalize()} of contact so far; by now the scheme's "
            f"minimum works out at {_number(round(hours_due, 2))} hours."
        )
    if last_short and m.min_hours_per_interval is not None and interval is not None:
        behind.append(
            f"The last {period_words(interval)} had less than "
            f"{_number(m.min_hours_per_interval)} hours of meetings."
        )
    if (
        stage == "over"
        and m.sessions is not None
        and m.sessions.min is not None
        and len(held) < m.sessions.min
    ):
        behind.append(
            f"{_count(len(held), 'session').capitalize()} held; the scheme expects at least "
            f"{m.sessions.min}."
        )

    # Plain words.
    months_words = f"{_spelled(total_months)} month{'s' if total_months != 1 else ''}"
    head = (
        f"{_count(len(held), 'meeting')}, {hours_words(contact)} of contact"
        if held
        else "No meetings held yet"
    )
    lines: list[str] = []
    if hours is not None and (hours.min is not None or hours.max is not None):
        lines.append(
            f"{head}: the scheme asks for "
            f"{_range_words(hours.min, hours.max, 'hours')} in {months_words}."
        )
    else:
        lines.append(f"{head}.")
    if not counts_meetings:
        lines.append("You agree together how often to meet; the scheme sets no number.")
    elif expected_total is not None:
        rhythm = (
            "a meeting every calendar month"
            if isinstance(cadence, CalendarMonthCadence) and facts.agreed_cadence is None
            else f"a meeting every {period_words(interval)}"
            if interval is not None
            else "its meetings"
        )
        lines.append(
            f"At {rhythm}, the scheme expects "
            f"{_count(expected_so_far, 'meeting') if expected_so_far else 'no meetings'} "
            f"by now and {expected_total} in all."
        )
    if next_due is not None and next_due_by is not None:
        lines.append(
            f"Next meeting expected around {_day(next_due)}"
            + (f", by {_day(next_due_by)} at the latest." if next_due_by != next_due else ".")
        )
    if m.min_hours_per_interval is not None and interval is not None:
        extra = f" ({_count(short, 'period')} fell short so far)" if short else ""
        lines.append(
            f"The scheme asks for at least {_number(m.min_hours_per_interval)} hours every "
            f"{period_words(interval)}, preparation and reflection included{extra}."
        )
    if m.sessions is not None and (m.sessions.min is not None or m.sessions.max is not None):
        lines.append(
            f"The scheme expects {_range_words(m.sessions.min, m.sessions.max, 'sessions')} in all."
        )
    if stage == "not_started":
        lines.append(f"The relationship starts on {_day(span.start)}.")
    elif behind:
        lines.extend(behind)
    else:
        lines.append("On track." if stage == "running" else "The relationship is over.")

    sm = m.session_minutes
    return CadenceSummary(
        span=span,
        as_of=as_of,
        stage=stage,
        held=len(held),
        contact_minutes=contact,
        expected_so_far=expected_so_far,
        expected_total=expected_total,
        next_due=next_due,
        next_due_by=next_due_by,
        overdue=overdue,
        contact_hours_min=hours.min if hours is not None else None,
        contact_hours_max=hours.max if hours is not None else None,
        min_hours_per_interval=m.min_hours_per_interval,
        interval_words=period_words(interval) if interval is not None else None,
        short_intervals=short,
        last_interval_short=last_short,
        sessions_min=m.sessions.min if m.sessions is not None else None,
        sessions_max=m.sessions.max if m.sessions is not None else None,
        session_minutes_min=sm.min if sm is not None else None,
        session_minutes_max=sm.max if sm is not None else None,
        hours_due_by_now=hours_due,
        behind=tuple(behind),
        lines=tuple(lines),
    )
