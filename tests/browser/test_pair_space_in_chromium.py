"""The pair's space (issue 15) walked through in a real headless Chromium, for each of the
five reference associations: a live pair (tests.pairs.space_helpers.pair_world), each person
in their own browser context, signed in through the demo identity provider's pages, mail
caught by the SMTP sink.

The main path: the mentor opens the pair's overview, proposes a meeting on the Meetings
page; the mentee accepts it; both get `meeting_scheduled` with a calendar invitation
(METHOD:REQUEST, the meeting's UID, parsed with icalendar); the mentee writes a private log
entry. Then what each association's scheme adds:

* Museums Association: the agreement written and agreed by both, two goals.
* AHEP: a chat message, a document shared.
* Alberta Museums Association: the plan written and submitted to the coordinator.
* Advice Skills Academy: a log entry shared with the coordinator, who reads it.
* Arts Marketing Association: the meeting recorded as held.

The forms are filled by their labels and every button is reached with Tab and pressed with
Enter. Every page is checked at 375 px and on a desktop (no overflow, axe-core without
serious or critical violations) and a screenshot kept (MENTORHUB_SCREENSHOTS or the test's
temporary folder).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import pytest
from playwright.async_api import Browser, FilePayload, Page

from mentorhub.db import Database
from mentorhub.pairs import ics
from mentorhub.settings import Settings
from tests.browser.journey_helpers import sign_in
from tests.browser.space_journey_helpers import (
    SpaceSite,
    invitation_of,
    keyboard_press,
    mails_of_kind,
    press_button,
    space_site,
    words,
)
from tests.browser.test_matching_flows_in_chromium import Looker, look, settings  # noqa: F401
from tests.messages.conftest import inbox, live_db, sink  # noqa: F401  (fixtures)
from tests.messages.sink import Sink

TENANTS = (
    "arts-marketing",
    "museums-association",
    "advice-skills-academy",
    "ahep",
    "alberta-museums",
)


async def open_section(page: Page, name: str) -> None:
    """Follow the space's own navigation to one of its pages."""
    nav = page.get_by_role("navigation", name="This mentoring pair")
    link = nav.get_by_role("link", name=name, exact=True)
    async with page.expect_navigation():
        await link.click()
    assert (
        await nav.get_by_role("link", name=name, exact=True).get_attribute("aria-current") == "page"
    )


async def write_log_entry(page: Page, title: str, body: str) -> None:
    await open_section(page, "My log")
    await page.get_by_label(re.compile(r"^Title")).fill(title)
    await page.get_by_label(re.compile(r"^Entry")).fill(body)
    await press_button(page, "Save entry")
    seen = await words(page)
    assert title in seen and "Private" in seen


def soon(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


async def propose_meeting(page: Page) -> uuid.UUID:
    """The first row of Propose meetings: a video call a week ahead at 14:00 in the
    association's zone. Returns the new meeting's id (from its link)."""
    await open_section(page, "Meetings")
    row = page.get_by_role("group", name="Meeting 1")
    await row.get_by_label("Date", exact=True).fill(soon(8))
    await row.get_by_label(re.compile(r"^Time \(")).fill("14:00")
    await row.get_by_label("Length in minutes").fill("60")
    await row.get_by_label("How", exact=True).select_option(label="Video call")
    await row.get_by_label(re.compile(r"^Video call link")).fill("https://meet.example.org/maya")
    await press_button(page, "Propose")
    waiting = page.get_by_role("region", name=re.compile(r"^Waiting for "))
    href = await waiting.locator("h3 a").first.get_attribute("href")
    assert href is not None
    return uuid.UUID(href.rstrip("/").rsplit("/", 1)[1])


async def accept_meeting(page: Page) -> None:
    await open_section(page, "Meetings")
    mine = page.get_by_role("region", name="Waiting for your answer")
    await keyboard_press(page, mine.get_by_role("button", name=re.compile(r"^Accept")))
    upcoming = await page.get_by_role("region", name="Coming up").inner_text()
    assert "Confirmed" in upcoming and "60 minutes" in upcoming, upcoming


# --- each association's own part --------------------------------------------------------

Step = Callable[[Database, SpaceSite, Page, Page, Sink, Looker], Awaitable[None]]


async def museums_association(
    db: Database, s: SpaceSite, mentor: Page, mentee: Page, caught: Sink, looks: Looker
) -> None:
    await open_section(mentor, "Agreement")
    await looks(mentor, "ma-agreement-empty")
    for box in await mentor.locator("form.agreement-form textarea").all():
        await box.fill("We meet once a month and keep what we discuss confidential.")
    await press_button(mentor, "Save the agreement")
    if await mentor.get_by_role("button", name=re.compile(r"^I agree")).count():
        await press_button(mentor, re.compile(r"^I agree"))
    [mail] = await mails_of_kind(db, s.a, caught, s.pw.mentee.email, "agreement_changed")
    assert "/agreement" in str(mail.get_body(("plain",)).get_content())
    await open_section(mentee, "Agreement")
    await press_button(mentee, re.compile(r"^I agree to version"))
    assert "You have both agreed to this version." in await words(mentee)
    await looks(mentee, "ma-agreement-agreed")


async def ahep(
    db: Database, s: SpaceSite, mentor: Page, mentee: Page, caught: Sink, looks: Looker
) -> None:
    await open_section(mentor, "Chat")
    await mentor.get_by_label(re.compile(r"^Your message to")).fill(
        "Looking forward to our first meeting!"
    )
    await press_button(mentor, "Send")
    await open_section(mentee, "Chat")
    assert "Looking forward to our first meeting!" in await words(mentee)
    await looks(mentee, "ahep-chat")
    await open_section(mentee, "Documents")
    await mentee.get_by_label(re.compile(r"^File to share")).set_input_files(
        files=FilePayload(name="cv.pdf", mimeType="application/pdf", buffer=PDF)
    )
    await press_button(mentee, re.compile(r"^Share the file with"))
    assert "cv.pdf" in await words(mentee)
    await open_section(mentor, "Documents")
    assert "cv.pdf" in await words(mentor)
    await looks(mentor, "ahep-documents")


async def advice_skills_academy(
    db: Database, s: SpaceSite, mentor: Page, mentee: Page, caught: Sink, looks: Looker
) -> None:
    share = mentee.get_by_role("button", name=re.compile(r"^Share with the coordinator"))
    await keyboard_press(mentee, share)
    assert "Shared with the coordinator" in await words(mentee)
    [mail] = await mails_of_kind(db, s.a, caught, s.pw.world.coordinator.email, "log_shared")
    link = next(
        w for w in str(mail.get_body(("plain",)).get_content()).split() if "/log/shared" in w
    )
    coordinator = await sign_in(s.site, s.a, s.pw.world.coordinator)
    await coordinator.goto(link)
    assert "What I learnt about casework" in await words(coordinator)
    await looks(coordinator, "asa-shared-log")
    await coordinator.context.close()


async def museums_goals(
    db: Database, s: SpaceSite, mentor: Page, mentee: Page, caught: Sink, looks: Looker
) -> None:
    await museums_association(db, s, mentor, mentee, caught, looks)
    await open_section(mentee, "Goals")
    add = mentee.get_by_role("region", name="Add a goal")
    for title in ("Lead a collections project", "Speak at a regional conference"):
        await add.get_by_label("Goal", exact=True).fill(title)
        await add.get_by_label(re.compile(r"^Detail")).fill("By the end of the year.")
        await press_button(mentee, "Add the goal")
        add = mentee.get_by_role("region", name="Add a goal")
    seen = await words(mentee)
    assert "Lead a collections project" in seen and "Speak at a regional conference" in seen
    await looks(mentee, "ma-goals")
    await open_section(mentor, "Goals")
    assert "Speak at a regional conference" in await words(mentor)


async def alberta(
    db: Database, s: SpaceSite, mentor: Page, mentee: Page, caught: Sink, looks: Looker
) -> None:
    await open_section(mentee, "Plan")
    await looks(mentee, "alberta-plan-empty")
    await mentee.get_by_label("First meeting", exact=True).fill(soon(8))
    await mentee.get_by_label("Last meeting", exact=True).fill(soon(200))
    for box in await mentee.locator("form.plan-form textarea").all():
        await box.fill("Visit two collections and plan an exhibition together.")
    await press_button(mentee, "Save the plan")
    await press_button(mentee, "Submit the plan to the coordinator")
    assert "Not yet" not in await words(mentee)
    await looks(mentee, "alberta-plan-submitted")
    [mail] = await mails_of_kind(db, s.a, caught, s.pw.world.coordinator.email, "plan_submitted")
    link = next(w for w in str(mail.get_body(("plain",)).get_content()).split() if "/plan" in w)
    coordinator = await sign_in(s.site, s.a, s.pw.world.coordinator)
    await coordinator.goto(link)
    seen = await words(coordinator)
    assert "Visit two collections and plan an exhibition together." in seen
    await looks(coordinator, "alberta-plan-coordinator")
    await coordinator.context.close()


async def arts_marketing(
    db: Database, s: SpaceSite, mentor: Page, mentee: Page, caught: Sink, looks: Looker
) -> None:
    await open_section(mentor, "Meetings")
    held = mentor.locator("details.meeting-form")
    await keyboard_press(mentor, held.locator("summary"), navigates=False)
    await held.get_by_label("Date", exact=True).fill(soon(-3))
    await held.get_by_label(re.compile(r"^Time \(")).fill("10:00")
    await held.get_by_label("Length in minutes").fill("45")
    await held.get_by_label("How", exact=True).select_option(label="In person")
    await held.get_by_label(re.compile(r"^Place")).fill("The café at the gallery")
    await held.get_by_label(re.compile(r"^Agenda and actions")).fill("Talked about a campaign.")
    await press_button(mentor, "Record as held")
    section = await mentor.get_by_role("region", name="Held").inner_text()
    assert "45 minutes" in section and "The café at the gallery" in section, section
    await looks(mentor, "arts-meetings-held")


SPECIFICS: dict[str, Step] = {
    "museums-association": museums_goals,
    "ahep": ahep,
    "advice-skills-academy": advice_skills_academy,
    "alberta-museums": alberta,
    "arts-marketing": arts_marketing,
}

#: The smallest PDF the documents page's sniffing takes for one.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.mark.parametrize("slug", TENANTS)
async def test_a_pairs_main_path_in_its_space(
    slug: str,
    live_db: Database,  # noqa: F811
    settings: Settings,  # noqa: F811
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
    look: Looker,  # noqa: F811
) -> None:
    db = live_db
    # Matched a month ago: a meeting held last week can be recorded.
    matched_on = date.today() - timedelta(days=30)
    async with space_site(db, settings, browser, monkeypatch, slug, matched_on=matched_on) as s:
        mentor = await sign_in(s.site, s.a, s.pw.mentor)
        await mentor.goto(s.url())
        seen = await words(mentor)
        assert s.pw.mentee.display_name in seen
        await look(mentor, f"{slug}-overview-mentor")

        meeting_id = await propose_meeting(mentor)
        await look(mentor, f"{slug}-meetings-proposed")
        [proposed] = await mails_of_kind(db, s.a, inbox, s.pw.mentee.email, "meeting_proposed")
        assert "/meetings" in str(proposed.get_body(("plain",)).get_content())

        mentee = await sign_in(s.site, s.a, s.pw.mentee)
        await mentee.goto(s.url())
        assert s.pw.mentor.display_name in await words(mentee)
        await look(mentee, f"{slug}-overview-mentee")
        await accept_meeting(mentee)
        await look(mentee, f"{slug}-meetings-accepted")
        for person, other in ((s.pw.mentor, s.pw.mentee), (s.pw.mentee, s.pw.mentor)):
            [mail] = await mails_of_kind(db, s.a, inbox, person.email, "meeting_scheduled")
            assert str(mail["Subject"]).startswith(f"Meeting with {other.display_name} confirmed")
            calendar = invitation_of(mail)
            assert str(calendar["method"]) == "REQUEST"
            [event] = calendar.walk("VEVENT")
            assert str(event["uid"]) == ics.uid(meeting_id, s.a.slug)
            assert str(event["uid"]).startswith(str(meeting_id))

        await write_log_entry(
            mentee, "What I learnt about casework", "Maya showed me how she plans a week."
        )
        await look(mentee, f"{slug}-log")

        step = SPECIFICS.get(slug)
        if step is not None:
            await step(db, s, mentor, mentee, inbox, look)
        await mentor.context.close()
        await mentee.context.close()
    assert look.problems == []
