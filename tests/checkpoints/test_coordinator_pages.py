"""The coordinator's checkpoint pages through the real app over HTTP (httpx on the ASGI app):
the list (default: waiting for review; states, checkpoint, cohort, name search, due-date
order, paging, counts), one submission (answers in words, permission to share, late or on
time, the pair's link) and Mark as reviewed (303 and a notice; a refusal 409; a note too
long at its field, 400), the task list (a call with the mentor's address, a quiet pair with
its days since the last contact; done → 303 and a notice, twice → 409), and every route
probed by another tenant's coordinator, a member and a tenant admin who is not a
coordinator. Plus the list's statement EXPLAINed over a 3,000-pair cohort."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import with_loader_criteria

from mentorhub.app import create_app
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.checkpoints.queries_coordinator import ItemFilter, counts_query, page_query
from mentorhub.db import Database
from mentorhub.db.base import TenantOwned
from mentorhub.identity.models import Member
from mentorhub.pairs.services import NewPair, create_pairs
from mentorhub.settings import Settings
from tests.applications.test_coordinator_pages import sign_in_as
from tests.checkpoints.coordinator_world import (
    CoordWorld,
    add_item,
    add_task,
    coord_world,
    coordinator_call,
    reload_item,
    reload_task,
)
from tests.identity.conftest import csrf_from, settings  # noqa: F401  (fixture)
from tests.support import serving

BASE = "https://localhost"


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def words(page: httpx.Response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


async def as_(
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    cw: CoordWorld,
    who: Member,
) -> str:
    """Sign in as `who`; their CSRF token (from their own page)."""
    client.cookies.clear()
    await sign_in_as(client, settings, cw.pw.world, who)
    page = await client.get(cw.url("/me"))
    assert page.status_code == 200
    return csrf_from(page.text)


async def post(client: httpx.AsyncClient, path: str, csrf: str, **data: str) -> httpx.Response:
    return await client.post(path, data={**data, "_csrf_token": csrf})


async def filled(db: Database) -> tuple[CoordWorld, dict[str, CheckpointItem]]:
    cw = await coord_world(db)
    pw = cw.pw
    today = date.today()
    items = {
        "survey": await add_item(
            db,
            cw,
            member=pw.mentee,
            due_on=today - timedelta(days=20),
            submitted_at=datetime.now(UTC) - timedelta(days=2),  # after closes_on: late
            answers={"confidence": 4, "statements": ["Agree", "Neither"], "comments": "Going well"},
        ),
        "update": await add_item(
            db,
            cw,
            checkpoint="quarterly_update",
            title="Quarterly Update",
            audience="pair",
            readers=("pair", "coordinator"),
            due_on=today - timedelta(days=1),
            submitted_at=datetime.now(UTC) - timedelta(days=3),
            answers={"progress": "We finished the first exhibition plan.", "share": True},
            share_permission=True,
        ),
        "other": await add_item(
            db,
            cw,
            pair_id=pw.other_pair.id,
            member=pw.other_mentor,
            due_on=today - timedelta(days=5),
            answers={"confidence": 2},
        ),
        "private": await add_item(
            db,
            cw,
            checkpoint="mentorship_plan",
            title="Private plan",
            audience="pair",
            readers=("pair",),
        ),
        "overdue": await add_item(
            db, cw, member=pw.mentor, state="open", due_on=today - timedelta(days=4)
        ),
        "open": await add_item(
            db, cw, member=pw.mentor, state="open", due_on=today + timedelta(days=4)
        ),
        "missed": await add_item(
            db,
            cw,
            checkpoint="final_survey",
            title="Final survey",
            member=pw.mentee,
            state="missed",
        ),
    }
    return cw, items


async def test_the_list_filters_searches_sorts_and_counts(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw, items = await filled(db)
    await as_(client, settings, cw, cw.pw.world.coordinator)
    page = await client.get(cw.url("/coordinator/checkpoints"))
    assert page.status_code == 200, page.text
    seen = words(page)
    # The navigation names the coordinator's two new pages.
    assert '/coordinator/checkpoints">Checkpoints</a>' in page.text
    assert '/coordinator/tasks">Tasks</a>' in page.text
    # Default: waiting for review, earliest due first; the private item is never listed.
    assert "Waiting for review: showing 1–3 of 3" in seen
    rows = seen[seen.index("Sent in") :]
    order = [rows.index(x) for x in ("Theo Mentee", "Omar Other", "Quarterly Update")]
    assert order == sorted(order)
    assert "Private plan" not in rows and "Final survey" not in rows
    assert "Late" in seen  # the survey was sent in after its window closed
    for label, n in (("Waiting for review", 3), ("Open", 1), ("Overdue", 1), ("Missed", 1)):
        assert f"{label} {n}" in seen, label
    assert "Reviewed 0" in seen
    # Each state on its own.
    for state, wanted in (("overdue", "overdue"), ("open", "open"), ("missed", "missed")):
        found = await client.get(cw.url(f"/coordinator/checkpoints?state={state}"))
        assert found.status_code == 200
        assert str(items[wanted].id) in found.text
        others = {k for k in items if k != wanted}
        assert not any(str(items[k].id) in found.text for k in others), state
    # Latest due first.
    desc = words(await client.get(cw.url("/coordinator/checkpoints?sort=due_desc")))
    desc = desc[desc.index("Sent in") :]
    assert desc.index("Quarterly Update") < desc.index("Omar Other")
    # The name search: the mentee's first name, the other mentor's surname.
    theo = await client.get(cw.url("/coordinator/checkpoints?q=theo"))
    assert str(items["survey"].id) in theo.text and str(items["other"].id) not in theo.text
    olga = await client.get(cw.url("/coordinator/checkpoints?q=OTHER+olga"))
    assert str(items["other"].id) in olga.text and str(items["survey"].id) not in olga.text
    assert "Showing" not in words(await client.get(cw.url("/coordinator/checkpoints?q=%25")))
    # The checkpoint and the cohort.
    update = await client.get(cw.url("/coordinator/checkpoints?checkpoint=quarterly_update"))
    assert str(items["update"].id) in update.text and str(items["survey"].id) not in update.text
    cohort = await client.get(
        cw.url(f"/coordinator/checkpoints?cohort={cw.pw.world.cohort.id}&state=submitted")
    )
    assert "showing 1–3 of 3" in words(cohort)
    # Filters that cannot be used: 400, the message at the field.
    for query, message in (
        ("state=nonsense", "Choose a state from the list"),
        ("checkpoint=nope", "Choose a checkpoint from the list"),
        (f"cohort={uuid.uuid4()}", "Choose a cohort from the list"),
        ("sort=sideways", "Choose earliest or latest due date first"),
    ):
        bad = await client.get(cw.url(f"/coordinator/checkpoints?{query}"))
        assert bad.status_code == 400 and message in bad.text, query
        assert 'class="error-summary"' in bad.text


async def test_paging(db: Database, client: httpx.AsyncClient, settings: Settings) -> None:  # noqa: F811
    cw = await coord_world(db)
    start = date.today() - timedelta(days=200)
    async with db.tenant(cw.pw.id) as session:
        await session.execute(
            insert(CheckpointItem),
            [
                {
                    "tenant_id": cw.pw.id,
                    "id": uuid.uuid4(),
                    "pair_id": cw.pw.pair.id,
                    "member_id": cw.pw.mentee.id,
                    "checkpoint": "mid_program_survey",
                    "slot": f"s{n:03d}",
                    "scheme_version": cw.version,
                    "kind": "survey",
                    "title": f"Survey number {n:03d}",
                    "audience": "each",
                    "readers": ["coordinator"],
                    "due_on": start + timedelta(days=n),
                    "opens_on": start + timedelta(days=n),
                    "closes_on": start + timedelta(days=n),
                    "state": "submitted",
                    "submitted_at": datetime.now(UTC),
                    "submitted_by": cw.pw.mentee.id,
                    "answers": {},
                }
                for n in range(55)
            ],
        )
    await as_(client, settings, cw, cw.pw.world.coordinator)
    first = words(await client.get(cw.url("/coordinator/checkpoints")))
    assert "showing 1–50 of 55" in first and "Survey number 000" in first
    assert "Survey number 050" not in first
    second = await client.get(cw.url("/coordinator/checkpoints?page=2"))
    assert "showing 51–55 of 55" in words(second) and "Survey number 054" in words(second)
    assert 'aria-label="Checkpoints: pages"' in second.text
    beyond = words(await client.get(cw.url("/coordinator/checkpoints?page=9")))
    assert "showing 51–55 of 55" in beyond


async def test_one_submission_and_mark_as_reviewed(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw, items = await filled(db)
    csrf = await as_(client, settings, cw, cw.pw.world.coordinator)
    survey = cw.url(f"/coordinator/checkpoints/{items['survey'].id}")
    page = await client.get(survey)
    assert page.status_code == 200
    seen = words(page)
    assert "How confident do you feel in your role? 4 out of 5 (1: Not at all; 5: Very" in seen
    assert "My mentor listens to me: Agree" in seen and "We meet often enough: Neither" in seen
    assert "Going well" in seen and "late" in seen
    assert f'href="/t/{cw.slug}/pairs/{cw.pw.pair.id}"' in page.text
    assert "Permission to share" not in seen  # the survey does not ask for it
    update = words(await client.get(cw.url(f"/coordinator/checkpoints/{items['update'].id}")))
    assert "Permission to share Given" in update and "on time" in update
    assert "We finished the first exhibition plan." in update
    # A note too long: at the field, 400, nothing changed.
    too_long = await post(client, survey, csrf, lock_version="0", note="x" * 2001)
    assert too_long.status_code == 400
    assert 'href="#note"' in too_long.text and 'id="note-error"' in too_long.text
    assert (await reload_item(db, cw, items["survey"].id)).state == "submitted"
    # A stale page: 409 with the reason.
    stale = await post(client, survey, csrf, lock_version="5", note="")
    assert stale.status_code == 409 and "changed since the page was shown" in stale.text
    # Reviewed: 303 back to the item with a notice, then the review shown.
    done = await post(client, survey, csrf, lock_version="0", note="Read. Ask about April.")
    assert done.status_code == 303 and done.headers["location"].endswith(str(items["survey"].id))
    after = words(await client.get(survey))
    assert "Marked as reviewed." in after and "Ask about April." in after
    assert "Mark as reviewed" not in after.replace("Marked as reviewed", "")
    again = await post(client, survey, csrf, lock_version="1", note="")
    assert again.status_code == 409 and "already reviewed by Coral Coordinator" in words(again)
    # An item that is not sent in: no form; refused if posted.
    missed = cw.url(f"/coordinator/checkpoints/{items['missed'].id}")
    assert "Nothing has been sent in yet" in words(await client.get(missed))
    refused = await post(client, missed, csrf, lock_version="0")
    assert refused.status_code == 409 and "was missed" in refused.text
    # Not readable by the coordinator, or not an item: 404.
    for key in (items["private"].id, uuid.uuid4()):
        assert (await client.get(cw.url(f"/coordinator/checkpoints/{key}"))).status_code == 404
    assert (await client.get(cw.url("/coordinator/checkpoints/not-an-id"))).status_code == 404


async def test_tasks_calls_and_quiet_pairs(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await coord_world(db)
    item, call = await coordinator_call(db, cw)
    last = date.today() - timedelta(days=40)
    quiet = await add_task(
        db,
        cw,
        kind="quiet_pair",
        pair_id=cw.pw.other_pair.id,
        title="Quiet pair",
        last_activity=last,
        due_on=date.today() - timedelta(days=1),
    )
    csrf = await as_(client, settings, cw, cw.pw.world.coordinator)
    page = await client.get(cw.url("/coordinator/tasks"))
    assert page.status_code == 200
    seen = words(page)
    assert "Call Maya Mentor (mentor of Theo Mentee)" in seen
    assert f"mailto:{cw.pw.mentor.email}" in page.text
    assert "Quiet pair: Omar Other and Olga Other" in seen and "40 days ago" in seen
    assert seen.index("Quiet pair:") < seen.index("Call Maya")  # by due date
    # A note too long: 400, the message at that task's note only.
    bad = await post(
        client, cw.url(f"/coordinator/tasks/{call.id}"), csrf, lock_version="0", note="y" * 2001
    )
    assert bad.status_code == 400
    assert f'href="#note-{call.id}"' in bad.text and f'id="note-{call.id}-error"' in bad.text
    assert bad.text.count("error-message") == 1
    # Done: 303 back to the list with a notice; the call's item is sent in.
    done = await post(
        client, cw.url(f"/coordinator/tasks/{call.id}"), csrf, lock_version="0", note="Called."
    )
    assert done.status_code == 303 and done.headers["location"].endswith("/coordinator/tasks")
    after = await client.get(cw.url("/coordinator/tasks"))
    assert "Done: Phone call from the programme manager (month 2)." in words(after)
    assert "Done lately" in words(after) and "Called." in words(after)
    assert (await reload_task(db, cw, call.id)).state == "done"
    assert (await reload_item(db, cw, item.id)).answers == {"note": "Called."}
    # Twice: 409 with the reason shown on the page.
    again = await post(client, cw.url(f"/coordinator/tasks/{call.id}"), csrf, lock_version="1")
    assert again.status_code == 409 and "already done by Coral Coordinator" in words(again)
    stale = await post(client, cw.url(f"/coordinator/tasks/{quiet.id}"), csrf, lock_version="4")
    assert stale.status_code == 409 and "changed since the page was shown" in stale.text
    missing = await post(
        client, cw.url(f"/coordinator/tasks/{uuid.uuid4()}"), csrf, lock_version="0"
    )
    assert missing.status_code == 404


async def test_every_route_refuses_everyone_else(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw, items = await filled(db)
    _, task = await coordinator_call(db, cw)
    secret = "We finished the first exhibition plan."
    item_path = f"/coordinator/checkpoints/{items['update'].id}"
    task_path = f"/coordinator/tasks/{task.id}"
    gets = ["/coordinator/checkpoints", item_path, "/coordinator/tasks"]
    posts = [item_path, task_path]

    async def probe(who: Member, slug_of: CoordWorld, statuses: tuple[int, ...]) -> None:
        csrf = await as_(client, settings, slug_of, who)
        for path in gets:
            page = await client.get(f"/t/{slug_of.slug}{path}")
            assert page.status_code in statuses, (who.display_name, path, page.status_code)
            assert secret not in page.text and "Going well" not in page.text
        for path in posts:
            page = await post(client, f"/t/{slug_of.slug}{path}", csrf, lock_version="0")
            assert page.status_code in statuses, (who.display_name, path, page.status_code)
        # The nav offers them neither page.
        me = await client.get(f"/t/{slug_of.slug}/me")
        assert "/coordinator/checkpoints" not in me.text and "/coordinator/tasks" not in me.text

    world = cw.pw.world
    await probe(world.admin, cw, (404,))  # a tenant admin who is not a coordinator
    await probe(cw.pw.mentee, cw, (403,))  # a member: the coordinator pages' 403
    await probe(cw.pw.other_mentor, cw, (403,))
    # Another tenant's coordinator, in their own tenant with this tenant's ids: not found.
    away = await coord_world(db)
    csrf = await as_(client, settings, away, away.pw.world.coordinator)
    for path in [item_path]:
        assert (await client.get(away.url(path))).status_code == 404
    for path in posts:
        assert (await post(client, away.url(path), csrf, lock_version="0")).status_code == 404
    listed = await client.get(away.url("/coordinator/checkpoints?state=submitted"))
    assert listed.status_code == 200 and "Theo Mentee" not in listed.text
    assert "Nothing is waiting for review" in words(listed)
    tasks = await client.get(away.url("/coordinator/tasks"))
    assert "Maya Mentor" not in tasks.text and "Nothing to do" in words(tasks)
    # ... and with their session on this tenant's address: no session here at all.
    for path in gets:
        page = await client.get(cw.url(path))
        assert page.status_code in (302, 303, 401, 403, 404) and secret not in page.text
    # Nothing changed on the way.
    assert (await reload_item(db, cw, items["update"].id)).state == "submitted"
    assert (await reload_task(db, cw, task.id)).state == "open"


async def test_the_list_statement_uses_the_state_index_at_3000_pairs(
    live_db: Database, owner_engine: AsyncEngine
) -> None:
    """A 3,000-pair cohort (6,000 people, 30,000 items in every state), committed and
    ANALYZEd: the default page (waiting for review, earliest due first) reads the items
    through checkpoint_items_by_state (tenant, state[, due_on]) — never a scan of the
    tenant's items — and the names by key (EXPLAIN ANALYZE, printed). Whether the
    planner then walks the index in due order and stops at the page, or sorts the few
    thousand submitted items (a top-N heapsort), is its choice from the statistics: both
    were seen on this machine, at ~1 ms and ~25 ms."""
    cw = await coord_world(live_db)
    pw = cw.pw
    tenant_id = pw.id
    people = [
        {
            "tenant_id": tenant_id,
            "id": uuid.uuid4(),
            "email": f"p{n}.{uuid.uuid4().hex[:6]}@example.org",
            "display_name": f"Person {n:05d}",
            "roles": ["mentor" if n % 2 else "mentee"],
        }
        for n in range(6000)
    ]
    async with live_db.tenant(tenant_id) as session:
        await session.execute(insert(Member), people)
        pairs = await create_pairs(
            session,
            [
                NewPair(
                    pw.world.cohort.id, people[2 * n + 1]["id"], people[2 * n]["id"], "coordinator"
                )
                for n in range(3000)
            ],
            actor_id=pw.world.coordinator.id,
        )
        states = ("upcoming", "open", "submitted", "reviewed", "missed", "open", "upcoming")
        start = date.today() - timedelta(days=300)
        await session.execute(
            insert(CheckpointItem),
            [
                {
                    "tenant_id": tenant_id,
                    "id": uuid.uuid4(),
                    "pair_id": pairs[n % 3000].id,
                    "member_id": None,
                    "checkpoint": "quarterly_update",
                    "slot": f"x{n // 3000:03d}",
                    "scheme_version": cw.version,
                    "kind": "survey",
                    "title": "Quarterly Update",
                    "audience": "pair",
                    "readers": ["pair", "coordinator"],
                    "due_on": start + timedelta(days=n // 100),
                    "opens_on": start + timedelta(days=n // 100),
                    "closes_on": start + timedelta(days=n // 100),
                    "state": states[n % 7],
                    "submitted_at": datetime.now(UTC) if states[n % 7] in states[2:4] else None,
                    "answers": {},
                }
                for n in range(30_000)
            ],
        )
    async with owner_engine.begin() as conn:
        for table in ("checkpoint_items", "pairs", "members"):
            await conn.execute(text(f"ANALYZE {table}"))

    async def explain(statement: Any) -> str:
        async with live_db.tenant(tenant_id) as session:
            scoped = statement.options(
                with_loader_criteria(
                    TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
                )
            )
            compiled = scoped.compile(
                dialect=(await session.connection()).dialect,
                compile_kwargs={"literal_binds": True},
            )
            found = await session.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}"))
            return "\n".join(found.scalars())

    me = pw.world.coordinator.id
    plan = await explain(page_query(me, ItemFilter(), date.today()).limit(50))
    counts = await explain(counts_query(me, ItemFilter(), date.today()))
    print(counts)
    print(plan)
    assert plan.splitlines()[0].startswith("Limit"), plan
    assert "checkpoint_items_by_state" in plan, plan  # an Index or a Bitmap Index Scan
    assert "state)::text = 'submitted'" in plan, plan  # the state in the index condition
    # The pairs may be hashed from a scan of the pairs table (a few thousand rows on the test
    # database: the planner's cheaper choice there); the items are never scanned.
    assert "Seq Scan on checkpoint_items" not in plan, plan
