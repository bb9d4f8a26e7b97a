"""The coordinator's queue and actions after the loose ends of issue 13 were tied (real
PostgreSQL): the search looks in the answers through `search_haystack` (kept by PostgreSQL)
and the counts agree with the page; a bulk action or a priority offer from a page that is
out of date changes nothing (409-worthy StaleForm naming the applications); the scheme's
window order is kept by `open_window` itself; an application's history reads its own audit
entries; the per-member re-check touches only that member; a set-based re-evaluation mails
through `send_many` exactly what `send` writes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from mentorhub.applications import queries, queue, services
from mentorhub.applications.models import Application, RecruitmentWindow
from mentorhub.applications.states import State
from mentorhub.core.audit import AuditEntry
from mentorhub.core.problems import Problems
from mentorhub.db import Database
from mentorhub.messages.models import Message
from mentorhub.messages.services import Outgoing, send, send_many
from mentorhub.outbox.models import OutboxMessage
from mentorhub.tenancy.models import Tenant
from tests.applications.conftest import World, add_member, answers, count, make_world, reload


async def applied(db: Database, world: World, name: str, role: str = "mentee") -> Application:
    member = await add_member(db, world.tenant, name)
    draft = await services.save_draft(
        db, world.id, member.id, cohort_id=world.cohort.id, role=role, data=answers(world, role)
    )
    return await services.submit(db, world.id, member.id, draft.id)


async def test_the_search_reads_answers_and_the_counts_agree(db: Database) -> None:
    world = await make_world(db, "museums-association")
    one = await applied(db, world, "Olu Okafor")
    await applied(db, world, "Sam Smith")
    async with db.tenant(world.id) as session:  # an answer's value, as the form would keep it
        await session.execute(
            update(Application)
            .where(Application.id == one.id)
            .values(answers={**one.answers, "zz_note": "Works at the Hunterian"})
        )
    async with db.tenant(world.id, read_only=True) as session:
        haystack = (
            await session.execute(
                text("SELECT search_haystack FROM applications WHERE id = :id"), {"id": one.id}
            )
        ).scalar_one()
        assert "olu okafor" in haystack and "hunterian" in haystack
        assert "zz_note" not in haystack  # the questions' ids are not searched
        f = queue.QueueFilter(world.cohort.id, search="HUNTERIAN okafor")
        page, counts = await queue.page_and_counts(session, world.coordinator.id, f)
        assert [r.id for r in page.rows] == [one.id] and page.total == 1
        assert sum(counts.values()) == 1
        f = queue.QueueFilter(world.cohort.id, search="zz_note")
        page, counts = await queue.page_and_counts(session, world.coordinator.id, f)
        assert page.total == 0 and counts == {}
    assert (await queries.queue(db, world.id, world.coordinator.id, world.cohort.id)).total == 2


async def test_a_stale_bulk_changes_nothing_and_names_each_changed(db: Database) -> None:
    world = await make_world(db, "museums-association")
    first = await applied(db, world, "First")
    second = await applied(db, world, "Second")
    shown = {str(first.id): first.lock_version, str(second.id): second.lock_version}
    await services.shortlist(db, world.id, world.coordinator.id, second.id)  # meanwhile
    with pytest.raises(services.BulkStale) as refused:
        await services.bulk(
            db, world.id, world.coordinator.id, "decline", [first.id, second.id], versions=shown
        )
    assert refused.value.application_ids == [str(second.id)]
    assert str(second.id) in str(refused.value)
    assert (await reload(db, world, first.id)).state == first.state  # nothing written
    assert (await reload(db, world, second.id)).state == State.SHORTLISTED
    missing = {str(first.id): first.lock_version}  # a version the page did not send: stale
    with pytest.raises(services.BulkStale):
        await services.bulk(
            db, world.id, world.coordinator.id, "shortlist", [first.id, second.id], versions=missing
        )
    now = {str(first.id): first.lock_version}
    done = await services.bulk(
        db, world.id, world.coordinator.id, "shortlist", [first.id], versions=now
    )
    assert [a.state for a in done] == [State.SHORTLISTED]


async def test_priority_offer_from_an_old_page_is_stale(db: Database) -> None:
    world = await make_world(db, "alberta-museums")
    app = await applied(db, world, "Unplaced")
    async with db.tenant(world.id) as session:
        await session.execute(
            update(Application).where(Application.id == app.id).values(state="unsuccessful")
        )
    shown = (await reload(db, world, app.id)).lock_version
    with pytest.raises(services.StaleForm):
        await services.offer_priority_next_intake(
            db, world.id, world.coordinator.id, app.id, lock_version=shown - 1
        )
    assert not (await reload(db, world, app.id)).priority_next_intake
    offered = await services.offer_priority_next_intake(
        db, world.id, world.coordinator.id, app.id, lock_version=shown
    )
    assert offered.priority_next_intake
    again = await services.offer_priority_next_intake(  # a replay changes nothing
        db, world.id, world.coordinator.id, app.id, lock_version=shown
    )
    assert again.lock_version == offered.lock_version


async def test_open_window_keeps_mentors_before_mentees(db: Database) -> None:
    world = await make_world(db, "museums-association")  # mentors first, then mentees
    async with db.tenant(world.id) as session:
        windows = {
            w.role: w
            for w in (
                await session.execute(
                    select(RecruitmentWindow).where(RecruitmentWindow.cohort_id == world.cohort.id)
                )
            ).scalars()
        }
    mentors = windows["mentor"].opens_at
    with pytest.raises(Problems) as early:
        await services.open_window(
            db,
            world.id,
            world.coordinator.id,
            world.cohort.id,
            "mentee",
            opens_at=mentors - timedelta(days=1),
        )
    [problem] = early.value.problems
    assert problem.path == "opens_at" and "mentors" in problem.message
    with pytest.raises(Problems, match="after the mentees"):
        await services.open_window(
            db,
            world.id,
            world.coordinator.id,
            world.cohort.id,
            "mentor",
            opens_at=windows["mentee"].opens_at + timedelta(days=1),
        )
    async with db.tenant(world.id) as session:  # nothing moved
        moved = await session.execute(
            select(RecruitmentWindow.opens_at).where(RecruitmentWindow.role == "mentee")
        )
        assert moved.scalar_one() == windows["mentee"].opens_at
    later = await services.open_window(
        db,
        world.id,
        world.coordinator.id,
        world.cohort.id,
        "mentee",
        opens_at=mentors + timedelta(days=1),
    )
    assert later.opens_at == mentors + timedelta(days=1)


async def test_history_is_the_applications_own_entries(db: Database) -> None:
    world = await make_world(db, "museums-association")
    app = await applied(db, world, "Hist")
    await applied(db, world, "Other")
    found = await queue.around(db, world.id, app.id, world.cohort.id, services.scheme_of)
    # (one outer transaction in tests: the same created_at for both, so as a set)
    assert {e.action for e in found.history} == {
        "application_draft_saved",
        "application_submitted",
    }
    assert all(e.subject == str(app.id) for e in found.history)
    async with db.tenant(world.id, read_only=True) as session:  # the index it reads by
        definition = (
            await session.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_log_by_subject'")
            )
        ).scalar_one()
        assert "(tenant_id, subject, created_at, id)" in definition


async def test_reevaluate_member_touches_that_member_only(db: Database) -> None:
    world = await make_world(db, "ahep")  # members only
    waiting = await applied(db, world, "Waits")
    other = await applied(db, world, "Other")
    assert waiting.state == other.state
    async with db.tenant(world.id) as session:
        changed = await services.reevaluate_member(
            session, waiting.member_id, actor="test", now=datetime.now(UTC)
        )
        assert changed == 0  # nothing about them changed
        result = await services.reevaluate_members(
            session, actor="test", member_ids=[waiting.member_id]
        )
        assert result.checked == 1
        result = await services.reevaluate_members(session, actor="test", member_ids=[])
        assert result.checked == 0


async def test_send_many_writes_what_send_writes(db: Database) -> None:
    world = await make_world(db, "museums-association")
    members = [await add_member(db, world.tenant, f"Batch {i}") for i in range(3)]
    context = {"role": "mentee", "cohort": "2027 intake", "link": "https://example.org/a"}
    async with db.tenant(world.id) as session:
        tenant = (await session.execute(select(Tenant).where(Tenant.id == world.id))).scalar_one()
        for m in members:
            await send(session, tenant, "application_eligible", context, f"one:{m.id}", to_member=m)
        sent = await send_many(
            session,
            tenant,
            "application_eligible",
            [Outgoing(context, f"many:{m.id}", to_member=m) for m in members]
            + [Outgoing(context, f"many:{members[0].id}", to_member=members[0])],  # twice
        )
        assert sent[-1] is None and all(sent[:-1])
        again = await send_many(
            session,
            tenant,
            "application_eligible",
            [Outgoing(context, f"one:{members[0].id}", to_member=members[0])],
        )
        assert again == [None]  # the key send() used: nothing written
        rows = (await session.execute(select(Message).order_by(Message.id))).scalars().all()
        boxes = (
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id)))
            .scalars()
            .all()
        )

    def shape(m: Message) -> tuple[object, ...]:
        return (m.kind, m.member_id, m.to_address, m.subject, m.context, m.status, m.attempts)

    singles = [shape(m) for m in rows if m.key.startswith("one:")]
    batched = [shape(m) for m in rows if m.key.startswith("many:")]
    assert len(singles) == 3 and singles == batched
    by_message = {b.payload.get("message") for b in boxes}
    assert {m.id for m in rows if m.key.startswith(("one:", "many:"))} <= by_message
    assert len({b.kind for b in boxes}) == 1


async def test_stale_ids_not_the_tenants_are_not_found(db: Database) -> None:
    world = await make_world(db, "museums-association")
    app = await applied(db, world, "Mine")
    from mentorhub.db import NotFound

    with pytest.raises(NotFound):
        await services.bulk(
            db,
            world.id,
            world.coordinator.id,
            "shortlist",
            [app.id, uuid.uuid4()],
            versions={str(app.id): app.lock_version},
        )
    assert await count(db, world, AuditEntry, AuditEntry.action == "application_shortlisted") == 0


async def test_cohorts_lists_a_cohort_without_windows(db: Database) -> None:
    world = await make_world(db, "museums-association")
    bare = await services.create_cohort(
        db,
        world.id,
        world.coordinator.id,
        name="2029 intake",
        starts_on=world.cohort.starts_on + timedelta(days=800),
        ends_on=world.cohort.ends_on + timedelta(days=800),
    )
    found = {c.id: c for c in await queries.cohorts(db, world.id)}
    assert found[bare.id].windows == []
    assert {w.role for w in found[world.cohort.id].windows} == {"mentor", "mentee"}
    assert next(iter(found)) == bare.id  # newest first
