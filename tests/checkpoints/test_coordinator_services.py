"""The coordinator's checkpoint actions (`checkpoints.services.review`) against the real
database: only a submission is reviewed (every other state refused in words), only an item
whose readers name the coordinator (else not found, like a missing one), a stale page
refused, the note checked at the edge; a task done once (a second completion refused), a
checkpoint task's item sent in by the coordinator, a quiet-pair task just closed; each with
its audit row."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from mentorhub.checkpoints.services.review import StaleItem, StaleTask, complete_task, review_item
from mentorhub.core.audit import AuditEntry
from mentorhub.core.problems import Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.models import Member
from mentorhub.pairs.rules import Refused
from tests.checkpoints.coordinator_world import (
    CoordWorld,
    add_item,
    add_task,
    coord_world,
    coordinator_call,
    reload_item,
    reload_task,
)

NOW = datetime(2027, 3, 10, 16, 0, tzinfo=UTC)


async def _review(
    db: Database, cw: CoordWorld, who: Member, item_id: uuid.UUID, version: int = 0, note: str = ""
) -> None:
    async with db.tenant(cw.pw.id) as session:
        await review_item(
            session, cw.pw.world.tenant, who, item_id, note=note, lock_version=version, now=NOW
        )


async def _done(
    db: Database, cw: CoordWorld, who: Member, task_id: uuid.UUID, version: int = 0, note: str = ""
) -> None:
    async with db.tenant(cw.pw.id) as session:
        await complete_task(
            session, cw.pw.world.tenant, who, task_id, note=note, lock_version=version, now=NOW
        )


async def _audit(db: Database, cw: CoordWorld, action: str) -> list[AuditEntry]:
    async with db.tenant(cw.pw.id) as session:
        rows = await session.execute(select(AuditEntry).where(AuditEntry.action == action))
        return list(rows.scalars())


async def test_a_submission_is_reviewed_once_with_its_note(db: Database) -> None:
    cw = await coord_world(db)
    coordinator = cw.pw.world.coordinator
    item = await add_item(db, cw, member=cw.pw.mentee)
    await _review(db, cw, coordinator, item.id, note="  Read; follow up in April.  ")
    after = await reload_item(db, cw, item.id)
    assert (after.state, after.reviewed_by, after.reviewed_at) == ("reviewed", coordinator.id, NOW)
    assert after.review_note == "Read; follow up in April."
    assert after.lock_version == 1
    [entry] = await _audit(db, cw, "checkpoint_reviewed")
    assert entry.subject == str(item.id) and entry.actor == coordinator.email
    assert entry.details["pair"] == str(cw.pw.pair.id)
    # A second review: refused in words naming who reviewed it and when.
    with pytest.raises(Refused, match=r"already reviewed by Coral Coordinator on 10 March 2027"):
        await _review(db, cw, coordinator, item.id, version=1)


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("open", "has not been sent in yet"),
        ("upcoming", "has not been sent in yet"),
        ("missed", "was missed"),
        ("cancelled", "was cancelled"),
    ],
)
async def test_only_a_submission_can_be_reviewed(db: Database, state: str, words: str) -> None:
    cw = await coord_world(db)
    item = await add_item(db, cw, member=cw.pw.mentee, state=state)
    with pytest.raises(Refused, match=words):
        await _review(db, cw, cw.pw.world.coordinator, item.id)
    assert (await reload_item(db, cw, item.id)).state == state
    assert await _audit(db, cw, "checkpoint_reviewed") == []


async def test_readers_decide_who_may_review(db: Database) -> None:
    cw = await coord_world(db)
    world = cw.pw.world
    private = await add_item(
        db, cw, checkpoint="mentorship_plan", audience="pair", readers=("pair",)
    )
    readable = await add_item(db, cw, member=cw.pw.mentee)
    # Readers without the coordinator, a missing id, a malformed id: all "not found".
    for key in (private.id, uuid.uuid4(), "not-an-id"):
        with pytest.raises(NotFound):
            await _review(db, cw, world.coordinator, key)  # type: ignore[arg-type]
    # A tenant admin without the coordinator role, a member: not found.
    for who in (world.admin, cw.pw.other_mentor):
        with pytest.raises(NotFound):
            await _review(db, cw, who, readable.id)
    # Another tenant's coordinator, in their own tenant's transaction: not found.
    away = await coord_world(db)
    async with db.tenant(away.pw.id) as session:
        with pytest.raises(NotFound):
            await review_item(
                session,
                away.pw.world.tenant,
                away.pw.world.coordinator,
                readable.id,
                note="",
                lock_version=0,
            )
    assert (await reload_item(db, cw, readable.id)).state == "submitted"


async def test_a_coordinator_in_the_pair_reads_it_as_the_party(db: Database) -> None:
    cw = await coord_world(db)
    async with db.tenant(cw.pw.id) as session:
        mentor = await session.get(Member, {"tenant_id": cw.pw.id, "id": cw.pw.mentor.id})
        assert mentor is not None
        mentor.roles = ["mentor", "coordinator"]
    item = await add_item(db, cw, member=cw.pw.mentee)
    with pytest.raises(NotFound):
        await _review(db, cw, mentor, item.id)


async def test_a_stale_page_and_a_bad_note_change_nothing(db: Database) -> None:
    cw = await coord_world(db)
    coordinator = cw.pw.world.coordinator
    item = await add_item(db, cw, member=cw.pw.mentee)
    with pytest.raises(StaleItem, match="changed since the page was shown"):
        await _review(db, cw, coordinator, item.id, version=7)
    with pytest.raises(Problems) as caught:
        await _review(db, cw, coordinator, item.id, note="x" * 2001)
    assert [p.path for p in caught.value.problems] == ["note"]
    assert "2,000 characters or fewer" in caught.value.problems[0].message
    with pytest.raises(Problems):
        await _review(db, cw, coordinator, item.id, note="bad\x00byte")
    after = await reload_item(db, cw, item.id)
    assert (after.state, after.lock_version) == ("submitted", 0)


async def test_a_call_done_sends_its_item_in_and_a_second_completion_is_refused(
    db: Database,
) -> None:
    cw = await coord_world(db)
    coordinator = cw.pw.world.coordinator
    item, task = await coordinator_call(db, cw)
    await _done(db, cw, coordinator, task.id, note="Spoke for 20 minutes; going well.")
    after_task = await reload_task(db, cw, task.id)
    assert (after_task.state, after_task.done_by, after_task.done_at) == (
        "done",
        coordinator.id,
        NOW,
    )
    assert after_task.note == "Spoke for 20 minutes; going well."
    after = await reload_item(db, cw, item.id)
    assert (after.state, after.submitted_by, after.submitted_at, after.next_at) == (
        "submitted",
        coordinator.id,
        NOW,
        None,
    )
    assert after.answers == {"note": "Spoke for 20 minutes; going well."}
    [entry] = await _audit(db, cw, "coordinator_task_done")
    assert entry.details["item"] == str(item.id) and entry.details["item_submitted"] is True
    with pytest.raises(Refused, match="already done by Coral Coordinator on 10 March 2027"):
        await _done(db, cw, coordinator, task.id, version=1)
    assert len(await _audit(db, cw, "coordinator_task_done")) == 1


async def test_a_missed_call_is_sent_in_late_and_a_stale_task_refused(db: Database) -> None:
    cw = await coord_world(db)
    coordinator = cw.pw.world.coordinator
    item, task = await coordinator_call(db, cw)
    async with db.tenant(cw.pw.id) as session:
        row = await session.get(type(item), {"tenant_id": cw.pw.id, "id": item.id})
        assert row is not None
        row.state, row.missed_at = "missed", NOW - timedelta(days=1)
    with pytest.raises(StaleTask):
        await _done(db, cw, coordinator, task.id, version=3)
    with pytest.raises(Problems):
        await _done(db, cw, coordinator, task.id, note="n" * 2001)
    assert (await reload_task(db, cw, task.id)).state == "open"
    await _done(db, cw, coordinator, task.id)
    after = await reload_item(db, cw, item.id)
    assert after.state == "submitted" and after.answers == {"note": ""}


async def test_a_quiet_pair_task_closes_and_others_may_not(db: Database) -> None:
    cw = await coord_world(db)
    world = cw.pw.world
    task = await add_task(
        db, cw, kind="quiet_pair", title="Quiet pair", last_activity=date(2027, 1, 4)
    )
    for who in (world.admin, cw.pw.mentor):
        with pytest.raises(NotFound):
            await _done(db, cw, who, task.id)
    with pytest.raises(NotFound):
        await _done(db, cw, world.coordinator, uuid.uuid4())
    await _done(db, cw, world.coordinator, task.id, note="Mailed them both.")
    after = await reload_task(db, cw, task.id)
    assert (after.state, after.note) == ("done", "Mailed them both.")
    [entry] = await _audit(db, cw, "coordinator_task_done")
    assert "item" not in entry.details and entry.details["kind"] == "quiet_pair"
