"""The embedded default's demo checkpoints (issue 16): after the demo matching and the demo
pairs, the clock run over the pairs' history leaves every tenant with checkpoint items that
are missed, sent in and reviewed, open and open past their due date (wherever the scheme's
calendar has something open today: `now_pairs`), the mails that produced them (opening,
reminders before and after the due date, the quiet-pair nudge), and the Museums
Association's calls on the coordinator's list (one done); a second fill adds nothing, even
weeks later."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from mentorhub.applications.models import Cohort
from mentorhub.applications.queue import tenant_zone
from mentorhub.checkpoints.demo import answers_for, now_pairs, seed_demo_checkpoints
from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.checkpoints.schedule import quiet_allowance_days
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.demo import demo_email, seed_demo_members
from mentorhub.identity.models import Member
from mentorhub.matching.demo import seed_demo_matching
from mentorhub.messages.models import Message
from mentorhub.pairs.demo import demo_past_cohorts, seed_demo_pairs
from mentorhub.pairs.models import Pair
from mentorhub.pairs.space_models import Meeting
from mentorhub.pairs.storage import DirectoryStorage
from mentorhub.schemes.forms import form_values, parse_answers
from mentorhub.schemes.loader import load_tenant
from mentorhub.schemes.rules import Scheme
from mentorhub.schemes.services import current_scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.models import Tenant
from tests.support import SLUGS, as_owner

COUNTED = (AuditEntry, CheckpointItem, CoordinatorTask, Meeting, Member, Message, Pair)


async def snapshot(db: Database, tenants: list[Tenant]) -> dict[str, object]:
    out: dict[str, object] = {}
    for tenant in tenants:
        async with db.tenant(tenant.id) as session:
            for model in COUNTED:
                n = (await session.execute(select(func.count()).select_from(model))).scalar_one()
                out[f"{tenant.slug}:{model.__name__}"] = int(n)
            out[f"{tenant.slug}:states"] = sorted(
                (await session.execute(select(CheckpointItem.id, CheckpointItem.state))).all()
            )
    return out


async def test_items_in_every_state_in_every_tenant_then_a_second_fill_adds_nothing(
    db: Database, tmp_path: Path
) -> None:
    async with as_owner(db) as owner:
        tenants = await load_tenants(owner, get_settings().tenants_dir)
        await seed_demo_members(owner, tenants)
    assert sorted(t.slug for t in tenants) == sorted(SLUGS)
    now = datetime.now(UTC).replace(microsecond=0)
    await seed_demo_matching(db, tenants, now=now)
    await seed_demo_pairs(db, tenants, now=now, storage=DirectoryStorage(tmp_path))
    assert await seed_demo_checkpoints(db, tenants, now=now) > 0

    for tenant in tenants:
        zone = tenant_zone(tenant.jurisdiction)
        today = now.astimezone(zone).date()
        async with db.tenant(tenant.id, read_only=True) as session:
            items = list((await session.execute(select(CheckpointItem))).scalars())
            tasks = list((await session.execute(select(CoordinatorTask))).scalars())
            kinds = Counter((await session.execute(select(Message.kind))).scalars())
            scheme = await current_scheme(session)
        assert scheme is not None
        states = Counter(i.state for i in items)
        assert {"missed", "submitted", "reviewed"} <= states.keys(), (tenant.slug, states)
        # Sent in through the form (answers kept, by the person), reviewed by the coordinator.
        sent = [i for i in items if i.state in ("submitted", "reviewed") and i.answers]
        assert sent, tenant.slug
        assert all(i.submitted_by is not None and i.submitted_at is not None for i in sent)
        assert all(i.reviewed_by is not None for i in items if i.state == "reviewed")
        # Open now, and open past its due date, wherever the calendar has something open.
        cohorts = await demo_past_cohorts(db, tenant)
        async with db.tenant(tenant.id, read_only=True) as session:
            running = await session.get(Cohort, {"tenant_id": tenant.id, "id": cohorts[-1]})
        assert running is not None
        wanted = now_pairs(scheme, running, tenant.jurisdiction, zone, today)
        if any(p.open for p in wanted):
            assert any(i.state == "open" and i.due_on >= today for i in items), tenant.slug
        if any(p.overdue for p in wanted):
            assert any(i.state == "open" and i.due_on < today for i in items), tenant.slug
        # The mails that made them: opening, reminders before and after the due date.
        assert {"checkpoint_open", "reminder", "checkpoint_overdue"} <= kinds.keys(), (
            tenant.slug,
            kinds,
        )
        # The overdue pair (one meeting in its first weeks) was nudged once its quiet spell
        # passed the allowance (Alberta's pairs are only weeks in during October).
        if await _quiet_for(db, tenant, scheme, today) > (quiet_allowance_days(scheme, None) or 0):
            assert kinds["quiet_pair_nudge"] >= 2, (tenant.slug, kinds)
        if tenant.slug == "museums-association":
            calls = [t for t in tasks if t.kind == "checkpoint"]
            assert {"open", "done"} <= {t.state for t in calls}, calls

    before = await snapshot(db, tenants)
    assert await seed_demo_checkpoints(db, tenants, now=now) == 0
    assert await snapshot(db, tenants) == before
    # A start weeks later: what is due then is the real clock's work, not the demo's.
    assert await seed_demo_checkpoints(db, tenants, now=now + timedelta(days=40)) == 0
    assert await snapshot(db, tenants) == before


async def _quiet_for(db: Database, tenant: Tenant, scheme: Scheme, today: date) -> int:
    """Days since the overdue pair (Mina Mentor and Tom Walsh) was last active (matched, or
    a meeting arranged or recorded)."""
    zone = tenant_zone(tenant.jurisdiction)
    emails = [demo_email(tenant.slug, k) for k in ("mentor2", "tom.walsh")]
    async with db.tenant(tenant.id, read_only=True) as session:
        ids = {
            m.email: m.id
            for m in (
                await session.execute(select(Member).where(Member.email.in_(emails)))
            ).scalars()
        }
        pair = (
            await session.execute(
                select(Pair).where(
                    Pair.mentor_id == ids[emails[0]], Pair.mentee_id == ids[emails[1]]
                )
            )
        ).scalar_one()
        moments = (
            await session.execute(
                select(Meeting.created_at, Meeting.recorded_at).where(Meeting.pair_id == pair.id)
            )
        ).all()
    days: list[date] = [pair.matched_on]
    days += [m.astimezone(zone).date() for row in moments for m in row if m is not None]
    return (today - max(days)).days


def test_the_demo_answers_every_shipped_checkpoint_form_completely() -> None:
    """What the demo people send in passes the form's own check (required questions, every
    Likert statement, ratings in range), for each person, and a question asked again later
    is answered no lower the second time."""
    for slug in SLUGS:
        scheme = load_tenant(slug).scheme
        assert scheme.checkpoint_forms, slug
        for form in scheme.checkpoint_forms:
            for role, share in (("mentor", False), ("mentee", True)):
                answers = answers_for(
                    scheme, form, seed=f"{slug}:{form.checkpoint}:{role}", role=role, share=share
                )
                parsed, errors = parse_answers(form, form_values(form, answers), final=True)
                assert not errors, (slug, form.checkpoint, errors)
                assert parsed == answers, (slug, form.checkpoint)
    ma = load_tenant("museums-association").scheme
    baseline = ma.checkpoint_form("baseline_questionnaire")
    final = ma.checkpoint_form("final_survey")
    assert baseline is not None and final is not None
    before = answers_for(ma, baseline, seed="s", role="mentee", share=False)["personal_qualities"]
    after = answers_for(ma, final, seed="s", role="mentee", share=False)["personal_qualities"]
    question = baseline.question("personal_qualities")
    assert question is not None
    scale = list(question.options)
    assert all(scale.index(b) <= scale.index(a) for b, a in zip(before, after, strict=True))
    assert sum(map(scale.index, after)) > sum(map(scale.index, before))
