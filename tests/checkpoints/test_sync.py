"""checkpoints.sync against the real database: a new pair gets its items, an extension moves
the end-anchored ones and adds the quarterly slot that now fits, an early end cancels what
lay after it and moves the end survey to the end, a meeting recorded as held adds the log
items after it, and syncing again changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import select, update

from mentorhub.applications.models import Cohort
from mentorhub.applications.queue import tenant_zone
from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.checkpoints.schedule import (
    item_specs,
    local_at,
    quiet_allowance_days,
    steps_for,
)
from mentorhub.checkpoints.sync import SyncResult, sync_pair, sync_stale_pairs
from mentorhub.db import Database
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import end_pair, extend_pair
from mentorhub.pairs.services.lifecycle import facts_of
from mentorhub.pairs.services.meetings import NewTime, record_held
from mentorhub.schemes.rules import Checkpoint, FirstBusinessDayWhen
from mentorhub.schemes.services import store_version
from mentorhub.schemes.timeline import relationship_span
from tests.applications.conftest import make_world
from tests.pairs.space_helpers import PairWorld, pair_world

Key = tuple[str, str, uuid.UUID | None]


def at(d: date, hour: int = 12) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


async def sync(db: Database, w: PairWorld, now: datetime, **kw: Any) -> SyncResult:
    async with db.tenant(w.id) as session:
        return await sync_stale_pairs(session, w.world.tenant, now=now, **kw)


async def items_of(db: Database, w: PairWorld, pair_id: uuid.UUID | None = None) -> dict[Key, Any]:
    async with db.tenant(w.id) as session:
        rows = (
            await session.execute(
                select(CheckpointItem).where(CheckpointItem.pair_id == (pair_id or w.pair.id))
            )
        ).scalars()
        return {(i.checkpoint, i.slot, i.member_id): i for i in rows}


async def pair_of(db: Database, w: PairWorld) -> Pair:
    async with db.tenant(w.id) as session:
        pair = (
            await session.execute(
                select(Pair).where(Pair.id == w.pair.id).execution_options(populate_existing=True)
            )
        ).scalar_one()
        return pair


def snapshot(items: dict[Key, Any]) -> dict[Key, tuple[Any, ...]]:
    return {
        k: (i.state, i.due_on, i.opens_on, i.closes_on, i.step, i.next_at, i.lock_version)
        for k, i in items.items()
    }


async def test_a_new_pair_gets_its_items_and_a_resync_changes_nothing(db: Database) -> None:
    matched = date(2027, 1, 11)
    w = await pair_world(db, "museums-association", matched_on=matched)
    now = at(matched)
    result = await sync(db, w, now)
    assert result.pairs == 2  # both pairs of the world were stale

    tenant = w.world.tenant
    scheme = w.world.scheme
    pair = await pair_of(db, w)
    assert not pair.items_stale
    facts = facts_of(pair, w.world.cohort, scheme)
    specs = item_specs(
        scheme,
        facts,
        jurisdiction=tenant.jurisdiction,
        mentor_id=w.mentor.id,
        mentee_id=w.mentee.id,
    )
    items = await items_of(db, w)
    assert set(items) == {s.identity for s in specs}
    assert len(items) * 2 == result.created  # the same items for the other pair
    zone = tenant_zone(tenant.jurisdiction)
    for spec in specs:
        item = items[spec.identity]
        assert (item.state, item.step, item.scheme_version) == ("upcoming", 0, scheme.version)
        assert (item.due_on, item.opens_on, item.closes_on) == (
            spec.due_on,
            spec.opens_on,
            spec.closes_on,
        )
        assert item.readers == list(spec.readers)
        first = steps_for(
            opens_on=spec.opens_on,
            due_on=spec.due_on,
            closes_on=spec.closes_on,
            audience=spec.audience,
            reminders=scheme.reminders,
            zone=zone,
            jurisdiction=tenant.jurisdiction,
        )[0]
        assert item.next_at == first.at
    # The programme manager's calls are coordinator items; the baseline is the mentee's.
    assert items[("call_month_2", "", None)].audience == "coordinator"
    assert items[("baseline_questionnaire", "", w.mentee.id)].audience == "mentee"
    # Quiet pairs: the first look is the start + the allowance, at the send time.
    allowance = quiet_allowance_days(scheme, None)
    assert allowance is not None
    start = relationship_span(scheme, facts).start
    assert pair.quiet_next_at == local_at(
        start + timedelta(days=allowance), scheme.reminders.send_at, zone
    )

    # Nothing stale: nothing to do. Stale again with nothing changed: nothing changes.
    before = snapshot(items)
    assert await sync(db, w, now + timedelta(days=3)) == SyncResult()
    async with db.tenant(w.id) as session:
        await session.execute(update(Pair).values(items_stale=True))
    again = await sync(db, w, now + timedelta(days=3))
    assert again == SyncResult(pairs=2, created=0, moved=0, cancelled=0)
    assert snapshot(await items_of(db, w)) == before
    assert (await pair_of(db, w)).quiet_next_at == pair.quiet_next_at


async def test_limit_leaves_the_rest_stale(db: Database) -> None:
    w = await pair_world(db, "museums-association", matched_on=date(2027, 1, 11))
    first = await sync(db, w, at(date(2027, 1, 11)), limit=1)
    assert first.pairs == 1
    second = await sync(db, w, at(date(2027, 1, 11)))
    assert second.pairs == 1
    assert second.created == first.created


async def test_extension_moves_end_items_and_adds_the_quarterly_slot(db: Database) -> None:
    """A scheme of our own (the Museums Association's, plus a quarterly call on the first
    business day of January, April, July and October): a three-month extension moves the
    final surveys and brings October's call within the relationship."""
    world = await make_world(db, "museums-association")
    quarterly = Checkpoint(
        id="quarterly_call",
        kind="coordinator_call",
        title="Quarterly call",
        audience="coordinator",
        when=FirstBusinessDayWhen(months=(1, 4, 7, 10)),
    )
    scheme = msgspec.structs.replace(
        world.scheme,
        version=world.scheme.version + 1,
        checkpoints=(*world.scheme.checkpoints, quarterly),
    )
    async with db.tenant(world.id) as session:
        await store_version(session, scheme, "test")
        await session.execute(
            update(Cohort).where(Cohort.id == world.cohort.id).values(scheme_version=scheme.version)
        )
    world.scheme = scheme
    matched = date(2027, 1, 11)
    w = await pair_world(db, "museums-association", matched_on=matched, world=world)
    await sync(db, w, at(matched))
    items = await items_of(db, w)
    assert {k[1] for k in items if k[0] == "quarterly_call"} == {"2027-04", "2027-07"}
    survey = ("final_survey", "", w.mentee.id)
    assert items[survey].due_on == date(2027, 7, 11)
    # The mentee's survey is open already (as if the clock had opened it): it stays open.
    async with db.tenant(w.id) as session:
        await session.execute(
            update(CheckpointItem)
            .where(CheckpointItem.id == items[survey].id)
            .values(state="open", step=1)
        )

    agreed = date(2027, 6, 1)
    await extend_pair(
        db, w.id, world.coordinator.id, w.pair.id, months=3, agreed_on=agreed, now=at(agreed)
    )
    assert (await pair_of(db, w)).items_stale
    result = await sync(db, w, at(agreed))
    assert result.pairs == 1
    assert result.cancelled == 0
    assert result.created == 1  # October's call
    moved = await items_of(db, w)
    assert moved[("quarterly_call", "2027-10", None)].due_on == date(2027, 10, 1)
    mentors = ("final_survey_mentors", "", w.mentor.id)
    assert moved[mentors].due_on == date(2027, 10, 11)
    assert moved[mentors].state == "upcoming" and moved[mentors].step == 0
    assert result.moved == sum(1 for k in moved if k[0].startswith("final_survey"))
    opened = moved[survey]
    assert (opened.state, opened.due_on, opened.step) == ("open", date(2027, 10, 11), 1)
    assert opened.next_at is not None and opened.next_at > at(agreed)
    # What did not move kept its rows untouched.
    for key in ("baseline_questionnaire", "", w.mentee.id), ("quarterly_call", "2027-04", None):
        assert snapshot({key: moved[key]}) == snapshot({key: items[key]})


async def test_early_end_cancels_what_lay_after_and_moves_the_end_survey(db: Database) -> None:
    matched = date(2027, 1, 11)
    w = await pair_world(db, "museums-association", matched_on=matched)
    await sync(db, w, at(matched))
    items = await items_of(db, w)
    call5 = items[("call_month_5", "", None)]
    midpoint = ("midpoint_supervision", "", w.mentor.id)
    async with db.tenant(w.id) as session:
        # Sent in already: it stays as it is.
        await session.execute(
            update(CheckpointItem)
            .where(CheckpointItem.id == items[midpoint].id)
            .values(state="submitted", submitted_at=at(date(2027, 3, 1)), next_at=None)
        )
        session.add(
            CoordinatorTask(
                tenant_id=w.id,
                id=uuid.uuid4(),
                key=f"task:item:{call5.id}",
                kind="checkpoint",
                pair_id=w.pair.id,
                item_id=call5.id,
                title=call5.title,
                due_on=call5.due_on,
            )
        )

    ended = date(2027, 3, 15)
    await end_pair(
        db, w.id, w.world.coordinator.id, w.pair.id, kind="ended_early", now=at(ended, 10)
    )
    assert (await pair_of(db, w)).items_stale
    result = await sync(db, w, at(ended, 11))
    after = await items_of(db, w)

    cancelled = {k for k, i in after.items() if i.state == "cancelled"}
    assert ("call_month_5", "", None) in cancelled
    assert result.cancelled == len(cancelled)
    for k in cancelled:
        assert after[k].cancel_reason == "The relationship ended on 15 March 2027."
        assert after[k].next_at is None and after[k].cancelled_at is not None
        assert items[k].due_on > ended
    assert after[midpoint].state == "submitted"
    for key in ("final_survey", "", w.mentee.id), ("final_survey_mentors", "", w.mentor.id):
        assert after[key].state == "upcoming"
        assert after[key].due_on == ended
        assert after[key].opens_on <= ended <= after[key].closes_on
    assert after[("call_month_2", "", None)].due_on == date(2027, 3, 11)  # before the end
    assert after[("call_month_2", "", None)].state == "upcoming"
    pair = await pair_of(db, w)
    assert pair.quiet_next_at is None and not pair.items_stale
    async with db.tenant(w.id) as session:
        task = (
            await session.execute(
                select(CoordinatorTask).where(CoordinatorTask.item_id == call5.id)
            )
        ).scalar_one()
    assert task.state == "cancelled"
    # Again: nothing more.
    async with db.tenant(w.id) as session:
        await session.execute(update(Pair).where(Pair.id == w.pair.id).values(items_stale=True))
    assert await sync(db, w, at(ended, 12)) == SyncResult(pairs=1)


async def test_a_meeting_held_brings_the_log_items_after_it(db: Database) -> None:
    matched = date(2027, 1, 11)
    w = await pair_world(db, "advice-skills-academy", matched_on=matched)
    await sync(db, w, at(matched))
    assert not [k for k in await items_of(db, w) if k[0] == "reflective_log"]

    held_at = datetime(2027, 2, 10, 15, tzinfo=UTC)
    for _ in range(2):  # two meetings the same day
        await record_held(
            db,
            w.id,
            w.mentor.id,
            w.pair.id,
            None,
            held_minutes=60,
            held=NewTime(starts_at=held_at, minutes=60, mode="video"),
            lock_version=(await pair_of(db, w)).lock_version,
            now=held_at + timedelta(days=1),
        )
    assert (await pair_of(db, w)).items_stale
    result = await sync(db, w, held_at + timedelta(days=1))
    assert result.created == 4
    logs = {k for k in await items_of(db, w) if k[0] == "reflective_log"}
    assert logs == {
        ("reflective_log", slot, who)
        for slot in ("2027-02-10", "2027-02-10-2")
        for who in (w.mentor.id, w.mentee.id)
    }
    item = (await items_of(db, w))[("reflective_log", "2027-02-10", w.mentee.id)]
    assert (item.opens_on, item.due_on) == (date(2027, 2, 10), date(2027, 2, 17))


async def test_sync_pair_one_pair_in_the_session(db: Database) -> None:
    matched = date(2027, 1, 11)
    w = await pair_world(db, "ahep", matched_on=matched)
    async with db.tenant(w.id) as session:
        pair = (
            await session.execute(select(Pair).where(Pair.id == w.pair.id).with_for_update())
        ).scalar_one()
        result = await sync_pair(session, w.world.tenant, pair, now=at(matched))
        assert result.pairs == 1 and result.created > 0
        assert not pair.items_stale and pair.quiet_next_at is not None
    assert not (await pair_of(db, w)).items_stale
    assert len(await items_of(db, w)) == result.created
    assert not await items_of(db, w, w.other_pair.id)  # the other pair waits for its turn


async def test_an_item_made_twice_is_made_once(db: Database) -> None:
    """Two syncs racing the same pair (`sync_pair` on a pair the batch missed): the second
    INSERT of an item finds it on the item's identity and does nothing."""
    from mentorhub.checkpoints.sync import _insert

    matched = date(2027, 1, 11)
    w = await pair_world(db, "ahep", matched_on=matched)
    await sync(db, w, at(matched))
    items = await items_of(db, w)
    some = next(iter(items.values()))
    async with db.tenant(w.id) as session:
        made = await _insert(
            session,
            [
                {
                    "tenant_id": w.id,
                    "id": uuid.uuid4(),
                    "pair_id": w.pair.id,
                    "member_id": some.member_id,
                    "checkpoint": some.checkpoint,
                    "slot": some.slot,
                    "scheme_version": some.scheme_version,
                    "kind": some.kind,
                    "title": some.title,
                    "audience": some.audience,
                    "readers": some.readers,
                    "due_on": some.due_on,
                    "opens_on": some.opens_on,
                    "closes_on": some.closes_on,
                    "state": "upcoming",
                    "next_at": some.next_at,
                    "step": 0,
                }
            ],
        )
    assert made == 0
    assert snapshot(await items_of(db, w)) == snapshot(items)
