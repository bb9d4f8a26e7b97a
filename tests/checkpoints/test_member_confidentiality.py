"""Who reads which checkpoint item on the member's pages (DESIGN.md, "Who reads what":
checkpoint and survey answers — the person who answered; the other person of the pair only
for pair items; the coordinator where the item's readers name the coordinator; never a
tenant admin, a platform admin or another pair), route by route and viewer by viewer,
through the real app over HTTP.

Alberta's world with one item of every kind, each answer a marker: a pair item with a
draft and one sent in (readers: the pair and the coordinator), each person's own survey (one
sent in by the mentee, a draft of the mentor's; readers: the coordinator), a pair item read
by the pair only, a coordinator's task item with the coordinator's note, and the other pair's
item. Every page — the list and each item, through this pair's address and the other
pair's — is fetched by each viewer: the status, the items the list links to and the exact
set of markers each page carries are compared with the table. Then every viewer who may
not answer an item posts answers to it: refused (not found, 409 for the coordinator, sign in
without a session) and nothing changes. The mail to the other person of a pair item carries
no answer."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx

from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.db import Database
from mentorhub.settings import Settings
from tests.checkpoints.member_helpers import (
    MemberWorld,
    add_item,
    filled,
    member_world,
    messages_of,
    snapshot,
)
from tests.pairs.agreement_helpers import (  # noqa: F401  (fixtures)
    client_fixture,
    settings_fixture,
)
from tests.pairs.confidentiality_helpers import (
    ANONYMOUS,
    COORDINATOR,
    MENTEE,
    MENTOR,
    OTHER_MENTEE,
    OTHER_MENTOR,
    PLATFORM_ADMIN,
    TENANT_ADMIN,
    VIEWERS,
    fetch,
    viewers_of,
)

NOT_FOUND, SIGN_IN, CONFLICT = 404, 303, 409


@dataclass(frozen=True)
class Seen:
    status: int
    markers: frozenset[str] = frozenset()


def ok(*markers: str) -> Seen:
    return Seen(200, frozenset(markers))


NF = Seen(NOT_FOUND)
OUT = Seen(SIGN_IN)
#: Outside the pair and its coordinator.
OUTSIDERS = {
    OTHER_MENTOR: NF,
    OTHER_MENTEE: NF,
    TENANT_ADMIN: NF,
    PLATFORM_ADMIN: OUT,
    ANONYMOUS: OUT,
}


@dataclass
class Items:
    mw: MemberWorld
    by_name: dict[str, CheckpointItem]
    markers: dict[str, str]


async def _world(db: Database) -> Items:
    mw = await member_world(db)
    pw = mw.pw
    markers = {
        name: f"MARK-{name}-{uuid.uuid4().hex[:8]}"
        for name in (
            "Q_DRAFT",
            "Q_SENT",
            "MENTEE_SURVEY",
            "MENTOR_DRAFT",
            "PAIR_ONLY",
            "TASK_NOTE",
            "OTHER",
        )
    }
    survey_text = next(
        q.id for q in mw.form("mid_program_survey").questions if q.kind == "long_text"
    )
    items = {
        "pair_draft": await add_item(
            db, mw, "quarterly_update", slot="2027-04", answers={"progress": markers["Q_DRAFT"]}
        ),
        "pair_sent": await add_item(
            db,
            mw,
            "quarterly_update",
            slot="2027-01",
            state="submitted",
            submitted_by=pw.mentor,
            answers={"progress": markers["Q_SENT"]},
        ),
        "mentee_sent": await add_item(
            db,
            mw,
            "mid_program_survey",
            member=pw.mentee,
            state="submitted",
            answers={survey_text: markers["MENTEE_SURVEY"]},
        ),
        "mentor_draft": await add_item(
            db,
            mw,
            "mid_program_survey",
            member=pw.mentor,
            answers={survey_text: markers["MENTOR_DRAFT"]},
        ),
        "pair_only": await add_item(
            db,
            mw,
            "quarterly_update",
            slot="2026-10",
            state="submitted",
            readers=("pair",),
            answers={"progress": markers["PAIR_ONLY"]},
        ),
        "task": await add_item(
            db,
            mw,
            "mentorship_plan",  # (a checkpoint without a form, like the coordinator's calls)
            slot="call",
            audience="coordinator",
            readers=("coordinator",),
            state="submitted",
            submitted_by=pw.world.coordinator,
            answers={"note": markers["TASK_NOTE"]},
        ),
        "other": await add_item(
            db,
            mw,
            "quarterly_update",
            pair_id=pw.other_pair.id,
            state="submitted",
            submitted_by=pw.other_mentor,
            answers={"progress": markers["OTHER"]},
        ),
    }
    return Items(mw, items, markers)


#: The list page: the items it links to, by viewer.
LIST: dict[str, tuple[int, frozenset[str]]] = {
    MENTOR: (200, frozenset({"pair_draft", "pair_sent", "mentor_draft", "pair_only"})),
    MENTEE: (200, frozenset({"pair_draft", "pair_sent", "mentee_sent", "pair_only"})),
    COORDINATOR: (
        200,
        frozenset({"pair_draft", "pair_sent", "mentee_sent", "mentor_draft", "task"}),
    ),
    **{name: (seen.status, frozenset()) for name, seen in OUTSIDERS.items()},
}

#: Each item's page through this pair's address: what each viewer reads. A coordinator
#: reads what is sent in, never a draft; a party reads a pair item's draft (written
#: together) and their own.
ITEM: dict[str, dict[str, Seen]] = {
    "pair_draft": {MENTOR: ok("Q_DRAFT"), MENTEE: ok("Q_DRAFT"), COORDINATOR: ok(), **OUTSIDERS},
    "pair_sent": {
        MENTOR: ok("Q_SENT"),
        MENTEE: ok("Q_SENT"),
        COORDINATOR: ok("Q_SENT"),
        **OUTSIDERS,
    },
    "mentee_sent": {
        MENTOR: NF,
        MENTEE: ok("MENTEE_SURVEY"),
        COORDINATOR: ok("MENTEE_SURVEY"),
        **OUTSIDERS,
    },
    "mentor_draft": {
        MENTOR: ok("MENTOR_DRAFT"),
        MENTEE: NF,
        COORDINATOR: ok(),
        **OUTSIDERS,
    },
    "pair_only": {MENTOR: ok("PAIR_ONLY"), MENTEE: ok("PAIR_ONLY"), COORDINATOR: NF, **OUTSIDERS},
    "task": {MENTOR: NF, MENTEE: NF, COORDINATOR: ok("TASK_NOTE"), **OUTSIDERS},
    # Another pair's item through this pair's address: not found to anyone.
    "other": {name: (OUT if name in (PLATFORM_ADMIN, ANONYMOUS) else NF) for name in VIEWERS},
}


def _found(page: httpx.Response, markers: dict[str, str]) -> set[str]:
    return {name for name, value in markers.items() if value in page.text}


async def test_who_reads_which_item(
    db: Database, client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await _world(db)
    pw = world.mw.pw
    viewers = await viewers_of(settings, pw)
    base = f"/t/{world.mw.slug}/pairs/{pw.pair.id}/checkpoints"
    failures: list[str] = []
    before = await snapshot(db, world.mw)
    for viewer in VIEWERS:
        status, linked = LIST[viewer]
        page = await fetch(client, viewers[viewer], "GET", base)
        if page.status_code != status:
            failures.append(f"{viewer} list: {page.status_code}, expected {status}")
        shown = {
            name for name, item in world.by_name.items() if f"/checkpoints/{item.id}" in page.text
        }
        if shown != linked:
            failures.append(f"{viewer} list links {sorted(shown)}, expected {sorted(linked)}")
        if _found(page, world.markers):
            failures.append(f"{viewer} list LEAKS {_found(page, world.markers)}")
        for name, item in world.by_name.items():
            seen = ITEM[name][viewer]
            page = await fetch(client, viewers[viewer], "GET", f"{base}/{item.id}")
            if page.status_code != seen.status:
                failures.append(f"{viewer} {name}: {page.status_code}, expected {seen.status}")
            found = _found(page, world.markers)
            if found != set(seen.markers):
                failures.append(
                    f"{viewer} {name}: markers {sorted(found)}, not {sorted(seen.markers)}"
                )
            if seen.status != 200 and viewer not in (MENTOR, MENTEE):
                named = [
                    p for p in (pw.mentor.display_name, pw.mentee.display_name) if p in page.text
                ]
                if named:
                    failures.append(f"{viewer} {name}: {page.status_code} names {named}")
    # The other pair's people read their own item through their own pair's address.
    theirs = f"/t/{world.mw.slug}/pairs/{pw.other_pair.id}/checkpoints/{world.by_name['other'].id}"
    for viewer, seen in {
        OTHER_MENTOR: ok("OTHER"),
        OTHER_MENTEE: ok("OTHER"),
        MENTOR: NF,
        COORDINATOR: ok("OTHER"),
        TENANT_ADMIN: NF,
    }.items():
        page = await fetch(client, viewers[viewer], "GET", theirs)
        found = _found(page, world.markers)
        if (page.status_code, found) != (seen.status, set(seen.markers)):
            failures.append(f"{viewer} other pair's item: {page.status_code} {sorted(found)}")
    assert not failures, "\n".join(failures)
    assert await snapshot(db, world.mw) == before  # reading changed nothing


#: Who may answer each item: everyone else posting is refused.
ANSWERS = {
    "pair_draft": {MENTOR, MENTEE},
    "mentee_sent": {MENTEE},
    "mentor_draft": {MENTOR},
    "task": set(),
    "other": set(),
}


async def test_no_one_else_answers(
    db: Database, client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await _world(db)
    pw = world.mw.pw
    viewers = await viewers_of(settings, pw)
    base = f"/t/{world.mw.slug}/pairs/{pw.pair.id}/checkpoints"
    failures: list[str] = []
    before = await snapshot(db, world.mw)
    for name, answerers in ANSWERS.items():
        item = world.by_name[name]
        form = filled(world.mw.form("quarterly_update"))
        data = {k: v[0] for k, v in form.items()} | {"_action": "submit", "lock_version": "0"}
        for viewer in VIEWERS:
            if viewer in answerers:
                continue
            readable = ITEM[name][viewer].status == 200
            expected = (
                SIGN_IN
                if viewer in (PLATFORM_ADMIN, ANONYMOUS)
                else CONFLICT
                if readable and viewer == COORDINATOR
                else NOT_FOUND
            )
            answer = await fetch(client, viewers[viewer], "POST", f"{base}/{item.id}", data)
            if answer.status_code != expected:
                failures.append(f"{viewer} POST {name}: {answer.status_code}, not {expected}")
            if _found(answer, world.markers) - set(ITEM[name][viewer].markers):
                failures.append(f"{viewer} POST {name} LEAKS {_found(answer, world.markers)}")
    assert not failures, "\n".join(failures)
    assert await snapshot(db, world.mw) == before


async def test_the_mail_to_the_other_person_carries_no_answer(
    db: Database, client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await _world(db)
    pw = world.mw.pw
    viewers = await viewers_of(settings, pw)
    item = world.by_name["pair_draft"]
    secret = world.markers["Q_DRAFT"]
    answer = await fetch(
        client,
        viewers[MENTEE],
        "POST",
        f"/t/{world.mw.slug}/pairs/{pw.pair.id}/checkpoints/{item.id}",
        {"progress": f"Sent words {secret}", "_action": "submit", "lock_version": "0"},
    )
    assert answer.status_code == 303
    [told] = await messages_of(db, world.mw, "checkpoint_submitted")
    assert told.member_id == pw.mentor.id
    assert secret not in repr(told.context) and secret not in told.subject
    assert not re.search(r"Sent words", repr(told.context))
