"""The Museums Association's report checked against a seeded cohort whose answers are known
(tests.reports.test_evaluation_world): every figure from `build_report`, then the page over
HTTP (the real app): figures visible, free text without permission never shown (marker
strings), suppression (a form sent in by three, a cohort of three pairs), the coordinator's
scope, another tenant (404), and who may look (anonymous, a member, a tenant admin who is
not a coordinator, the platform admin)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from redis.asyncio import Redis

from mentorhub.admin.models import CoordinatorScope
from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE, Identity, SessionStore
from mentorhub.reports.evaluation import Report, Section, build_report
from mentorhub.settings import Settings
from tests.applications.conftest import add_member, make_world
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.reports.test_evaluation_world import KNOWN, ReportWorld, report_world
from tests.support import serving

BASE = "https://localhost"
TODAY = date(2027, 9, 1)
SECRETS = ("SECRET-MARKER", "DRAFT-MARKER", "SMALL-GROUP-QUOTE", "SMALL-COHORT-MARKER")


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def words(page: httpx.Response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


def section(report: Report, key: str) -> Section:
    return next(s for s in report.sections if s.key == key)


def figures(s: Section) -> dict[str, str]:
    return {f.label: f.value for f in s.figures}


async def _report(db: Database, rw: ReportWorld) -> Report:
    async with db.tenant(rw.id) as session:
        return await build_report(session, rw.cohort.id, today=TODAY)


async def test_the_ma_report_s_figures_match_the_seeded_cohort(db: Database) -> None:
    rw = await report_world(db)
    report = await _report(db, rw)
    assert not report.suppressed and report.pairs == 6
    assert report.scheme_name == "Mentoring for All"

    applicants = section(report, "applicants")
    assert figures(applicants) == {
        "Applications": "17",
        "Mentors who applied": "6",
        "Mentees who applied": "11",
    }
    mentees = next(t for t in applicants.tables if t.group == "Mentees")
    assert {r.label: (r.count, r.percent) for r in mentees.rows if r.count} == {
        "Accepted": (6, 54.5),
        "Unsuccessful": (4, 36.4),
        "Withdrawn": (1, 9.1),
    }

    took_part = section(report, "participants")
    work = next(
        t
        for t in took_part.tables
        if t.group == "Mentees" and t.title.startswith("How do you work")
    )
    assert {r.label: r.count for r in work.rows} == {
        "Paid staff": 4,
        "Volunteer": 1,
        "Freelance or consultant": 1,
    }
    stage = next(
        t for t in took_part.tables if t.group == "Mentors" and t.title.startswith("Where are you")
    )
    assert {r.label: r.percent for r in stage.rows if r.count} == {
        "Late mid-career (10 to 15 years)": 50.0,
        "Established (15 years or more)": 50.0,
    }
    needs = next(t for t in took_part.tables if t.title == "Which areas do you want to develop?")
    assert needs.several and {r.label: r.count for r in needs.rows if r.count} == {
        "Confidence": 6,
        "Professional networks": 3,
    }
    # nobody answered the region: suppressed, not "0 of 0"
    region = next(t for t in took_part.tables if t.group == "Mentees" and "region" in t.title)
    assert region.suppressed

    participation = section(report, "participation")
    assert figures(participation)["Pairs completed"] == "5"
    outcome = participation.tables[0]
    assert {r.label: r.count for r in outcome.rows if r.count} == {"Completed": 5, "Ended early": 1}

    meetings = figures(section(report, "meetings"))
    assert meetings["Meetings held"] == KNOWN["meetings"]
    assert meetings["Average meetings per pair"] == KNOWN["per_pair"]
    assert meetings["Contact hours in total"] == KNOWN["hours"]
    assert meetings["Average contact hours per pair"] == KNOWN["hours_per_pair"]
    assert (
        meetings["Pairs reaching 9 hours of contact (the scheme's expectation)"]
        == KNOWN["reaching"]
    )

    goals = section(report, "goals")
    assert figures(goals) == {"Goals set": "24", "Achieved or partly achieved": "95.8 %"}

    baseline = section(report, "form:baseline_questionnaire")
    assert figures(baseline)["Sent in"] == "6"
    before = next(t for t in baseline.tables if t.title == "I feel confident in myself")
    assert before.group.startswith("How far do you agree") and before.mean == 3.0
    mentored = next(t for t in baseline.tables if t.title.startswith("Have you taken part"))
    assert [(r.label, r.count, r.percent) for r in mentored.rows] == [
        ("Yes", 2, 33.3),
        ("No", 4, 66.7),
    ]

    final = section(report, "form:final_survey")
    assert figures(final)["Sent in"] == "5"  # the sixth is a draft
    achieved = next(t for t in final.tables if t.title.startswith("How many of your"))
    assert achieved.mean == 2.4 and {r.label: r.count for r in achieved.rows} == {"2": 3, "3": 2}
    recommend = next(t for t in final.tables if t.title.startswith("Would you recommend"))
    assert recommend.rows[0].label == "Yes" and recommend.rows[0].percent == 100.0

    # baseline -> final, among the five who answered both
    changes = section(report, "changes")
    confident = next(
        c
        for c in changes.changes
        if c.title == "I feel confident in myself" and c.group.startswith("How far")
    )
    assert confident.people == 5 and confident.rose == 5 and confident.rose_percent == 100.0
    assert confident.before_title == "Baseline questionnaire"
    assert confident.after_title == "Final online survey (mentees)"
    assert (confident.mean_before, confident.mean_after, confident.mean_change) == (3.0, 4.2, 1.2)
    steady = next(c for c in changes.changes if c.title == "I bounce back when things go wrong")
    assert steady.rose == 0 and steady.same == 5

    # quotes: only with permission, only from forms of five or more
    quotes = [q for s in report.sections for g in s.quotes for q in g.quotes]
    assert "SHARED-QUOTE-0" in quotes and "SHARED-QUOTE-1" in quotes
    assert not [q for q in quotes if any(m in q for m in SECRETS)]
    mentors_final = section(report, "form:final_survey_mentors")
    assert mentors_final.suppressed
    assert all(t.suppressed for t in mentors_final.tables)
    assert [g.suppressed for g in mentors_final.quotes] == [True]


async def test_a_cohort_under_five_pairs_shows_only_that(db: Database) -> None:
    rw = await report_world(db)
    async with db.tenant(rw.id) as session:
        report = await build_report(session, rw.small.id, today=TODAY)
    assert report.suppressed and report.pairs == 3 and report.sections == ()


async def test_the_page_shows_the_figures_and_never_unshared_words(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    rw = await report_world(db)
    await sign_in_as(client, settings, rw.world, rw.world.coordinator)
    page = await client.get(rw.url())
    assert page.status_code == 200, page.text
    text = words(page)
    for expected in (
        "Evaluation report: 2027 intake",
        "Meetings held 27",
        "Average meetings per pair 4.5",
        "Contact hours in total 52.0",
        "Achieved or partly achieved 95.8 %",
        "I feel confident in myself 5 5 (100 %) 0 (0 %) 0 (0 %) 3 → 4.2 (+1.2)",
        "SHARED-QUOTE-0",
        "Fewer than 5 people sent this form in",
    ):
        assert expected in text, expected
    for secret in SECRETS:
        assert secret not in page.text
    assert 'role="img"' in page.text and "<caption" in page.text
    assert "<script" not in page.text.split("</header>")[-1]

    small = await client.get(rw.url(rw.small))
    assert small.status_code == 200
    assert "This cohort’s pairs: fewer than 5 — not shown." in words(small)
    assert "SMALL-COHORT-MARKER" not in small.text and "Meetings held" not in small.text


async def _platform_admin(client: httpx.AsyncClient, settings: Settings) -> None:  # noqa: F811
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(email="pat@platform.example.org", display_name="Pat", platform_admin=True)
        )
    finally:
        await redis.aclose()
    client.cookies.clear()
    client.cookies.set(PLATFORM_COOKIE, token)
    client.cookies.set(TENANT_COOKIE, token)


PATHS = ("", "/report.csv", "/report.xlsx", "/report.pdf", "/responses.csv")


async def test_who_may_look(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    rw = await report_world(db)
    for path in PATHS:
        client.cookies.clear()
        anonymous = await client.get(rw.url(path=path))
        assert anonymous.status_code in (302, 303), path
        assert "27" not in anonymous.text

        await sign_in_as(client, settings, rw.world, rw.mentees[0])
        member = await client.get(rw.url(path=path))
        assert member.status_code == 403, path

        # a tenant admin who is not a coordinator reads no checkpoint answers: not found
        client.cookies.clear()
        await sign_in_as(client, settings, rw.world, rw.world.admin)
        admin = await client.get(rw.url(path=path))
        assert admin.status_code == 404, path
        assert "SHARED-QUOTE" not in admin.text

        await _platform_admin(client, settings)
        platform = await client.get(rw.url(path=path))
        assert platform.status_code in (302, 303, 401, 403, 404), path
        assert "SHARED-QUOTE" not in platform.text and "Meetings held" not in platform.text

        client.cookies.clear()
        await sign_in_as(client, settings, rw.world, rw.world.coordinator)
        assert (await client.get(rw.url(path=path))).status_code == 200, path
        # a cohort that does not exist
        missing = await client.get(
            f"/t/{rw.world.tenant.slug}/coordinator/reports/{uuid.uuid4()}{path}"
        )
        assert missing.status_code == 404, path


async def test_another_tenant_and_the_coordinator_s_scope(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    rw = await report_world(db)
    away = await make_world(db, "ahep")
    for path in PATHS:
        # another tenant's coordinator asks for this tenant's cohort on their own tenant
        client.cookies.clear()
        await sign_in_as(client, settings, away, away.coordinator)
        page = await client.get(f"/t/{away.tenant.slug}/coordinator/reports/{rw.cohort.id}{path}")
        assert page.status_code == 404, path
        assert "SHARED-QUOTE" not in page.text
        # ... and with their session on this tenant's address: not signed in here
        page = await client.get(rw.url(path=path))
        assert page.status_code in (302, 303), path

    # a coordinator whose scope is the small cohort only
    scoped = await add_member(db, rw.world.tenant, "Sam Scoped", roles=("coordinator",))
    async with db.tenant(rw.id) as session:
        session.add(
            CoordinatorScope(
                tenant_id=rw.id, id=uuid.uuid4(), member_id=scoped.id, cohort_id=rw.small.id
            )
        )
    client.cookies.clear()
    await sign_in_as(client, settings, rw.world, scoped)
    for path in PATHS:
        assert (await client.get(rw.url(path=path))).status_code == 404, path
    assert (await client.get(rw.url(rw.small))).status_code == 200


async def test_a_bad_cohort_id_changes_nothing_and_is_not_found(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    rw = await report_world(db)
    await sign_in_as(client, settings, rw.world, rw.world.coordinator)
    for bad in ("not-a-uuid", "1%27%20OR%201=1", "00000000-0000-0000-0000-00000000000g"):
        page = await client.get(f"/t/{rw.world.tenant.slug}/coordinator/reports/{bad}")
        assert page.status_code in (400, 404), bad
    # the report reads only: the same figures after every request
    assert (await _report(db, rw)) == (await _report(db, rw))


async def test_the_list_of_reports_shows_the_cohorts_in_scope(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    rw = await report_world(db)
    index = f"/t/{rw.world.tenant.slug}/coordinator/reports"
    await sign_in_as(client, settings, rw.world, rw.world.coordinator)
    page = await client.get(index)
    assert page.status_code == 200
    text = words(page)
    assert "2027 intake" in text and "Small pilot" in text
    assert f'href="/t/{rw.world.tenant.slug}/coordinator/reports/{rw.cohort.id}"' in page.text
    assert "2027 intake : evaluation report 1 January 2027 to 31 December 2027 6" in text

    scoped = await add_member(db, rw.world.tenant, "Sam Scoped", roles=("coordinator",))
    async with db.tenant(rw.id) as session:
        session.add(
            CoordinatorScope(
                tenant_id=rw.id, id=uuid.uuid4(), member_id=scoped.id, cohort_id=rw.small.id
            )
        )
    client.cookies.clear()
    await sign_in_as(client, settings, rw.world, scoped)
    text = words(await client.get(index))
    assert "Small pilot" in text and "2027 intake" not in text

    client.cookies.clear()
    await sign_in_as(client, settings, rw.world, rw.world.admin)
    assert (await client.get(index)).status_code == 404
    client.cookies.clear()
    await sign_in_as(client, settings, rw.world, rw.mentees[0])
    assert (await client.get(index)).status_code == 403
    client.cookies.clear()
    assert (await client.get(index)).status_code in (302, 303)
