"""The coordinator's applications pages through the real app over HTTP (real PostgreSQL and
Redis, sessions made by the session store itself): the queue (filters, search, counts,
pages, CSV export safe against formula injection), one application and each action its
state allows (refused transitions and stale forms change nothing), bulk actions all or
nothing, cohorts and windows (mentors before mentees, closing early after a confirmation),
bad input at its field, a member refused, and another association's ids 404 on every
route."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from mentorhub.app import create_app
from mentorhub.applications import services
from mentorhub.applications.models import Application, Cohort, Interview, RecruitmentWindow
from mentorhub.applications.states import State
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.settings import Settings
from tests.applications.conftest import World, add_member, answers, make_world, reload
from tests.identity.conftest import csrf_from, settings  # noqa: F401  (fixture)
from tests.support import serving

BASE = "https://localhost"


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


async def sign_in_as(
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    world: World,
    member: Member,
) -> None:
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(
                email=member.email,
                display_name=member.display_name,
                tenant_id=str(world.id),
                tenant_slug=world.tenant.slug,
                member_id=str(member.id),
                roles=tuple(member.roles),
            )
        )
    finally:
        await redis.aclose()
    client.cookies.set(TENANT_COOKIE, token)


def url(world: World, path: str) -> str:
    return f"/t/{world.tenant.slug}{path}"


async def applicant(
    db: Database, world: World, name: str, role: str = "mentee", **given: Any
) -> Application:
    member = await add_member(db, world.tenant, name)
    draft = await services.save_draft(
        db,
        world.id,
        member.id,
        cohort_id=world.cohort.id,
        role=role,
        data=answers(world, role, **given),
    )
    return await services.submit(db, world.id, member.id, draft.id)


async def token(client: httpx.AsyncClient, world: World, path: str) -> str:
    page = await client.get(url(world, path))
    assert page.status_code == 200, page.text[:500]
    return csrf_from(page.text)


async def audit_count(db: Database, world: World) -> int:
    async with db.tenant(world.id) as session:
        return int(
            (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
        )


async def coordinator_world(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    slug: str = "museums-association",
) -> World:
    world = await make_world(db, slug)
    await sign_in_as(client, settings, world, world.coordinator)
    return world


# --- the queue ------------------------------------------------------------------------------


async def test_queue_filters_searches_counts_and_links_each_application(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    ada = await applicant(db, world, "Ada Lovelace")
    grace = await applicant(db, world, "Grace Hopper", role="mentor")
    await applicant(db, world, "Student Sam", is_student="yes")  # ineligible
    await services.shortlist(db, world.id, world.coordinator.id, grace.id)

    page = await client.get(url(world, "/coordinator/applications"))
    assert page.status_code == 200
    for name in ("Ada Lovelace", "Grace Hopper", "Student Sam"):
        assert name in page.text
    assert f'href="/t/{world.tenant.slug}/coordinator/applications/{ada.id}"' in page.text
    # The counts per state, each a link filtering by it.
    assert re.search(r"Eligible <span class=\"count\">1</span>", page.text)
    assert re.search(r"Shortlisted <span class=\"count\">1</span>", page.text)
    assert re.search(r"Not eligible <span class=\"count\">1</span>", page.text)

    only = await client.get(
        url(world, "/coordinator/applications"), params={"state": "shortlisted"}
    )
    assert "Grace Hopper" in only.text and "Ada Lovelace" not in only.text
    mentees = await client.get(url(world, "/coordinator/applications"), params={"role": "mentee"})
    assert "Ada Lovelace" in mentees.text and "Grace Hopper" not in mentees.text
    found = await client.get(url(world, "/coordinator/applications"), params={"q": "lovelace"})
    assert "Ada Lovelace" in found.text and "Grace Hopper" not in found.text
    by_mail = await client.get(
        url(world, "/coordinator/applications"), params={"q": (await _email(db, world, ada))}
    )
    assert "Ada Lovelace" in by_mail.text and "Student Sam" not in by_mail.text

    # Words in the answers are searched too (their values, not the questions' ids).
    await applicant(db, world, "Quentin Quill", goals=["Learn about Conservation ethics"])
    in_answers = await client.get(
        url(world, "/coordinator/applications"), params={"q": "conservation ETHICS"}
    )
    assert "Quentin Quill" in in_answers.text and "Ada Lovelace" not in in_answers.text
    assert re.search(r"Eligible <span class=\"count\">1</span>", in_answers.text)
    by_id = await client.get(url(world, "/coordinator/applications"), params={"q": "is_student"})
    assert "No applications match." in by_id.text
    exported = await client.get(
        url(world, "/coordinator/applications.csv"), params={"q": "conservation"}
    )
    assert "Quentin Quill" in exported.text and "Ada Lovelace" not in exported.text
    # A filter that cannot be used: 400, its message at the field, the whole cohort shown.
    bad = await client.get(url(world, "/coordinator/applications"), params={"state": "nonsense"})
    assert bad.status_code == 400
    assert "Choose a state from the list" in bad.text and 'id="state-error"' in bad.text
    # Another cohort id that is not the tenant's: no such cohort.
    missing = await client.get(
        url(world, "/coordinator/applications"), params={"cohort": str(uuid.uuid4())}
    )
    assert missing.status_code == 404


async def _email(db: Database, world: World, app: Application) -> str:
    async with db.tenant(world.id) as session:
        member = await session.get(Member, {"tenant_id": world.id, "id": app.member_id})
        assert member is not None
        return member.email


async def test_queue_pages_keep_their_filters(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    async with db.tenant(world.id) as session:
        for i in range(55):
            member = Member(
                tenant_id=world.id,
                id=uuid.uuid4(),
                email=f"p{i}@example.org",
                display_name=f"Paged {i:02d}",
                roles=["mentee"],
                membership_status="active",
            )
            session.add(member)
            await session.flush()
            session.add(
                Application(
                    tenant_id=world.id,
                    id=uuid.uuid4(),
                    cohort_id=world.cohort.id,
                    member_id=member.id,
                    role="mentee",
                    state="eligible",
                    answers={},
                    waiting_for=[],
                    search_text=f"paged {i:02d} p{i}@example.org",
                    created_at=datetime.now(UTC) + timedelta(seconds=i),
                )
            )
    first = await client.get(url(world, "/coordinator/applications"), params={"state": "eligible"})
    assert "Showing 1–50 of 55" in first.text and "Paged 00" in first.text
    assert "state=eligible&amp;page=2" in first.text
    second = await client.get(
        url(world, "/coordinator/applications"),
        params={"cohort": str(world.cohort.id), "state": "eligible", "page": "2"},
    )
    assert "Showing 51–55 of 55" in second.text and "Paged 54" in second.text
    assert "Paged 00" not in second.text


async def test_csv_export_is_the_filtered_set_and_defuses_formulas(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    evil = await applicant(db, world, '=HYPERLINK("http://x")', goals=["+SUM(A1:A9)"])
    plain = await applicant(db, world, "Plain Person", role="mentor")
    response = await client.get(
        url(world, "/coordinator/applications.csv"), params={"role": "mentee"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["Application", "Name", "E-mail"]
    ids = [r[0] for r in rows[1:]]
    assert ids == [str(evil.id)] and str(plain.id) not in response.text
    cells = rows[1]
    assert cells[1] == '\'=HYPERLINK("http://x")'
    assert "'+SUM(A1:A9)" in cells
    assert not any(c[:1] in "=+-@" for row in rows for c in row if c)
    bad = await client.get(url(world, "/coordinator/applications.csv"), params={"role": "boss"})
    assert bad.status_code == 400 and "Choose mentors, mentees or both" in bad.text


# --- access ---------------------------------------------------------------------------------


def coordinator_paths(world: World, app_id: Any, cohort_id: Any) -> list[tuple[str, str]]:
    one = f"/coordinator/applications/{app_id}"
    cohort = f"/coordinator/cohorts/{cohort_id}"
    return [
        ("GET", "/coordinator/applications"),
        ("GET", f"/coordinator/applications?cohort={cohort_id}"),
        ("GET", f"/coordinator/applications.csv?cohort={cohort_id}"),
        ("GET", one),
        ("GET", f"{one}/decline"),
        ("POST", f"{one}/shortlist"),
        ("POST", f"{one}/accept"),
        ("POST", f"{one}/waitlist"),
        ("POST", f"{one}/interview"),
        ("POST", f"{one}/interview/held"),
        ("POST", f"{one}/decline"),
        ("POST", f"{one}/priority"),
        ("POST", "/coordinator/applications/bulk"),
        ("POST", "/coordinator/applications/bulk/confirm"),
        ("GET", "/coordinator/cohorts"),
        ("POST", "/coordinator/cohorts"),
        ("GET", cohort),
        ("POST", f"{cohort}/windows"),
        ("GET", f"{cohort}/windows/mentee/close"),
        ("POST", f"{cohort}/windows/mentee/close"),
    ]


async def test_a_member_is_refused_every_coordinator_page(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, "museums-association")
    app = await applicant(db, world, "Ada")
    async with db.tenant(world.id) as session:
        member = await session.get(Member, {"tenant_id": world.id, "id": app.member_id})
    assert member is not None
    await sign_in_as(client, settings, world, member)
    csrf = csrf_from((await client.get(url(world, "/me"))).text)
    before = await audit_count(db, world)
    for method, path in coordinator_paths(world, app.id, world.cohort.id):
        data = {
            "_csrf_token": csrf,
            "lock_version": "1",
            "ids": str(app.id),
            "action": "accept",
            "confirm": "yes",
            "role": "mentee",
            "opens_on": "2030-01-01",
        }
        answer = await client.request(
            method, url(world, path), data=data if method == "POST" else None
        )
        assert answer.status_code == 403, (method, path, answer.status_code)
        assert "for the scheme's coordinators" in html.unescape(answer.text)
    assert await audit_count(db, world) == before
    assert (await reload(db, world, app.id)).state == State.ELIGIBLE


async def test_another_associations_ids_are_not_found_on_every_route(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    home = await coordinator_world(db, client, settings)
    away = await make_world(db, "museums-association")
    theirs = await applicant(db, away, "Their Applicant")
    csrf = await token(client, home, "/coordinator/cohorts")
    before = await audit_count(db, away)
    for method, path in coordinator_paths(home, theirs.id, away.cohort.id):
        if path in ("/coordinator/applications", "/coordinator/cohorts"):
            continue  # no id in them: home's own pages
        data = {
            "_csrf_token": csrf,
            "lock_version": str(theirs.lock_version),
            "ids": str(theirs.id),
            "action": "shortlist",
            "confirm": "yes",
            "role": "mentee",
            "opens_on": "2030-01-01",
            "interview_date": "2030-01-01",
            "interview_time": "10:00",
            "format": "phone",
            "held_date": "2026-01-01",
            "held_time": "10:00",
        }
        answer = await client.request(
            method, url(home, path), data=data if method == "POST" else None
        )
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text[:300])
        assert "Their Applicant" not in answer.text
    # A malformed id is the same "no such application".
    assert (await client.get(url(home, "/coordinator/applications/not-an-id"))).status_code == 404
    assert await audit_count(db, away) == before
    assert (await reload(db, away, theirs.id)).state == State.ELIGIBLE


# --- one application and its actions -------------------------------------------------------


def form_of(html: str, action_end: str) -> dict[str, str]:
    """The hidden fields of the form posting to an address ending with `action_end`."""
    found = re.search(
        rf'<form method="post" action="[^"]*{re.escape(action_end)}"[^>]*>(.*?)</form>',
        html,
        re.S,
    )
    assert found, f"no form for {action_end}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(1)))


async def test_museums_mentee_shortlisted_interviewed_and_accepted_through_the_page(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    ada = await applicant(db, world, "Ada Lovelace", goals=["I want to <b>grow</b>"])
    one = f"/coordinator/applications/{ada.id}"

    page = await client.get(url(world, one))
    assert page.status_code == 200
    assert "I want to &lt;b&gt;grow&lt;/b&gt;" in page.text  # answers, escaped
    assert "Eligible" in page.text and "Submitted" in page.text  # state and history
    # Only what the state allows: shortlist and decline, not accept or the interview.
    assert "/shortlist" in page.text and "/decline" in page.text
    assert "/accept" not in page.text and 'interview/held"' not in page.text
    moved = await client.post(url(world, f"{one}/shortlist"), data=form_of(page.text, "/shortlist"))
    assert moved.status_code == 303 and moved.headers["location"].endswith(one)
    page = await client.get(url(world, one))
    assert "Shortlisted." in page.text  # the notice
    assert "/shortlist" not in page.text and "/interview" in page.text

    fields = form_of(page.text, "/interview")
    soon = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    scheduled = await client.post(
        url(world, f"{one}/interview"),
        data={**fields, "interview_date": soon, "interview_time": "10:30", "format": "video"},
    )
    assert scheduled.status_code == 303
    page = await client.get(url(world, one))
    assert "By video call" in page.text and "Interview scheduled" in page.text
    # Record it held: a future date is refused at its field, nothing written.
    fields = form_of(page.text, "/interview/held")
    future = await client.post(
        url(world, f"{one}/interview/held"),
        data={**fields, "held_date": soon, "held_time": "10:30", "notes": "x"},
    )
    assert future.status_code == 400 and 'id="held_date-error"' in future.text
    today = datetime.now(UTC) - timedelta(days=1)
    held = await client.post(
        url(world, f"{one}/interview/held"),
        data={
            **fields,
            "held_date": today.date().isoformat(),
            "held_time": "09:00",
            "notes": "Strong on digital; wants leadership.",
        },
    )
    assert held.status_code == 303
    page = await client.get(url(world, one))
    assert "Strong on digital; wants leadership." in page.text  # coordinators see the notes
    accepted = await client.post(url(world, f"{one}/accept"), data=form_of(page.text, "/accept"))
    assert accepted.status_code == 303
    assert (await reload(db, world, ada.id)).state == State.ACCEPTED
    page = await client.get(url(world, one))
    assert "Accepted into the cohort" in page.text and "Nothing more" in page.text


async def test_refused_transition_and_stale_form_change_nothing(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    ada = await applicant(db, world, "Ada")
    one = f"/coordinator/applications/{ada.id}"
    page = await client.get(url(world, one))
    fields = form_of(page.text, "/shortlist")
    before = await audit_count(db, world)
    # Accepting an eligible Museums mentee skips the shortlist and interview: refused.
    refused = await client.post(url(world, f"{one}/accept"), data=fields)
    assert refused.status_code == 409
    assert "cannot be accepted" in refused.text and "Nothing was changed" in refused.text
    # Shortlisted in another window meanwhile: the page's form is stale.
    await services.shortlist(db, world.id, world.coordinator.id, ada.id)
    after_other = await audit_count(db, world)
    stale = await client.post(url(world, f"{one}/waitlist"), data={**fields, "rank": ""})
    assert stale.status_code == 409 and "changed since the page was shown" in stale.text
    # Replayed: the same shortlist form again.
    replay = await client.post(url(world, f"{one}/shortlist"), data=fields)
    assert replay.status_code == 409
    assert await audit_count(db, world) == after_other == before + 1
    assert (await reload(db, world, ada.id)).state == State.SHORTLISTED


async def test_bad_input_is_shown_at_its_field_and_writes_nothing(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    ada = await applicant(db, world, "Ada")
    await services.shortlist(db, world.id, world.coordinator.id, ada.id)
    one = f"/coordinator/applications/{ada.id}"
    page = await client.get(url(world, one))
    fields = form_of(page.text, "/interview")
    before = await audit_count(db, world)
    cases = [
        (
            "/interview",
            {"interview_date": "", "interview_time": "10:00", "format": "phone"},
            "interview_date",
            "Date is needed",
        ),
        (
            "/interview",
            {"interview_date": "2030-02-31", "interview_time": "10:00", "format": "phone"},
            "interview_date",
            "must be a date",
        ),
        (
            "/interview",
            {"interview_date": "2030-01-01", "interview_time": "25:00", "format": "phone"},
            "interview_time",
            "must be a time",
        ),
        (
            "/interview",
            {"interview_date": "2030-01-01", "interview_time": "10:00", "format": "carrier-pigeon"},
            "format",
            "Choose phone, video call",
        ),
        (
            "/interview",
            {"interview_date": "2020-01-01", "interview_time": "10:00", "format": "phone"},
            "interview_date",
            "must be in the future",
        ),
        ("/waitlist", {"rank": "0"}, "rank", "whole number from 1"),
        ("/waitlist", {"rank": "first"}, "rank", "whole number from 1"),
        ("/decline", {"feedback": "x" * 4001}, "feedback", "4,000 characters or fewer"),
    ]
    for end, data, key, words in cases:
        answer = await client.post(url(world, one + end), data={**fields, **data})
        assert answer.status_code == 400, (end, data, answer.status_code)
        assert f'id="{key}-error"' in answer.text, (end, key)
        assert words.lower() in answer.text.lower(), (end, words, answer.text[:2000])
        assert f'href="#{key}"' in answer.text  # the summary links to the field
    assert await audit_count(db, world) == before
    assert (await reload(db, world, ada.id)).state == State.SHORTLISTED
    async with db.tenant(world.id) as session:
        assert (
            await session.execute(select(func.count()).select_from(Interview))
        ).scalar_one() == 0


async def test_decline_starts_from_a_templated_reason_edited_before_sending(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    ada = await applicant(db, world, "Ada")
    one = f"/coordinator/applications/{ada.id}"
    picked = await client.get(url(world, f"{one}/decline"), params={"reason": "oversubscribed"})
    assert picked.status_code == 200
    assert "many more applications from mentees than places" in picked.text
    assert "offers every unsuccessful applicant" in picked.text  # MA offers feedback
    assert 'name="priority"' not in picked.text  # MA does not invite to the next intake
    fields = form_of(picked.text, "/decline")
    edited = "We had many more applicants than places. Your digital plans were strong."
    done = await client.post(url(world, f"{one}/decline"), data={**fields, "feedback": edited})
    assert done.status_code == 303
    declined = await reload(db, world, ada.id)
    assert declined.state == State.UNSUCCESSFUL and declined.feedback == edited
    page = await client.get(url(world, one))
    assert (
        edited in page.text
        and "/decline" not in page.text.split("History")[0].split("What you can do")[1]
    )


async def test_alberta_offers_priority_in_the_next_intake(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings, "alberta-museums")
    ada = await applicant(db, world, "Ada", role="mentee")
    state = (await reload(db, world, ada.id)).state
    assert state in (State.ELIGIBLE, State.AWAITING_APPROVAL), state
    one = f"/coordinator/applications/{ada.id}"
    picked = await client.get(url(world, f"{one}/decline"), params={"reason": "no_match"})
    assert "next intake" in picked.text and 'name="priority"' in picked.text
    fields = form_of(picked.text, "/decline")
    done = await client.post(
        url(world, f"{one}/decline"), data={**fields, "feedback": "", "priority": "yes"}
    )
    assert done.status_code == 303, done.text[:1000]
    declined = await reload(db, world, ada.id)
    assert declined.state == State.UNSUCCESSFUL and declined.priority_next_intake


# --- bulk -----------------------------------------------------------------------------------


async def test_bulk_shortlist_confirms_then_is_all_or_nothing(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    apps = [await applicant(db, world, f"Bulk {i}") for i in range(3)]
    ineligible = await applicant(db, world, "Student Sam", is_student="yes")
    queue_page = await client.get(url(world, "/coordinator/applications"))
    csrf = csrf_from(queue_page.text)
    back = re.search(r'name="back" value="([^"]+)"', queue_page.text)
    assert back
    chosen = [str(a.id) for a in [*apps, ineligible]]
    confirm = await client.post(
        url(world, "/coordinator/applications/bulk"),
        data={"_csrf_token": csrf, "ids": chosen, "action": "shortlist", "back": back.group(1)},
    )
    assert confirm.status_code == 200
    assert "Shortlist: 4 applications" in confirm.text and "Student Sam" in confirm.text
    before = await audit_count(db, world)
    hidden = form_of(confirm.text, "/bulk/confirm")
    # Each application's version as the confirmation page showed it ("<id>:<version>").
    hidden["versions"] = re.findall(r'name="versions" value="([^"]+)"', confirm.text)  # type: ignore[assignment]
    assert len(hidden["versions"]) == 4
    # A version that is not the application's (it changed since): all refused, named.
    old = [
        v if not v.startswith(str(apps[0].id)) else f"{apps[0].id}:0" for v in hidden["versions"]
    ]
    stale = await client.post(
        url(world, "/coordinator/applications/bulk/confirm"),
        data={**hidden, "versions": old, "ids": chosen[:3], "_csrf_token": csrf},
    )
    assert stale.status_code == 409 and "Changed since this page was shown: Bulk 0" in stale.text
    assert await audit_count(db, world) == before
    refused = await client.post(
        url(world, "/coordinator/applications/bulk/confirm"),
        data={**hidden, "ids": chosen, "_csrf_token": csrf},
    )
    assert refused.status_code == 409 and "nothing was changed" in refused.text.lower()
    assert str(ineligible.id) in refused.text
    assert await audit_count(db, world) == before
    for a in apps:
        assert (await reload(db, world, a.id)).state == State.ELIGIBLE
    ok = await client.post(
        url(world, "/coordinator/applications/bulk/confirm"),
        data={**hidden, "ids": chosen[:3], "_csrf_token": csrf},
    )
    assert ok.status_code == 303
    for a in apps:
        assert (await reload(db, world, a.id)).state == State.SHORTLISTED
    done = await client.get(ok.headers["location"].removeprefix(BASE))
    assert "Shortlist: done for 3 applications" in done.text
    # Nothing ticked: said at the list, nothing happens.
    none = await client.post(
        url(world, "/coordinator/applications/bulk"),
        data={"_csrf_token": csrf, "action": "accept"},
    )
    assert none.status_code == 400 and "Tick at least one application" in none.text
    # An action not in the list.
    odd = await client.post(
        url(world, "/coordinator/applications/bulk"),
        data={"_csrf_token": csrf, "ids": chosen[:1], "action": "delete"},
    )
    assert odd.status_code == 400 and "Choose shortlist, accept or decline" in odd.text


async def test_bulk_decline_sends_the_same_feedback_to_each(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    apps = [await applicant(db, world, f"Decline {i}") for i in range(2)]
    csrf = await token(client, world, "/coordinator/applications")
    ids = [str(a.id) for a in apps]
    confirm = await client.post(
        url(world, "/coordinator/applications/bulk"),
        data={"_csrf_token": csrf, "ids": ids, "action": "decline"},
    )
    assert 'name="feedback"' in confirm.text
    versions = re.findall(r'name="versions" value="([^"]+)"', confirm.text)
    done = await client.post(
        url(world, "/coordinator/applications/bulk/confirm"),
        data={
            "_csrf_token": csrf,
            "ids": ids,
            "versions": versions,
            "action": "decline",
            "feedback": "Thank you.",
        },
    )
    assert done.status_code == 303
    for a in apps:
        again = await reload(db, world, a.id)
        assert again.state == State.UNSUCCESSFUL and again.feedback == "Thank you."


# --- cohorts and windows --------------------------------------------------------------------


async def test_cohorts_windows_in_the_schemes_order_and_closing_early(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    csrf = await token(client, world, "/coordinator/cohorts")
    before = await audit_count(db, world)
    for data, key, words in [
        ({"name": "", "starts_on": "2028-01-01", "ends_on": "2028-12-31"}, "name", "Name"),
        ({"name": "2028", "starts_on": "soon", "ends_on": "2028-12-31"}, "starts_on", "date"),
        (
            {"name": "2028", "starts_on": "2028-12-31", "ends_on": "2028-01-01"},
            "ends_on",
            "after the start",
        ),
        (
            {"name": "2027 intake", "starts_on": "2028-01-01", "ends_on": "2028-12-31"},
            "name",
            "exists",
        ),
        ({"name": "x" * 201, "starts_on": "2028-01-01", "ends_on": "2028-12-31"}, "name", "200"),
    ]:
        answer = await client.post(
            url(world, "/coordinator/cohorts"), data={"_csrf_token": csrf, **data}
        )
        assert answer.status_code == 400, (data, answer.status_code)
        assert f'id="{key}-error"' in answer.text and words in answer.text, (data, words)
    assert await audit_count(db, world) == before

    made = await client.post(
        url(world, "/coordinator/cohorts"),
        data={
            "_csrf_token": csrf,
            "name": "2028 intake",
            "starts_on": "2028-01-01",
            "ends_on": "2028-12-31",
        },
    )
    assert made.status_code == 303
    cohort_path = (
        made.headers["location"].removeprefix(BASE).removeprefix(f"/t/{world.tenant.slug}")
    )
    page = await client.get(url(world, cohort_path))
    text = html.unescape(page.text)
    assert "2028 intake" in text and "recruits mentors first, then mentees" in text
    assert text.index("Mentors' applications") < text.index("Mentees' applications")
    windows = url(world, f"{cohort_path}/windows")
    # Mentees cannot open first (Museums Association recruits mentors first).
    early = await client.post(
        windows, data={"_csrf_token": csrf, "role": "mentee", "opens_on": "2027-09-01"}
    )
    assert early.status_code == 400
    assert "Open the mentors' window first" in html.unescape(early.text)
    assert 'id="opens_on_mentee-error"' in early.text
    today = datetime.now(UTC).date()
    opened = await client.post(
        windows, data={"_csrf_token": csrf, "role": "mentor", "opens_on": today.isoformat()}
    )
    assert opened.status_code == 303
    before_mentor = await client.post(
        windows,
        data={
            "_csrf_token": csrf,
            "role": "mentee",
            "opens_on": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert before_mentor.status_code == 400 and "cannot open before" in before_mentor.text
    bad_end = await client.post(
        windows,
        data={
            "_csrf_token": csrf,
            "role": "mentee",
            "opens_on": today.isoformat(),
            "closes_on": (today - timedelta(days=3)).isoformat(),
        },
    )
    assert bad_end.status_code == 400 and 'id="closes_on_mentee-error"' in bad_end.text
    async with db.tenant(world.id) as session:
        cohort = (
            await session.execute(select(Cohort).where(Cohort.name == "2028 intake"))
        ).scalar_one()
        mentor = (
            await session.execute(
                select(RecruitmentWindow).where(RecruitmentWindow.cohort_id == cohort.id)
            )
        ).scalar_one()
    assert mentor.role == "mentor" and mentor.closes_at - mentor.opens_at == timedelta(weeks=6)

    close = url(world, f"{cohort_path}/windows/mentor/close")
    confirm = await client.get(close)
    assert confirm.status_code == 200
    assert "Close the mentors' window of 2028 intake now?" in html.unescape(confirm.text)
    unticked = await client.post(close, data={"_csrf_token": csrf})
    assert unticked.status_code == 400 and "Tick the box to confirm" in unticked.text
    closed = await client.post(close, data={"_csrf_token": csrf, "confirm": "yes"})
    assert closed.status_code == 303
    async with db.tenant(world.id) as session:
        again = await session.get(RecruitmentWindow, {"tenant_id": world.id, "id": mentor.id})
        assert again is not None and again.closed_at is not None
    twice = await client.post(close, data={"_csrf_token": csrf, "confirm": "yes"})
    assert twice.status_code in (200, 409)
    assert "not open" in twice.text or "already closed" in twice.text
    # A role that has no window in the cohort: no such window.
    assert (await client.get(url(world, f"{cohort_path}/windows/mentee/close"))).status_code == 404
    listing = await client.get(url(world, "/coordinator/cohorts"))
    assert "2028 intake" in listing.text and "2027 intake" in listing.text


async def test_the_nav_shows_applications_to_coordinators_only(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await coordinator_world(db, client, settings)
    page = await client.get(url(world, "/me"))
    assert f'href="/t/{world.tenant.slug}/coordinator/applications">Applications</a>' in page.text
    member = await add_member(db, world.tenant, "Plain Member")
    await sign_in_as(client, settings, world, member)
    page = await client.get(url(world, "/me"))
    assert "/coordinator/applications" not in page.text
