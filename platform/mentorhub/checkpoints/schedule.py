"""Which checkpoint items a pair has, and the clock's steps for each item — pure.

No database, no clock, no I/O: the sync (`checkpoints.sync`), the clock (`checkpoints.clock`),
the golden tests and the benchmark all get the same answer for the same inputs.

* :func:`item_specs` turns a pair's timeline (`schemes.timeline`) into the items it should
  have: one per checkpoint occurrence and person (audience "each" → mentor and mentee), or
  one per pair ("pair", "coordinator"). An item is identified by (checkpoint, slot,
  member_id); `slot` names the occurrence: "" for a one-off, "YYYY-MM" for a
  first-business-day checkpoint, the held meeting's "YYYY-MM-DD" (then "-2", "-3" for a
  second or third meeting that day) for an after-each-meeting one.
* :func:`steps_for` lists what the clock does for one item and when (the tenant's local
  `send_at` on business days, as aware UTC); :func:`advance` says what is due at `now`.
* :func:`quiet_allowance_days` is how long a pair may go without activity.

Decisions where the issue is silent:

- A held meeting is recognised among the timeline's after-each-meeting events by its date
  (the event's window starts on the meeting's day): the timeline never expects a meeting on
  a day one was held (interval meetings roll from the last one held; calendar-month meetings
  are expected only in months without one).
- An ended pair's end-anchored item moves to the end date E with its window kept the same
  width around it (E − window_days_before … E + window_days_after).
- A before-due reminder that falls on the opening day or earlier is left out (the opening
  mail already says the due date), and so is an after-due one (an item opening late, e.g.
  due on a Saturday with no days before its due date, is not "overdue" in its first mail);
  the missed day still counts it. Two reminders that land on the same business day are
  both kept as steps, and :func:`advance` sends only one mail when both are due together.
- `quiet.after_days`, when set, is the whole allowance (as `schemes.rules.Quiet` says);
  `grace_days` is added to an allowance derived from the cadence. A pair's agreed cadence
  counts wherever the scheme lets the pair agree one (`agreed_by_pair`, `pair_may_agree`).
- A local send time that does not exist (a spring-forward gap) is read with the offset in
  force before the change (zoneinfo's fold=0), e.g. 02:30 becomes 03:30 local.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Literal

import msgspec

from mentorhub.schemes.calendar import is_business_day, next_business_day
from mentorhub.schemes.rules import (
    AfterEachMeetingWhen,
    AgreedByPairCadence,
    CalendarMonthCadence,
    Checkpoint,
    EndWhen,
    FirstBusinessDayWhen,
    IntervalCadence,
    Period,
    Reminders,
    Scheme,
)
from mentorhub.schemes.timeline import PairFacts, timeline

__all__ = [
    "MAIL_AFTER",
    "MAIL_BEFORE",
    "MAIL_OPEN",
    "Advance",
    "ItemSpec",
    "Step",
    "advance",
    "item_specs",
    "local_at",
    "period_days",
    "previous_business_day",
    "quiet_allowance_days",
    "steps_for",
]

#: Message kinds of the clock's mail steps.
MAIL_OPEN = "checkpoint_open"
MAIL_BEFORE = "reminder"
MAIL_AFTER = "checkpoint_overdue"

_ONE_DAY = timedelta(days=1)

EndKind = Literal["completed", "ended_early", "removed"]


class ItemSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One item a pair should have: who answers (`member_id`; None for a pair item or a
    coordinator's task), when it opens, is due and closes (inclusive)."""

    checkpoint: str
    slot: str
    member_id: uuid.UUID | None
    kind: str
    title: str
    audience: str
    readers: tuple[str, ...]
    due_on: date
    opens_on: date
    closes_on: date
    anchored_to_end: bool

    @property
    def identity(self) -> tuple[str, str, uuid.UUID | None]:
        """(checkpoint, slot, member_id): the unique identity of the item within its pair."""
        return (self.checkpoint, self.slot, self.member_id)


class Step(msgspec.Struct, frozen=True):
    """One thing the clock does for an item: `name` ("open", "before:3", "after:2",
    "missed"), its local day, the moment (aware UTC) and the mail kind (None: no mail)."""

    name: str
    on: date
    at: datetime
    mail: str | None


class Advance(msgspec.Struct, frozen=True):
    """What :func:`advance` found due: the new step count, whether the item opens or is
    missed now, the one mail to send (or None) and when to look next (None: never)."""

    done: int
    opened: bool
    missed: bool
    mail: Step | None
    next_at: datetime | None


# --- which items ---------------------------------------------------------------------------


def _members(
    audience: str, mentor_id: uuid.UUID, mentee_id: uuid.UUID
) -> tuple[uuid.UUID | None, ...]:
    if audience == "each":
        return (mentor_id, mentee_id)
    if audience == "mentor":
        return (mentor_id,)
    if audience == "mentee":
        return (mentee_id,)
    return (None,)  # pair (answered once for both), coordinator (a task)


def _makes_items(scheme: Scheme, c: Checkpoint) -> bool:
    """A coordinator checkpoint is a task; a participant one needs a form or a place in the
    pair's space where it is done (older scheme versions have neither: no item)."""
    return (
        c.audience == "coordinator"
        or c.done_in is not None
        or (scheme.checkpoint_form(c.id) is not None)
    )


def item_specs(
    scheme: Scheme,
    facts: PairFacts,
    *,
    jurisdiction: str,
    mentor_id: uuid.UUID,
    mentee_id: uuid.UUID,
    ended: tuple[str, date] | None = None,
) -> list[ItemSpec]:
    """The items a pair should have now, in the timeline's order.

    `facts.meetings_held` gives the after-each-meeting items (meetings only expected make
    none). `ended` is (end kind, local end date E) of an ended pair: items due after E are
    dropped, except that those anchored to the end move to E — for a removed pair they are
    dropped too. Raises `schemes.errors.FactsError` when the facts contradict the scheme.
    """
    checkpoints = {c.id: c for c in scheme.checkpoints if _makes_items(scheme, c)}
    if not checkpoints:
        return []
    held = Counter(facts.meetings_held)
    used: Counter[date] = Counter()
    out: list[ItemSpec] = []
    for event in timeline(scheme, facts, jurisdiction=jurisdiction):
        if event.checkpoint is None:
            continue
        c = checkpoints.get(event.checkpoint)
        if c is None:
            continue
        when = c.when
        slot = ""
        if isinstance(when, AfterEachMeetingWhen):
            day = event.window_start  # the meeting's day
            if used[day] >= held[day]:
                continue  # an expected meeting, not held
            used[day] += 1
            slot = day.isoformat() if used[day] == 1 else f"{day.isoformat()}-{used[day]}"
        elif isinstance(when, FirstBusinessDayWhen):
            slot = f"{event.due.year:04d}-{event.due.month:02d}"
        due, opens, closes = event.due, event.window_start, event.window_end
        anchored = isinstance(when, EndWhen)
        if ended is not None:
            kind, end = ended
            if due > end:
                if not anchored or kind == "removed":
                    continue
                due = end
                opens = end - timedelta(days=c.window_days_before)
                closes = end + timedelta(days=c.window_days_after)
        for member_id in _members(c.audience, mentor_id, mentee_id):
            out.append(
                ItemSpec(
                    checkpoint=c.id,
                    slot=slot,
                    member_id=member_id,
                    kind=event.kind,
                    title=event.title,
                    audience=c.audience,
                    readers=tuple(event.readers),
                    due_on=due,
                    opens_on=opens,
                    closes_on=closes,
                    anchored_to_end=anchored,
                )
            )
    return out


# --- the clock's steps ---------------------------------------------------------------------


def previous_business_day(d: date, jurisdiction: str) -> date:
    """`d` itself when it is a business day, else the one before it."""
    while not is_business_day(d, jurisdiction):
        d -= _ONE_DAY
    return d


@lru_cache(maxsize=1 << 12)
def local_at(day: date, send_at: str, zone: tzinfo) -> datetime:
    """`send_at` ("09:00") on `day` in `zone`, as an aware UTC datetime (DST-safe: the
    offset is the one in force on that day; 09:00 in Edmonton is 16:00 UTC in January,
    15:00 UTC in July). Memoised: a tenant's items share a few hundred days."""
    hours, minutes = send_at.split(":")
    local = datetime.combine(day, time(int(hours), int(minutes)), tzinfo=zone)
    return local.astimezone(UTC)


def steps_for(
    *,
    opens_on: date,
    due_on: date,
    closes_on: date,
    audience: str,
    reminders: Reminders,
    zone: tzinfo,
    jurisdiction: str,
) -> tuple[Step, ...]:
    """The clock's steps for one item, sorted by time (see the module docstring).
    Memoised: the pairs matched on one day share their items' dates, so a sync of
    thousands of pairs computes each distinct schedule once."""
    return _steps(
        opens_on, due_on, closes_on, audience == "coordinator", reminders, zone, jurisdiction
    )


@lru_cache(maxsize=1 << 15)
def _steps(
    opens_on: date,
    due_on: date,
    closes_on: date,
    coordinator: bool,
    reminders: Reminders,
    zone: tzinfo,
    jurisdiction: str,
) -> tuple[Step, ...]:
    send_at = reminders.send_at

    def step(name: str, day: date, mail: str | None) -> Step:
        return Step(name, day, local_at(day, send_at, zone), mail)

    open_day = min(next_business_day(opens_on, jurisdiction), closes_on)
    opening = step("open", open_day, MAIL_OPEN if reminders.at_opening else None)
    if coordinator:
        return (opening,)
    steps = [opening]
    for n in sorted(set(reminders.before_due_days), reverse=True):
        day = previous_business_day(due_on - timedelta(days=n), jurisdiction)
        if day > open_day:
            steps.append(step(f"before:{n}", day, MAIL_BEFORE))
    last = closes_on
    for n in sorted(set(reminders.after_due_days)):
        day = next_business_day(due_on + timedelta(days=n), jurisdiction)
        last = max(last, day)
        if day > open_day:
            steps.append(step(f"after:{n}", day, MAIL_AFTER))
    steps.append(step("missed", last + _ONE_DAY, None))
    # Stable: on the same moment the opening comes first, "missed" always last.
    steps.sort(key=lambda s: s.at)
    return tuple(steps)


def advance(steps: Sequence[Step], done: int, now: datetime) -> Advance:
    """Do every step not yet done whose time has come (`at` ≤ `now`).

    The item opens if "open" is among them and is missed if "missed" is (then nothing is
    mailed); otherwise at most one mail goes out, the latest of those due (catching up after
    downtime sends one mail, not three). `next_at` is the next step's time, or None.
    """
    k = done
    while k < len(steps) and steps[k].at <= now:
        k += 1
    now_done = steps[done:k]
    missed = any(s.name == "missed" for s in now_done)
    mail = None
    if not missed:
        mail = next((s for s in reversed(now_done) if s.mail is not None), None)
    return Advance(
        done=k,
        opened=any(s.name == "open" for s in now_done),
        missed=missed,
        mail=mail,
        next_at=steps[k].at if k < len(steps) else None,
    )


# --- quiet pairs ---------------------------------------------------------------------------


def period_days(p: Period) -> int:
    """A period in days, months counted as 30."""
    return p.months * 30 + p.weeks * 7 + p.days


def quiet_allowance_days(scheme: Scheme, agreed: Period | None) -> int | None:
    """Days a pair may go without activity before it counts as quiet; None: the scheme does
    not nudge quiet pairs."""
    quiet = scheme.reminders.quiet
    if not quiet.enabled:
        return None
    if quiet.after_days is not None:
        return quiet.after_days
    cadence = scheme.meetings.cadence
    may_agree = isinstance(cadence, AgreedByPairCadence) or (
        isinstance(cadence, IntervalCadence | CalendarMonthCadence) and cadence.pair_may_agree
    )
    if agreed is not None and may_agree and period_days(agreed) > 0:
        base = period_days(agreed)
    elif isinstance(cadence, IntervalCadence):
        base = period_days(cadence.at_most or cadence.every)
    elif isinstance(cadence, CalendarMonthCadence):
        base = 31
    else:
        base = 60
    return base + quiet.grace_days
