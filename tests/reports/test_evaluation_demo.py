"""The embedded default's living report (reports.demo): after the demo members, the Museums
Association has a completed cohort of fourteen pairs whose report shows figures (63 meetings,
4.5 per pair), goals by status, every form's answers and the change from the baseline
questionnaire to the final survey; a second fill adds nothing; other tenants get none."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from mentorhub.applications.models import Cohort
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.db import Database
from mentorhub.demo import seed_demo_members
from mentorhub.pairs.demo import demo_past_cohorts
from mentorhub.reports.demo import COHORT_NAME, HELD, PAIRS, SLUG, seed_demo_report
from mentorhub.reports.evaluation import build_report
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from tests.support import as_owner


async def test_the_demo_makes_a_living_report_once(db: Database) -> None:
    async with as_owner(db) as owner:
        tenants = await load_tenants(owner, get_settings().tenants_dir)
        await seed_demo_members(owner, tenants)
    now = datetime(2027, 5, 10, 8, tzinfo=UTC)
    assert await seed_demo_report(db, tenants, now=now) > 0
    ma = next(t for t in tenants if t.slug == SLUG)
    async with db.tenant(ma.id, read_only=True) as session:
        cohort = (
            await session.execute(select(Cohort).where(Cohort.name == COHORT_NAME))
        ).scalar_one()
        assert cohort.ends_on < now.date()
        report = await build_report(session, cohort.id, today=date(2027, 5, 10))
        items = (
            await session.execute(select(func.count()).select_from(CheckpointItem))
        ).scalar_one()
    assert not report.suppressed and report.pairs == PAIRS
    figures = {f.label: f.value for s in report.sections for f in s.figures}
    assert figures["Meetings held"] == str(sum(HELD)) == "63"
    assert figures["Average meetings per pair"] == "4.5"
    assert figures["Pairs completed"] == "13"
    assert figures["Achieved or partly achieved"].endswith("%")
    changes = next(s for s in report.sections if s.key == "changes")
    shown = [c for c in changes.changes if not c.suppressed]
    assert shown and any(c.rose > 0 for c in shown)
    final = next(s for s in report.sections if s.key == "form:final_survey")
    assert not final.suppressed and any(not t.suppressed for t in final.tables)
    took_part = next(s for s in report.sections if s.key == "participants")
    assert any(not t.suppressed for t in took_part.tables)

    # the other demo steps' cohorts (made by the demo tenant admin) do not include it
    assert cohort.id not in await demo_past_cohorts(db, ma)

    # a second fill (a restart) adds nothing
    assert await seed_demo_report(db, tenants, now=now) == 0
    async with db.tenant(ma.id, read_only=True) as session:
        again = (
            await session.execute(select(func.count()).select_from(CheckpointItem))
        ).scalar_one()
    assert again == items
    for tenant in tenants:
        if tenant.slug != SLUG:
            async with db.tenant(tenant.id, read_only=True) as session:
                assert not (
                    await session.execute(select(Cohort).where(Cohort.name == COHORT_NAME))
                ).first()
