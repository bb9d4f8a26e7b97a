"""Alberta's Mentorship Plan through the real app over HTTP: the sample plan's months until
the first save, the first and last meeting dates (needed to submit: "set dates for their
first and last mentorship meetings ... at the beginning"), submitting to the coordinator
(plan_submitted), changes after the submission recorded and shown to both sides,
resubmitting; the coordinator reads it only once submitted; a stale form, bad dates, the
other pair, a scheme without a plan and an ended pair change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mentorhub.db import Database
from mentorhub.pairs.services import end_pair
from tests.pairs.agreement_helpers import (  # noqa: F401  (fixtures)
    OpenSpace,
    audit_actions,
    client_fixture,
    hidden,
    messages_to,
    open_space_fixture,
    settings_fixture,
    snapshot,
    words,
)
from tests.pairs.space_helpers import PairWorld

MONTHS = (10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8)


def form(lock: str, first: str = "", last: str = "", **texts: str) -> dict[str, Any]:
    return {
        "lock_version": lock,
        "first_meeting_on": first,
        "last_meeting_on": last,
        **{f"month_{m}": texts.get(f"m{m}", "") for m in MONTHS},
    }


def days(pw: PairWorld, n: int) -> str:
    return (pw.pair.matched_on + timedelta(days=n)).isoformat()


async def test_write_submit_change_and_resubmit(db: Database, open_space: OpenSpace) -> None:
    pw, b = await open_space("alberta-museums")
    coordinator = pw.world.coordinator
    await b.as_(coordinator)
    assert (await b.get("/plan")).status_code == 404  # nothing submitted yet

    await b.as_(pw.mentee)
    page = await b.get("/plan")
    assert page.status_code == 200
    text = words(page)
    assert "October: set up your Mentorship Plan" in text and "August: looking back" in text
    assert "Mentees, interview your Mentor" in text and "Save your plan first" in text
    nothing = await b.post("/plan/submit", {"lock_version": "0"})
    assert nothing.status_code == 409 and "Write your plan first" in words(nothing)

    saved = await b.post("/plan", form("0", m10="Meet at the museum; goals", m11="Career talk"))
    assert saved.status_code == 303
    lock = hidden((await b.get("/plan")).text, "lock_version")
    before = await snapshot(db, pw)
    undated = await b.post("/plan/submit", {"lock_version": lock})
    assert undated.status_code == 400
    assert 'href="#first_meeting_on"' in undated.text and "Set the dates" in words(undated)
    assert await snapshot(db, pw) == before

    dated = await b.post(
        "/plan",
        form(lock, days(pw, 7), days(pw, 300), m10="Meet at the museum; goals", m11="Career talk"),
    )
    assert dated.status_code == 303
    lock = hidden((await b.get("/plan")).text, "lock_version")
    assert (await b.post("/plan/submit", {"lock_version": lock})).status_code == 303
    page = await b.get("/plan")
    assert "Plan submitted" in words(page) and "Submit the plan" not in words(page)
    told = await messages_to(db, pw, coordinator.id, "plan_submitted")
    assert len(told) == 1
    assert told[0].context["mentee_name"] == "Theo Mentee"
    assert told[0].context["link"].endswith(f"/pairs/{pw.pair.id}/plan")
    again = await b.post("/plan/submit", {"lock_version": hidden(page.text, "lock_version")})
    assert again.status_code == 409 and "already submitted" in words(again)

    # The coordinator now reads it, without forms.
    await b.as_(coordinator)
    page = await b.get("/plan")
    assert page.status_code == 200
    text = words(page)
    assert "Meet at the museum; goals" in text and "Career talk" in text
    assert "<textarea" not in page.text and "/plan/submit" not in page.text
    assert "Changed since submitted" not in text

    # The mentor changes November after the submission: recorded, shown to both.
    await b.as_(pw.mentor)
    lock = hidden((await b.get("/plan")).text, "lock_version")
    changed = await b.post(
        "/plan",
        form(lock, days(pw, 7), days(pw, 300), m10="Meet at the museum; goals", m11="Two talks"),
    )
    assert changed.status_code == 303
    text = words(await b.get("/plan"))
    assert "Changed since you submitted it" in text
    assert "November — changed" in text and "by Maya Mentor" in text
    await b.as_(coordinator)
    page = await b.get("/plan")
    text = words(page)
    assert "Two talks" in text and "Changed since they submitted it" in text
    assert "November: the Mentor's career Changed since submitted" in text
    assert "October: set up your Mentorship Plan Changed since submitted" not in text

    # Resubmitted: the coordinator is told again; the change stays on record.
    await b.as_(pw.mentee)
    lock = hidden((await b.get("/plan")).text, "lock_version")
    assert (await b.post("/plan/submit", {"lock_version": lock})).status_code == 303
    assert len(await messages_to(db, pw, coordinator.id, "plan_submitted")) == 2
    text = words(await b.get("/plan"))
    assert "Changed since you submitted it" not in text and "November — changed" in text
    actions = await audit_actions(db, pw)
    assert actions.count("plan_submitted") == 2 and actions.count("plan_changed") == 3


async def test_bad_dates_and_stale_forms_change_nothing(
    db: Database, open_space: OpenSpace
) -> None:
    pw, b = await open_space("alberta-museums")
    await b.as_(pw.mentor)
    assert (await b.post("/plan", form("0", m10="Hello"))).status_code == 303
    lock = hidden((await b.get("/plan")).text, "lock_version")
    before = await snapshot(db, pw)
    backwards = await b.post("/plan", form(lock, days(pw, 30), days(pw, 10), m10="Hello"))
    assert backwards.status_code == 400
    assert 'href="#last_meeting_on"' in backwards.text
    assert "Last meeting must be on or after the first" in words(backwards)
    garbled = await b.post("/plan", form(lock, "31/12/2027", "", m10="Hello"))
    assert garbled.status_code == 400 and "must be a date like" in words(garbled)
    early = await b.post("/plan", form(lock, days(pw, -1), "", m10="Hello"))
    assert early.status_code == 400 and "on or after the day you were matched" in words(early)
    control = await b.post("/plan", form(lock, "", "", m10="Bad\x00text"))
    assert control.status_code == 400 and 'href="#month_10"' in control.text
    stale = await b.post("/plan", form("0", m10="Overwrite"))
    assert stale.status_code == 409 and "changed since the page was shown" in words(stale)
    assert (await b.post("/plan/submit", {"lock_version": "0"})).status_code == 409
    assert (await b.post("/plan/submit", {"lock_version": "x"})).status_code == 400
    assert await snapshot(db, pw) == before


async def test_who_may_open_the_plan(db: Database, open_space: OpenSpace) -> None:
    pw, b = await open_space("alberta-museums")
    await b.as_(pw.mentee)
    assert (
        await b.post("/plan", form("0", days(pw, 1), days(pw, 2), m10="Ours"))
    ).status_code == 303
    lock = hidden((await b.get("/plan")).text, "lock_version")
    assert (await b.post("/plan/submit", {"lock_version": lock})).status_code == 303
    before = await snapshot(db, pw)
    for who in (pw.other_mentor, pw.other_mentee, pw.world.admin):
        await b.as_(who)
        page = await b.get("/plan")
        assert page.status_code == 404 and "Ours" not in page.text
        assert (await b.post("/plan", form("2", m10="Theirs"))).status_code == 404
        assert (await b.post("/plan/submit", {"lock_version": "2"})).status_code == 404
    await b.as_(pw.world.coordinator)  # reads, never writes
    assert (await b.post("/plan", form("2", m10="Staff edit"))).status_code == 404
    assert (await b.post("/plan/submit", {"lock_version": "2"})).status_code == 404
    assert await snapshot(db, pw) == before

    # A scheme without a plan has no plan page.
    other, b2 = await open_space("ahep")
    await b2.as_(other.mentor)
    assert (await b2.get("/plan")).status_code == 404
    assert (await b2.post("/plan", {"lock_version": "0"})).status_code == 404


async def test_after_the_end_the_plan_is_read_only(db: Database, open_space: OpenSpace) -> None:
    pw, b = await open_space("alberta-museums")
    await b.as_(pw.mentee)
    assert (
        await b.post("/plan", form("0", days(pw, 1), days(pw, 2), m10="Ours"))
    ).status_code == 303
    await end_pair(db, pw.id, pw.world.coordinator.id, pw.pair.id, kind="completed")
    before = await snapshot(db, pw)
    page = await b.get("/plan")
    assert page.status_code == 200 and "Ours" in page.text and "read-only" in words(page)
    assert "<textarea" not in page.text and "/plan/submit" not in page.text
    late = await b.post("/plan", form("1", m10="Later"))
    assert late.status_code == 409 and "read-only" in words(late)
    assert (await b.post("/plan/submit", {"lock_version": "1"})).status_code == 409
    assert await snapshot(db, pw) == before
