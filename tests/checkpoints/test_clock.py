"""The clock's pass (`checkpoints.clock`) against the real database: it opens items and
mails their audience, reminds before and after the due date, marks missed, makes the
coordinator's tasks, marks items done in the pair's space, writes nothing twice, keeps
going past a tenant that fails, leaves suspended tenants alone, and a dry run keeps
nothing. The world and its dates: tests/checkpoints/clock_helpers.py."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import text, update

from mentorhub.checkpoints.clock import ClockError, run_pass, tenants_with_due_work
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.pairs.space_models import Agreement
from tests.checkpoints.clock_helpers import (
    AFTER,
    BEFORE,
    DUE,
    MATCHED,
    MISSED,
    OPEN,
    ClockWorld,
    at,
    clock_passes,
    clock_world,
    items,
    mail_counts,
    messages,
    suspend,
    tasks,
)


async def test_a_pass_opens_reminds_marks_missed_and_makes_tasks(db: Database) -> None:
    w = await clock_world(db)

    # Before the window: the sync makes the items; nothing opens, nothing is mailed.
    first = await run_pass(db, as_of=MATCHED, tenant_slug=w.slug)
    [t] = first.tenants
    assert t.synced == 1 and t.opened == 0 and t.mails == 0
    found = await items(db, w)
    assert set(found) == {
        ("together", "pair"),
        ("survey", "mentor"),
        ("survey", "mentee"),
        ("call", "pair"),
        ("agree", "pair"),
    }
    assert {i.state for i in found.values()} == {"upcoming"}

    # Opening day, at 09:00 London: four participant items open and mail; the call becomes
    # the coordinator's task, without mail.
    opened = await run_pass(db, as_of=OPEN, tenant_slug=w.slug)
    [t] = opened.tenants
    assert (t.opened, t.tasks, t.mails) == (5, 1, 6)
    assert t.now == datetime(2027, 2, 8, 9, tzinfo=UTC)  # London is on GMT in February
    assert await mail_counts(db, w) == Counter(
        {("checkpoint_open", "mentor"): 3, ("checkpoint_open", "mentee"): 3}
    )
    found = await items(db, w)
    assert {k: i.state for k, i in found.items()} == {k: "open" for k in found}
    assert all(i.opened_at == t.now for i in found.values())
    [task] = await tasks(db, w)
    assert (task.kind, task.key, task.item_id, task.title) == (
        "checkpoint",
        f"task:item:{found['call', 'pair'].id}",
        found["call", "pair"].id,
        "Call the mentor",
    )
    assert "Maya Mentor (mentor) and Theo Mentee (mentee)" in task.detail
    assert "Ask how the first weeks went." in task.detail
    together = next(
        m
        for m in await messages(db, w)
        if m.key == f"checkpoint:{found['together', 'pair'].id}:open:{w.mentor.id}"
    )
    assert together.context["together"] == "Theo Mentee"
    assert together.context["due_on"] == "Monday 15 February 2027"
    assert together.context["note"] == "Talk it over before you write."
    assert together.context["link"].endswith(
        f"/t/{w.slug}/pairs/{w.pair.id}/checkpoints/{found['together', 'pair'].id}"
    )
    assert together.subject == "Now open: Review together, due on Monday 15 February 2027"

    # The same day again: nothing new is written, and no audit row for a pass that did nothing.
    audits = len(await clock_passes(db, w))
    again = await run_pass(db, as_of=OPEN, tenant_slug=w.slug)
    assert again.tenants[0].counts() == dict.fromkeys(again.tenants[0].counts(), 0)
    assert len(await messages(db, w)) == 6
    assert len(await clock_passes(db, w)) == audits

    # Three days before the due date (previous business day: Friday 12th): one reminder
    # each; the day between sends nothing.
    await run_pass(db, as_of=BEFORE.replace(day=11), tenant_slug=w.slug)
    assert len(await messages(db, w)) == 6
    reminded = await run_pass(db, as_of=BEFORE, tenant_slug=w.slug)
    assert reminded.tenants[0].reminded == 4
    counts = await mail_counts(db, w)
    assert counts["reminder", "mentor"] == 3 and counts["reminder", "mentee"] == 3
    keys = [m.key for m in await messages(db, w) if m.kind == "reminder"]
    assert all(k.endswith(f":{DUE.isoformat()}") and ":before:3:" in k for k in keys)

    # The survey is sent in by the mentee (as the member pages will): no more mail for it.
    async with db.tenant(w.id) as session:
        sent = found["survey", "mentee"]
        await session.execute(
            text(
                "UPDATE checkpoint_items SET state = 'submitted', submitted_at = :at, "
                "submitted_by = :by, next_at = NULL WHERE tenant_id = :t AND id = :id"
            ),
            {"at": at(DUE), "by": w.mentee.id, "t": w.id, "id": sent.id},
        )

    overdue = await run_pass(db, as_of=AFTER, tenant_slug=w.slug)
    assert overdue.tenants[0].overdue == 3
    counts = await mail_counts(db, w)
    assert counts["checkpoint_overdue", "mentor"] == 3
    assert counts["checkpoint_overdue", "mentee"] == 2

    # The day after the window and the last reminder: missed, without mail; the
    # coordinator's item is never missed.
    before_missed = len(await messages(db, w))
    missed = await run_pass(db, as_of=MISSED, tenant_slug=w.slug)
    assert missed.tenants[0].missed == 3
    assert len(await messages(db, w)) == before_missed
    found = await items(db, w)
    assert {k: i.state for k, i in found.items()} == {
        ("together", "pair"): "missed",
        ("survey", "mentor"): "missed",
        ("survey", "mentee"): "submitted",
        ("call", "pair"): "open",
        ("agree", "pair"): "missed",
    }
    assert all(i.next_at is None for i in found.values())
    assert found["together", "pair"].missed_at == datetime(2027, 2, 23, 9, tzinfo=UTC)

    # Every message key once; each pass that changed something has its audit row.
    keys = [m.key for m in await messages(db, w)]
    assert len(keys) == len(set(keys)) == 6 + 6 + 5
    passes = await clock_passes(db, w)
    assert [p.details.get("opened", 0) for p in passes] == [0, 5, 0, 0, 0]
    assert passes[-1].details == {"missed": 3}
    assert passes[-1].actor == "system:clock"


async def test_catching_up_after_downtime_sends_one_mail_not_three(db: Database) -> None:
    """The first pass after a long stop: the items open, and only the latest mail goes."""
    w = await clock_world(db)
    result = await run_pass(db, as_of=AFTER, tenant_slug=w.slug)
    [t] = result.tenants
    assert (t.opened, t.overdue, t.reminded) == (5, 4, 0)
    assert await mail_counts(db, w) == Counter(
        {("checkpoint_overdue", "mentor"): 3, ("checkpoint_overdue", "mentee"): 3}
    )


async def _add_agreement(
    db: Database,
    w: ClockWorld,
    revision: int,
    *,
    mentor: tuple[int, datetime],
    mentee: tuple[int, datetime],
) -> None:
    """The pair's agreement at `revision`, each side agreed (revision, when) as given."""
    async with db.tenant(w.id) as session:
        session.add(
            Agreement(
                tenant_id=w.id,
                pair_id=w.pair.id,
                sections=[],
                revision=revision,
                mentor_agreed_revision=mentor[0],
                mentor_agreed_at=mentor[1],
                mentee_agreed_revision=mentee[0],
                mentee_agreed_at=mentee[1],
            )
        )


async def test_an_item_done_in_the_space_is_marked_sent_in_without_mail(db: Database) -> None:
    w = await clock_world(db)
    agreed = datetime(2027, 2, 5, 15, tzinfo=UTC)
    await _add_agreement(db, w, 2, mentor=(2, agreed.replace(hour=10)), mentee=(2, agreed))
    result = await run_pass(db, as_of=OPEN, tenant_slug=w.slug)
    assert result.tenants[0].submitted == 1
    item = (await items(db, w))["agree", "pair"]
    assert (item.state, item.submitted_by, item.submitted_at, item.next_at) == (
        "submitted",
        w.mentee.id,  # the last of the two to agree
        agreed,
        None,
    )
    assert not [m for m in await messages(db, w) if str(item.id) in m.key]


async def test_an_agreement_not_agreed_at_its_current_revision_does_not_count(
    db: Database,
) -> None:
    w = await clock_world(db)
    await _add_agreement(db, w, 3, mentor=(3, at(MATCHED)), mentee=(2, at(MATCHED)))
    await run_pass(db, as_of=OPEN, tenant_slug=w.slug)
    assert (await items(db, w))["agree", "pair"].state == "open"


async def test_a_failing_tenant_does_not_stop_the_others(db: Database) -> None:
    """One tenant's work raises (a member's address is not an address: the message writer
    refuses it); its changes are rolled back, and the other tenant's pass is committed."""
    broken, fine = await clock_world(db), await clock_world(db)
    async with db.tenant(broken.id) as session:
        await session.execute(
            update(Member).where(Member.id == broken.mentee.id).values(email="not an address")
        )
    result = await run_pass(db, as_of=OPEN)
    failed = {f.slug: f for f in result.failures}
    assert broken.slug in failed and fine.slug not in failed
    assert "not an e-mail address" in str(failed[broken.slug].error)
    worked = {t.slug: t for t in result.tenants}
    assert broken.slug not in worked and worked[fine.slug].opened == 5
    assert len(await messages(db, fine)) == 6
    assert await messages(db, broken) == []
    assert await items(db, broken) == {}  # the sync was rolled back with the rest
    assert await clock_passes(db, broken) == []


async def test_a_suspended_tenant_gets_nothing(db: Database) -> None:
    w = await clock_world(db)
    await suspend(db, w.tenant)
    assert w.id not in await tenants_with_due_work(db, at(OPEN))
    result = await run_pass(db, as_of=OPEN)
    assert w.slug not in {t.slug for t in result.tenants}
    assert await items(db, w) == {}
    assert await messages(db, w) == []
    with pytest.raises(ClockError, match="suspended"):
        await run_pass(db, as_of=OPEN, tenant_slug=w.slug)


async def test_an_unknown_tenant_is_a_clear_error(db: Database) -> None:
    with pytest.raises(ClockError, match="no tenant has the slug 'no-such-tenant'"):
        await run_pass(db, as_of=OPEN, tenant_slug="no-such-tenant")


async def test_a_dry_run_changes_nothing_and_lists_the_mails(db: Database) -> None:
    w = await clock_world(db)
    await run_pass(db, as_of=MATCHED, tenant_slug=w.slug)
    before = {k: (i.state, i.step, i.next_at) for k, i in (await items(db, w)).items()}
    result = await run_pass(db, as_of=OPEN, tenant_slug=w.slug, dry_run=True)
    [t] = result.tenants
    assert (t.opened, t.tasks, t.mails) == (5, 1, 6)
    assert Counter(m.kind for m in result.messages) == {"checkpoint_open": 6}
    assert {m.to_address for m in result.messages} == {w.mentor.email, w.mentee.email}
    assert "Now open: Survey, due on Monday 15 February 2027" in {
        m.subject for m in result.messages
    }
    assert all(m.key.startswith("checkpoint:") for m in result.messages)
    # Nothing kept: the items as they were, no message, no task, no audit row.
    after = {k: (i.state, i.step, i.next_at) for k, i in (await items(db, w)).items()}
    assert after == before
    assert await messages(db, w) == []
    assert await tasks(db, w) == []
    assert len(await clock_passes(db, w)) == 1  # the first, real pass's
    # The real pass afterwards writes exactly what the dry run listed.
    real = await run_pass(db, as_of=OPEN, tenant_slug=w.slug)
    assert real.tenants[0].mails == 6
    assert sorted(m.key for m in await messages(db, w)) == sorted(m.key for m in result.messages)


async def test_a_dry_run_of_a_tenant_never_synced_leaves_its_pairs_stale(db: Database) -> None:
    w = await clock_world(db)
    result = await run_pass(db, as_of=OPEN, tenant_slug=w.slug, dry_run=True)
    assert result.tenants[0].synced == 1
    assert await items(db, w) == {}
    assert w.id in await tenants_with_due_work(db, at(MATCHED))


async def test_discovery_finds_due_tenants_only(db: Database) -> None:
    w = await clock_world(db)
    assert w.id in await tenants_with_due_work(db, at(MATCHED))  # stale: never synced
    await run_pass(db, as_of=MATCHED, tenant_slug=w.slug)
    assert w.id not in await tenants_with_due_work(db, at(MATCHED))
    assert w.id in await tenants_with_due_work(db, at(OPEN))


async def test_discovery_reads_the_partial_indexes(db: Database) -> None:
    """The discovery statement can be answered from the partial indexes alone (empty when
    nothing is due): with sequential scans off, the plan uses them."""
    from sqlalchemy.dialects import postgresql

    from mentorhub.checkpoints import clock

    statement = clock._discovery(at(OPEN))
    sql = str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    async with db.platform("clock") as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())
    # Never a whole table read. Which index the quiet branch takes on the tests' nearly
    # empty pairs table is the planner's choice (the CI run once took pairs_by_cohort, at
    # the same cost as pairs_quiet_due); at scale the partial index is the cheap one.
    assert "Seq Scan" not in plan, plan
    for index in ("checkpoint_items_due", "pairs_items_stale"):
        assert index in plan, plan
    quiet = plan[plan.index("quiet_next_at <=") - 400 : plan.index("quiet_next_at <=")]
    assert "Index" in quiet and "on pairs" in quiet, plan


async def test_message_kinds_and_counts_per_person(db: Database) -> None:
    """Each person gets their own survey's mails and the pair's; keys name the person."""
    w = await clock_world(db)
    await run_pass(db, as_of=OPEN, tenant_slug=w.slug)
    found = await items(db, w)
    by_key = {m.key: m for m in await messages(db, w)}
    mentor_survey = found["survey", "mentor"]
    assert f"checkpoint:{mentor_survey.id}:open:{w.mentor.id}" in by_key
    assert f"checkpoint:{mentor_survey.id}:open:{w.mentee.id}" not in by_key
    # A person's own item names nobody to write it with.
    own = by_key[f"checkpoint:{mentor_survey.id}:open:{w.mentor.id}"]
    assert isinstance(own, Message) and own.context.get("together", "") == ""
