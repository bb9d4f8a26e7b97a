"""The application journey's actions against real PostgreSQL: each action's happy path, its
refusals (wrong state, outside the window, a replay, another tenant's id, bad input), and
that a refusal writes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from mentorhub.applications import services
from mentorhub.applications.models import Application, Interview, RecruitmentWindow
from mentorhub.applications.states import State, TransitionRefused
from mentorhub.core.audit import AuditEntry
from mentorhub.core.problems import Problems
from mentorhub.db import Database, NotFound
from mentorhub.messages.models import Message
from tests.applications.conftest import (
    World,
    add_member,
    answers,
    count,
    kinds,
    make_world,
    reload,
)


async def submitted(
    db: Database, world: World, role: str = "mentee", **given: object
) -> Application:
    member = await add_member(db, world.tenant, f"Applicant {uuid.uuid4().hex[:4]}")
    draft = await services.save_draft(
        db,
        world.id,
        member.id,
        cohort_id=world.cohort.id,
        role=role,
        data=answers(world, role, **given),
    )
    return await services.submit(db, world.id, member.id, draft.id)


# --- drafts and submitting -----------------------------------------------------------------


async def test_draft_then_submit_museums_mentee_is_eligible_and_told(db: Database) -> None:
    world = await make_world(db, "museums-association")
    ada = await add_member(db, world.tenant, "Ada", status=None)  # MA is open to everyone
    draft = await services.save_draft(
        db, world.id, ada.id, cohort_id=world.cohort.id, role="mentee", data={"goals": ["Grow"]}
    )
    assert draft.state == State.DRAFT and draft.answers == {"goals": "Grow"}
    again = await services.save_draft(
        db,
        world.id,
        ada.id,
        cohort_id=world.cohort.id,
        role="mentee",
        data=answers(world),
        lock_version=draft.lock_version,
    )
    assert again.id == draft.id  # the same draft, updated
    done = await services.submit(db, world.id, ada.id, draft.id, lock_version=again.lock_version)
    assert done.state == State.ELIGIBLE and done.submitted_at is not None
    assert done.search_text.startswith("ada ")
    assert await kinds(db, world, ada) == ["application_received"]


async def test_submit_refuses_missing_answers_at_their_fields_and_writes_nothing(
    db: Database,
) -> None:
    world = await make_world(db, "museums-association")
    ada = await add_member(db, world.tenant)
    draft = await services.save_draft(
        db, world.id, ada.id, cohort_id=world.cohort.id, role="mentee", data={}
    )
    with pytest.raises(Problems) as refused:
        await services.submit(db, world.id, ada.id, draft.id)
    assert {p.path for p in refused.value.problems} >= {"is_student", "goals"}
    with pytest.raises(Problems) as refused:
        await services.submit(
            db, world.id, ada.id, draft.id, data=answers(world, goals="x" * 50_000)
        )
    assert [p.path for p in refused.value.problems] == ["goals"]
    assert (await reload(db, world, draft.id)).state == State.DRAFT
    assert await kinds(db, world, ada) == []


async def test_a_replayed_submit_changes_nothing(db: Database) -> None:
    world = await make_world(db, "museums-association")
    app = await submitted(db, world)
    replay = await services.submit(db, world.id, app.member_id, app.id, data=answers(world))
    assert replay.lock_version == app.lock_version and replay.state == app.state
    assert await count(db, world, Message, Message.member_id == app.member_id) == 1
    assert await count(db, world, AuditEntry, AuditEntry.action == "application_submitted") == 1


async def test_a_stale_draft_form_is_refused(db: Database) -> None:
    world = await make_world(db, "museums-association")
    ada = await add_member(db, world.tenant)
    draft = await services.save_draft(
        db, world.id, ada.id, cohort_id=world.cohort.id, role="mentee", data={}
    )
    await services.save_draft(
        db, world.id, ada.id, cohort_id=world.cohort.id, role="mentee", data={"goals": ["A"]}
    )
    with pytest.raises(services.StaleForm):
        await services.submit(
            db, world.id, ada.id, draft.id, data=answers(world), lock_version=draft.lock_version
        )
    assert (await reload(db, world, draft.id)).answers == {"goals": "A"}


async def test_outside_the_window_says_when_it_opens_and_writes_nothing(db: Database) -> None:
    world = await make_world(db, "museums-association", windows_open=False)
    ada = await add_member(db, world.tenant)
    with pytest.raises(services.WindowClosed, match="closed on"):
        await services.save_draft(
            db, world.id, ada.id, cohort_id=world.cohort.id, role="mentee", data=answers(world)
        )
    later = datetime.now(UTC) + timedelta(days=60)
    async with db.tenant(world.id) as session:
        window = (
            await session.execute(
                select(RecruitmentWindow).where(RecruitmentWindow.role == "mentee")
            )
        ).scalar_one()
    await services.open_window(
        db, world.id, world.coordinator.id, world.cohort.id, "mentee", opens_at=later
    )
    async with db.tenant(world.id) as session:
        window = await session.get(RecruitmentWindow, {"tenant_id": world.id, "id": window.id})
        assert window is not None
        assert window.closes_at - window.opens_at == timedelta(weeks=6)  # MA: six weeks
    with pytest.raises(services.WindowClosed, match=f"open on {later.day} {later:%B %Y}"):
        await services.save_draft(
            db, world.id, ada.id, cohort_id=world.cohort.id, role="mentee", data=answers(world)
        )
    assert await count(db, world, Application) == 0


async def test_submit_after_the_coordinator_closed_the_window_is_refused(db: Database) -> None:
    world = await make_world(db, "museums-association")
    ada = await add_member(db, world.tenant)
    draft = await services.save_draft(
        db, world.id, ada.id, cohort_id=world.cohort.id, role="mentee", data=answers(world)
    )
    async with db.tenant(world.id) as session:
        window_id = (
            await session.execute(
                select(RecruitmentWindow.id).where(RecruitmentWindow.role == "mentee")
            )
        ).scalar_one()
    closed = await services.close_window(db, world.id, world.coordinator.id, window_id)
    assert closed.closed_by == world.coordinator.id
    with pytest.raises(services.WindowClosed, match="closed on"):
        await services.submit(db, world.id, ada.id, draft.id)
    with pytest.raises(services.Refused, match="already closed"):
        await services.close_window(db, world.id, world.coordinator.id, window_id)
    assert (await reload(db, world, draft.id)).state == State.DRAFT
    with pytest.raises(NotFound):  # an applicant cannot close a window
        await services.close_window(db, world.id, ada.id, window_id)


async def test_museums_student_is_ineligible_in_plain_words(db: Database) -> None:
    world = await make_world(db, "museums-association")
    app = await submitted(db, world, is_student="yes")
    assert app.state == State.INELIGIBLE
    assert app.ineligible_rule == "exclusion:students"
    assert app.ineligible_reason is not None
    assert app.ineligible_reason.startswith("This scheme is not open to students")
    member = await reload(db, world, app.id)
    async with db.tenant(world.id) as session:
        [message] = (
            await session.execute(select(Message).where(Message.member_id == member.member_id))
        ).scalars()
    assert message.kind == "application_ineligible"
    assert message.context["why"] == app.ineligible_reason


async def test_ahep_lapsed_member_is_ineligible(db: Database) -> None:
    world = await make_world(db, "ahep")
    lapsed = await add_member(db, world.tenant, "Lapsed", status="lapsed")
    draft = await services.save_draft(
        db, world.id, lapsed.id, cohort_id=world.cohort.id, role="mentee", data=answers(world)
    )
    app = await services.submit(db, world.id, lapsed.id, draft.id)
    assert (app.state, app.ineligible_rule) == (State.INELIGIBLE, "membership")


# --- who may touch what --------------------------------------------------------------------


async def test_another_tenant_s_application_is_not_found_and_untouched(db: Database) -> None:
    a = await make_world(db, "museums-association")
    b = await make_world(db, "museums-association")
    app = await submitted(db, a)
    for call in (
        services.shortlist(db, b.id, b.coordinator.id, app.id),
        services.accept(db, b.id, b.coordinator.id, app.id),
        services.decline(db, b.id, b.coordinator.id, app.id, feedback="x"),
        services.withdraw(db, b.id, app.member_id, app.id),
        services.submit(db, b.id, app.member_id, app.id),
        services.waitlist(db, b.id, b.coordinator.id, app.id),
        services.bulk(db, b.id, b.coordinator.id, "shortlist", [app.id]),
    ):
        with pytest.raises(NotFound, match="No such"):
            await call
    assert (await reload(db, a, app.id)).lock_version == app.lock_version
    with pytest.raises(NotFound):  # a malformed id is the same answer
        await services.shortlist(db, a.id, a.coordinator.id, "not-an-id")


async def test_only_the_applicant_submits_or_withdraws_and_only_staff_decide(
    db: Database,
) -> None:
    world = await make_world(db, "museums-association")
    app = await submitted(db, world)
    other = await add_member(db, world.tenant, "Other")
    with pytest.raises(NotFound):
        await services.withdraw(db, world.id, other.id, app.id)
    with pytest.raises(NotFound):
        await services.shortlist(db, world.id, other.id, app.id)
    assert (await reload(db, world, app.id)).state == State.ELIGIBLE


# --- the coordinator's steps ---------------------------------------------------------------


async def test_museums_mentee_shortlist_interview_accept(db: Database) -> None:
    world = await make_world(db, "museums-association")
    app = await submitted(db, world)
    coordinator = world.coordinator.id
    with pytest.raises(TransitionRefused, match="cannot be accepted"):
        await services.accept(db, world.id, coordinator, app.id)  # MA interviews mentees
    app = await services.shortlist(db, world.id, coordinator, app.id)
    assert app.state == State.SHORTLISTED
    with pytest.raises(TransitionRefused):
        await services.shortlist(db, world.id, coordinator, app.id)
    with pytest.raises(Problems, match="future"):
        await services.schedule_interview(
            db, world.id, coordinator, app.id, scheduled_at=datetime.now(UTC) - timedelta(hours=1)
        )
    when = datetime(2030, 3, 4, 10, 30, tzinfo=UTC)
    interview = await services.schedule_interview(
        db, world.id, coordinator, app.id, scheduled_at=when
    )
    assert interview.format == "phone"  # the scheme's interview format
    moved = await services.schedule_interview(
        db, world.id, coordinator, app.id, scheduled_at=when + timedelta(days=1), format="video"
    )
    assert moved.id == interview.id and moved.format == "video"
    with pytest.raises(TransitionRefused):
        await services.accept(db, world.id, coordinator, app.id)  # not interviewed yet
    await services.record_interview(
        db, world.id, coordinator, app.id, held_at=datetime.now(UTC), notes="Thoughtful."
    )
    app = await services.accept(db, world.id, coordinator, app.id)
    assert app.state == State.ACCEPTED and app.decided_at is not None
    assert await kinds(db, world, await _member(db, world, app)) == [
        "application_received",
        "application_shortlisted",
        "application_interview_scheduled",
        "application_interview_scheduled",
        "application_accepted",
    ]
    assert await count(db, world, Interview) == 1
    with pytest.raises(TransitionRefused):  # terminal
        await services.withdraw(db, world.id, app.member_id, app.id)


async def _member(db: Database, world: World, app: Application):  # type: ignore[no-untyped-def]
    from mentorhub.identity.models import Member

    async with db.tenant(world.id) as session:
        return await session.get(Member, {"tenant_id": world.id, "id": app.member_id})


async def test_ahep_accepts_straight_from_eligible(db: Database) -> None:
    world = await make_world(db, "ahep")
    app = await submitted(db, world)
    with pytest.raises(TransitionRefused):
        await services.shortlist(db, world.id, world.coordinator.id, app.id)
    app = await services.accept(db, world.id, world.coordinator.id, app.id)
    assert app.state == State.ACCEPTED


async def test_waitlist_is_ranked_and_accepting_closes_the_gap(db: Database) -> None:
    world = await make_world(db, "ahep")
    apps = [await submitted(db, world) for _ in range(3)]
    c = world.coordinator.id
    for app in apps:
        await services.waitlist(db, world.id, c, app.id)
    await services.waitlist(db, world.id, c, apps[2].id, rank=1)  # moved to the front

    async def ranks() -> list[int | None]:
        return [(await reload(db, world, a.id)).waitlist_rank for a in apps]

    assert await ranks() == [2, 3, 1]
    await services.accept(db, world.id, c, apps[0].id)
    assert await ranks() == [None, 2, 1]
    with pytest.raises(Problems):
        await services.waitlist(db, world.id, c, apps[1].id, rank=0)
    # a second waitlisting (re-ranking) does not mail again
    assert (await kinds(db, world, await _member(db, world, apps[2]))).count(
        "application_waitlisted"
    ) == 1


async def test_decline_with_feedback_and_priority_next_intake(db: Database) -> None:
    world = await make_world(db, "alberta-museums")
    member = await add_member(db, world.tenant, "Bo", ratified_on=date(2026, 5, 1))
    draft = await services.save_draft(
        db, world.id, member.id, cohort_id=world.cohort.id, role="mentee", data=answers(world)
    )
    app = await services.submit(db, world.id, member.id, draft.id)
    assert app.state == State.ELIGIBLE
    templates = services.feedback_templates(world.scheme, "mentee")
    assert "next intake" in templates["no_match"]  # Alberta invites to the next cohort
    with pytest.raises(Problems) as bad:
        await services.decline(db, world.id, world.coordinator.id, app.id, feedback="bad\x00text")
    assert bad.value.problems[0].path == "feedback"
    assert (await reload(db, world, app.id)).state == State.ELIGIBLE  # nothing written
    app = await services.decline(
        db,
        world.id,
        world.coordinator.id,
        app.id,
        feedback=templates["no_match"] + " Edited.",
    )
    assert app.state == State.UNSUCCESSFUL and app.feedback_sent_at is not None
    app = await services.offer_priority_next_intake(db, world.id, world.coordinator.id, app.id)
    assert app.priority_next_intake
    again = await services.offer_priority_next_intake(db, world.id, world.coordinator.id, app.id)
    assert again.lock_version == app.lock_version
    assert await kinds(db, world, member) == [
        "application_received",
        "application_unsuccessful",
        "application_next_intake",
    ]
    async with db.tenant(world.id) as session:
        feedback = (
            await session.execute(
                select(Message.context).where(Message.kind == "application_unsuccessful")
            )
        ).scalar_one()
    assert feedback["feedback"].endswith("Edited.")


async def test_withdraw_from_a_live_state_and_apply_again(db: Database) -> None:
    world = await make_world(db, "museums-association")
    app = await submitted(db, world)
    withdrawn = await services.withdraw(db, world.id, app.member_id, app.id)
    assert withdrawn.state == State.WITHDRAWN
    replay = await services.withdraw(db, world.id, app.member_id, app.id)
    assert replay.lock_version == withdrawn.lock_version
    fresh = await services.save_draft(
        db, world.id, app.member_id, cohort_id=world.cohort.id, role="mentee", data={}
    )
    assert fresh.id != app.id  # the withdrawn one does not count against "one live"


async def test_bulk_is_all_or_nothing(db: Database) -> None:
    world = await make_world(db, "museums-association")
    good = [await submitted(db, world) for _ in range(3)]
    student = await submitted(db, world, is_student="yes")  # ineligible: cannot be shortlisted
    c = world.coordinator.id
    with pytest.raises(services.BulkRefused) as refused:
        await services.bulk(db, world.id, c, "shortlist", [a.id for a in [*good, student]])
    assert refused.value.application_id == str(student.id)
    assert {(await reload(db, world, a.id)).state for a in good} == {State.ELIGIBLE}
    assert await count(db, world, Message, Message.kind == "application_shortlisted") == 0
    done = await services.bulk(db, world.id, c, "shortlist", [a.id for a in good])
    assert {a.state for a in done} == {State.SHORTLISTED}
    declined = await services.bulk(
        db, world.id, c, "decline", [a.id for a in good[:2]], feedback="Many applied."
    )
    assert {a.state for a in declined} == {State.UNSUCCESSFUL}
    with pytest.raises(Problems):
        await services.bulk(db, world.id, c, "explode", [good[2].id])


async def test_create_cohort_and_its_refusals(db: Database) -> None:
    world = await make_world(db, "alberta-museums")
    cohort = await services.create_cohort(
        db,
        world.id,
        world.coordinator.id,
        name="2027–28 programme year",
        starts_on=date(2027, 10, 1),
        ends_on=date(2028, 8, 31),
    )
    assert cohort.scheme_version == world.scheme.version
    with pytest.raises(Problems) as bad:
        await services.create_cohort(
            db,
            world.id,
            world.coordinator.id,
            name="2027–28 programme year",
            starts_on=date(2027, 10, 1),
            ends_on=date(2027, 9, 1),
        )
    assert {p.path for p in bad.value.problems} == {"ends_on"}
    with pytest.raises(Problems, match="exists"):
        await services.create_cohort(
            db,
            world.id,
            world.coordinator.id,
            name="2027–28 programme year",
            starts_on=date(2027, 10, 1),
            ends_on=date(2028, 8, 31),
        )


async def test_scheme_windows_open_mentors_first_then_mentees(db: Database) -> None:
    world = await make_world(db, "museums-association", windows_open=False)
    start = datetime(2031, 1, 6, 9, tzinfo=UTC)
    mentors, mentees = await services.open_scheme_windows(
        db, world.id, world.coordinator.id, world.cohort.id, opens_at=start
    )
    assert (mentors.role, mentees.role) == ("mentor", "mentee")
    assert mentors.closes_at == mentees.opens_at == start + timedelta(weeks=6)
    assert mentees.closes_at == start + timedelta(weeks=12)
    ahep = await make_world(db, "ahep")
    with pytest.raises(services.Refused, match="no recruitment windows"):
        await services.open_scheme_windows(
            db, ahep.id, ahep.coordinator.id, ahep.cohort.id, opens_at=start
        )
