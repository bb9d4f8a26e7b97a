"""Quiet pairs: a pair with nothing recorded for longer than its scheme's cadence allows is
nudged, then put on the coordinator's list (run by the clock, `checkpoints.clock`).

`pairs.quiet_next_at` is when the clock next looks at a live pair (the sync sets it from
the pair's start and clears it when the pair ends; `checkpoints.sync`). When it comes, the
clock finds the pair's last activity — the latest of: the pair was matched, a meeting was
created or recorded, a chat message, an item sent in, a log entry shared — and:

* a new quiet spell: the pair was nudged (stage 1) or listed (stage 2) about an earlier
  last activity, and something happened since (no nudge was written about the present last
  activity): the pair is not "still quiet". Its open quiet-pair task is closed ("activity
  resumed") and it is looked at as at stage 0, below: a new spell is nudged first and never
  goes straight to the coordinator's list;
* activity within the allowance (`schedule.quiet_allowance_days`): the pair is not quiet;
  the next look is the last activity + the allowance, the stage goes back to 0, and an open
  quiet-pair task of the pair is closed ("activity resumed");
* stage 0 and quiet: both people get `quiet_pair_nudge` (key
  `quiet:<pair>:<last activity>:<member>`), stage 1, the next look in
  `coordinator_after_days`;
* stage 1 (or 2) and still quiet (the nudge was about this same last activity): a
  coordinator task of kind `quiet_pair` (key `task:quiet:<pair>:<last activity>`), stage 2,
  the next look in the allowance (a re-check: the same quiet spell never makes a second
  task or a second nudge).

Every look, hence every nudge and every quiet task, is on a business day of the tenant's
jurisdiction at the scheme's `reminders.send_at` in its time zone, like every other mail of
the clock (the issue: the clock is driven by the tenant's calendar): each `quiet_next_at` —
the sync's first one, a reschedule after activity, the step to the coordinator's list, the
re-check — is the day the rule above gives, moved to the next business day when it is a
weekend day or a public holiday (:func:`look_at`). A pass run on another day (catching up
after downtime, `mentorhub clock run --as-of` a Sunday) does what is due then, and its next
look is on a business day again.

Decisions where the issue is silent:

* Days are counted on the tenant's local calendar (the activity's local day to the look's
  day), calendar days, weekends included: only the look moves to a business day, so a
  nudge says how long the pair has really been quiet.
* The step to the coordinator's list and the re-check count from the day of the look that
  made them (the nudge's, the task's), not from the day they were due.
* Whether the nudge was about the present quiet spell is read from the messages the clock
  wrote (the nudge's key carries the last activity it was about): no column to keep in step,
  and a nudge held back from a person who turned reminders off still counts (its row is
  written, suppressed).
* A new spell found already longer than the allowance (activity soon after the nudge, then
  nothing for a whole allowance before the look) is nudged at that look, not scheduled in
  the past for a later pass: the pass that finds it does it, and a second pass the same day
  does nothing.
* A quiet task closed because activity resumed is *cancelled* (nobody did it; the note says
  why and when), so the coordinator's done tasks count only what coordinators did.
* The pair's agreed cadence is not recorded anywhere yet (`PairFacts.agreed_cadence` is
  never filled from the space), so an `agreed_by_pair` scheme uses the default allowance.
* The pair's `lock_version` is not moved: the clock's bookkeeping must not refuse a
  person's form that was open at the time.
* Pairs are taken in batches, locked `FOR UPDATE SKIP LOCKED`: a pair that a person's action
  holds right now is looked at on the next pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.services import scheme_of
from mentorhub.checkpoints.mailing import day_words, members_by_id
from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.checkpoints.schedule import local_at, quiet_allowance_days
from mentorhub.messages.models import Message
from mentorhub.messages.services import Outgoing, send_many
from mentorhub.pairs.models import LIVE_STATES, Pair
from mentorhub.pairs.services.lifecycle import pair_link
from mentorhub.pairs.space_models import ChatMessage, LogEntry, Meeting
from mentorhub.schemes.calendar import next_business_day
from mentorhub.tenancy.models import Tenant

__all__ = ["BATCH", "QuietResult", "last_activity", "look_at", "nudge_key", "run_quiet"]

#: Pairs looked at per statement.
BATCH = 1000

_pairs = cast(Table, Pair.__table__)
_tasks = cast(Table, CoordinatorTask.__table__)


@dataclass
class QuietResult:
    """What one pass did for the tenant's quiet pairs."""

    looked: int = 0
    nudged: int = 0
    tasks: int = 0
    resumed: int = 0
    #: The messages written (ids), for a dry run's list.
    message_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    id: uuid.UUID
    mentor_id: uuid.UUID
    mentee_id: uuid.UUID
    matched_on: date
    scheme_version: int
    state: str
    stage: int


def look_at(day: date, send_at: str, zone: tzinfo, jurisdiction: str) -> datetime:
    """A quiet look due on `day`: the send time on `day`, or on the next business day of the
    jurisdiction when `day` is a weekend day or a public holiday (aware UTC)."""
    return local_at(next_business_day(day, jurisdiction), send_at, zone)


def nudge_key(pair_id: uuid.UUID, since: date, member_id: uuid.UUID) -> str:
    """The message key of a quiet nudge: the pair, the last activity it is about, the
    person (issue 16's contract)."""
    return f"quiet:{pair_id}:{since.isoformat()}:{member_id}"


async def _nudged(
    session: AsyncSession, tenant: Tenant, about: Sequence[tuple[_Due, date]]
) -> set[uuid.UUID]:
    """The pairs among `about` (a pair, its present last activity) that were nudged about
    that last activity: one of the two people's nudge keys is in the tenant's messages."""
    keys = {
        nudge_key(d.id, since, member): d.id
        for d, since in about
        for member in (d.mentor_id, d.mentee_id)
    }
    if not keys:
        return set()
    found = await session.execute(
        select(Message.key).where(Message.tenant_id == tenant.id, Message.key.in_(list(keys)))
    )
    return {keys[key] for key in found.scalars()}


async def last_activity(
    session: AsyncSession, pairs: Sequence[tuple[uuid.UUID, date]], zone: tzinfo
) -> dict[uuid.UUID, date]:
    """Each pair's last activity as a local day: its match day, or later the latest meeting
    created or recorded, chat message, item sent in or log entry shared."""
    last = {pair_id: matched_on for pair_id, matched_on in pairs}
    ids = list(last)
    if not ids:
        return last
    statements = (
        select(Meeting.pair_id, func.max(func.greatest(Meeting.created_at, Meeting.recorded_at)))
        .where(Meeting.pair_id.in_(ids))
        .group_by(Meeting.pair_id),
        select(ChatMessage.pair_id, func.max(ChatMessage.created_at))
        .where(ChatMessage.pair_id.in_(ids))
        .group_by(ChatMessage.pair_id),
        select(CheckpointItem.pair_id, func.max(CheckpointItem.submitted_at))
        .where(CheckpointItem.pair_id.in_(ids), CheckpointItem.submitted_at.is_not(None))
        .group_by(CheckpointItem.pair_id),
        select(LogEntry.pair_id, func.max(LogEntry.shared_at))
        .where(LogEntry.pair_id.in_(ids), LogEntry.shared_at.is_not(None))
        .group_by(LogEntry.pair_id),
    )
    for statement in statements:
        for pair_id, at in await session.execute(statement):
            if at is not None:
                day = at.astimezone(zone).date()
                if day > last[pair_id]:
                    last[pair_id] = day
    return last


async def run_quiet(
    session: AsyncSession, tenant: Tenant, *, now: datetime, zone: tzinfo
) -> QuietResult:
    """Look at every live pair of the session's tenant whose `quiet_next_at` has come (see
    the module docstring), in the caller's transaction."""
    result = QuietResult()
    seen: set[uuid.UUID] = set()
    while True:
        rows = (
            await session.execute(
                select(
                    Pair.id,
                    Pair.mentor_id,
                    Pair.mentee_id,
                    Pair.matched_on,
                    Pair.scheme_version,
                    Pair.state,
                    Pair.quiet_stage,
                )
                .where(Pair.quiet_next_at <= now)
                .order_by(Pair.quiet_next_at, Pair.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        due = [_Due(*row) for row in rows if row[0] not in seen]
        if not due:
            return result
        seen.update(d.id for d in due)
        await _batch(session, tenant, due, now, zone, result)
        if len(rows) < BATCH:
            return result


async def _batch(
    session: AsyncSession,
    tenant: Tenant,
    due: list[_Due],
    now: datetime,
    zone: tzinfo,
    result: QuietResult,
) -> None:
    today = now.astimezone(zone).date()
    jurisdiction = tenant.jurisdiction
    last = await last_activity(session, [(d.id, d.matched_on) for d in due], zone)
    nudged = await _nudged(session, tenant, [(d, last[d.id]) for d in due if d.stage > 0])
    people = await members_by_id(session, [m for d in due for m in (d.mentor_id, d.mentee_id)])
    changes: list[dict[str, Any]] = []
    nudges: list[Outgoing] = []
    tasks: list[dict[str, Any]] = []
    resumed: list[uuid.UUID] = []
    for d in due:
        result.looked += 1
        scheme = await scheme_of(session, d.scheme_version)
        allowance = quiet_allowance_days(scheme, None)
        if d.state not in LIVE_STATES or allowance is None:
            changes.append(_change(d.id, None, d.stage))
            continue
        quiet = scheme.reminders.quiet
        send_at = scheme.reminders.send_at
        since = last[d.id]
        days = (today - since).days
        # Nudged or listed, but not about this last activity: something happened since the
        # nudge, so the pair is not still quiet; a new spell starts at stage 0.
        new_spell = d.stage > 0 and d.id not in nudged
        stage = 0 if new_spell else d.stage
        if days < allowance:
            next_at = look_at(since + timedelta(days=allowance), send_at, zone, jurisdiction)
            changes.append(_change(d.id, next_at, 0))
            if d.stage > 0:
                resumed.append(d.id)
            continue
        if new_spell:
            resumed.append(d.id)
        mentor, mentee = people[d.mentor_id], people[d.mentee_id]
        if stage == 0:
            link = pair_link(tenant, d.id)
            for person, other in ((mentor, mentee), (mentee, mentor)):
                nudges.append(
                    Outgoing(
                        {"other_name": other.display_name, "days": days, "link": link},
                        nudge_key(d.id, since, person.id),
                        to_member=person,
                    )
                )
            result.nudged += 1
            next_day = today + timedelta(days=quiet.coordinator_after_days)
            changes.append(_change(d.id, look_at(next_day, send_at, zone, jurisdiction), 1))
            continue
        tasks.append(
            {
                "tenant_id": tenant.id,
                "id": uuid.uuid4(),
                "key": f"task:quiet:{d.id}:{since.isoformat()}",
                "kind": "quiet_pair",
                "pair_id": d.id,
                "item_id": None,
                "title": f"Quiet pair: {mentee.display_name} and {mentor.display_name}",
                "detail": (
                    f"Nothing has been recorded in the space of {mentee.display_name} (mentee) "
                    f"and {mentor.display_name} (mentor) since {day_words(since)} ({days} "
                    "days), and they were reminded. Get in touch with them."
                ),
                "due_on": today,
                "state": "open",
            }
        )
        next_day = today + timedelta(days=allowance)
        changes.append(_change(d.id, look_at(next_day, send_at, zone, jurisdiction), 2))
    if nudges:
        sent = await send_many(session, tenant, "quiet_pair_nudge", nudges)
        result.message_ids.extend(i for i in sent if i is not None)
    if tasks:
        made = await session.execute(
            insert(_tasks)
            .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
            .returning(_tasks.c.id),
            tasks,
        )
        result.tasks += len(made.all())
    if resumed:
        closed = await session.execute(
            update(_tasks)
            .where(
                _tasks.c.tenant_id == tenant.id,
                _tasks.c.pair_id.in_(resumed),
                _tasks.c.kind == "quiet_pair",
                _tasks.c.state == "open",
            )
            .values(
                state="cancelled",
                note=f"Activity resumed: closed by the clock on {day_words(today)}.",
                done_at=now,
                updated_at=now,
                lock_version=_tasks.c.lock_version + 1,
            )
        )
        result.resumed += int(closed.rowcount or 0)  # type: ignore[attr-defined]
    await session.execute(
        update(_pairs)
        .where(_pairs.c.tenant_id == tenant.id, _pairs.c.id == bindparam("pair_id"))
        .values(quiet_next_at=bindparam("next_at"), quiet_stage=bindparam("stage")),
        changes,
    )


def _change(pair_id: uuid.UUID, next_at: datetime | None, stage: int) -> dict[str, Any]:
    return {"pair_id": pair_id, "next_at": next_at, "stage": stage}
