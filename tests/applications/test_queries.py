"""What the pages read: scoped to who may read it, the queue's filters and paging, export."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from mentorhub.applications import queries, services
from mentorhub.applications.states import State
from mentorhub.db import Database, NotFound
from tests.applications.conftest import World, add_member, answers, make_world


async def apply(db: Database, world: World, name: str, role: str = "mentee", **given: object):  # type: ignore[no-untyped-def]
    member = await add_member(db, world.tenant, name, roles=(role,))
    draft = await services.save_draft(
        db,
        world.id,
        member.id,
        cohort_id=world.cohort.id,
        role=role,
        data=answers(world, role, **given),
    )
    return member, await services.submit(db, world.id, member.id, draft.id)


async def test_interview_notes_are_for_staff_and_others_read_nothing(db: Database) -> None:
    world = await make_world(db, "museums-association")
    ada, app = await apply(db, world, "Ada")
    c = world.coordinator.id
    await services.shortlist(db, world.id, c, app.id)
    await services.schedule_interview(
        db, world.id, c, app.id, scheduled_at=datetime.now(UTC) + timedelta(days=2)
    )
    await services.record_interview(
        db, world.id, c, app.id, held_at=datetime.now(UTC), notes="Private notes"
    )
    own = await queries.application(db, world.id, ada.id, app.id)
    assert own.interview is not None and own.interview.notes is None
    assert own.answered and own.actions == ["withdraw"]
    staff = await queries.application(db, world.id, c, app.id)
    assert staff.interview is not None and staff.interview.notes == "Private notes"
    assert "accept" in staff.actions and "withdraw" not in staff.actions
    admin = await queries.application(db, world.id, world.admin.id, app.id)
    assert admin.interview is not None and admin.interview.notes == "Private notes"
    other = await add_member(db, world.tenant, "Nosy")
    with pytest.raises(NotFound, match="No such application"):
        await queries.application(db, world.id, other.id, app.id)
    elsewhere = await make_world(db, "museums-association")
    with pytest.raises(NotFound, match="No such application"):
        await queries.application(db, elsewhere.id, elsewhere.coordinator.id, app.id)
    with pytest.raises(NotFound):
        await queries.queue(db, world.id, ada.id, world.cohort.id)  # applicants have no queue


async def test_queue_filters_searches_and_pages(db: Database) -> None:
    world = await make_world(db, "museums-association")
    for i in range(7):
        await apply(db, world, f"Mentee {i}")
    await apply(db, world, "Zebedee Mentor", role="mentor")
    _, student = await apply(db, world, "Sam Student", is_student="yes")
    drafter = await add_member(db, world.tenant, "Drafty")
    await services.save_draft(
        db, world.id, drafter.id, cohort_id=world.cohort.id, role="mentee", data={}
    )
    c = world.coordinator.id
    everything = await queries.queue(db, world.id, c, world.cohort.id, size=4)
    assert everything.total == 9  # the draft is the applicant's own
    assert [r.applicant_name for r in everything.rows][:2] == ["Mentee 0", "Mentee 1"]
    last = await queries.queue(db, world.id, c, world.cohort.id, size=4, number=3)
    assert [r.applicant_name for r in last.rows] == ["Sam Student"]
    mentors = await queries.queue(db, world.id, c, world.cohort.id, role="mentor")
    assert [r.applicant_name for r in mentors.rows] == ["Zebedee Mentor"]
    ineligible = await queries.queue(db, world.id, c, world.cohort.id, state="ineligible")
    assert [r.id for r in ineligible.rows] == [student.id]
    found = await queries.queue(db, world.id, c, world.cohort.id, search="  sam  STUD ")
    assert [r.id for r in found.rows] == [student.id]
    assert (await queries.queue(db, world.id, c, world.cohort.id, search="100%_")).total == 0
    states = await queries.queue_states(db, world.id, world.cohort.id)
    assert states[0] == State.SUBMITTED and "interviewed" in states


async def test_export_rows_have_answers_and_defuse_formulas(db: Database) -> None:
    world = await make_world(db, "museums-association")
    await apply(db, world, "=HYPERLINK(evil)", goals="=1+1")
    rows = await queries.export_rows(db, world.id, world.coordinator.id, world.cohort.id)
    header, row = rows
    assert header[:3] == ["application_id", "name", "email"] and "goals" in header
    assert row[header.index("goals")] == "'=1+1"
    assert row[1] == "'=HYPERLINK(evil)"
    assert "".join(queries.export_csv(rows)).count("\n") == 2
    with pytest.raises(NotFound):
        await queries.export_rows(db, world.id, uuid.uuid4(), world.cohort.id)


async def test_windows_say_when_they_open(db: Database) -> None:
    world = await make_world(db, "museums-association", windows_open=False)
    assert await queries.windows_for_role(db, world.id, "mentee") == []
    later = datetime(2031, 3, 3, 9, tzinfo=UTC)
    await services.open_window(
        db, world.id, world.coordinator.id, world.cohort.id, "mentee", opens_at=later
    )
    [window] = await queries.windows_for_role(db, world.id, "mentee")
    assert not window.open and window.words == "Applications from mentees open on 3 March 2031."
    [cohort] = await queries.cohorts(db, world.id)
    assert {w.role for w in cohort.windows} == {"mentor", "mentee"}
