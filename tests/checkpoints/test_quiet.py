"""Quiet pairs (`checkpoints.quiet`, run by the clock): nothing recorded for the allowance →
both people nudged; still quiet → the coordinator's list; activity again → the task is
closed and the count starts again from the new activity, and a new quiet spell is nudged
before it is listed. Every look is on a business day (England's, London 09:00). The clock
runs day by day; the days below are derived by hand."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from mentorhub.checkpoints.clock import run_pass
from mentorhub.db import Database
from mentorhub.pairs.models import Pair
from mentorhub.pairs.space_models import ChatMessage
from mentorhub.schemes.rules import Quiet
from tests.checkpoints.clock_helpers import (
    MATCHED,
    ClockWorld,
    clock_scheme,
    clock_world,
    messages,
    tasks,
)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


async def _run(db: Database, w: ClockWorld, first: date, last: date) -> dict[date, list[str]]:
    """The clock each day (twice: the second pass must add nothing); what was new each day:
    quiet nudges ("nudge:<recipient>") and quiet tasks ("task")."""
    seen_mail = {m.key for m in await messages(db, w)}
    seen_tasks = {t.key for t in await tasks(db, w)}
    names = {w.mentor.id: "mentor", w.mentee.id: "mentee"}
    found: dict[date, list[str]] = {}
    for day in _days(first, last):
        await run_pass(db, as_of=day, tenant_slug=w.slug)
        again = await run_pass(db, as_of=day, tenant_slug=w.slug)
        assert again.tenants[0].nudged == again.tenants[0].tasks == again.tenants[0].mails == 0
        new = []
        for m in await messages(db, w):
            if m.key not in seen_mail and m.kind == "quiet_pair_nudge":
                new.append(f"nudge:{names[m.member_id]}")  # type: ignore[index]
            seen_mail.add(m.key)
        for t in await tasks(db, w):
            if t.key not in seen_tasks and t.kind == "quiet_pair":
                new.append("task")
            seen_tasks.add(t.key)
        if new:
            found[day] = sorted(new)
    return found


async def _pair(db: Database, w: ClockWorld) -> Pair:
    async with db.tenant(w.id) as session:
        return (await session.execute(select(Pair).where(Pair.id == w.pair.id))).scalar_one()


async def test_a_quiet_pair_is_nudged_then_listed_then_let_go_when_active(db: Database) -> None:
    quiet = Quiet(enabled=True, after_days=20, coordinator_after_days=5)
    w = await clock_world(db, scheme=clock_scheme(quiet=quiet))

    # Matched Mon 1 Feb 2027, nothing recorded: quiet 20 days later, Sun 21 Feb, so the look
    # is the next business day, Mon 22 Feb (London 09:00 = 09:00 UTC in winter); still quiet
    # 5 days after the nudge, Sat 27 Feb → the coordinator's list on Mon 1 Mar; the next look
    # is 20 days after that, Sun 21 Mar → Mon 22 Mar (a re-check: nothing new while the
    # same spell lasts).
    events = await _run(db, w, MATCHED, date(2027, 3, 9))
    assert events == {
        date(2027, 2, 22): ["nudge:mentee", "nudge:mentor"],
        date(2027, 3, 1): ["task"],
    }
    pair = await _pair(db, w)
    assert pair.quiet_stage == 2
    assert pair.quiet_next_at == datetime(2027, 3, 22, 9, tzinfo=UTC)
    nudge = next(
        m
        for m in await messages(db, w)
        if m.member_id == w.mentor.id and m.kind == "quiet_pair_nudge"
    )
    assert nudge.key == f"quiet:{w.pair.id}:2027-02-01:{w.mentor.id}"
    assert nudge.context["other_name"] == "Theo Mentee"
    assert nudge.context["days"] == 21  # 1 Feb to Mon 22 Feb
    assert nudge.context["link"].endswith(f"/t/{w.slug}/pairs/{w.pair.id}")
    [task] = [t for t in await tasks(db, w) if t.kind == "quiet_pair"]
    assert (task.key, task.state, task.due_on) == (
        f"task:quiet:{w.pair.id}:2027-02-01",
        "open",
        date(2027, 3, 1),
    )
    assert task.title == "Quiet pair: Theo Mentee and Maya Mentor"
    assert "since Monday 1 February 2027 (28 days)" in task.detail

    # A chat message on Wed 10 Mar: at the re-check (Mon 22 Mar) the pair is active again,
    # the task is closed, and the next quiet spell counts from the message: 10 Mar + 20 =
    # Tue 30 Mar (a business day; Easter Monday is the 29th), nudged then with a fresh key,
    # at 09:00 London = 08:00 UTC (summer time from Sun 28 Mar).
    await _chat(db, w, datetime(2027, 3, 10, 18, tzinfo=UTC))
    events = await _run(db, w, date(2027, 3, 10), date(2027, 4, 2))
    assert events == {date(2027, 3, 30): ["nudge:mentee", "nudge:mentor"]}
    [task] = [t for t in await tasks(db, w) if t.kind == "quiet_pair"]
    assert task.state == "cancelled"
    assert task.note == "Activity resumed: closed by the clock on Monday 22 March 2027."
    assert task.done_at == datetime(2027, 3, 22, 9, tzinfo=UTC)
    keys = {m.key for m in await messages(db, w) if m.kind == "quiet_pair_nudge"}
    assert f"quiet:{w.pair.id}:2027-03-10:{w.mentee.id}" in keys
    assert len(keys) == 4
    pair = await _pair(db, w)
    assert pair.quiet_stage == 1
    # The list 5 days after Tue 30 Mar: Sun 4 Apr → Mon 5 Apr, 09:00 BST.
    assert pair.quiet_next_at == datetime(2027, 4, 5, 8, tzinfo=UTC)


async def test_a_new_quiet_spell_is_nudged_before_it_is_listed(db: Database) -> None:
    """Activity soon after a nudge, then nothing: the look that was to list the pair finds
    a new spell, which gets its own nudge first (at stage 1 and at the re-check, stage 2)."""
    quiet = Quiet(enabled=True, after_days=20, coordinator_after_days=30)
    w = await clock_world(db, scheme=clock_scheme(quiet=quiet))

    # Matched Mon 1 Feb 2027: nudged Mon 22 Feb (21 Feb is a Sunday). The mentee writes on
    # Tue 23 Feb. The look due 30 days after the nudge, Wed 24 Mar, finds 29 days of quiet
    # since the message: a new spell, longer than the 20 days allowed, but never nudged —
    # nudged now (its own keys), not listed.
    events = await _run(db, w, MATCHED, date(2027, 2, 22))
    assert events == {date(2027, 2, 22): ["nudge:mentee", "nudge:mentor"]}
    await _chat(db, w, datetime(2027, 2, 23, 12, tzinfo=UTC))
    events = await _run(db, w, date(2027, 2, 23), date(2027, 4, 22))
    assert events == {date(2027, 3, 24): ["nudge:mentee", "nudge:mentor"]}
    assert not [t for t in await tasks(db, w) if t.kind == "quiet_pair"]
    nudges = [
        m
        for m in await messages(db, w)
        if m.member_id == w.mentee.id and m.kind == "quiet_pair_nudge"
    ]
    assert [(m.key, m.context["days"]) for m in nudges] == [
        (f"quiet:{w.pair.id}:2027-02-01:{w.mentee.id}", 21),
        (f"quiet:{w.pair.id}:2027-02-23:{w.mentee.id}", 29),
    ]
    pair = await _pair(db, w)
    # Still quiet 30 days after Wed 24 Mar: the list on Fri 23 Apr, 09:00 BST.
    assert (pair.quiet_stage, pair.quiet_next_at) == (1, datetime(2027, 4, 23, 8, tzinfo=UTC))

    # Fri 23 Apr: the same spell, still quiet → the coordinator's list. The mentor writes
    # that evening; the re-check 20 days after the task, Thu 13 May, finds exactly 20 days
    # of quiet since: the task is closed (activity resumed) and the new spell is nudged.
    events = await _run(db, w, date(2027, 4, 23), date(2027, 4, 23))
    assert events == {date(2027, 4, 23): ["task"]}
    await _chat(db, w, datetime(2027, 4, 23, 19, tzinfo=UTC), author="mentor")
    events = await _run(db, w, date(2027, 4, 24), date(2027, 5, 20))
    assert events == {date(2027, 5, 13): ["nudge:mentee", "nudge:mentor"]}
    [task] = [t for t in await tasks(db, w) if t.kind == "quiet_pair"]
    assert (task.key, task.state) == (f"task:quiet:{w.pair.id}:2027-02-23", "cancelled")
    assert task.note == "Activity resumed: closed by the clock on Thursday 13 May 2027."
    pair = await _pair(db, w)
    # The list 30 days after Thu 13 May: Sat 12 Jun → Mon 14 Jun.
    assert (pair.quiet_stage, pair.quiet_next_at) == (1, datetime(2027, 6, 14, 8, tzinfo=UTC))


async def test_quiet_looks_fall_on_business_days(db: Database) -> None:
    """Every look is on a business day of England at 09:00 London: the first one (set by
    the sync), the list and the re-check, each moved past a weekend and a bank holiday."""
    quiet = Quiet(enabled=True, after_days=53, coordinator_after_days=34)
    w = await clock_world(db, scheme=clock_scheme(quiet=quiet))

    # Matched Mon 1 Feb 2027 + 53 days = Fri 26 Mar, Good Friday; 27–28 the weekend, Mon
    # 29 Mar Easter Monday → Tue 30 Mar, 09:00 BST (summer time from Sun 28 Mar) = 08:00 UTC.
    await run_pass(db, as_of=MATCHED, tenant_slug=w.slug)
    pair = await _pair(db, w)
    assert (pair.quiet_stage, pair.quiet_next_at) == (0, datetime(2027, 3, 30, 8, tzinfo=UTC))
    # Nudged Tue 30 Mar; + 34 days = Mon 3 May, the early May bank holiday → Tue 4 May.
    events = await _run(db, w, date(2027, 3, 26), date(2027, 5, 4))
    assert events == {
        date(2027, 3, 30): ["nudge:mentee", "nudge:mentor"],
        date(2027, 5, 4): ["task"],
    }
    # Re-check 53 days after Tue 4 May: Sat 26 Jun → Mon 28 Jun.
    pair = await _pair(db, w)
    assert (pair.quiet_stage, pair.quiet_next_at) == (2, datetime(2027, 6, 28, 8, tzinfo=UTC))


async def _chat(db: Database, w: ClockWorld, at: datetime, author: str = "mentee") -> None:
    """A chat message in the pair's space at `at` (activity)."""
    async with db.tenant(w.id) as session:
        session.add(
            ChatMessage(
                tenant_id=w.id,
                id=uuid.uuid4(),
                pair_id=w.pair.id,
                author_id=(w.mentee if author == "mentee" else w.mentor).id,
                body="Shall we meet next week?",
                created_at=at,
            )
        )


async def test_no_quiet_checks_when_the_scheme_does_not_nudge(db: Database) -> None:
    w = await clock_world(db, scheme=clock_scheme(quiet=Quiet(enabled=False)))
    await run_pass(db, as_of=MATCHED, tenant_slug=w.slug)
    assert (await _pair(db, w)).quiet_next_at is None
    result = await run_pass(db, as_of=date(2027, 6, 1), tenant_slug=w.slug)
    assert result.tenants[0].nudged == 0
    assert not [m for m in await messages(db, w) if m.kind == "quiet_pair_nudge"]
