"""The applicant's pages say what happened to the approvals and records their application
needed, and show a refused submission back in the form's own words (real app over HTTP,
PostgreSQL, Redis; the line manager decides through the signed link's own token):

* after the window closed, "What you wrote (not saved)" reads "Yes", "No", "Yes, I agree"
  and the options as the form wrote them, never the posted values ("yes", "no");
* the line manager's approval (the address the link went to, when), a refusal with what it
  means, a link still waiting; never the line manager's comment;
* when the Board's ratification (Alberta) and the training (Advice Skills Academy's mentors)
  the application waited for were recorded; a ratification from the membership records."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import escape

from sqlalchemy import select, update

from mentorhub.applications import services
from mentorhub.applications.models import Application, BoardRatification, RecruitmentWindow
from mentorhub.applications.states import State
from mentorhub.identity import services as identity
from mentorhub.identity.approvals import link_token
from mentorhub.identity.models import ApprovalRequest, Member
from mentorhub.settings import get_settings
from tests.applications import test_applicant_pages as pages
from tests.applications.conftest import World, add_member, make_world, reload
from tests.applications.test_applicant_pages import (
    Site,
    all_kinds_world,
    applications_of,
    as_form,
    audit_count,
    csrf,
    form_path,
    submit_through_pages,
    words,
)

BOSS = "line.boss@example.org"

# The applicant pages' fixtures: the settings and the app served over HTTP.
settings = pages.settings
site = pages.site


def section(html: str, heading_id: str) -> str:
    """The text of one <section> (by its heading's id), entities decoded."""
    found = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert found, f"no section {heading_id!r}"
    return found.group(0)


async def test_what_was_not_saved_reads_in_the_forms_words(site: Site) -> None:
    world = await all_kinds_world(site.db)
    member = await add_member(site.db, world.tenant, "Late Lee")
    await site.sign_in(world.tenant, member)
    page = await site.client.get(form_path(world))
    assert page.status_code == 200
    async with site.db.tenant(world.id) as session:  # the coordinator closes it meanwhile
        await session.execute(
            update(RecruitmentWindow).values(closed_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    before = await audit_count(site.db, world)
    body = [
        ("_csrf_token", csrf(page.text)),
        ("_version", ""),
        ("_action", "submit"),
        ("organisation", "Citizens Advice Leeds"),
        ("staff_or_volunteer", "Volunteer"),
        ("areas_of_work", "Debt advice"),
        ("areas_of_work", "Welfare benefits"),
        ("learning_needs", "Plain words\non two lines"),
        ("commitment", "yes"),
        ("first_time", "no"),
        ("years", "7"),
        ("line_manager_email", BOSS),
    ]
    refused = await site.client.post(form_path(world), data=as_form(body))
    assert refused.status_code == 409
    unsaved = section(refused.text, "unsaved")
    pairs = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", unsaved, re.S))
    labels = {q.id: q.label for q in world.scheme.forms.mentee.questions}  # type: ignore[union-attr]

    def said(qid: str) -> str:
        return pairs[escape(labels[qid])]

    assert said("commitment") == "Yes, I agree"
    assert said("first_time") == "No"
    assert said("staff_or_volunteer") == "Volunteer"
    assert said("areas_of_work") == "Debt advice, Welfare benefits"
    assert said("years") == "7"
    assert said("learning_needs") == "Plain words\non two lines"
    assert ">yes<" not in unsaved and ">no<" not in unsaved
    # Nothing was written.
    assert await applications_of(site.db, world, member) == []
    assert await audit_count(site.db, world) == before


async def test_a_yes_and_a_choice_typed_in_other_case_read_as_the_form_says(site: Site) -> None:
    world = await all_kinds_world(site.db)
    member = await add_member(site.db, world.tenant, "Late Lin")
    await site.sign_in(world.tenant, member)
    page = await site.client.get(form_path(world))
    async with site.db.tenant(world.id) as session:
        await session.execute(
            update(RecruitmentWindow).values(closed_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    body = [
        ("_csrf_token", csrf(page.text)),
        ("_version", ""),
        ("_action", "save"),
        ("first_time", "YES"),
        ("staff_or_volunteer", "staff"),
        ("areas_of_work", "Not an option"),
    ]
    refused = await site.client.post(form_path(world), data=as_form(body))
    assert refused.status_code == 409
    text = words(section(refused.text, "unsaved"))
    assert "Yes</dd>" in text and "Staff</dd>" in text
    assert "Not an option</dd>" in text  # what is not offered is shown as it came


# --- the approvals and records the application needed -----------------------------------


async def _asa_applied(site: Site, role: str = "mentee") -> tuple[World, Member, Application]:
    world = await make_world(site.db, "advice-skills-academy")
    await services.set_partner_organisations(
        site.db, world.id, world.admin.id, ["Citizens Advice Leeds"]
    )
    member = await add_member(site.db, world.tenant, "Ada Adviser", status=None)
    app = await submit_through_pages(site, world, member, role, line_manager_email=BOSS)
    assert app.state == State.AWAITING_APPROVAL
    return world, member, app


async def _decide(site: Site, world: World, app: Application, decision: str) -> ApprovalRequest:
    secret = get_settings().secret_key or ""
    async with site.db.tenant(world.id) as session:
        request = await session.get(
            ApprovalRequest, {"tenant_id": world.id, "id": app.approval_request_id}
        )
        assert request is not None
    return await identity.decide_approval(
        site.db,
        world.id,
        secret,
        link_token(secret, request),
        decision=decision,
        comment="LINE-MANAGER-PRIVATE-COMMENT",
    )


async def my_page(site: Site, world: World, app: Application) -> str:
    page = await site.client.get(f"/t/{world.tenant.slug}/applications/{app.id}")
    assert page.status_code == 200, page.text[:1000]
    return words(re.sub(r"<[^>]+>", " ", page.text))  # the page's text, without its tags


def _when(d: datetime) -> str:
    return f"{d:%A} {d.day} {d:%B %Y} at {d:%H:%M} (UTC)"


async def test_a_link_waiting_says_where_it_went_and_until_when(site: Site) -> None:
    world, _member, app = await _asa_applied(site)
    async with site.db.tenant(world.id) as session:
        request = await session.get(
            ApprovalRequest, {"tenant_id": world.id, "id": app.approval_request_id}
        )
        assert request is not None
    text = await my_page(site, world, app)
    assert "Approvals and records" in text
    assert (
        f"We sent the link to {BOSS} on {_when(request.created_at)}; it works until "
        f"{_when(request.expires_at)}. No answer yet."
    ) in text
    assert "Waiting for: your line manager's approval" in text


async def test_the_line_managers_approval_is_shown_with_who_and_when(site: Site) -> None:
    world, _member, app = await _asa_applied(site)
    decided = await _decide(site, world, app, "approve")
    assert decided.decided_at is not None
    assert (await reload(site.db, world, app.id)).state == State.ELIGIBLE
    text = await my_page(site, world, app)
    assert "Eligible — under consideration" in text
    assert f"Your line manager's approval Approved by {BOSS} on {_when(decided.decided_at)}." in (
        text
    )
    assert "Waiting for" not in text
    assert "LINE-MANAGER-PRIVATE-COMMENT" not in text  # the approver was not told it is shown


async def test_a_refusal_is_shown_with_what_it_means(site: Site) -> None:
    world, _member, app = await _asa_applied(site)
    decided = await _decide(site, world, app, "decline")
    assert decided.decided_at is not None
    assert (await reload(site.db, world, app.id)).state == State.INELIGIBLE
    text = await my_page(site, world, app)
    assert "Not eligible" in text
    assert f"Your line manager's approval Declined by {BOSS} on {_when(decided.decided_at)}." in (
        text
    )
    assert "Your line manager did not approve your application, so it cannot go ahead." in text
    assert (
        "If your line manager changes their mind, or you have a new line manager, you can "
        "withdraw this application and apply again while applications are open"
    ) in text
    assert "LINE-MANAGER-PRIVATE-COMMENT" not in text
    assert "Withdraw this application" in text  # and the way to do it is there


async def test_the_training_a_mentor_waited_for_is_shown_when_recorded(site: Site) -> None:
    world, member, app = await _asa_applied(site, "mentor")
    assert (await reload(site.db, world, app.id)).waiting_for == ["line_manager", "training"]
    text = await my_page(site, world, app)
    assert "The mentor training, completed on" not in text  # not recorded yet
    await _decide(site, world, app, "approve")
    record = await services.record_training(
        site.db,
        world.id,
        world.coordinator.id,
        member.id,
        kind="mentor",
        completed_on=date(2026, 11, 20),
    )
    assert (await reload(site.db, world, app.id)).state == State.ELIGIBLE
    text = await my_page(site, world, app)
    assert (
        "Training The mentor training, completed on 20 November 2026; recorded on "
        f"{_when(record.created_at)}."
    ) in text
    assert "Coral Coordinator" not in text  # who recorded it is not the applicant's


async def test_the_boards_ratification_is_shown_when_recorded(site: Site) -> None:
    world = await make_world(site.db, "alberta-museums")
    member = await add_member(site.db, world.tenant, "Rae Member")
    app = await submit_through_pages(site, world, member)
    assert app.state == State.AWAITING_APPROVAL and app.waiting_for == ["board_ratification"]
    text = await my_page(site, world, app)
    assert "Ratified on" not in text and "Waiting for: the Board's ratification" in text
    record = await services.record_ratification(
        site.db,
        world.id,
        world.admin.id,
        member.id,
        ratified_on=date(2026, 10, 14),
        note="ADMIN-ONLY-NOTE",
    )
    assert (await reload(site.db, world, app.id)).state == State.ELIGIBLE
    text = await my_page(site, world, app)
    async with site.db.tenant(world.id) as session:
        recorded_at = (
            await session.execute(
                select(BoardRatification.created_at).where(BoardRatification.id == record.id)
            )
        ).scalar_one()
    assert (
        f"The Board's ratification Ratified on 14 October 2026; recorded on {_when(recorded_at)}."
    ) in text
    assert "ADMIN-ONLY-NOTE" not in text and "Adam Admin" not in text
    assert "Waiting for" not in text


async def test_a_ratification_from_the_membership_records_says_so(site: Site) -> None:
    world = await make_world(site.db, "alberta-museums")
    member = await add_member(site.db, world.tenant, "Roz Rostered", ratified_on=date(2026, 9, 30))
    app = await submit_through_pages(site, world, member)
    assert app.state == State.ELIGIBLE
    text = await my_page(site, world, app)
    assert (
        "The Board's ratification Ratified on 30 September 2026, as the association's "
        "membership records show."
    ) in text


async def test_a_draft_says_nothing_about_approvals_yet(site: Site) -> None:
    world = await make_world(site.db, "alberta-museums")
    member = await add_member(site.db, world.tenant, "Dee Draft", ratified_on=date(2026, 9, 30))
    await site.sign_in(world.tenant, member)
    page = await site.client.get(form_path(world))
    body = [
        ("_csrf_token", csrf(page.text)),
        ("_version", ""),
        ("_action", "save"),
    ]
    saved = await site.client.post(form_path(world), data=as_form(body))
    assert saved.status_code == 303
    [app] = await applications_of(site.db, world, member)
    text = await my_page(site, world, app)
    assert "Approvals and records" not in text


async def test_another_members_approval_is_not_read(site: Site) -> None:
    """The checks are read through the member's own application only: someone else's
    application id is the 404 page, whatever its approvals."""
    world, _member, app = await _asa_applied(site)
    await _decide(site, world, app, "approve")
    other = await add_member(site.db, world.tenant, "Oli Other", status=None)
    await site.sign_in(world.tenant, other)
    page = await site.client.get(f"/t/{world.tenant.slug}/applications/{app.id}")
    assert page.status_code == 404
    assert BOSS not in page.text
