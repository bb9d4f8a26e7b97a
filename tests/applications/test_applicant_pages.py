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
from datetime import UTC, datetime, timedelta
from html import unescape
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
from mentorhub.schemes.loader import load_tenant
from mentorhub.schemes.services import store_version
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.models import Tenant
from tests.applications.conftest import (
    World,
    add_member,
    answers,
    count,
    make_world,
    with_forms,
)
from tests.foundation.helpers import make_tenant
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

    async def sign_in(self, tenant: Tenant, member: Member) -> None:
        """A real session in Redis for `member` (the session store's own `create`)."""
        redis = Redis.from_url(self.settings.redis_url or "")
        try:
            store = SessionStore(redis, idle_seconds=600, absolute_seconds=600)
            token = await store.create(
                Identity(
                    email=member.email,
                    display_name=member.display_name,
                    tenant_id=str(tenant.id),
                    tenant_slug=tenant.slug,
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


def words(html: str) -> str:
    """The page's text as one line, entities decoded (to look for sentences in it)."""
    return " ".join(unescape(html).split())


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
    await site.sign_in(world.tenant, member)
    page = await site.client.get(f"/t/{world.tenant.slug}/apply")
    assert page.status_code == 200, page.text[:1000]
    text = words(page.text)
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
    await site.sign_in(world.tenant, member)
    page = await site.client.get(f"/t/{world.tenant.slug}/apply")
    assert page.status_code == 200
    assert said in words(page.text)


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
    await site.sign_in(world.tenant, member)
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
    await site.sign_in(world.tenant, member)
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
    await site.sign_in(world.tenant, member)
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
    await site.sign_in(world.tenant, member)
    ok = await post_form(site, world, "mentee", {"job_role": ["Adviser"]}, "save")
    assert ok.status_code == 303
    wrong = await post_form(site, world, "mentee", {"years": ["-3"]}, "save")
    assert wrong.status_code == 400 and 'href="#q-years"' in wrong.text
    [app] = await applications_of(site.db, world, member)
    assert app.answers == {"job_role": "Adviser"}  # the bad save changed nothing


async def test_a_replayed_submit_makes_one_application_and_one_submission(site: Site) -> None:
    world = await all_kinds_world(site.db)
    member = await add_member(site.db, world.tenant, "Kim")
    await site.sign_in(world.tenant, member)
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
    await site.sign_in(world.tenant, member)
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
    await site.sign_in(world.tenant, member)
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


# --- after submitting: the confirmation, My applications, withdrawing ----------------------


async def submit_through_pages(
    site: Site, world: World, member: Member, role: str = "mentee", **given: Any
) -> Application:
    await site.sign_in(world.tenant, member)
    response = await post_form(site, world, role, answers(world, role, **given), "submit")
    assert response.status_code == 303, response.text[:2000]
    [app] = [a for a in await applications_of(site.db, world, member) if a.role == role]
    return app


async def test_the_confirmation_says_the_line_manager_was_mailed(site: Site) -> None:
    world = await all_kinds_world(site.db)
    member = await add_member(site.db, world.tenant, "Kim")
    app = await submit_through_pages(site, world, member, line_manager_email="boss@example.org")
    page = await site.client.get(f"/t/{world.tenant.slug}/applications/{app.id}/submitted")
    assert page.status_code == 200
    text = words(page.text)
    assert "Application sent" in text
    assert "We have e-mailed your line manager at <strong>boss@example.org</strong>" in text
    assert "Waiting for: your line manager's approval" in text


@pytest.mark.parametrize(
    ("slug", "said"),
    [
        ("museums-association", "If you are shortlisted, we will arrange a short phone interview"),
        ("alberta-museums", "Waiting for: the Board's ratification of your membership."),
        ("arts-marketing", "Waiting for: a record that you completed the scheme's training."),
    ],
)
async def test_the_confirmation_says_what_happens_next(site: Site, slug: str, said: str) -> None:
    world = await make_world(site.db, slug)
    member = await add_member(site.db, world.tenant, "Sam")
    app = await submit_through_pages(site, world, member)
    page = await site.client.get(f"/t/{world.tenant.slug}/applications/{app.id}/submitted")
    assert page.status_code == 200
    assert said in words(page.text)


async def test_a_student_reads_why_and_cannot_apply_twice_by_replay(site: Site) -> None:
    world = await make_world(site.db, "museums-association")
    member = await add_member(site.db, world.tenant, "Stu Dent")
    app = await submit_through_pages(site, world, member, is_student="yes")
    assert app.state == State.INELIGIBLE
    listed = await site.client.get(f"/t/{world.tenant.slug}/applications")
    text = words(listed.text)
    assert "Not eligible" in text
    assert "This scheme is not open to students, and you told us you are a student." in text


async def test_my_application_reads_back_answers_feedback_never_interview_notes(
    site: Site,
) -> None:
    world = await make_world(site.db, "museums-association")
    member = await add_member(site.db, world.tenant, "Ina")
    app = await submit_through_pages(site, world, member)
    staff = world.coordinator.id
    now = datetime.now(UTC)
    await services.shortlist(site.db, world.id, staff, app.id)
    await services.schedule_interview(
        site.db, world.id, staff, app.id, scheduled_at=now + timedelta(hours=2)
    )
    await services.record_interview(
        site.db, world.id, staff, app.id, held_at=now, notes="COORDINATOR-ONLY-NOTE"
    )
    await services.decline(
        site.db, world.id, staff, app.id, feedback="Your goals were clear; apply again."
    )
    for path in ("/applications", f"/applications/{app.id}"):
        page = await site.client.get(f"/t/{world.tenant.slug}{path}")
        assert page.status_code == 200
        text = words(page.text)
        assert "Not successful this time" in text
        assert "Your goals were clear; apply again." in text
        assert "COORDINATOR-ONLY-NOTE" not in text
    detail = await site.client.get(f"/t/{world.tenant.slug}/applications/{app.id}")
    assert "How do you work in museums?" in detail.text and "Because I want to learn." in (
        detail.text
    )
    assert "/withdraw" not in detail.text  # final: nothing to withdraw


async def test_withdrawing_asks_first_then_withdraws_once(site: Site) -> None:
    world = await make_world(site.db, "museums-association")
    member = await add_member(site.db, world.tenant, "Wes")
    app = await submit_through_pages(site, world, member)
    path = f"/t/{world.tenant.slug}/applications/{app.id}/withdraw"
    confirm = await site.client.get(path)
    assert confirm.status_code == 200
    assert "Withdraw your application to be a mentee?" in confirm.text
    assert (await applications_of(site.db, world, member))[0].state == State.ELIGIBLE
    body = {"_csrf_token": csrf(confirm.text)}
    done = await site.client.post(path, data=body)
    assert done.status_code == 303
    again = await site.client.post(path, data=body)  # replayed
    assert again.status_code == 303
    [withdrawn] = await applications_of(site.db, world, member)
    assert withdrawn.state == State.WITHDRAWN
    assert (
        await count(site.db, world, AuditEntry, AuditEntry.action == "application_withdrawn") == 1
    )
    page = await site.client.get(f"/t/{world.tenant.slug}/applications/{app.id}")
    assert "Application withdrawn" in page.text
    # And the member may apply again.
    apply = await site.client.get(f"/t/{world.tenant.slug}/apply")
    assert "Apply to be a mentee</a>" in apply.text


async def test_an_accepted_application_cannot_be_withdrawn_here(site: Site) -> None:
    world = await make_world(site.db, "ahep")
    member = await add_member(site.db, world.tenant, "Ace")
    app = await submit_through_pages(site, world, member)
    await services.accept(site.db, world.id, world.coordinator.id, app.id)
    path = f"/t/{world.tenant.slug}/applications/{app.id}/withdraw"
    confirm = await site.client.get(path)
    assert "can no longer be withdrawn" in confirm.text
    refused = await site.client.post(path, data={"_csrf_token": csrf(confirm.text)})
    assert refused.status_code == 409
    assert (await applications_of(site.db, world, member))[0].state == State.ACCEPTED


# --- who may open what ---------------------------------------------------------------------

#: Every route of the applicant's pages (ROUTES), as paths with the ids filled in.
GETS = [
    "/apply",
    "/apply/{cohort}/mentee",
    "/applications",
    "/applications/{app}",
    "/applications/{app}/submitted",
    "/applications/{app}/withdraw",
]
POSTS = ["/apply/{cohort}/mentee", "/applications/{app}/withdraw"]


def test_the_probes_cover_every_applicant_route() -> None:
    from mentorhub.applications.views import applicant

    paths = {p for handler in applicant.ROUTES for p in handler.paths}
    probed = {
        p.replace("{cohort}", "{cohort_id:str}")
        .replace("{app}", "{application_id:str}")
        .replace("/mentee", "/{role:str}")
        for p in GETS + POSTS
    }
    assert paths == probed


async def test_another_members_or_another_tenants_application_is_not_found(site: Site) -> None:
    world = await make_world(site.db, "museums-association")
    other_world = await make_world(site.db, "museums-association")
    owner = await add_member(site.db, world.tenant, "Owner")
    mine = await submit_through_pages(site, world, owner)
    elsewhere_member = await add_member(site.db, other_world.tenant, "Elsewhere")
    theirs = await submit_through_pages(site, other_world, elsewhere_member)
    intruder = await add_member(site.db, world.tenant, "Intruder")
    await site.sign_in(world.tenant, intruder)
    page = await site.client.get(f"/t/{world.tenant.slug}/apply")
    token = csrf(page.text)
    before = await audit_count(site.db, world), await audit_count(site.db, other_world)
    slug = world.tenant.slug
    for app_id, cohort in ((mine.id, world.cohort.id), (theirs.id, other_world.cohort.id)):
        for path in GETS[1:]:
            url = f"/t/{slug}" + path.format(cohort=cohort, app=app_id)
            response = await site.client.get(url)
            assert "Because I want to learn." not in response.text, url
            if "{app}" in path or ("{cohort}" in path and cohort != world.cohort.id):
                assert response.status_code == 404, url
        for path in POSTS:
            url = f"/t/{slug}" + path.format(cohort=cohort, app=app_id)
            body = {"_csrf_token": token, "_action": "submit", "_version": ""}
            response = await site.client.post(url, data=body)
            if "{app}" in path or cohort != world.cohort.id:
                assert response.status_code == 404, url
            else:  # the intruder's own (empty) form: refused as incomplete, nothing saved
                assert response.status_code == 400, url
    for bad in ("not-a-uuid", str(uuid.uuid4())):
        assert (await site.client.get(f"/t/{slug}/applications/{bad}")).status_code == 404
        assert (await site.client.get(f"/t/{slug}/apply/{bad}/mentee")).status_code == 404
    assert (await site.client.get(f"/t/{slug}/apply/{world.cohort.id}/admin")).status_code == 404
    assert (await applications_of(site.db, world, owner))[0].state == State.ELIGIBLE
    assert (await applications_of(site.db, other_world, elsewhere_member))[0].state == (
        State.ELIGIBLE
    )
    assert await applications_of(site.db, world, intruder) == []
    assert (await audit_count(site.db, world), await audit_count(site.db, other_world)) == before


async def test_signed_out_or_signed_in_elsewhere_every_route_asks_to_sign_in(site: Site) -> None:
    world = await make_world(site.db, "museums-association")
    other_world = await make_world(site.db, "museums-association")
    member = await add_member(site.db, world.tenant, "Owner")
    app = await submit_through_pages(site, world, member)
    before = await audit_count(site.db, world)
    for signed_in in (False, True):
        site.client.cookies.clear()
        if signed_in:  # a member of the other tenant, on this tenant's addresses
            await site.sign_in(
                other_world.tenant, await add_member(site.db, other_world.tenant, "B")
            )
        for path in GETS:
            url = f"/t/{world.tenant.slug}" + path.format(cohort=world.cohort.id, app=app.id)
            response = await site.client.get(url)
            assert response.status_code == 303 and "/login" in response.headers["location"]
        for path in POSTS:
            url = f"/t/{world.tenant.slug}" + path.format(cohort=world.cohort.id, app=app.id)
            response = await site.client.post(url, data={"_action": "submit"})
            assert response.status_code in (303, 403), url
    assert await audit_count(site.db, world) == before
    assert (await applications_of(site.db, world, member))[0].state == State.ELIGIBLE


async def test_a_coordinator_is_also_a_member_here_and_sees_only_their_own(site: Site) -> None:
    """The applicant's pages are a member's: a coordinator who applies sees their own
    application there, and another applicant's id is 404 for them on these pages."""
    world = await make_world(site.db, "museums-association")
    member = await add_member(site.db, world.tenant, "Applicant")
    app = await submit_through_pages(site, world, member)
    await site.sign_in(world.tenant, world.coordinator)
    response = await site.client.get(f"/t/{world.tenant.slug}/applications/{app.id}")
    assert response.status_code == 404


async def test_with_no_intake_the_apply_page_still_says_who_can_apply(site: Site) -> None:
    tenant = await make_tenant(site.db)
    scheme = with_forms(load_tenant("alberta-museums").scheme)
    async with site.db.tenant(tenant.id) as session:
        await store_version(session, scheme, "alberta-museums.toml")
    member = await add_member(site.db, tenant, "Early Bird")
    await site.sign_in(tenant, member)
    page = await site.client.get(f"/t/{tenant.slug}/apply")
    assert page.status_code == 200
    text = words(page.text)
    assert "No applications are being taken at the moment" in text
    assert "Who can apply to be a mentor" in text and "Who can apply to be a mentee" in text
    assert "Board ratifies your membership" in text
    assert "Apply to be a" not in text.replace("Apply to be a mentor or a mentee", "")
