"""A member answers a checkpoint item (`checkpoints.services.submissions.save_answers`)
against the real database: Alberta's mid-program survey once per person (a second
submission by the same person refused, the other person's own item still open and not
theirs to answer), its Quarterly Update once per pair (the other person told by mail, their
second submission refused with the name and the day), drafts, a stale version, bad answers
(nothing saved), who may not answer, and two people sending in the same pair item at the
same moment over separate connections: one wins."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.checkpoints.services.submissions import Stale, save_answers
from mentorhub.core.problems import Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.models import Member
from mentorhub.pairs.rules import Refused
from tests.checkpoints.member_helpers import (
    MemberWorld,
    add_item,
    audit_of,
    filled,
    member_world,
    messages_of,
    reload,
    snapshot,
)

#: Tuesday 2 March 2027, 10:00 in London (the test tenants' jurisdiction is GB-ENG).
NOW = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


async def answer(
    db: Database,
    mw: MemberWorld,
    who: Member,
    item: CheckpointItem,
    data: dict[str, list[str]] | None = None,
    *,
    submit: bool = True,
    lock_version: int | None = None,
    now: datetime = NOW,
) -> CheckpointItem:
    async with db.tenant(mw.id) as session:
        return await save_answers(
            session,
            mw.pw.world.tenant,
            who,
            item.id,
            data if data is not None else filled(mw.form(item.checkpoint)),
            lock_version=item.lock_version if lock_version is None else lock_version,
            submit=submit,
            now=now,
        )


async def test_the_mid_program_survey_is_sent_in_once_per_person(db: Database) -> None:
    mw = await member_world(db)
    pw = mw.pw
    mine = await add_item(db, mw, "mid_program_survey", member=pw.mentee, slot="")
    theirs = await add_item(db, mw, "mid_program_survey", member=pw.mentor, slot="")
    with pytest.raises(NotFound):  # the other person's own survey is not theirs to answer
        await answer(db, mw, pw.mentor, mine)

    sent = await answer(db, mw, pw.mentee, mine)
    assert (sent.state, sent.submitted_by, sent.submitted_at, sent.next_at) == (
        "submitted",
        pw.mentee.id,
        NOW,
        None,
    )
    form = mw.form("mid_program_survey")
    likert = next(q for q in form.questions if q.kind == "likert")
    assert sent.answers[likert.id] == [likert.options[-1]] * len(likert.rows)

    before = await snapshot(db, mw)
    again = await reload(db, mw, mine.id)
    with pytest.raises(Refused, match="Already sent in by you on Tuesday 2 March 2027"):
        await answer(db, mw, pw.mentee, again, now=NOW + timedelta(hours=1))
    assert await snapshot(db, mw) == before

    assert (await reload(db, mw, theirs.id)).state == "open"
    other = await answer(db, mw, pw.mentor, theirs)
    assert other.submitted_by == pw.mentor.id
    # An individual survey tells nobody else.
    assert await messages_of(db, mw, "checkpoint_submitted") == []
    assert {(a.action, a.actor, a.details["item"]) for a in await audit_of(db, mw)} == {
        ("checkpoint_submitted", pw.mentee.email, str(mine.id)),
        ("checkpoint_submitted", pw.mentor.email, str(theirs.id)),
    }


async def test_the_quarterly_update_is_sent_in_once_per_pair(db: Database) -> None:
    mw = await member_world(db)
    pw = mw.pw
    item = await add_item(db, mw, "quarterly_update", slot="2027-04")
    form = mw.form("quarterly_update")
    permission = next(q for q in form.questions if q.permission)
    data = filled(form, **{permission.id: "yes"})

    sent = await answer(db, mw, pw.mentee, item, data)
    assert (sent.state, sent.submitted_by, sent.share_permission) == (
        "submitted",
        pw.mentee.id,
        True,
    )
    [told] = await messages_of(db, mw, "checkpoint_submitted")
    assert told.member_id == pw.mentor.id
    assert told.key == f"checkpoint:{item.id}:submitted:{pw.mentor.id}"
    assert told.context["other_name"] == "Theo Mentee"
    assert told.context["title"] == item.title
    assert told.context["link"].endswith(f"/pairs/{pw.pair.id}/checkpoints/{item.id}")

    before = await snapshot(db, mw)
    fresh = await reload(db, mw, item.id)
    with pytest.raises(Refused, match="Already sent in by Theo Mentee on Tuesday 2 March 2027"):
        await answer(db, mw, pw.mentor, fresh, now=NOW + timedelta(days=1))
    # The mentor's form, shown before the mentee sent it in, is refused the same way.
    with pytest.raises(Refused, match="Already sent in by Theo Mentee"):
        await answer(db, mw, pw.mentor, item, now=NOW + timedelta(days=1))
    assert await snapshot(db, mw) == before


async def test_a_draft_keeps_the_state_and_either_person_carries_on(db: Database) -> None:
    mw = await member_world(db)
    pw = mw.pw
    item = await add_item(db, mw, "quarterly_update")
    form = mw.form("quarterly_update")
    text = next(q for q in form.questions if q.kind == "long_text")
    permission = next(q for q in form.questions if q.permission)

    draft = await answer(
        db,
        mw,
        pw.mentor,
        item,
        {text.id: ["Half written"], permission.id: ["yes"]},
        submit=False,
    )
    assert (draft.state, draft.submitted_at, draft.lock_version) == ("open", None, 1)
    assert draft.answers[text.id] == "Half written" and draft.share_permission
    assert [a.action for a in await audit_of(db, mw)] == ["checkpoint_draft_saved"]
    assert await messages_of(db, mw, "checkpoint_submitted") == []

    # A draft may leave required questions unanswered; the mentee carries on with it.
    second = await answer(db, mw, pw.mentee, draft, {}, submit=False)
    assert (second.answers, second.share_permission, second.lock_version) == ({}, False, 2)
    with pytest.raises(Problems) as missing:  # sending in needs the required ones
        await answer(db, mw, pw.mentee, second, {})
    assert text.id in {p.path for p in missing.value.problems}
    sent = await answer(db, mw, pw.mentee, second, filled(form))
    assert sent.state == "submitted"


async def test_a_stale_form_changes_nothing(db: Database) -> None:
    mw = await member_world(db)
    pw = mw.pw
    item = await add_item(db, mw, "quarterly_update")
    form = mw.form("quarterly_update")
    await answer(db, mw, pw.mentor, item, filled(form), submit=False)
    before = await snapshot(db, mw)
    with pytest.raises(Stale, match="changed since the page was shown"):
        await answer(db, mw, pw.mentee, item, filled(form), lock_version=0)
    assert await snapshot(db, mw) == before


async def test_bad_answers_are_problems_and_nothing_is_saved(db: Database) -> None:
    mw = await member_world(db)
    pw = mw.pw
    item = await add_item(db, mw, "mid_program_survey", member=pw.mentee)
    form = mw.form("mid_program_survey")
    rating = next(q for q in form.questions if q.kind == "rating")
    likert = next(q for q in form.questions if q.kind == "likert")
    before = await snapshot(db, mw)
    bad: dict[str, Any] = {
        rating.id: str(int(rating.max or 5) + 1),
        f"{likert.id}.1": "Not on the scale",
    }
    for submit in (False, True):
        with pytest.raises(Problems) as wrong:
            await answer(db, mw, pw.mentee, item, filled(form, **bad), submit=submit)
        assert {rating.id, likert.id} <= {p.path for p in wrong.value.problems}
    assert await snapshot(db, mw) == before


async def test_what_takes_no_answers(db: Database) -> None:
    mw = await member_world(db)
    pw = mw.pw
    opens = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday 8 March, 09:00 London
    upcoming = await add_item(db, mw, "quarterly_update", state="upcoming", next_at=opens)
    cancelled = await add_item(
        db, mw, "quarterly_update", state="cancelled", cancel_reason="The pair ended early."
    )
    plan = await add_item(db, mw, "mentorship_plan")
    before = await snapshot(db, mw)
    with pytest.raises(Refused, match="This opens on Monday 8 March 2027"):
        await answer(db, mw, pw.mentee, upcoming)
    with pytest.raises(Refused, match="cancelled"):
        await answer(db, mw, pw.mentee, cancelled)
    if (
        mw.checkpoint("mentorship_plan").done_in
        or mw.scheme.checkpoint_form("mentorship_plan") is None
    ):
        with pytest.raises(Refused, match="done in your mentoring space"):
            await answer(db, mw, pw.mentee, plan, {})
    # The coordinator reads the pair's items but does not answer them; a tenant admin and
    # the other pair's people do not read them at all.
    with pytest.raises(Refused, match="The pair answers this"):
        await answer(db, mw, pw.world.coordinator, upcoming)
    for outsider in (pw.world.admin, pw.other_mentor, pw.other_mentee):
        with pytest.raises(NotFound):
            await answer(db, mw, outsider, upcoming)
    assert await snapshot(db, mw) == before


async def test_a_missed_item_can_still_be_sent_in_late(db: Database) -> None:
    mw = await member_world(db)
    pw = mw.pw
    item = await add_item(
        db, mw, "mid_program_survey", member=pw.mentor, state="missed", due_on=date(2027, 2, 1)
    )
    sent = await answer(db, mw, pw.mentor, item)
    assert sent.state == "submitted" and sent.submitted_at is not None
    assert sent.submitted_at.date() > sent.closes_on
    [entry] = await audit_of(db, mw)
    assert entry.details["late"] is True


async def test_an_item_of_another_pair_is_not_found_through_this_pair(db: Database) -> None:
    mw = await member_world(db)
    pw = mw.pw
    theirs = await add_item(db, mw, "quarterly_update", pair_id=pw.other_pair.id)
    # Through this pair's address, and without naming the pair: not theirs either way.
    for through in ({"pair_id": pw.pair.id}, {}):
        async with db.tenant(mw.id) as session:
            with pytest.raises(NotFound):
                await save_answers(
                    session,
                    pw.world.tenant,
                    pw.mentee,
                    theirs.id,
                    filled(mw.form("quarterly_update")),
                    lock_version=0,
                    submit=True,
                    **through,
                )


async def test_two_people_send_in_the_pair_item_at_once(live_db: Database) -> None:
    """Over two connections at the same moment: the item's row lock makes the second wait
    and then find it sent in; exactly one submission, one mail, one audit row."""
    mw = await member_world(live_db)
    pw = mw.pw
    item = await add_item(live_db, mw, "quarterly_update")
    form = mw.form("quarterly_update")

    async def send(who: Member) -> str:
        try:
            await answer(live_db, mw, who, item, filled(form))
        except Refused as exc:
            return str(exc)
        return "sent"

    outcomes = await asyncio.gather(send(pw.mentor), send(pw.mentee))
    assert sorted(outcomes)[1] == "sent", outcomes
    refusal = sorted(outcomes)[0]
    winner = pw.mentor if outcomes[0] == "sent" else pw.mentee
    loser = pw.mentee if winner is pw.mentor else pw.mentor
    assert refusal.startswith(f"Already sent in by {winner.display_name} on Tuesday 2 March")
    final = await reload(live_db, mw, item.id)
    assert (final.state, final.submitted_by, final.lock_version) == (
        "submitted",
        winner.id,
        1,
    )
    told = await messages_of(live_db, mw, "checkpoint_submitted")
    assert [m.member_id for m in told] == [loser.id]
    assert [a.action for a in await audit_of(live_db, mw)] == ["checkpoint_submitted"]
