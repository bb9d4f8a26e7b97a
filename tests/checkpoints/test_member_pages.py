"""The member's checkpoint pages through the real app over HTTP (Alberta's forms: the
Quarterly Update written together with its permission to share, the mid-program survey's
ratings and Likert grid answered individually): the list grouped (to do now with the due
day and overdue marked, coming up with the opening day, done with who and when, cancelled
folded away), the item's form (rating radios with their end labels, one fieldset per
Likert statement, lock_version, Save draft and Send in), a draft shown again, sending in
(303 to the list with a notice; the answers read-only afterwards, statement by statement),
bad answers (400, the error summary linking to the fields, nothing saved), a second
submission (409 with who sent it in and when), a stale form, an item done in the space
(a link to the plan page), and the space's navigation."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from mentorhub.applications.queue import tenant_zone
from mentorhub.db import Database
from mentorhub.settings import Settings
from tests.checkpoints.member_helpers import (
    MemberWorld,
    add_item,
    filled,
    member_world,
    messages_of,
    reload,
    snapshot,
)
from tests.pairs.agreement_helpers import (  # noqa: F401  (fixtures)
    Browser,
    client_fixture,
    hidden,
    settings_fixture,
    words,
)

Open = Callable[..., Awaitable[tuple[MemberWorld, Browser]]]


@pytest.fixture(name="open_world")
def open_world_fixture(db: Database, client: httpx.AsyncClient, settings: Settings) -> Open:
    async def make(slug: str = "alberta-museums") -> tuple[MemberWorld, Browser]:
        mw = await member_world(db, slug)
        return mw, Browser(client, settings, mw.pw)

    return make


def as_list(data: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, vs in data.items() for v in vs]


def checked(page: str, input_id: str) -> bool:
    found = re.search(rf'<input type="radio" id="{re.escape(input_id)}"[^>]*>', page)
    assert found, f"no radio {input_id}"
    return " checked" in found.group(0)


async def test_the_list_groups_the_pairs_items(db: Database, open_world: Open) -> None:
    mw, b = await open_world()
    pw = mw.pw
    today = date.today()
    overdue = await add_item(db, mw, "quarterly_update", due_on=today - timedelta(days=3))
    survey = await add_item(
        db, mw, "mid_program_survey", member=pw.mentee, due_on=today + timedelta(days=9)
    )
    mentors = await add_item(db, mw, "mid_program_survey", member=pw.mentor)
    opens = datetime.combine(today + timedelta(days=20), datetime.min.time(), UTC)
    upcoming = await add_item(
        db,
        mw,
        "final_survey",
        member=pw.mentee,
        state="upcoming",
        due_on=today + timedelta(days=40),
        next_at=opens.replace(hour=9),
    )
    sent = await add_item(
        db, mw, "quarterly_update", state="submitted", submitted_by=pw.mentor, slot="2027-01"
    )
    cancelled = await add_item(
        db, mw, "quarterly_update", state="cancelled", cancel_reason="The pair ended early."
    )
    await add_item(db, mw, "mid_program_survey", member=pw.other_mentee, pair_id=pw.other_pair.id)

    await b.as_(pw.mentee)
    page = await b.get("/checkpoints")
    assert page.status_code == 200
    text = words(page)
    to_do = text[text.index("To do now") : text.index("Coming up")]
    assert "Quarterly Update · You both Overdue" in to_do
    assert f"Due {survey.due_on.day} {survey.due_on:%B %Y}" in to_do
    assert "Mid-program survey · You Open" in to_do
    coming = text[text.index("Coming up") : text.index("Done")]
    assert f"Opens {opens.day} {opens:%B %Y}" in coming
    done = text[text.index("Done") :]
    assert "sent in by Maya Mentor" in done
    assert "Cancelled (1)" in text and "The pair ended early." in text
    assert '<details class="card">' in page.text
    for name, item in {
        "overdue": overdue,
        "survey": survey,
        "upcoming": upcoming,
        "sent": sent,
        "cancelled": cancelled,
    }.items():
        assert f'href="{b.pw.url(f"/checkpoints/{item.id}")}"' in page.text, name
    assert str(mentors.id) not in page.text  # the mentor's own survey is theirs alone
    nav = page.text[page.text.index('class="space-nav"') :]
    assert f'href="{b.pw.url("/checkpoints")}" aria-current="page">Checkpoints' in nav


async def test_draft_then_send_in_the_survey(db: Database, open_world: Open) -> None:
    mw, b = await open_world()
    pw = mw.pw
    item = await add_item(db, mw, "mid_program_survey", member=pw.mentee)
    await b.as_(pw.mentee)
    page = await b.get(f"/checkpoints/{item.id}")
    assert page.status_code == 200
    html = page.text
    # A rating: radios 1..5, the end labels beside the end numbers.
    assert checked(html, "q-satisfaction-0") is False
    assert re.search(r'for="q-satisfaction-0">1 – Not at all satisfied</label>', html)
    assert re.search(r'for="q-satisfaction-4">5 – Very satisfied</label>', html)
    # A Likert grid: one fieldset per statement, each with the scale's radios.
    assert html.count('name="program_structure.') == 6 * 5
    assert '<fieldset id="program_structure.1"' in html
    assert "<legend>Our Mentorship Plan suits our needs and goals</legend>" in html
    assert hidden(html, "lock_version") == "0"
    assert f'action="{b.pw.url(f"/checkpoints/{item.id}")}"' in html
    assert 'value="save"' in html and 'value="submit"' in html
    assert "Send in" in words(page) and "Save draft" in words(page)
    assert "You write this together" not in words(page)  # an individual survey

    draft = await b.post(
        f"/checkpoints/{item.id}",
        [
            ("lock_version", "0"),
            ("_action", "save"),
            ("satisfaction", "4"),
            ("program_structure.2", "Agree"),
        ],
    )
    assert draft.status_code == 303
    assert draft.headers["location"].endswith(f"/pairs/{pw.pair.id}/checkpoints")
    listing = await b.get("/checkpoints")
    assert "Draft of Mid-program survey saved" in words(listing)
    assert "Draft saved" in words(listing)
    again = await b.get(f"/checkpoints/{item.id}")
    assert checked(again.text, "q-satisfaction-3") and checked(
        again.text, "q-program_structure-2-3"
    )
    assert hidden(again.text, "lock_version") == "1"
    assert (await reload(db, mw, item.id)).state == "open"

    form = mw.form("mid_program_survey")
    sent = await b.post(
        f"/checkpoints/{item.id}",
        [("lock_version", "1"), ("_action", "submit"), *as_list(filled(form, satisfaction="2"))],
    )
    assert sent.status_code == 303
    assert "Mid-program survey sent in." in words(await b.get("/checkpoints"))
    stored = await reload(db, mw, item.id)
    assert (stored.state, stored.submitted_by, stored.answers["satisfaction"]) == (
        "submitted",
        pw.mentee.id,
        2,
    )
    read = await b.get(f"/checkpoints/{item.id}")
    text = words(read)
    assert 'name="_action"' not in read.text  # read-only now
    assert "What was sent in" in text and "by you" in text
    assert "2 out of 5" in text
    assert "Our meetings are productive: Strongly agree" in text


async def test_the_quarterly_update_is_written_together(db: Database, open_world: Open) -> None:
    mw, b = await open_world()
    pw = mw.pw
    item = await add_item(db, mw, "quarterly_update")
    await b.as_(pw.mentor)
    page = await b.get(f"/checkpoints/{item.id}")
    text = words(page)
    assert "You write this together; one of you sends it in for both" in text
    # The permission's words come from the item: its question's label, and who reads it
    # from its readers (the pair writes it, the coordinator reads it) — no tenant's text.
    other = pw.mentee.display_name
    assert f"What you send in is read by you, {other} and the coordinator" in text
    assert "“We give the AMA explicit written permission to share this update”" in text
    assert f"Without it, what you write is read only by you, {other} and the coordinator" in text
    assert 'id="q-share_permission-0"' in page.text

    sent = await b.post(
        f"/checkpoints/{item.id}",
        [
            ("lock_version", "0"),
            ("_action", "submit"),
            ("progress", "We met in October and November."),
            ("share_permission", "yes"),
        ],
    )
    assert sent.status_code == 303
    [told] = await messages_of(db, mw, "checkpoint_submitted")
    assert told.member_id == pw.mentee.id

    # The mentee, with the form shown before the mentor sent it in: refused, with who and when.
    before = await snapshot(db, mw)
    await b.as_(pw.mentee)
    second = await b.post(
        f"/checkpoints/{item.id}",
        [("lock_version", "0"), ("_action", "submit"), ("progress", "Our own words")],
    )
    assert second.status_code == 409
    today = datetime.now(UTC).astimezone(tenant_zone(pw.world.tenant.jurisdiction)).date()
    assert f"Already sent in by Maya Mentor on {today:%A} {today.day} {today:%B %Y}" in words(
        second
    )
    assert await snapshot(db, mw) == before
    read = await b.get(f"/checkpoints/{item.id}")
    text = words(read)
    assert "We met in October and November." in text
    assert "Permission to share Given" in text and "by Maya Mentor" in text


async def test_bad_answers_show_the_form_again(db: Database, open_world: Open) -> None:
    mw, b = await open_world()
    pw = mw.pw
    item = await add_item(db, mw, "mid_program_survey", member=pw.mentor)
    await b.as_(pw.mentor)
    before = await snapshot(db, mw)
    bad = await b.post(
        f"/checkpoints/{item.id}",
        [
            ("lock_version", "0"),
            ("_action", "submit"),
            ("satisfaction", "9"),
            ("program_structure.1", "Agree"),
            ("successes", "Plenty"),
        ],
    )
    assert bad.status_code == 400
    html = bad.text
    assert 'class="error-summary"' in html
    assert 'href="#q-satisfaction-0"' in html  # the rating's first radio
    assert 'href="#q-program_structure-1-0"' in html  # the grid's first statement
    assert 'href="#q-goals_progress-0"' in html
    # Each message names its question (two scales would otherwise say the same words).
    assert "How satisfied are you with the Mentorship Program: choose a number from 1 to 5" in (
        words(bad)
    )
    assert checked(html, "q-program_structure-1-3")  # what was typed is shown again
    assert ">Plenty</textarea>" in html
    assert await snapshot(db, mw) == before

    stale = await b.post(
        f"/checkpoints/{item.id}",
        [("lock_version", "7"), ("_action", "save"), ("successes", "Plenty")],
    )
    assert stale.status_code == 409 and "changed since the page was shown" in words(stale)
    nothing = await b.post(f"/checkpoints/{item.id}", [("lock_version", "0")])
    assert nothing.status_code == 400 and "Choose “Save draft” or “Send in”" in words(nothing)
    assert await snapshot(db, mw) == before


async def test_what_the_item_page_says_when_there_is_no_form(
    db: Database, open_world: Open
) -> None:
    mw, b = await open_world()
    pw = mw.pw
    plan = await add_item(db, mw, "mentorship_plan")
    upcoming = await add_item(
        db,
        mw,
        "quarterly_update",
        state="upcoming",
        next_at=datetime(2027, 3, 8, 16, 0, tzinfo=UTC),  # Monday 8 March, 09:00 Edmonton
    )
    missed = await add_item(db, mw, "mid_program_survey", member=pw.mentee, state="missed")
    reviewed = await add_item(
        db,
        mw,
        "quarterly_update",
        state="reviewed",
        submitted_by=pw.mentee,
        answers={"progress": "All good"},
        review_note="Thank you, lovely to read.",
    )
    await b.as_(pw.mentee)
    page = await b.get(f"/checkpoints/{plan.id}")
    assert f'href="{b.pw.url("/plan")}"' in page.text and "Done in your space" in words(page)
    assert 'name="_action"' not in page.text
    page = await b.get(f"/checkpoints/{upcoming.id}")
    assert "This opens on Monday 8 March 2027" in words(page)
    assert 'name="_action"' not in page.text
    page = await b.get(f"/checkpoints/{missed.id}")
    assert "You can still send it in" in words(page) and 'value="submit"' in page.text
    page = await b.get(f"/checkpoints/{reviewed.id}")
    text = words(page)
    assert "Thank you, lovely to read." in text and "All good" in text
    assert "Permission to share Not given" in text


async def test_the_coordinator_reads_but_does_not_answer(db: Database, open_world: Open) -> None:
    mw, b = await open_world()
    pw = mw.pw
    item = await add_item(db, mw, "quarterly_update", answers={"progress": "DRAFT_WORDS"})
    survey = await add_item(db, mw, "mid_program_survey", member=pw.mentor)
    await b.as_(pw.world.coordinator)
    listing = await b.get("/checkpoints")
    assert listing.status_code == 200
    assert str(item.id) in listing.text and str(survey.id) in listing.text
    page = await b.get(f"/checkpoints/{item.id}")
    assert page.status_code == 200
    assert "DRAFT_WORDS" not in page.text and 'name="_action"' not in page.text
    assert "Nothing has been sent in yet" in words(page)
    before = await snapshot(db, mw)
    refused = await b.post(
        f"/checkpoints/{item.id}",
        [("lock_version", "0"), ("_action", "submit"), ("progress", "Coordinator words")],
    )
    assert refused.status_code == 409 and "The pair answers this" in words(refused)
    assert await snapshot(db, mw) == before
    nav = listing.text[listing.text.index('class="space-nav"') :]
    assert ">Checkpoints</a>" in nav


async def test_the_permission_question_speaks_for_its_own_item(
    db: Database, open_world: Open
) -> None:
    """AHEP's feedback survey (each person's own, read by the coordinator) asks its own
    permission question: its label, its help, and who reads it from the item's readers —
    none of Alberta's words about an update and the Program Coordinator."""
    mw, b = await open_world("ahep")
    pw = mw.pw
    item = await add_item(db, mw, "feedback_survey", member=pw.mentee)
    await b.as_(pw.mentee)
    page = await b.get(f"/checkpoints/{item.id}")
    assert page.status_code == 200
    text = words(page)
    label = "May the AHEP office share your feedback with mentors where appropriate?"
    assert f"What you send in is read by you and the coordinator. One question, “{label}”" in text
    assert "your feedback stays with the AHEP office" in text  # the question's own help
    assert "Without it, what you write is read only by you and the coordinator." in text
    assert "Program Coordinator" not in text and "update" not in text.lower()

    # Sent in without the permission: the coordinator reads who else reads it, in the third
    # person.
    sent = await add_item(
        db,
        mw,
        "feedback_survey",
        member=pw.mentor,
        state="submitted",
        answers={"take_part_again": "Yes, as a mentor", "share_with_mentors": False},
    )
    await b.as_(pw.world.coordinator)
    text = words(await b.get(f"/checkpoints/{sent.id}"))
    assert "Permission to share Not given: read only by Maya Mentor and the coordinator" in text
