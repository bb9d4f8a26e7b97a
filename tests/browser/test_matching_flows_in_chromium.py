"""The two matching flows people walk through themselves, in a real headless Chromium, each
person in their own browser context, signed in through the demo identity provider's pages,
the links followed from the mail the SMTP sink caught (issue #14's browser tests):

* AHEP (suggest and accept): the mentee opens Matching, reads their three suggestions with
  why, ranks two and writes why; the first choice declines from the mail's link with a
  reason; the request passes to the second by itself (its mail), who declines too; the mentee
  is told and picks again from a fresh top 3, and that mentor accepts: the pair.
* Arts Marketing (mutual acceptance): the coordinator opens Propose matches, the cohort, the
  mentee's candidates (the far and the junior mentor left out by the hard rules) and proposes
  one; the mentee and the mentor each accept from their mail's link: the pair.

Every page on the way is checked at 375 px and on a desktop: nothing wider than the screen,
axe-core finds no serious or critical violation; screenshots go to MENTORHUB_SCREENSHOTS (or
the test's temporary folder).
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.settings import Settings, get_settings
from tests.browser.journey_helpers import (
    Association,
    association,
    press,
    sign_in,
    site_for,
    text,
)
from tests.browser.test_phone_and_axe import OVERFLOW_JS, PHONE, serious
from tests.messages.conftest import inbox, live_db, sink  # noqa: F401  (fixtures)
from tests.messages.sink import Sink
from tests.messages.test_messages import deliver_all
from tests.pairs.helpers import accepted, member_of

DESKTOP = {"width": 1280, "height": 900}
A, B, C, OTHER = (
    "Moving into management",
    "Career development planning",
    "New professionals",
    "New to the sector",
)
AUD, DIG, DATA = "Audience development", "Digital marketing", "Data and insight"


@pytest.fixture
def settings(sink: Sink) -> Settings:  # noqa: F811
    """Mail goes to the sink; sign-in rate limits out of a short test's way."""
    return dataclasses.replace(
        get_settings(),
        login_rate_per_minute=100_000,
        login_account_rate_per_minute=100_000,
        login_tenant_rate_per_minute=100_000,
    )


class Looker:
    """Checks the page it is shown at 375 px and on a desktop, and keeps a screenshot."""

    def __init__(self, shots: Path) -> None:
        self.shots = shots
        self.problems: list[str] = []
        self.axe = Axe()

    async def __call__(self, page: Page, name: str) -> None:
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            await page.set_viewport_size(size)
            overflow = await page.evaluate(OVERFLOW_JS)
            if overflow["over"] > 0:
                self.problems.append(f"{name} {label}: {overflow['over']}px too wide")
            self.problems += [f"{name} {label}: {v}" for v in serious(await self.axe.run(page))]
            await page.screenshot(path=str(self.shots / f"{name}-{label}.png"), full_page=True)


@pytest.fixture
def look(tmp_path: Path) -> Looker:
    shots = Path(os.environ.get("MENTORHUB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    return Looker(shots)


async def mailed_link(db: Database, a: Association, caught: Sink, to: str, marker: str) -> str:
    """Deliver the tenant's outbox as the worker would; the link containing `marker` in the
    newest mail to `to` that has one."""
    await deliver_all(db, a.tenant)
    for mail in reversed(caught.to(to)):
        body = mail.parsed().get_body(("plain",))
        assert body is not None
        found = [w for w in str(body.get_content()).split() if marker in w]
        if found:
            return found[0]
    raise AssertionError(f"no mail to {to} with a link containing {marker!r}")


def subjects(caught: Sink, to: str) -> list[str]:
    return [str(m.parsed()["Subject"]) for m in caught.to(to)]


async def person(db: Database, a: Association, role: str, name: str, **answers: Any) -> Member:
    app = await accepted(db, a, role, name, **answers)  # type: ignore[arg-type]
    return await member_of(db, a, app.member_id)  # type: ignore[arg-type]


async def ahep_mentor(db: Database, a: Association, name: str, areas: list[str]) -> Member:
    return await person(
        db,
        a,
        "mentor",
        name,
        support_areas=areas,
        capacity=2,
        job_title=f"Head of {name.split()[0]}",
        biography=f"{name} has twenty years in higher education.",
    )


async def test_ahep_pick_decline_passes_on_repick_accept(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
    look: Looker,
) -> None:
    db = live_db
    a = await association(db, "ahep")
    bea = await ahep_mentor(db, a, "Bea Best", [A, B, C])
    tom = await ahep_mentor(db, a, "Tom Two", [A, B])
    ola = await ahep_mentor(db, a, "Ola One", [A, OTHER])
    await ahep_mentor(db, a, "Nils None", [OTHER])
    mina = await person(
        db,
        a,
        "mentee",
        "Mina Mentee",
        support_areas=[A, B, C],
        reasons="I have just become a team leader.",
        job_title="Officer",
    )
    async with site_for(db, settings, browser, monkeypatch, [a]) as site:
        mentee = await sign_in(site, a, mina)
        await mentee.get_by_role("link", name="Matching", exact=True).click()
        await mentee.wait_for_url(re.compile(r"/matching/me$"))
        await look(mentee, "ahep-mentee-home")
        await mentee.get_by_role("link", name="Your suggestions and request").click()
        await mentee.wait_for_url(re.compile(r"/matching/suggestions$"))
        words = await text(mentee)
        for expected in (
            "Bea Best",
            "Tom Two",
            "Ola One",
            "Job title: Head of Bea",
            "Why we suggest",
        ):
            assert expected in words, expected
        assert "Nils None" not in words
        await look(mentee, "ahep-suggestions")

        # Bad input first: no reason — at its field, nothing sent.
        await mentee.get_by_label("First choice").select_option(label="Bea Best")
        await press(mentee, "Send my request")
        assert "Your request was not sent" in await text(mentee)
        await look(mentee, "ahep-suggestions-error")
        await mentee.get_by_label("Second choice (optional)").select_option(label="Tom Two")
        await mentee.get_by_label("Why would you like this mentor?").fill(
            "Bea leads the kind of team I am starting to lead."
        )
        await press(mentee, "Send my request")
        words = await text(mentee)
        assert "Your request is with Bea Best" in words and "first choice" in words
        await look(mentee, "ahep-request-status")

        # Bea declines from her mail's link.
        link = await mailed_link(db, a, inbox, bea.email, "/matching/requests/")
        mentor = await sign_in(site, a, bea)
        await mentor.goto(link)
        assert "Bea leads the kind of team" in await text(mentor)
        await look(mentor, "ahep-request")
        await press(mentor, "Decline Mina Mentee")
        assert "write a few words" in await text(mentor)
        await mentor.get_by_label("Your reason").fill("I am fully booked this term, sorry.")
        await press(mentor, "Decline Mina Mentee")
        assert "You declined Mina Mentee's request" in await text(mentor)
        await look(mentor, "ahep-requests")
        await mentor.context.close()

        # Passed to Tom by itself; Tom declines too.
        link = await mailed_link(db, a, inbox, tom.email, "/matching/requests/")
        second = await sign_in(site, a, tom)
        await second.goto(link)
        await second.get_by_label("Your reason").fill("Not my area this year.")
        await press(second, "Decline Mina Mentee")
        await second.context.close()

        # Mina is told and picks again from a fresh top 3.
        link = await mailed_link(db, a, inbox, mina.email, "/matching/suggestions")
        await mentee.goto(link)
        words = await text(mentee)
        assert "Your request was declined" in words and "Please pick again" in words
        assert "Bea Best" not in words.split("Please pick again")[1]
        await look(mentee, "ahep-pick-again")
        await mentee.get_by_label("First choice").select_option(label="Ola One")
        await mentee.get_by_label("Why would you like this mentor?").fill("Ola manages people.")
        await press(mentee, "Send my request")
        assert "Your request is with Ola One" in await text(mentee)

        link = await mailed_link(db, a, inbox, ola.email, "/matching/requests/")
        third = await sign_in(site, a, ola)
        await third.goto(link)
        await press(third, "Accept Mina Mentee")
        words = await text(third)
        assert "You accepted Mina Mentee's request" in words and "1 of 2 places taken" in words
        await third.context.close()

        await mentee.goto(site.t(a, "/matching/suggestions"))
        assert "You already have a mentor." in await text(mentee)
        await deliver_all(db, a.tenant)
        assert any(
            s.startswith("You are matched with Ola One") for s in subjects(inbox, mina.email)
        )
        await mentee.context.close()
    assert look.problems == [], "\n".join(look.problems)


async def test_arts_marketing_propose_both_accept(
    live_db: Database,  # noqa: F811
    settings: Settings,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Sink,  # noqa: F811
    look: Looker,
) -> None:
    db = live_db
    a = await association(db, "arts-marketing")

    async def ama(role: str, name: str, years: int, postcode: str, areas: list[str]) -> Member:
        return await person(
            db, a, role, name, career_years=years, postcode=postcode, development_areas=areas
        )

    nora = await ama("mentor", "Nora Near", 20, "SE1 7PB", [AUD, DIG])
    await ama("mentor", "Carl Close", 15, "N1 9GU", [AUD])
    await ama("mentor", "Fiona Far", 25, "EH1 1YZ", [AUD, DIG, DATA])
    await ama("mentor", "Jo Junior", 4, "SW1A 1AA", [AUD, DIG, DATA])
    mia = await ama("mentee", "Mia Mentee", 2, "SW1A 1AA", [AUD, DIG])
    async with site_for(db, settings, browser, monkeypatch, [a]) as site:
        coord = await sign_in(site, a, a.coordinator)
        await coord.get_by_role("link", name="Propose matches").click()
        await coord.wait_for_url(re.compile(r"/matching/propose$"))
        await look(coord, "ama-cohorts")
        await coord.get_by_role("link", name=a.cohort.name).click()
        await coord.wait_for_url(re.compile(r"/proposals$"))
        await look(coord, "ama-cohort")
        await coord.get_by_role("link", name="Find a mentor for Mia Mentee").click()
        await coord.wait_for_url(re.compile(r"/mentees/[0-9a-f-]{36}$"))
        words = await text(coord)
        assert "Nora Near" in words and "Carl Close" in words
        assert "Fiona Far" not in words and "Jo Junior" not in words
        assert "five years" in words
        await look(coord, "ama-candidates")
        await coord.get_by_label("Note to both (optional)").first.fill("You both love audiences.")
        await press(coord, "Propose Nora Near")
        assert "Proposed Nora Near for Mia Mentee" in await text(coord)

        for who, name in ((mia, "ama-proposal-mentee"), (nora, "ama-proposal-mentor")):
            link = await mailed_link(db, a, inbox, who.email, "/matching/proposals/")
            page = await sign_in(site, a, who)
            await page.goto(link)
            assert "You both love audiences." in await text(page)
            await look(page, name)
            other = "Nora Near" if who is mia else "Mia Mentee"
            await press(page, f"Accept {other}")
            await look(page, name + "-answered")
            if who is nora:
                assert "your pair has started" in await text(page)
            await page.context.close()

        await coord.goto(site.t(a, f"/matching/cohorts/{a.cohort.id}/proposals"))
        words = await text(coord)
        assert "Paired with Nora Near" in words and "Both accepted — paired" in words
        await look(coord, "ama-cohort-paired")
        await coord.context.close()
        await deliver_all(db, a.tenant)
        assert any("Nora Near" in s for s in subjects(inbox, mia.email))
    assert look.problems == [], "\n".join(look.problems)
