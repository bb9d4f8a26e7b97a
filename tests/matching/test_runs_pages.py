"""The coordinator's matching pages through the real app over HTTP (real PostgreSQL and
Redis, sessions from the session store): a cohort's counts, a run computed, its pairs with
the why and the unmatched with the reason, a pin that breaks a hard rule refused at its
field with nothing stored, a forbid re-run, two runs compared, a conflict of interest,
publishing after confirmation (refused with what changed when an applicant withdrew), the
cohort's pairs; a member refused every page; another association's ids 404 on every
route."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select, update

from mentorhub.app import create_app
from mentorhub.applications.models import Application
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.matching import services
from mentorhub.matching.models import ConflictOfInterest, MatchingRun
from mentorhub.pairs.models import Pair
from mentorhub.settings import Settings
from tests.applications.conftest import World, make_world
from tests.applications.test_coordinator_pages import sign_in_as, url
from tests.identity.conftest import csrf_from, settings  # noqa: F401  (fixture)
from tests.pairs.helpers import accepted, member_of
from tests.support import serving

BASE = "https://localhost"


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page.text)))


async def count(db: Database, world: World, model: object) -> int:
    async with db.tenant(world.id) as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())  # type: ignore[arg-type]


async def alberta(db: Database) -> tuple[World, Application, Application, Application]:
    world = await make_world(db, "alberta-museums")
    senior = await accepted(db, world, "mentor", "Sam Senior", career_stage="Senior professional")
    early = await accepted(db, world, "mentee", "Emma Early", career_stage="Early career")
    stuck = await accepted(db, world, "mentee", "Sid Senior", career_stage="Senior professional")
    return world, senior, early, stuck


async def csrf(client: httpx.AsyncClient, world: World, path: str) -> str:
    page = await client.get(url(world, path))
    assert page.status_code == 200, page.text[:800]
    return csrf_from(page.text)


def run_id_of(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text[:1500]
    found = re.search(r"/coordinator/runs/([0-9a-f-]{36})$", answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


async def test_run_pin_forbid_compare_publish(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world, senior, early, stuck = await alberta(db)
    await sign_in_as(client, settings, world, world.coordinator)
    listing = await client.get(url(world, "/coordinator/matching"))
    assert listing.status_code == 200 and world.cohort.name in text(listing)
    cohort_path = f"/coordinator/matching/{world.cohort.id}"
    page = await client.get(url(world, cohort_path))
    assert page.status_code == 200
    assert re.search(r"Accepted mentees</dt><dd>2<", text(page))
    assert re.search(r"Accepted mentors</dt><dd>1<", text(page))
    token = csrf_from(page.text)

    first = run_id_of(
        await client.post(
            url(world, cohort_path + "/runs"), data={"_csrf_token": token, "note": "First go"}
        )
    )
    run_page = text(await client.get(url(world, f"/coordinator/runs/{first}")))
    assert "Run 1 computed" in run_page
    assert "Emma Early with Sam Senior" in run_page
    assert "Sid Senior" in run_page and "excluded by the career stage rule" in run_page
    assert "Pairs matched</dt><dd>1<" in run_page

    # A pin that breaks a hard rule: refused at its field, nothing stored.
    runs_before, audits_before = (
        await count(db, world, MatchingRun),
        await count(db, world, AuditEntry),
    )
    refused = await client.post(
        url(world, f"/coordinator/runs/{first}/pin"),
        data={"_csrf_token": token, "pin_mentee": str(stuck.id), "pin_mentor": str(senior.id)},
    )
    assert refused.status_code == 400
    words = text(refused)
    assert 'href="#pin_mentee"' in refused.text and "excluded by the career stage rule" in words
    assert 'id="pin_mentee-error"' in refused.text
    unknown = await client.post(
        url(world, f"/coordinator/runs/{first}/pin"),
        data={"_csrf_token": token, "pin_mentee": str(uuid.uuid4()), "pin_mentor": ""},
    )
    assert unknown.status_code == 400
    assert "Choose a mentee from the list" in text(unknown) or "Mentee" in text(unknown)
    assert await count(db, world, MatchingRun) == runs_before
    assert await count(db, world, AuditEntry) == audits_before

    # Forbid the one possible pair: run 2 makes none; run 1 is kept.
    second = run_id_of(
        await client.post(
            url(world, f"/coordinator/runs/{first}/forbid"),
            data={
                "_csrf_token": token,
                "forbid_mentee": str(early.id),
                "forbid_mentor": str(senior.id),
            },
        )
    )
    second_page = text(await client.get(url(world, f"/coordinator/runs/{second}")))
    assert "Pair forbidden: run 2 computed" in second_page
    assert "Pairs matched</dt><dd>0<" in second_page
    assert "Emma Early never with Sam Senior" in second_page

    compared = await client.get(
        url(world, cohort_path + "/compare"), params={"a": first, "b": second}
    )
    assert compared.status_code == 200
    words = text(compared)
    assert "Run 1 and run 2 side by side" in words
    removed = words.split("(removed)")[1]
    assert "Emma Early with Sam Senior" in removed
    same = await client.get(url(world, cohort_path + "/compare"), params={"a": first, "b": first})
    assert same.status_code == 400 and "Choose two different runs" in text(same)

    # Take the forbid away: run 3 has the pair again.
    third = run_id_of(
        await client.post(
            url(world, f"/coordinator/runs/{second}/remove"),
            data={
                "_csrf_token": token,
                "kind": "forbid",
                "mentee": str(early.id),
                "mentor": str(senior.id),
            },
        )
    )
    assert "Emma Early with Sam Senior" in text(
        await client.get(url(world, f"/coordinator/runs/{third}"))
    )

    # Publish: the confirmation page, the box unticked refused, then published.
    confirm = await client.get(url(world, f"/coordinator/runs/{third}/publish"))
    assert confirm.status_code == 200 and "Publish run 3" in text(confirm)
    unticked = await client.post(
        url(world, f"/coordinator/runs/{third}/publish"), data={"_csrf_token": token}
    )
    assert unticked.status_code == 400 and "Tick the box to confirm" in text(unticked)
    assert await count(db, world, Pair) == 0
    done = await client.post(
        url(world, f"/coordinator/runs/{third}/publish"),
        data={"_csrf_token": token, "confirm": "yes"},
    )
    assert done.status_code == 303
    assert done.headers["location"].endswith(f"{cohort_path}/pairs")
    pairs = text(await client.get(url(world, cohort_path + "/pairs")))
    assert "Run 3 published: 1 pair made" in pairs
    assert "Sam Senior" in pairs and "Emma Early" in pairs and "Matched by the coordinator" in pairs
    assert await count(db, world, Pair) == 1

    # A superseded draft cannot be published; nothing changes.
    again = await client.post(
        url(world, f"/coordinator/runs/{first}/publish"),
        data={"_csrf_token": token, "confirm": "yes"},
    )
    assert again.status_code == 409 and "superseded" in text(again)
    assert await count(db, world, Pair) == 1


async def test_publishing_is_refused_with_what_changed_and_a_conflict_is_recorded(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world, senior, early, stuck = await alberta(db)
    await sign_in_as(client, settings, world, world.coordinator)
    run = await services.compute_run(db, world.id, world.coordinator.id, world.cohort.id)
    token = await csrf(client, world, f"/coordinator/runs/{run.id}")

    # A conflict of interest: recorded, the run now reads as changed.
    bad = await client.post(
        url(world, f"/coordinator/runs/{run.id}/conflicts"),
        data={"_csrf_token": token, "conflict_mentee": "nobody", "conflict_mentor": str(senior.id)},
    )
    assert bad.status_code == 400 and 'href="#conflict_mentee"' in bad.text
    assert "Choose a mentee from the list" in text(bad)
    assert await count(db, world, ConflictOfInterest) == 0
    recorded = await client.post(
        url(world, f"/coordinator/runs/{run.id}/conflicts"),
        data={
            "_csrf_token": token,
            "conflict_mentee": str(early.id),
            "conflict_mentor": str(senior.id),
            "conflict_reason": "Same museum",
        },
    )
    assert recorded.status_code == 303
    page = text(await client.get(url(world, f"/coordinator/runs/{run.id}")))
    assert "Conflict of interest recorded: Emma Early and Sam Senior" in page
    assert "changed since this run was computed" in page
    assert "Emma Early and Sam Senior (recorded by a coordinator)" in page

    # An applicant withdraws: publishing is refused, saying who, nothing written.
    async with db.tenant(world.id) as s:
        await s.execute(
            update(Application).where(Application.id == stuck.id).values(state="withdrawn")
        )
    refused = await client.post(
        url(world, f"/coordinator/runs/{run.id}/publish"),
        data={"_csrf_token": token, "confirm": "yes"},
    )
    assert refused.status_code == 409
    words = text(refused)
    assert "not published" in words and "Sid Senior" in words
    assert "conflicts of interest changed" in words
    assert await count(db, world, Pair) == 0

    # Run again takes the changes in: no pair (the conflict), nobody left to match.
    again = run_id_of(
        await client.post(
            url(world, f"/coordinator/runs/{run.id}/rerun"), data={"_csrf_token": token}
        )
    )
    assert "Pairs matched</dt><dd>0<" in text(
        await client.get(url(world, f"/coordinator/runs/{again}"))
    )


def coordinator_routes(cohort_id: object, run_id: object) -> list[tuple[str, str]]:
    return [
        ("GET", "/coordinator/matching"),
        ("GET", f"/coordinator/matching/{cohort_id}"),
        ("POST", f"/coordinator/matching/{cohort_id}/runs"),
        ("GET", f"/coordinator/matching/{cohort_id}/compare?a={run_id}&b={run_id}x"),
        ("GET", f"/coordinator/matching/{cohort_id}/pairs"),
        ("GET", f"/coordinator/runs/{run_id}"),
        ("POST", f"/coordinator/runs/{run_id}/pin"),
        ("POST", f"/coordinator/runs/{run_id}/forbid"),
        ("POST", f"/coordinator/runs/{run_id}/remove"),
        ("POST", f"/coordinator/runs/{run_id}/rerun"),
        ("POST", f"/coordinator/runs/{run_id}/conflicts"),
        ("GET", f"/coordinator/runs/{run_id}/publish"),
        ("POST", f"/coordinator/runs/{run_id}/publish"),
    ]


async def test_a_member_is_refused_and_another_associations_ids_are_not_found(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world, senior, early, _ = await alberta(db)
    run = await services.compute_run(db, world.id, world.coordinator.id, world.cohort.id)
    mentee = await member_of(db, world, early.member_id)
    await sign_in_as(client, settings, world, mentee)
    token = await csrf(client, world, "/me")
    fields = {
        "_csrf_token": token,
        "confirm": "yes",
        "pin_mentee": str(early.id),
        "pin_mentor": str(senior.id),
        "forbid_mentee": str(early.id),
        "forbid_mentor": str(senior.id),
        "conflict_mentee": str(early.id),
        "conflict_mentor": str(senior.id),
        "kind": "pin",
        "mentee": str(early.id),
        "mentor": str(senior.id),
    }
    for method, path in coordinator_routes(world.cohort.id, run.id):
        answer = await client.request(
            method, url(world, path), data=fields if method == "POST" else None
        )
        assert answer.status_code == 403, (method, path, answer.status_code)

    # The other association's coordinator: every id of this one is "not found".
    away = await make_world(db, "alberta-museums")
    await sign_in_as(client, settings, away, away.coordinator)
    fields["_csrf_token"] = await csrf(client, away, "/coordinator/matching")
    before = await count(db, world, AuditEntry)
    for method, path in coordinator_routes(world.cohort.id, run.id)[1:]:
        answer = await client.request(
            method, url(away, path), data=fields if method == "POST" else None
        )
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text[:300])
    assert await count(db, world, AuditEntry) == before
    assert await count(db, world, MatchingRun) == 1
    assert await count(db, world, Pair) == 0


def test_the_engines_words_in_plain_words() -> None:
    from mentorhub.matching.criteria import Criterion
    from mentorhub.matching.views.runs_common import plain_words

    stage = Criterion(name="career_stage", kind="career_stage", field="career_stage")
    region = Criterion(name="region", kind="same", field="region", label="Same region")
    assert (
        plain_words(
            "'Sid Senior'-'Sam Senior' is excluded: excluded by career_stage 'career_stage': "
            "Senior professional for Senior professional",
            [stage, region],
        )
        == "Sid Senior with Sam Senior is excluded: excluded by the career stage rule: "
        "Senior professional for Senior professional"
    )
    assert (
        plain_words("career_stage: 2 stage(s) ahead", [stage]) == "Career stage: 2 stage(s) ahead"
    )
    assert plain_words("region: both North East", [region]) == "Same region: both North East"
    assert plain_words("nothing to change", [stage]) == "nothing to change"


async def test_a_scheme_whose_mentees_choose_has_no_cohort_run(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    world = await make_world(db, "ahep")
    await sign_in_as(client, settings, world, world.coordinator)
    path = f"/coordinator/matching/{world.cohort.id}"
    page = await client.get(url(world, path))
    assert page.status_code == 200
    assert "mentees choose among suggested mentors" in text(page)
    assert "Run the matching</button>" not in page.text
    refused = await client.post(
        url(world, path + "/runs"), data={"_csrf_token": csrf_from(page.text)}
    )
    assert refused.status_code == 409
    assert "there is no cohort run" in text(refused) and "Nothing was changed." in text(refused)
    assert await count(db, world, MatchingRun) == 0
