"""Quiet pairs (`checkpoints.quiet`, run by the clock): nothing recorded for the allowance →
both people nudged; still quiet → the coordinator's list; activity again → the task is
closed and the count starts again from the new activity. The clock runs day by day."""

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

    # Matched Mon 1 Feb, nothing recorded: quiet 20 days later (Sun 21 Feb, London 09:00);
    # still quiet 5 days after the nudge → the coordinator's list; the next look is 20
    # days after that (a re-check: nothing new while the same spell lasts).
    events = await _run(db, w, MATCHED, date(2027, 3, 9))
    assert events == {
        date(2027, 2, 21): ["nudge:mentee", "nudge:mentor"],
        date(2027, 2, 26): ["task"],
    }
    pair = await _pair(db, w)
    assert pair.quiet_stage == 2
    assert pair.quiet_next_at == datetime(2027, 3, 18, 9, tzinfo=UTC)
    nudge = next(
        m
        for m in await messages(db, w)
        if m.member_id == w.mentor.id and m.kind == "quiet_pair_nudge"
    )
    assert nudge.key == f"quiet:{w.pair.id}:2027-02-01:{w.mentor.id}"
    assert nudge.context["other_name"] == "Theo Mentee"
    assert nudge.context["days"] == 20
    assert nudge.context["link"].endswith(f"/t/{w.slug}/pairs/{w.pair.id}")
    [task] = [t for t in await tasks(db, w) if t.kind == "quiet_pair"]
    assert (task.key, task.state, task.due_on) == (
        f"task:quiet:{w.pair.id}:2027-02-01",
        "open",
        date(2027, 2, 26),
    )
    assert task.title == "Quiet pair: Theo Mentee and Maya Mentor"
    assert "since Monday 1 February 2027 (25 days)" in task.detail

    # A chat message on Wed 10 Mar: at the re-check (Thu 18 Mar) the pair is active again,
    # the task is closed, and the next quiet spell counts from the message (nudged Tue 30
    # Mar, with a fresh key).
    async with db.tenant(w.id) as session:
        session.add(
            ChatMessage(
                tenant_id=w.id,
                id=uuid.uuid4(),
                pair_id=w.pair.id,
                author_id=w.mentee.id,
                body="Shall we meet next week?",
                created_at=datetime(2027, 3, 10, 18, tzinfo=UTC),
            )
        )
    events = await _run(db, w, date(2027, 3, 10), date(2027, 4, 2))
    assert events == {date(2027, 3, 30): ["nudge:mentee", "nudge:mentor"]}
    [task] = [t for t in await tasks(db, w) if t.kind == "quiet_pair"]
    assert task.state == "cancelled"
    assert task.note == "Activity resumed: closed by the clock on Thursday 18 March 2027."
    assert task.done_at == datetime(2027, 3, 18, 9, tzinfo=UTC)
    keys = {m.key for m in await messages(db, w) if m.kind == "quiet_pair_nudge"}
    assert f"quiet:{w.pair.id}:2027-03-10:{w.mentee.id}" in keys
    assert len(keys) == 4
    pair = await _pair(db, w)
    assert pair.quiet_stage == 1


async def test_no_quiet_checks_when_the_scheme_does_not_nudge(db: Database) -> None:
    w = await clock_world(db, scheme=clock_scheme(quiet=Quiet(enabled=False)))
    await run_pass(db, as_of=MATCHED, tenant_slug=w.slug)
    assert (await _pair(db, w)).quiet_next_at is None
    result = await run_pass(db, as_of=date(2027, 6, 1), tenant_slug=w.slug)
    assert result.tenants[0].nudged == 0
    assert not [m for m in await messages(db, w) if m.kind == "quiet_pair_nudge"]
