"""The pair's goals through the real app over HTTP (Museums Association: "encouraged to set
around 2-4 development goals"): the minimum as guidance, the maximum refused when adding,
editing and status, delete only while not started, moving; a stale form, bad input, the
other pair's people, the coordinator and an ended pair change nothing."""

from __future__ import annotations

import re

from mentorhub.db import Database
from mentorhub.pairs.services import end_pair
from tests.pairs.agreement_helpers import (  # noqa: F401  (fixtures)
    Browser,
    OpenSpace,
    audit_actions,
    client_fixture,
    csrf,
    open_space_fixture,
    settings_fixture,
    snapshot,
    words,
)


def goal_ids(page: str) -> list[str]:
    return re.findall(r'<li class="card goal" id="goal-([0-9a-f-]+)"', page)


def lock_of(page: str, goal_id: str) -> str:
    start = page.index(f'id="goal-{goal_id}"')
    found = re.search(r'name="lock_version" value="(\d+)"', page[start:])
    assert found
    return found.group(1)


async def add(b: Browser, title: str, detail: str = "") -> int:
    return (await b.post("/goals", {"title": title, "detail": detail})).status_code


async def test_goals_within_the_schemes_bounds(db: Database, open_space: OpenSpace) -> None:
    pw, b = await open_space("museums-association")
    await b.as_(pw.mentee)
    page = await b.get("/goals")
    assert page.status_code == 200
    text = words(page)
    assert "suggests 2 to 4 goals" in text and "Set at least 2: you have 0" in text
    assert await add(b, "Lead a project", "From start to finish") == 303
    text = words(await b.get("/goals"))
    assert "Goal added: Lead a project" in text and "Set at least 2: you have 1" in text
    await b.as_(pw.mentor)  # both people add and read the same goals
    for title in ("Build a network", "Speak at a conference", "Write a funding bid"):
        assert await add(b, title) == 303
    page = await b.get("/goals")
    text = words(page)
    assert "You have 4" in text and "the most" in text and "Add the goal" not in text
    before = await snapshot(db, pw)
    fifth = await b.post("/goals", {"title": "One too many"})
    assert fifth.status_code == 409
    assert "the scheme sets at most 4" in words(fifth) and "Nothing was changed" in words(fifth)
    assert await snapshot(db, pw) == before

    # Dropping one makes room for another; taking it up again is then refused.
    ids = goal_ids(page.text)
    first = ids[0]
    dropped = await b.post(
        f"/goals/{first}",
        {
            "action": "save",
            "lock_version": lock_of(page.text, first),
            "title": "Lead a project",
            "detail": "From start to finish",
            "status": "dropped",
        },
    )
    assert dropped.status_code == 303
    assert await add(b, "Mentor someone else") == 303
    page = await b.get("/goals")
    text = words(page)
    assert "Dropped" in text and "dropped goals do not count" in text
    back = await b.post(
        f"/goals/{first}",
        {
            "action": "save",
            "lock_version": lock_of(page.text, first),
            "title": "Lead a project",
            "detail": "",
            "status": "in_progress",
        },
    )
    assert back.status_code == 409 and "Drop another" in words(back)
    assert {"goal_added", "goal_changed"} <= set(await audit_actions(db, pw))


async def test_edit_delete_and_move(db: Database, open_space: OpenSpace) -> None:
    pw, b = await open_space("museums-association")
    await b.as_(pw.mentee)
    for title in ("First", "Second", "Third"):
        assert await add(b, title) == 303
    page = await b.get("/goals")
    first, second, third = goal_ids(page.text)
    # Move the third up: First, Third, Second.
    moved = await b.post(
        f"/goals/{third}", {"action": "up", "lock_version": lock_of(page.text, third)}
    )
    assert moved.status_code == 303
    page = await b.get("/goals")
    assert goal_ids(page.text) == [first, third, second]
    # Edit: title, detail, status.
    saved = await b.post(
        f"/goals/{second}",
        {
            "action": "save",
            "lock_version": lock_of(page.text, second),
            "title": "Second, sharper",
            "detail": "By June",
            "status": "in_progress",
        },
    )
    assert saved.status_code == 303
    page = await b.get("/goals")
    text = words(page)
    assert "Goal saved: Second, sharper" in text and "By June" in text and "In progress" in text
    # A goal in progress cannot be deleted (drop it instead); one not started can.
    before = await snapshot(db, pw)
    refused = await b.post(
        f"/goals/{second}", {"action": "delete", "lock_version": lock_of(page.text, second)}
    )
    assert refused.status_code == 409 and "Set this one to “Dropped”" in words(refused)
    assert await snapshot(db, pw) == before
    gone = await b.post(
        f"/goals/{first}", {"action": "delete", "lock_version": lock_of(page.text, first)}
    )
    assert gone.status_code == 303
    assert goal_ids((await b.get("/goals")).text) == [third, second]
    assert "goal_deleted" in await audit_actions(db, pw)


async def test_stale_and_bad_forms_change_nothing(db: Database, open_space: OpenSpace) -> None:
    pw, b = await open_space("museums-association")
    await b.as_(pw.mentor)
    assert await add(b, "First") == 303
    page = await b.get("/goals")
    (goal,) = goal_ids(page.text)
    old_lock = lock_of(page.text, goal)
    ok = await b.post(
        f"/goals/{goal}",
        {"action": "save", "lock_version": old_lock, "title": "First!", "status": "in_progress"},
    )
    assert ok.status_code == 303
    before = await snapshot(db, pw)
    stale = await b.post(
        f"/goals/{goal}",
        {"action": "save", "lock_version": old_lock, "title": "Overwritten", "status": "achieved"},
    )
    assert stale.status_code == 409 and "changed since the page was shown" in words(stale)
    assert (
        await b.post(f"/goals/{goal}", {"action": "up", "lock_version": old_lock})
    ).status_code == 409
    # Bad input: an empty title, an unknown status, an unknown action, a control character.
    lock = lock_of((await b.get("/goals")).text, goal)
    bad = await b.post(
        f"/goals/{goal}", {"action": "save", "lock_version": lock, "title": "", "status": "done"}
    )
    assert bad.status_code == 400 and f'href="#goal-{goal}-status"' in bad.text
    untitled = await b.post(
        f"/goals/{goal}",
        {"action": "save", "lock_version": lock, "title": " ", "status": "achieved"},
    )
    assert untitled.status_code == 400 and f'href="#goal-{goal}-title"' in untitled.text
    assert f'id="goal-{goal}-title"' in untitled.text and 'aria-invalid="true"' in untitled.text
    assert "The goals were not changed" in words(bad)
    assert (
        await b.post(f"/goals/{goal}", {"action": "fly", "lock_version": lock})
    ).status_code == 400
    assert (await b.post("/goals", {"title": "Tab\x00bed"})).status_code == 400
    empty = await b.post("/goals", {"title": "  ", "detail": "x" * 5001})
    assert empty.status_code == 400
    assert 'href="#title"' in empty.text and 'href="#detail"' in empty.text
    assert (
        await b.post(f"/goals/{pw.pair.id}", {"action": "up", "lock_version": "1"})
    ).status_code == 404
    assert await snapshot(db, pw) == before


async def test_others_coordinator_and_ended_pair(db: Database, open_space: OpenSpace) -> None:
    pw, b = await open_space("museums-association")
    await b.as_(pw.mentor)
    assert await add(b, "Private goal") == 303
    (goal,) = goal_ids((await b.get("/goals")).text)
    before = await snapshot(db, pw)
    for who in (pw.other_mentor, pw.other_mentee, pw.world.coordinator):
        await b.as_(who)
        page = await b.get("/goals")
        assert page.status_code == 404 and "Private goal" not in page.text
        assert (await b.post("/goals", {"title": "Sneaky"})).status_code == 404
        took = await b.post(f"/goals/{goal}", {"action": "delete", "lock_version": "1"})
        assert took.status_code == 404
    assert await snapshot(db, pw) == before
    # The other pair's member cannot reach this goal through their own pair either.
    other = Browser(b.client, b.settings, pw)
    await other.as_(pw.other_mentor)
    theirs = await b.client.post(
        f"/t/{pw.world.tenant.slug}/pairs/{pw.other_pair.id}/goals/{goal}",
        data={
            "_csrf_token": csrf((await b.client.get(f"/t/{pw.world.tenant.slug}/pairs")).text),
            "action": "delete",
            "lock_version": "1",
        },
    )
    assert theirs.status_code == 404
    assert await snapshot(db, pw) == before

    await end_pair(db, pw.id, pw.world.coordinator.id, pw.pair.id, kind="completed")
    before = await snapshot(db, pw)
    await b.as_(pw.mentee)
    page = await b.get("/goals")
    assert page.status_code == 200 and "Private goal" in page.text and "read-only" in words(page)
    assert "<form" not in page.text.split('class="space-nav"')[1]
    late = await b.post("/goals", {"title": "Late"})
    assert late.status_code == 409 and "read-only" in words(late)
    assert (
        await b.post(f"/goals/{goal}", {"action": "delete", "lock_version": "1"})
    ).status_code == 409
    assert await snapshot(db, pw) == before
