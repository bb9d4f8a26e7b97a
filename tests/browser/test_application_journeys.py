"""The application journey of each reference association, walked in a real headless Chromium
by the people who take part, each in their own browser context, each signed in through the
demo identity provider's pages (issue #13's browser tests):

* the applicant opens Apply, fills the real form by its labels, saves a draft, comes back to
  it (the answers kept), completes and submits it, and reads where it stands;
* what the scheme waits for is done through its pages: the Advice Skills Academy's line
  manager approves from the link read in the mail the SMTP sink caught (no account), the
  coordinator records a training (Arts Marketing's joint day, the Academy's mentor day), the
  tenant admin records Alberta's Board ratification;
* the coordinator opens the application from the queue, shortlists it (the Museums
  Association), schedules and records the mentee's phone interview (the Museums
  Association), and accepts it; the applicant then reads "Accepted — you have a place".

And the refusals: the Museums Association's student is told before applying that students
cannot apply, and after submitting that the application cannot go ahead, with the rule in
plain words; an Alberta member the Board has not ratified waits, and the coordinator is
offered no way to accept them; a form sent after the coordinator closed the window is
refused with the date it closed, nothing written, and the form is no longer offered.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page

from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.settings import Settings, get_settings
from tests.browser.journey_helpers import (
    Association,
    Site,
    answer_all,
    applicant,
    applications,
    association,
    mail_kinds,
    mail_link,
    open_in_queue,
    open_own_application,
    press,
    sign_in,
    site_for,
    text,
)
from tests.messages.conftest import inbox, live_db, sink  # noqa: F401  (fixtures)
from tests.messages.sink import Sink

Answers = dict[str, "str | list[str]"]


@pytest.fixture
def settings(sink: Sink) -> Settings:  # noqa: F811
    """Mail goes to the sink; sign-in and link rate limits out of a short test's way."""
    return dataclasses.replace(
        get_settings(),
        login_rate_per_minute=100_000,
        login_account_rate_per_minute=100_000,
        login_tenant_rate_per_minute=100_000,
        link_rate_per_minute=100_000,
        link_tenant_rate_per_minute=100_000,
    )


# --- the applicant ---------------------------------------------------------------------------


async def apply(
    site: Site, a: Association, member: Member, role: str, first: Answers, rest: Answers
) -> Page:
    """Sign in, open the form from Apply, answer `first`, save a draft, leave, come back to
    it (the answers are there), answer `rest` and submit. The page shows the confirmation."""
    page = await sign_in(site, a, member)
    await page.goto(site.t(a, "/apply"))
    await page.get_by_role("link", name=f"Apply to be a {role}").click()
    await page.wait_for_url(re.compile(rf"/apply/[0-9a-f-]{{36}}/{role}$"))
    await answer_all(page, first)
    await press(page, "Save draft")
    assert "Draft saved" in await text(page)
    await page.goto(site.t(a, "/apply"))  # away, and back through Apply
    assert "Your application: Draft — not sent yet." in await text(page)
    await page.get_by_role("link", name=re.compile("^Continue your application")).click()
    await page.wait_for_url(re.compile(rf"/apply/[0-9a-f-]{{36}}/{role}$"))
    await _kept(page, first)
    await answer_all(page, rest)
    await press(page, "Submit application")
    assert page.url.endswith("/submitted"), page.url
    assert "Application sent" in await text(page)
    return page


async def _is_choice(page: Page, label: str) -> bool:
    return await page.get_by_role("group", name=re.compile(rf"^{re.escape(label)}")).count() == 1


async def _kept(page: Page, answers: Answers) -> None:
    """Each saved answer is on the form again: typed words in their box, choices ticked."""
    for label, value in answers.items():
        name = re.compile(rf"^{re.escape(label)}( \(required\))?$")
        if await _is_choice(page, label):
            group = page.get_by_role("group", name=name)
            for v in [value] if isinstance(value, str) else value:
                assert await group.get_by_label(v, exact=True).is_checked(), (label, v)
        else:
            control = page.get_by_label(name)
            if await control.evaluate("e => e.tagName") == "SELECT":
                chosen = await control.evaluate("e => e.selectedOptions[0].textContent")
                assert chosen.strip() == value, (label, chosen)
            else:
                # (a place comes back as the shipped data set names it: "Edmonton, AB")
                assert (await control.input_value()).startswith(str(value)), label


async def reads(page: Page, site: Site, a: Association, *expected: str) -> str:
    """The applicant opens their application from My applications: it says `expected`."""
    words = await open_own_application(page, site, a)
    for e in expected:
        assert e in words, f"{e!r} not in: {words}"
    return words


# --- the coordinator -------------------------------------------------------------------------


async def accept(page: Page, name: str) -> None:
    await press(page, f"Accept {name}")
    assert "Accepted" in await text(page)


async def shortlist(page: Page, name: str) -> None:
    await press(page, f"Shortlist {name}")
    assert "Shortlisted." in await text(page)


async def interview(page: Page) -> None:
    """Schedule the phone interview for tomorrow at 10:00, then record it as held two
    minutes ago (the times are the tenant's), with notes for coordinators only."""
    zone = ZoneInfo(re.search(r"Times are (\S+) time", await text(page)).group(1))  # type: ignore[union-attr]
    tomorrow = datetime.now(zone).date() + timedelta(days=1)
    await page.get_by_label("Date", exact=True).fill(tomorrow.isoformat())
    await page.get_by_label("Time", exact=True).fill("10:00")
    assert await page.get_by_label("By phone").is_checked()  # the scheme's own format
    await press(page, "Schedule the interview")
    assert "Interview scheduled" in await text(page)
    held = datetime.now(UTC).astimezone(zone) - timedelta(minutes=2)
    await page.get_by_label("Date held").fill(held.date().isoformat())
    await page.get_by_label("Time held").fill(held.strftime("%H:%M"))
    await page.get_by_label("Notes").fill("Clear goals; would suit a mentor in collections.")
    await press(page, "Record the interview")
    words = await text(page)
    assert "Interviewed" in words and "would suit a mentor in collections" in words


async def record_training(
    page: Page, site: Site, a: Association, member: Member, kind: str
) -> None:
    """The coordinator records a completed training on the training records page."""
    await page.goto(site.t(a, "/coordinator/training"))
    await page.get_by_label("Member's e-mail address").fill(member.email)
    await page.get_by_role("group", name="Training").get_by_label(kind).check()
    await page.get_by_label("Date completed").fill(date.today().isoformat())
    await press(page, "Record training")
    assert f"Recorded: {member.email} completed the" in await text(page)


# --- the journeys ----------------------------------------------------------------------------


async def test_arts_marketing_training_then_acceptance(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
) -> None:
    """Members only; the joint training comes first: the application waits for the
    coordinator's record of it, then the coordinator accepts."""
    a = await association(live_db, "arts-marketing")
    ama = await applicant(live_db, a, "Amara Okafor")
    async with site_for(live_db, settings, browser, monkeypatch, [a]) as site:
        first: Answers = {
            "How many years have you worked in the arts, culture and heritage sector?": "4",
            "Your postcode": "LS1 4AP",
            "Which areas do you want to develop?": ["Digital marketing", "Data and insight"],
        }
        rest: Answers = {
            "Your current job title and organisation": "Marketing officer, Leeds Playhouse",
            "What would you like to get out of mentoring?": "Confidence in planning campaigns.",
            "Can you travel to meet your mentor face to face?": "Yes",
            "I have attended the AMA's joint mentoring training day": "Yes, I agree",
        }
        page = await apply(site, a, ama, "mentee", first, rest)
        await reads(
            page,
            site,
            a,
            "Submitted — waiting for approval",
            "Waiting for: a record that you completed the scheme's training.",
        )
        staff = await sign_in(site, a, a.coordinator)
        words = await open_in_queue(staff, site, a, "Amara Okafor")
        assert "Waiting for:" in words and "Accept Amara Okafor" not in words
        await record_training(staff, site, a, ama, "Joint training (mentors and mentees together)")
        await open_in_queue(staff, site, a, "Amara Okafor")
        await accept(staff, "Amara Okafor")
        await reads(page, site, a, "Accepted — you have a place")
    assert (await applications(live_db, a)) == 1


async def test_museums_association_shortlist_interview_acceptance(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
) -> None:
    """Open to all who work in museums; who cannot apply is said before the form; the
    mentee is shortlisted, phone-interviewed (notes for coordinators only), then accepted."""
    a = await association(live_db, "museums-association")
    mia = await applicant(live_db, a, "Mia Volunteer", status=None)
    async with site_for(live_db, settings, browser, monkeypatch, [a]) as site:
        first: Answers = {
            "How do you work in museums?": "Volunteer",
            "Are you currently a student?": "No",
            "Are you already in a mentoring relationship (as a mentor or a mentee)?": "No",
            "Which region or nation do you work in?": "North West",
        }
        rest: Answers = {
            "Which areas do you want to develop?": [
                "Confidence",
                "Applying for jobs (CV, applications, interviews)",
            ],
            "Where are you in your career?": "Early career (up to 5 years)",
            "What would you like to get out of mentoring?": "A first paid role in collections.",
            "A phone number for the interview": "0161 496 0000",
        }
        page = await apply(site, a, mia, "mentee", first, rest)
        await reads(page, site, a, "Eligible — under consideration")
        staff = await sign_in(site, a, a.coordinator)
        words = await open_in_queue(staff, site, a, "Mia Volunteer")
        assert "Accept Mia Volunteer" not in words  # shortlisted and interviewed first
        await shortlist(staff, "Mia Volunteer")
        await interview(staff)
        await reads(page, site, a, "Interviewed — waiting for the decision")
        await staff.reload()
        await accept(staff, "Mia Volunteer")
        words = await reads(page, site, a, "Accepted — you have a place")
        assert "would suit a mentor in collections" not in words  # the notes stay with staff
        assert await mail_kinds(live_db, a, inbox, mia.email) == [
            "application_received",
            "application_shortlisted",
            "application_interview_scheduled",
            "application_accepted",
        ]
    assert (await applications(live_db, a)) == 1


async def test_advice_skills_academy_line_manager_approves_from_the_mailed_link(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
) -> None:
    """Staff of partner organisations (the tenant admin adds the partner on its page); the
    line manager signs through the link in the mail the sink caught, with no account; a
    mentor also needs the one-day mentor training, recorded by the coordinator; then the
    coordinator accepts."""
    a = await association(live_db, "advice-skills-academy")
    ravi = await applicant(live_db, a, "Ravi Adviser", "mentor", status=None)
    boss = "line.manager@leeds-advice.example.org"
    async with site_for(live_db, settings, browser, monkeypatch, [a]) as site:
        admin = await sign_in(site, a, a.admin)
        await admin.goto(site.t(a, "/admin/partner-organisations"))
        await admin.get_by_label("Organisation name").fill("Leeds Advice Centre")
        await press(admin, "Add organisation")
        assert "Leeds Advice Centre" in await text(admin)
        first: Answers = {
            "Your organisation": "Leeds Advice Centre",
            "Are you a member of staff or a volunteer?": "Staff",
            "Your job role": "Senior debt adviser",
        }
        rest: Answers = {
            "Which job roles or areas of work could you help a mentee understand?": [
                "Debt advice",
                "Welfare benefits",
            ],
            "The technical, management or life experience you would share": "Twelve years of debt casework.",
            "I commit to one day's mentor training, further self-development as required, at "
            "least two hours every month or six weeks for 3 to 6 months with my mentee, and "
            "completing the reflective learning log and the pilot review": "Yes, I agree",
            "I will follow the Global Code of Ethics for Coaches, Mentors and Supervisors and "
            "my organisation's policies on confidentiality, safeguarding and data "
            "protection": "Yes, I agree",
            "Your line manager's e-mail address": boss,
        }
        page = await apply(site, a, ravi, "mentor", first, rest)
        assert boss in await text(page)  # the confirmation says who was asked
        await reads(page, site, a, "Waiting for: your line manager's approval")

        link = await mail_link(live_db, a, inbox, boss, "/approvals/")
        assert link.startswith(site.t(a, "/approvals/"))
        manager = await (await browser.new_context()).new_page()  # no account, no sign-in
        await manager.goto(link)
        words = await text(manager)
        assert "Ravi Adviser" in words and "Leeds Advice Centre" in words
        await manager.get_by_role("group", name="Your decision").get_by_label("Approve").check()
        await manager.get_by_label("Comment (optional)").fill("Ravi has my full support.")
        await press(manager, "Send decision")
        assert "Thank you — your decision is recorded" in await text(manager)

        words = await reads(page, site, a, "Waiting for: a record that you completed")
        assert "Waiting for: your line manager's approval" not in words  # signed
        staff = await sign_in(site, a, a.coordinator)
        words = await open_in_queue(staff, site, a, "Ravi Adviser")
        assert f"Approved ({boss})" in words and "Accept Ravi Adviser" not in words
        await record_training(staff, site, a, ravi, "Mentor training")
        await open_in_queue(staff, site, a, "Ravi Adviser")
        await accept(staff, "Ravi Adviser")
        await reads(page, site, a, "Accepted — you have a place")
        assert await mail_kinds(live_db, a, inbox, ravi.email) == [
            "application_received",
            "application_eligible",
            "application_accepted",
        ]
        assert len(inbox.to(boss)) == 1  # asked once
    assert (await applications(live_db, a)) == 1


async def test_ahep_member_mentor_declares_capacity_and_is_accepted(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
) -> None:
    """Members only (the sign-in's membership claim): a mentor declares capacity and the
    areas they support, is eligible at once, and the coordinator accepts."""
    a = await association(live_db, "ahep")
    hana = await applicant(live_db, a, "Hana Careers", "mentor")
    async with site_for(live_db, settings, browser, monkeypatch, [a]) as site:
        first: Answers = {
            "Your job title": "Head of Careers",
            "Your biography": "Fifteen years in higher education careers services.",
            "How many mentees can you take on at a time?": "2",
        }
        rest: Answers = {
            "Which areas could you support a mentee with?": [
                "New professionals",
                "Moving into management",
            ],
            "Your experience of developing others": "I line-manage and coach six advisers.",
            "I will keep my AHEP membership for the whole of each mentoring relationship": (
                "Yes, I agree"
            ),
        }
        page = await apply(site, a, hana, "mentor", first, rest)
        await reads(page, site, a, "Eligible — under consideration")
        staff = await sign_in(site, a, a.coordinator)
        words = await open_in_queue(staff, site, a, "Hana Careers")
        assert "How many mentees can you take on at a time? 2" in words
        await accept(staff, "Hana Careers")
        await reads(page, site, a, "Accepted — you have a place")
    assert (await applications(live_db, a)) == 1


ALBERTA_MENTEE: tuple[Answers, Answers] = (
    {"Your career stage": "Emerging professional", "Where are you based?": "Edmonton"},
    {
        "Your museum or organisation, and your position": "Collections assistant, Royal Alberta Museum",
        "Your goals for the mentorship year": "Learn to plan a travelling exhibition.",
        "I will meet my Mentor at least once a month from October to August, and with my "
        "Mentor submit a Mentorship Plan and Quarterly Updates, and complete the mid-program "
        "and final surveys": "Yes, I agree",
        "I will keep what is shared in meetings confidential and act honestly and in good "
        "faith; I understand a breach of these expectations removes me from the Program": (
            "Yes, I agree"
        ),
    },
)


async def test_alberta_board_ratification_then_acceptance(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
) -> None:
    """Individual Members, ratified by the Board: the application waits until the tenant
    admin records the ratification on its page; then the coordinator accepts."""
    a = await association(live_db, "alberta-museums")
    ella = await applicant(live_db, a, "Ella Emerging")
    async with site_for(live_db, settings, browser, monkeypatch, [a]) as site:
        page = await apply(site, a, ella, "mentee", *ALBERTA_MENTEE)
        await reads(page, site, a, "Waiting for: the Board's ratification of your membership.")
        admin = await sign_in(site, a, a.admin)
        await admin.goto(site.t(a, "/admin/ratifications"))
        await (
            admin.get_by_role("group", name="Members waiting for the Board")
            .get_by_label(re.compile("^Ella Emerging"))
            .check()
        )
        await admin.get_by_label("Date of ratification").fill(date.today().isoformat())
        await admin.get_by_label("Note (optional)").fill("Board meeting, minute 7")
        await press(admin, "Record ratification")
        assert "Recorded: the Board ratified 1 member" in await text(admin)
        await reads(page, site, a, "Eligible — under consideration")
        staff = await sign_in(site, a, a.coordinator)
        await open_in_queue(staff, site, a, "Ella Emerging")
        await accept(staff, "Ella Emerging")
        await reads(page, site, a, "Accepted — you have a place")
    assert (await applications(live_db, a)) == 1


# --- the refusals ----------------------------------------------------------------------------


async def test_museums_association_student_is_told_before_and_after(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
) -> None:
    """Apply says students cannot apply before the form; a student who applies anyway is
    not eligible, with the rule in plain words, and the coordinator can only see why."""
    a = await association(live_db, "museums-association")
    sam = await applicant(live_db, a, "Sam Student")
    async with site_for(live_db, settings, browser, monkeypatch, [a]) as site:
        page = await sign_in(site, a, sam)
        await page.goto(site.t(a, "/apply"))
        assert "Students and people already in a mentoring relationship cannot apply." in (
            await text(page)
        )
        await page.get_by_role("link", name="Apply to be a mentee").click()
        await page.wait_for_url(re.compile(r"/apply/[0-9a-f-]{36}/mentee$"))
        await answer_all(
            page,
            {
                "How do you work in museums?": "Volunteer",
                "Are you currently a student?": "Yes",
                "Are you already in a mentoring relationship (as a mentor or a mentee)?": "No",
                "Which region or nation do you work in?": "London",
                "Which areas do you want to develop?": ["Confidence"],
                "Where are you in your career?": "Early career (up to 5 years)",
                "What would you like to get out of mentoring?": "A way into museums.",
                "A phone number for the interview": "020 7946 0000",
            },
        )
        await press(page, "Submit application")
        rule = "This scheme is not open to students, and you told us you are a student."
        words = await text(page)
        assert "It cannot go ahead" in words and rule in words
        await reads(page, site, a, "Not eligible", "Why it cannot go ahead", rule)
        staff = await sign_in(site, a, a.coordinator)
        words = await open_in_queue(staff, site, a, "Sam Student")
        assert f"Not eligible: {rule}" in words
        for button in ("Shortlist Sam Student", "Accept Sam Student"):
            assert await staff.get_by_role("button", name=button).count() == 0
    assert (await applications(live_db, a)) == 1


async def test_alberta_member_not_ratified_cannot_be_accepted(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
) -> None:
    """Before the Board's ratification the applicant reads that they wait for it; the
    coordinator's page offers no Accept, and accepting from the queue (tick, Accept into
    the cohort, confirm) is refused with nothing changed."""
    a = await association(live_db, "alberta-museums")
    noor = await applicant(live_db, a, "Noor Notyet")
    async with site_for(live_db, settings, browser, monkeypatch, [a]) as site:
        page = await apply(site, a, noor, "mentee", *ALBERTA_MENTEE)
        await reads(
            page,
            site,
            a,
            "Submitted — waiting for approval",
            "Waiting for: the Board's ratification of your membership.",
            "The Board ratifies members at its meetings; you need do nothing.",
        )
        staff = await sign_in(site, a, a.coordinator)
        words = await open_in_queue(staff, site, a, "Noor Notyet")
        assert "Waiting for: The Board's ratification of your membership." in words
        assert await staff.get_by_role("button", name="Accept Noor Notyet").count() == 0
        await staff.goto(site.t(a, "/coordinator/applications"))
        await staff.get_by_label("Select Noor Notyet").check()
        await staff.get_by_label("Action").select_option(label="Accept into the cohort")
        await press(staff, "Continue")
        await press(staff, "Yes, accept into the cohort: 1 application")
        words = await text(staff)
        assert "Nothing was changed" in words
        assert "An application that is awaiting approval cannot be accepted." in words
        await reads(page, site, a, "Submitted — waiting for approval")
    assert (await applications(live_db, a)) == 1


async def test_a_form_sent_after_the_window_closed_writes_nothing(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
) -> None:
    """The applicant has the form open; the coordinator closes the mentees' window on the
    cohort's page; the applicant presses Submit: told when it closed, nothing saved, what
    they wrote shown back to copy. Apply no longer offers the form, nor does its address."""
    a = await association(live_db, "arts-marketing")
    lou = await applicant(live_db, a, "Lou Late")
    async with site_for(live_db, settings, browser, monkeypatch, [a]) as site:
        page = await sign_in(site, a, lou)
        await page.goto(site.t(a, "/apply"))
        await page.get_by_role("link", name="Apply to be a mentee").click()
        await page.wait_for_url(re.compile(r"/apply/[0-9a-f-]{36}/mentee$"))
        form = page.url
        await answer_all(
            page,
            {
                "How many years have you worked in the arts, culture and heritage sector?": "2",
                "Your postcode": "M1 1AE",
                "Which areas do you want to develop?": ["Audience development"],
                "Your current job title and organisation": "Box office, Royal Exchange",
                "What would you like to get out of mentoring?": "Move into marketing.",
                "Can you travel to meet your mentor face to face?": "No",
                "I have attended the AMA's joint mentoring training day": "Yes, I agree",
            },
        )

        staff = await sign_in(site, a, a.coordinator)
        await staff.goto(site.t(a, "/coordinator/cohorts"))
        await staff.get_by_role("link", name=a.cohort.name).first.click()
        await staff.wait_for_load_state()
        await staff.get_by_role("link", name="Close the mentees' window now").click()
        await staff.wait_for_load_state()
        await staff.get_by_label("Yes, close it now").check()
        await press(staff, "Close the window")
        assert "Closed early" in await text(staff)

        await press(page, "Submit application")
        words = await text(page)
        assert "Applications from mentees closed on" in words
        assert "Your answers were not saved." in words
        assert "Move into marketing." in words  # what they wrote, to copy
        await page.goto(site.t(a, "/apply"))
        words = await text(page)
        assert "Applications from mentees closed on" in words
        assert await page.get_by_role("link", name="Apply to be a mentee").count() == 0
        await page.goto(form)
        assert "Applications are not open" in await text(page)
        assert await page.get_by_role("button", name="Submit application").count() == 0
    assert (await applications(live_db, a)) == 0
