"""'My mentoring' through the real app over HTTP: after an Alberta run is published, both
people see their pair (the other's name, match date, how it was made, state, official end);
contact details only where the scheme shares them (AHEP, not Alberta); an unmatched
applicant, and a member of another association, see no one's pair; signing in is needed."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.matching import services
from mentorhub.pairs.services import NewPair, create_pairs
from mentorhub.settings import Settings
from tests.applications.conftest import make_world
from tests.applications.test_coordinator_pages import sign_in_as, url
from tests.checkpoints.member_helpers import add_item, member_world
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.helpers import accepted, member_of
from tests.pairs.test_home import statements, words
from tests.support import serving

BASE = "https://localhost"


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page.text)))


async def test_both_people_see_their_published_pair(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, "alberta-museums")
    senior = await accepted(db, world, "mentor", "Sam Senior", career_stage="Senior professional")
    early = await accepted(db, world, "mentee", "Emma Early", career_stage="Early career")
    stuck = await accepted(db, world, "mentee", "Sid Senior", career_stage="Senior professional")
    run = await services.compute_run(db, world.id, world.coordinator.id, world.cohort.id)
    await services.publish_run(db, world.id, world.coordinator.id, run.id)

    mentor = await member_of(db, world, senior.member_id)
    await sign_in_as(client, settings, world, mentor)
    page = await client.get(url(world, "/pairs"))
    assert page.status_code == 200
    words = text(page)
    assert "Your mentee: Emma Early" in words
    assert "Matched by the coordinator" in words and "Active" in words
    assert "Officially ends" in words
    assert "mailto:" not in page.text  # Alberta does not share contact details
    assert 'href="/t/' + world.tenant.slug + '/pairs"' in page.text  # in the navigation

    mentee = await member_of(db, world, early.member_id)
    await sign_in_as(client, settings, world, mentee)
    words = text(await client.get(url(world, "/pairs")))
    assert "Your mentor: Sam Senior" in words and "The mentee" in words

    left = await member_of(db, world, stuck.member_id)
    await sign_in_as(client, settings, world, left)
    words = text(await client.get(url(world, "/pairs")))
    assert "You are not in a mentoring pair yet" in words
    assert "Sam Senior" not in words and "Emma Early" not in words

    # The coordinator sees the cohort's pairs on the matching pages.
    await sign_in_as(client, settings, world, world.coordinator)
    words = text(await client.get(url(world, f"/coordinator/matching/{world.cohort.id}/pairs")))
    assert "Sam Senior" in words and "Emma Early" in words

    # Another association's member, signed in there, sees nothing of this one's.
    away = await make_world(db, "alberta-museums")
    theirs = await accepted(db, away, "mentee", "Away Mentee", career_stage="Early career")
    await sign_in_as(client, settings, away, await member_of(db, away, theirs.member_id))
    words = text(await client.get(url(away, "/pairs")))
    assert "You are not in a mentoring pair yet" in words and "Sam Senior" not in words


async def test_contact_details_where_the_scheme_shares_them(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, "ahep")
    tor = await accepted(db, world, "mentor", "Mo Mentor")
    tee = await accepted(db, world, "mentee", "Mia Mentee")
    async with db.tenant(world.id) as session:
        await create_pairs(
            session,
            [
                NewPair(
                    cohort_id=world.cohort.id,
                    mentor_id=tor.member_id,
                    mentee_id=tee.member_id,
                    flow="suggest_and_accept",
                    mentor_application_id=tor.id,
                    mentee_application_id=tee.id,
                )
            ],
            actor_id=None,
        )
    mentor = await member_of(db, world, tor.member_id)
    mentee = await member_of(db, world, tee.member_id)
    await sign_in_as(client, settings, world, mentee)
    page = await client.get(url(world, "/pairs"))
    words = text(page)
    assert "Your mentor: Mo Mentor" in words
    assert f'href="mailto:{mentor.email}"' in page.text
    assert "Chosen by the mentee and accepted by the mentor" in words
    await sign_in_as(client, settings, world, mentor)
    page = await client.get(url(world, "/pairs"))
    assert f'href="mailto:{mentee.email}"' in page.text


async def test_signing_in_is_needed(db: Database, client: httpx.AsyncClient) -> None:
    world = await make_world(db, "alberta-museums")
    answer = await client.get(url(world, "/pairs"))
    assert answer.status_code in (302, 303, 401)
    assert "Your ment" not in answer.text


async def test_each_pair_says_how_many_checkpoints_wait(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    """ "2 checkpoints to do" per pair (open and missed, the member's own and the pair's),
    linking to the pair's checkpoints; one statement reads the items for all the pairs."""
    mw = await member_world(db, "alberta-museums")
    pw = mw.pw
    today = date.today()
    await add_item(db, mw, "quarterly_update", due_on=today - timedelta(days=2))
    await add_item(db, mw, "mid_program_survey", member=pw.mentee, state="missed")
    await add_item(db, mw, "final_survey", member=pw.mentor)  # the mentor's own
    await add_item(db, mw, "quarterly_update", state="upcoming")
    await add_item(db, mw, "final_survey", member=pw.mentee, state="submitted")
    await add_item(db, mw, "final_survey", member=pw.mentee, state="cancelled")
    await add_item(db, mw, "quarterly_update", pair_id=pw.other_pair.id)  # another pair's

    await sign_in_as(client, settings, pw.world, pw.mentee)
    with statements(db) as seen:
        page = await client.get(f"/t/{mw.slug}/pairs")
    assert page.status_code == 200
    assert sum("checkpoint_items" in s for s in seen) == 1
    link = f'<a href="{pw.url("/checkpoints")}">2 checkpoints to do'
    assert link in text(page)
    assert "2 checkpoints to do with Maya Mentor" in words(page)

    await sign_in_as(client, settings, pw.world, pw.mentor)
    page = await client.get(f"/t/{mw.slug}/pairs")
    assert f'<a href="{pw.url("/checkpoints")}">2 checkpoints to do' in text(page)


async def test_a_pair_with_nothing_waiting_says_so(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    mw = await member_world(db, "ahep")
    pw = mw.pw
    await add_item(db, mw, "feedback_survey", member=pw.mentor)  # the mentor's, not hers
    await sign_in_as(client, settings, pw.world, pw.mentee)
    page = await client.get(f"/t/{mw.slug}/pairs")
    assert "Checkpoints Nothing to do now" in words(page)
    assert pw.url("/checkpoints") not in page.text

    await sign_in_as(client, settings, pw.world, pw.mentor)
    page = await client.get(f"/t/{mw.slug}/pairs")
    assert f'<a href="{pw.url("/checkpoints")}">1 checkpoint to do' in text(page)
