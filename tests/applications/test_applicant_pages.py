"""The applicant's pages through the real app over HTTP (PostgreSQL, Redis, the session
store's own sessions): Apply says who may apply before anyone starts, the form shows every
question kind and keeps a draft, bad input is refused at its question with nothing written,
a replayed post makes no second application or submission, a closed window writes nothing,
the confirmation says what happens next, My applications reads back state, reasons and
answers, withdrawing asks first; and who may open what (a member opens only their own, never
a coordinator's note; another tenant's ids are 404 and change nothing)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from redis.asyncio import Redis
from sqlalchemy import select, update

from mentorhub.app import create_app
from mentorhub.applications import services
from mentorhub.applications.models import (
    Application,
    Cohort,
    Interview,
    PartnerOrganisation,
    RecruitmentWindow,
)
from mentorhub.applications.states import State
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.messages.models import Message
from mentorhub.schemes.forms import Form, Question
from mentorhub.schemes.services import store_version
from mentorhub.settings import Settings, get_settings
from tests.applications.conftest import World, add_member, answers, count, make_world
from tests.support import serving

BASE = "https://localhost"


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@dataclass
class Site:
    db: Database
    settings: Settings
    client: httpx.AsyncClient

    async def sign_in(self, world: World, member: Member) -> None:
        """A real session in Redis for `member` (the session store's own `create`)."""
        redis = Redis.from_url(self.settings.redis_url or "")
        try:
            store = SessionStore(redis, idle_seconds=600, absolute_seconds=600)
            token = await store.create(
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
        self.client.cookies.clear()
        self.client.cookies.set(TENANT_COOKIE, token)


@pytest.fixture
async def site(db: Database, settings: Settings) -> AsyncIterator[Site]:
    async with serving(create_app(settings, db=db), base_url=BASE) as client:
        yield Site(db, settings, client)


def csrf(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def as_form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def version_of(html: str) -> str:
    found = re.search(r'name="_version" value="([^"]*)"', html)
    assert found
    return found.group(1)


def form_path(world: World, role: str = "mentee") -> str:
    return f"/t/{world.tenant.slug}/apply/{world.cohort.id}/{role}"


async def post_form(
    site: Site, world: World, role: str, data: dict[str, list[str]], action: str
) -> httpx.Response:
    page = await site.client.get(form_path(world, role))
    assert page.status_code == 200, page.text[:500]
    body: list[tuple[str, str]] = [
        ("_csrf_token", csrf(page.text)),
        ("_version", version_of(page.text)),
        ("_action", action),
    ]
    body += [(k, v) for k, vs in data.items() for v in vs]
    return await site.client.post(form_path(world, role), data=as_form(body))


async def applications_of(db: Database, world: World, member: Member) -> list[Application]:
    async with db.tenant(world.id) as session:
        rows = await session.execute(select(Application).where(Application.member_id == member.id))
        return list(rows.scalars())


async def audit_count(db: Database, world: World) -> int:
    return await count(db, world, AuditEntry)


# --- Apply: who can apply, before anyone starts -------------------------------------------


async def test_apply_page_says_who_cannot_apply_and_when_windows_open(site: Site) -> None:
    world = await make_world(site.db, "museums-association")
    member = await add_member(site.db, world.tenant, "Mo Applicant")
    async with site.db.tenant(world.id) as session:  # mentees' window opens later
        await session.execute(
            update(RecruitmentWindow)
            .where(RecruitmentWindow.role == "mentee")
            .values(
                opens_at=datetime(2027, 1, 5, 9, tzinfo=UTC),
                closes_at=datetime(2027, 2, 16, 17, tzinfo=UTC),
            )
        )
    await site.sign_in(world, member)
    page = await site.client.get(f"/t/{world.tenant.slug}/apply")
    assert page.status_code == 200, page.text[:1000]
    text = " ".join(page.text.split())
    assert "Students and people already in a mentoring relationship cannot apply" in text
    assert "Applications from mentees open on 5 January 2027." in text
    assert "Open now" in text and "Apply to be a mentor" in text
    assert "Apply to be a mentee</a>" not in text  # not open yet: no button
    # The nav leads there.
    assert f'href="/t/{world.tenant.slug}/apply"' in text


@pytest.mark.parametrize(
    ("slug", "said"),
    [
        ("arts-marketing", "You need to be a member of the association."),
        ("alberta-museums", "Board ratifies your membership before the relationship starts"),
        ("advice-skills-academy", "Your line manager approves and signs your application"),
        ("advice-skills-academy", "partner organisations: Citizens Advice Leeds."),
        ("ahep", "keep your membership for the whole relationship"),
        ("arts-marketing", "the joint training day before you are matched"),
    ],
)
async def test_apply_page_says_each_schemes_conditions(site: Site, slug: str, said: str) -> None:
    world = await make_world(site.db, slug)
    async with site.db.tenant(world.id) as session:
        session.add(
            PartnerOrganisation(tenant_id=world.id, id=uuid.uuid4(), name="Citizens Advice Leeds")
        )
    member = await add_member(site.db, world.tenant, "Pat")
    await site.sign_in(world, member)
    page = await site.client.get(f"/t/{world.tenant.slug}/apply")
    assert page.status_code == 200
    assert said in " ".join(page.text.split())


# --- the form: every question kind, drafts, bad input --------------------------------------

EXTRA = (
    Question(
        id="years",
        kind="number",
        label="Years in advice work",
        help="Roughly.",
        required=True,
        min=0,
        max=60,
        integer=True,
    ),
    Question(id="first_time", kind="yes_no", label="Is this your first mentoring scheme?"),
    Question(id="postcode", kind="location", label="Your work postcode", location="GB"),
)


async def all_kinds_world(db: Database) -> World:
    """Advice Skills Academy's scheme (organisation, line manager's e-mail, text, choices,
    consent) with a number, a yes/no and a location question added to the mentee form: every
    kind on one form. One partner organisation."""
    world = await make_world(db, "advice-skills-academy")
    mentee = world.scheme.forms.mentee
    assert mentee is not None
    form = Form(intro=mentee.intro, questions=(*mentee.questions, *EXTRA))
    scheme = msgspec.structs.replace(
        world.scheme,
        version=world.scheme.version + 1,
        forms=msgspec.structs.replace(world.scheme.forms, mentee=form),
    )
    async with db.tenant(world.id) as session:
        await store_version(session, scheme, "test.toml")
        await session.execute(
            update(Cohort).where(Cohort.id == world.cohort.id).values(scheme_version=scheme.version)
        )
        session.add(
            PartnerOrganisation(tenant_id=world.id, id=uuid.uuid4(), name="Citizens Advice Leeds")
        )
    world.scheme = scheme
    return world


async def test_the_form_shows_every_question_kind_with_its_label_help_and_limits(
    site: Site,
) -> None:
    world = await all_kinds_world(site.db)
    member = await add_member(site.db, world.tenant, "Kim")
    await site.sign_in(world, member)
    page = await site.client.get(form_path(world))
    assert page.status_code == 200, page.text[:2000]
    html = page.text
    kinds = {q.kind for q in world.scheme.forms.mentee.questions}  # type: ignore[union-attr]
    assert kinds == {
        "text",
        "long_text",
        "single_choice",
        "multiple_choice",
        "number",
        "yes_no",
        "consent",
        "location",
        "email",
        "organisation",
    }
    assert '<select id="q-organisation" name="organisation"' in html
    assert '<option value="Citizens Advice Leeds">' in html
    assert 'id="q-job_role" name="job_role" type="text"' in html and 'maxlength="' in html
    assert 'name="learning_needs"' in html and "<textarea" in html
    assert 'type="radio" id="q-staff_or_volunteer-0"' in html
    assert 'type="checkbox" id="q-areas_of_work-0"' in html
    assert 'type="checkbox" id="q-commitment-0" name="commitment" value="yes"' in html
    assert 'name="line_manager_email" type="email"' in html
    assert 'id="q-years" name="years" type="text"' in html and 'inputmode="numeric"' in html
    assert "A whole number from 0 to 60." in html and "Roughly." in html
    assert 'id="q-first_time-0" name="first_time" value="yes"' in html
    assert "A UK postcode, like SW1A 1AA." in html
    assert "Years in advice work (required)" in html
    assert "Is this your first mentoring scheme?</legend>" in html  # optional: no marker
    assert "Up to 200 characters." in html  # text's default limit
    assert 'value="save"' in html and 'value="submit"' in html


async def test_a_draft_is_saved_and_shown_again_when_the_member_comes_back(site: Site) -> None:
    world = await all_kinds_world(site.db)
    member = await add_member(site.db, world.tenant, "Kim")
    await site.sign_in(world, member)
    data = {
        "job_role": ["Debt adviser"],
        "areas_of_work": ["Debt advice", "Housing and homelessness"],
        "years": ["12"],
        "first_time": ["yes"],
        "postcode": ["L1 8JQ"],
        "organisation": ["Citizens Advice Leeds"],
    }
    saved = await post_form(site, world, "mentee", data, "save")
    assert saved.status_code == 303, saved.text[:2000]
    assert saved.headers["location"] == form_path(world)
    [app] = await applications_of(site.db, world, member)
    assert app.state == State.DRAFT and app.answers["years"] == 12
    again = await site.client.get(form_path(world))
    text = again.text
    assert "Draft saved" in text
    assert 'value="Debt adviser"' in text
    assert 'id="q-areas_of_work-1" name="areas_of_work" value="Debt advice" checked' in text
    assert 'value="12"' in text and 'value="L1 8JQ"' in text
    assert 'name="first_time" value="yes" checked' in text
    assert '<option value="Citizens Advice Leeds" selected>' in text
    # Later, once more: the notice was for once only; the answers are still there.
    later = await site.client.get(form_path(world))
    assert "Draft saved" not in later.text and 'value="Debt adviser"' in later.text


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"job_role": None}, "job_role", "Answer this question"),
        ({"job_role": "x" * 201}, "job_role", "200 characters"),
        ({"staff_or_volunteer": "Astronaut"}, "staff_or_volunteer", "Choose from the list"),
        ({"organisation": "Not A Partner Ltd"}, "organisation", "Choose your organisation"),
        ({"years": "61"}, "years", "no more than 60"),
        ({"years": "twelve"}, "years", "Enter a number"),
        ({"commitment": None}, "commitment", "Tick the box to agree"),
        ({"postcode": "ZZ99 9ZZ"}, "postcode", ""),
        ({"line_manager_email": "not-an-address"}, "line_manager_email", ""),
    ],
)
async def test_bad_answers_are_refused_at_the_question_keeping_every_answer(
    site: Site, given: dict[str, Any], field: str, message: str
) -> None:
    world = await all_kinds_world(site.db)
    member = await add_member(site.db, world.tenant, "Kim")
    await site.sign_in(world, member)
    kept = {"job_role": "Keep me"} if field != "job_role" else {"years": "7"}
    data = answers(world, "mentee", **{**kept, **given})
    before = await audit_count(site.db, world)
    refused = await post_form(site, world, "mentee", data, "submit")
    assert refused.status_code == 400, refused.text[:1000]
    html = refused.text
    summary = html.index('class="error-summary"')
    assert summary < html.index("<h1")  # the summary first, above the heading
    anchor = f"q-{field}-0" if field in ("staff_or_volunteer", "commitment") else f"q-{field}"
    assert f'href="#{anchor}"' in html  # the summary links to the question
    assert f'id="{field if anchor.endswith("-0") else anchor}-error"' in html  # at the field
    assert message in html
    assert f'value="{next(iter(kept.values()))}"' in html  # the other answers are kept
    assert await applications_of(site.db, world, member) == []
    assert await audit_count(site.db, world) == before


async def test_a_draft_may_be_incomplete_but_not_wrong(site: Site) -> None:
    world = await all_kinds_world(site.db)
    member = await add_member(site.db, world.tenant, "Kim")
    await site.sign_in(world, member)
    ok = await post_form(site, world, "mentee", {"job_role": ["Adviser"]}, "save")
    assert ok.status_code == 303
    wrong = await post_form(site, world, "mentee", {"years": ["-3"]}, "save")
    assert wrong.status_code == 400 and 'href="#q-years"' in wrong.text
    [app] = await applications_of(site.db, world, member)
    assert app.answers == {"job_role": "Adviser"}  # the bad save changed nothing


async def test_a_replayed_submit_makes_one_application_and_one_submission(site: Site) -> None:
    world = await all_kinds_world(site.db)
    member = await add_member(site.db, world.tenant, "Kim")
    await site.sign_in(world, member)
    page = await site.client.get(form_path(world))
    body = [("_csrf_token", csrf(page.text)), ("_version", ""), ("_action", "submit")]
    body += [(k, v) for k, vs in answers(world, "mentee").items() for v in vs]
    first = await site.client.post(form_path(world), data=as_form(body))
    second = await site.client.post(form_path(world), data=as_form(body))
    assert first.status_code == 303, first.text[:2000]
    [app] = await applications_of(site.db, world, member)
    assert first.headers["location"].endswith(f"/applications/{app.id}/submitted")
    assert second.status_code == 303
    assert second.headers["location"].endswith(f"/applications/{app.id}")
    assert app.state == State.AWAITING_APPROVAL
    received = await count(
        site.db,
        world,
        Message,
        Message.member_id == member.id,
        Message.kind == "application_received",
    )
    assert received == 1
    submitted = await count(
        site.db, world, AuditEntry, AuditEntry.action == "application_submitted"
    )
    assert submitted == 1


async def test_a_replayed_first_save_makes_one_draft(site: Site) -> None:
    world = await all_kinds_world(site.db)
    member = await add_member(site.db, world.tenant, "Kim")
    await site.sign_in(world, member)
    page = await site.client.get(form_path(world))
    body = [
        ("_csrf_token", csrf(page.text)),
        ("_version", ""),
        ("_action", "save"),
        ("job_role", "Adviser"),
    ]
    for _ in range(3):
        response = await site.client.post(form_path(world), data=as_form(body))
        assert response.status_code == 303
    assert len(await applications_of(site.db, world, member)) == 1


async def test_after_the_window_closed_nothing_is_written(site: Site) -> None:
    world = await make_world(site.db, "museums-association")
    member = await add_member(site.db, world.tenant, "Late Lou")
    await site.sign_in(world, member)
    page = await site.client.get(form_path(world))  # open when the page was shown
    assert page.status_code == 200
    async with site.db.tenant(world.id) as session:  # the coordinator closes it meanwhile
        await session.execute(
            update(RecruitmentWindow).values(closed_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    before = await audit_count(site.db, world)
    body = [("_csrf_token", csrf(page.text)), ("_version", ""), ("_action", "submit")]
    body += [(k, v) for k, vs in answers(world, "mentee").items() for v in vs]
    refused = await site.client.post(form_path(world), data=as_form(body))
    assert refused.status_code == 409
    assert "Applications from mentees closed on" in refused.text
    assert "Your answers were not saved" in refused.text
    assert "Because I want to learn." in refused.text  # kept on the page to copy
    assert await applications_of(site.db, world, member) == []
    assert await audit_count(site.db, world) == before
    shown = await site.client.get(form_path(world))
    assert (
        "Applications are not open" in shown.text
        and '<form method="post" action' not in (shown.text.split("</nav>", 1)[1])
    )
