"""Who reads what in a pair's space (issue 15, DESIGN.md "Who reads what"), route by route and
viewer by viewer, through the real app over HTTP.

One rich world per tenant (tests.pairs.confidentiality_helpers.rich_world; AHEP: agreement,
chat, documents; Alberta: the plan, one pair's submitted and the other's not; the Advice
Skills Academy: an agreement without chat), each with two live pairs whose content is
written through the space's actions (agreement, goals, plan, meetings, calendar feed, log
entries shared and withdrawn, chat, a document), every piece carrying its own marker string.
Every route of the space — enumerated from the application (paths under /pairs/{pair_id},
/calendar, /cpd, and anything a pairs view module serves), so a route added later fails
`test_every_space_route_is_in_the_table` until it is given a row — is fetched by each
viewer, and the answer's status and the exact set of markers in its body (page, .ics, CSV,
PDF, a downloaded document) are compared with GET_TABLE.

The table, in DESIGN.md's words:

* private log entry: its author only; the coordinator only the entries the author shares,
  and a withdrawn share no longer;
* agreement, goals, plan, meetings, chat, documents: the pair; the coordinator the plan once
  submitted (and the shared entries); counts (meetings held, contact hours) the pair and
  the coordinator (the home page's coordinator version, checked to carry no content);
* the other pair's people, a tenant admin without the coordinator role: "not found";
  a platform admin and an anonymous visitor have no session in the tenant: sent to sign in.

Decisions where the issue is silent:

* The platform admin's session is made as the platform's sign-in callback makes it (no
  OIDC round: tests/identity/test_platform.py covers that) and is sent as the tenant cookie
  as well — the worst case; it must count for nothing on a tenant's pages.
* The calendar feed is a capability: whoever holds its secret address reads the owner's
  meetings (that is what a calendar application does), so its row is the same for every
  viewer; the secret itself (marker FEED_TOKEN) must appear on no page, feed or mail.
* The CPD downloads are probed with the mentor's entry ids in the query: anyone else is
  refused (400) and gets their own page, never the mentor's words.
* A table row counts a marker the world does not have as not expected (Alberta has no
  chat); rows name their worlds.

POST routes: every viewer who is not the route's actor is refused (404 for members outside,
sign-in for those without a session, a route's own refusal where a row says so) and the
space's rows, the audit log and the mails are exactly as before. A member of another tenant
using this tenant's ids gets "not found" on their own tenant's URLs and is sent to sign in
(GET) or refused (POST) on this one's. Mails carry only what their recipient may read. The
table holds after the pair has ended too (AHEP).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import text

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.pairs.cadence import hours_words
from mentorhub.pairs.services import ending
from mentorhub.pairs.storage import DirectoryStorage
from mentorhub.settings import Settings
from tests.identity.conftest import csrf_from, settings  # noqa: F401  (fixture)
from tests.pairs.confidentiality_helpers import (
    ANONYMOUS,
    COORDINATOR,
    MEMBERS,
    MENTEE,
    MENTOR,
    OTHER_MENTEE,
    OTHER_MENTOR,
    PLATFORM_ADMIN,
    TENANT_ADMIN,
    VIEWERS,
    Rich,
    SpaceRoute,
    concrete,
    fetch,
    markers_in,
    member_of,
    rich_world,
    snapshot,
    space_routes,
    viewers_of,
)
from tests.pairs.space_helpers import pair_world
from tests.support import serving

BASE = "https://localhost"

# --- the expectation table ------------------------------------------------------------------

SEE_OTHER = 303  # sent elsewhere: Seen.to says where
SIGN_IN = SEE_OTHER  # to the tenant's sign-in page
NOT_FOUND = 404


@dataclass(frozen=True)
class Seen:
    status: int
    #: The markers (names, see `Rich.markers`) the body must carry — exactly these.
    markers: frozenset[str] = frozenset()
    #: Where a 303 sends the viewer (a format string over the world's ids, under /t/<slug>).
    to: str = "/login"


def ok(*markers: str) -> Seen:
    return Seen(200, frozenset(markers))


NF = Seen(NOT_FOUND)
OUT = Seen(SIGN_IN)

#: Nobody outside the pair and its coordinator: the other pair's people and a tenant admin
#: get "not found", the platform admin and an anonymous visitor are sent to sign in.
OUTSIDERS = {
    OTHER_MENTOR: NF,
    OTHER_MENTEE: NF,
    TENANT_ADMIN: NF,
    PLATFORM_ADMIN: OUT,
    ANONYMOUS: OUT,
}

AHEP, ALBERTA, ASA = "ahep", "alberta-museums", "advice-skills-academy"
WORLDS = (AHEP, ALBERTA, ASA)


@dataclass(frozen=True)
class Row:
    """What each viewer reads on one GET route, in the worlds named (a marker the world does
    not have is left out of the expectation: Alberta has no chat)."""

    seen: dict[str, Seen]
    worlds: tuple[str, ...] = WORLDS
    #: Path parameters filled otherwise than with the world's id of the same name: the
    #: parameter → a format string over the world's ids ("{meeting_id}.ics").
    fill: tuple[tuple[str, str], ...] = ()
    #: Query parameters: (name, the world's id name whose value it carries).
    query: tuple[tuple[str, str], ...] = ()
    #: After the pair's end, where it differs.
    ended: dict[str, Seen] | None = None


def pair(*markers: str, coordinator: Seen = NF) -> dict[str, Seen]:
    """A page of the pair's shared space: both people read `markers`; the coordinator gets
    `coordinator` ("not found" unless said); everyone else is outside."""
    return {MENTOR: ok(*markers), MENTEE: ok(*markers), COORDINATOR: coordinator, **OUTSIDERS}


#: A page the scheme does not have.
NOT_HERE = {MENTOR: NF, MENTEE: NF, COORDINATOR: NF, **OUTSIDERS}

#: Each person's own private log entries (the coordinator reads only LOG_MENTOR_SHARED, and
#: only on the shared entries' page; LOG_MENTEE_WITHDRAWN was shared, then withdrawn).
MENTOR_LOG = ("LOG_MENTOR", "LOG_MENTOR_SHARED")
MENTEE_LOG = ("LOG_MENTEE", "LOG_MENTEE_WITHDRAWN")

#: GET routes: path (under /t/{tenant_slug}), with a label after a space when one route is
#: read more than one way → Row.
GET_TABLE: dict[str, Row] = {
    # The pair's home: the pair's overview; the coordinator's version has the people, the
    # dates and the counts (meetings held, contact hours) only.
    "/pairs/{pair_id}": Row(pair(coordinator=ok())),
    # Agreement and goals: the pair only (DESIGN: "agreement, goals ...: the pair").
    "/pairs/{pair_id}/agreement": Row(pair("AGREEMENT"), worlds=(AHEP, ASA)),
    "/pairs/{pair_id}/goals": Row(pair("GOAL")),
    # The plan (Alberta): the pair's; the coordinator's once submitted. The other pair's
    # plan, saved but never submitted, is theirs alone.
    "/pairs/{pair_id}/plan": Row(pair("PLAN", coordinator=ok("PLAN")), worlds=(ALBERTA,)),
    "/pairs/{pair_id}/plan not submitted": Row(
        {
            MENTOR: NF,
            MENTEE: NF,
            OTHER_MENTOR: ok("O_PLAN"),
            OTHER_MENTEE: ok("O_PLAN"),
            COORDINATOR: NF,
            TENANT_ADMIN: NF,
            PLATFORM_ADMIN: OUT,
            ANONYMOUS: OUT,
        },
        worlds=(ALBERTA,),
        fill=(("pair_id", "{other_pair_id}"),),
    ),
    # Meetings: the place and the record of a held meeting are the pair's; the coordinator
    # has the counts on the home page only.
    "/pairs/{pair_id}/meetings": Row(pair("MEETING_PLACE", "MEETING_RECORD")),
    "/pairs/{pair_id}/meetings/{meeting_id}": Row(pair("MEETING_PLACE")),
    "/pairs/{pair_id}/meetings/{meeting_id} .ics": Row(
        pair("MEETING_PLACE"), fill=(("meeting_id", "{meeting_id}.ics"),)
    ),
    # The member's own calendar page (the secret address is shown once, when made: its
    # marker, FEED_TOKEN, must appear nowhere).
    "/calendar": Row(
        {
            MENTOR: ok(),
            MENTEE: ok(),
            OTHER_MENTOR: ok(),
            OTHER_MENTEE: ok(),
            COORDINATOR: ok(),
            TENANT_ADMIN: ok(),
            PLATFORM_ADMIN: OUT,
            ANONYMOUS: OUT,
        }
    ),
    # The feed: a secret address (a capability, PUBLIC rule): whoever holds it reads the
    # owner's meetings, as a calendar application does; nobody else learns it (above).
    # An ended pair's meetings leave the feed.
    "/calendar/{token} feed": Row(
        dict.fromkeys(VIEWERS, ok("MEETING_PLACE")),
        fill=(("token", "{token}.ics"),),
        ended=dict.fromkeys(VIEWERS, ok()),
    ),
    "/calendar/{token} unknown": Row(
        dict.fromkeys(VIEWERS, NF), fill=(("token", "{unknown_token}.ics"),)
    ),
    "/calendar/{token} revoked": Row(
        dict.fromkeys(VIEWERS, NF), fill=(("token", "{revoked_token}.ics"),)
    ),
    # The member's CPD record: their own meetings, goals and log entries only.
    "/cpd": Row(
        {
            MENTOR: ok("GOAL", *MENTOR_LOG),
            MENTEE: ok("GOAL", *MENTEE_LOG),
            OTHER_MENTOR: ok("O_GOAL", "O_LOG"),
            OTHER_MENTEE: ok("O_GOAL", "O_LOG_SHARED"),
            COORDINATOR: ok(),
            TENANT_ADMIN: ok(),
            PLATFORM_ADMIN: OUT,
            ANONYMOUS: OUT,
        }
    ),
    # The downloads with the mentor's two entries ticked: the mentor's record has them;
    # anyone else asking for them is refused (400) and gets their own page without them.
    **{
        path: Row(
            {
                MENTOR: ok("GOAL", *MENTOR_LOG),
                MENTEE: Seen(400, frozenset({"GOAL", *MENTEE_LOG})),
                OTHER_MENTOR: Seen(400, frozenset({"O_GOAL", "O_LOG"})),
                OTHER_MENTEE: Seen(400, frozenset({"O_GOAL", "O_LOG_SHARED"})),
                COORDINATOR: Seen(400),
                TENANT_ADMIN: Seen(400),
                PLATFORM_ADMIN: OUT,
                ANONYMOUS: OUT,
            },
            query=(("entry", "entry_id"), ("entry", "shared_entry_id")),
        )
        for path in ("/cpd.pdf", "/cpd.csv")
    },
    # The private log: each person reads only their own entries, the other person none.
    "/pairs/{pair_id}/log": Row(
        {MENTOR: ok(*MENTOR_LOG), MENTEE: ok(*MENTEE_LOG), COORDINATOR: NF, **OUTSIDERS}
    ),
    # The entries shared with the coordinator: theirs to read, only the shared one.
    # (The pair's two people are sent to their own log.)
    "/pairs/{pair_id}/log/shared": Row(
        {
            MENTOR: Seen(SEE_OTHER, to="/pairs/{pair_id}/log"),
            MENTEE: Seen(SEE_OTHER, to="/pairs/{pair_id}/log"),
            COORDINATOR: ok("LOG_MENTOR_SHARED"),
            **OUTSIDERS,
        }
    ),
    # One entry (the mentor's private one; then the shared one): its author only.
    "/pairs/{pair_id}/log/{entry_id}": Row(
        {MENTOR: ok("LOG_MENTOR"), MENTEE: NF, COORDINATOR: NF, **OUTSIDERS}
    ),
    "/pairs/{pair_id}/log/{entry_id} shared": Row(
        {MENTOR: ok("LOG_MENTOR_SHARED"), MENTEE: NF, COORDINATOR: NF, **OUTSIDERS},
        fill=(("entry_id", "{shared_entry_id}"),),
    ),
    # Chat and documents (AHEP's shared space): the pair only; a download too.
    "/pairs/{pair_id}/chat": Row(pair("CHAT"), worlds=(AHEP,)),
    "/pairs/{pair_id}/documents": Row(pair("DOC_NAME"), worlds=(AHEP,)),
    "/pairs/{pair_id}/documents/{document_id}": Row(pair("DOC_BODY"), worlds=(AHEP,)),
    # This pair's address with the other pair's things: "not found" to everyone, this
    # pair too (a page reads its object within the pair named in the address).
    "/pairs/{pair_id}/meetings/{meeting_id} of the other pair": Row(
        NOT_HERE, fill=(("meeting_id", "{other_meeting_id}"),)
    ),
    "/pairs/{pair_id}/meetings/{meeting_id} .ics of the other pair": Row(
        NOT_HERE, fill=(("meeting_id", "{other_meeting_id}.ics"),)
    ),
    "/pairs/{pair_id}/log/{entry_id} of the other pair": Row(
        NOT_HERE, fill=(("entry_id", "{other_entry_id}"),)
    ),
    "/pairs/{pair_id}/documents/{document_id} of the other pair": Row(
        NOT_HERE, worlds=(AHEP,), fill=(("document_id", "{other_document_id}"),)
    ),
    "/pairs/{pair_id}/chat before the other pair's message": Row(
        NOT_HERE, worlds=(AHEP,), query=(("before", "other_message_id"),)
    ),
    # A page the scheme does not have is "not found" to everyone, the pair too.
    "/pairs/{pair_id}/agreement not in the scheme": Row(NOT_HERE, worlds=(ALBERTA,)),
    "/pairs/{pair_id}/plan not in the scheme": Row(NOT_HERE, worlds=(AHEP, ASA)),
    "/pairs/{pair_id}/chat not in the scheme": Row(NOT_HERE, worlds=(ALBERTA, ASA)),
    "/pairs/{pair_id}/documents not in the scheme": Row(NOT_HERE, worlds=(ALBERTA, ASA)),
    # Ending and extending: the pair's forms (the coordinator may end a pair too); removal:
    # the coordinator's.
    "/pairs/{pair_id}/end": Row(pair(coordinator=ok())),
    "/pairs/{pair_id}/extension": Row(pair(), worlds=(AHEP,)),
    # (The pair's two people are told that only the coordinator removes a pair: nothing of
    # the space on it.)
    "/pairs/{pair_id}/remove": Row(pair(coordinator=ok())),
    # Checkpoints (issue 16): the list, and a pair item sent in whose readers name the
    # coordinator (every kind of item and reader: tests/checkpoints/
    # test_member_confidentiality.py); another pair's item through this pair: not found.
    "/pairs/{pair_id}/checkpoints": Row(pair(coordinator=ok())),
    "/pairs/{pair_id}/checkpoints/{item_id}": Row(pair("CHECKPOINT", coordinator=ok("CHECKPOINT"))),
    "/pairs/{pair_id}/checkpoints/{item_id} of the other pair": Row(
        NOT_HERE, fill=(("pair_id", "{other_pair_id}"),)
    ),
}


@dataclass(frozen=True)
class Post:
    """A POST route: who may make it (not probed here: their own tests do), what everyone
    else gets (default: members "not found", no session: sent to sign in), in which worlds,
    and the form sent (a plausible one; a refusal must come before the form is read)."""

    actors: frozenset[str]
    refused: dict[str, int] = field(default_factory=dict)
    worlds: tuple[str, ...] = WORLDS
    files: bool = False

    def status_for(self, viewer: str) -> int:
        default = SIGN_IN if viewer in (PLATFORM_ADMIN, ANONYMOUS) else NOT_FOUND
        return self.refused.get(viewer, default)


PAIR = frozenset({MENTOR, MENTEE})
#: The entry routes are filled with the mentor's private entry: only its author may act.
AUTHOR = frozenset({MENTOR})

#: POST routes: path (under /t/{tenant_slug}) → Post. Every change to the space is the
#: pair's; an entry only its author's; a document's removal only its uploader's (the
#: mentee's here); a pair's removal only the coordinator's.
POST_TABLE: dict[str, Post] = {
    # Each member creates or revokes their own feed: nothing of anyone else's to probe.
    "/calendar": Post(frozenset(MEMBERS)),
    "/pairs/{pair_id}/agreement": Post(PAIR, worlds=(AHEP, ASA)),
    "/pairs/{pair_id}/agreement/agree": Post(PAIR, worlds=(AHEP, ASA)),
    "/pairs/{pair_id}/goals": Post(PAIR),
    "/pairs/{pair_id}/goals/{goal_id}": Post(PAIR),
    "/pairs/{pair_id}/plan": Post(PAIR, worlds=(ALBERTA,)),
    "/pairs/{pair_id}/plan/submit": Post(PAIR, worlds=(ALBERTA,)),
    "/pairs/{pair_id}/meetings": Post(PAIR),
    "/pairs/{pair_id}/meetings/held": Post(PAIR),
    **{
        f"/pairs/{{pair_id}}/meetings/{{meeting_id}}/{action}": Post(PAIR)
        for action in ("accept", "decline", "cancel", "reschedule", "record")
    },
    "/pairs/{pair_id}/log": Post(PAIR),
    **{
        f"/pairs/{{pair_id}}/log/{{entry_id}}{action}": Post(AUTHOR)
        for action in ("", "/share", "/unshare", "/delete")
    },
    "/pairs/{pair_id}/chat": Post(PAIR, worlds=(AHEP,)),
    "/pairs/{pair_id}/documents": Post(PAIR, worlds=(AHEP,), files=True),
    # (The other person of the pair is refused as such: 409 with the page's words.)
    "/pairs/{pair_id}/documents/{document_id}/remove": Post(
        frozenset({MENTEE}), refused={MENTOR: 409}, worlds=(AHEP,)
    ),
    "/pairs/{pair_id}/end": Post(PAIR | {COORDINATOR}),
    **{
        f"/pairs/{{pair_id}}/extension{action}": Post(PAIR, worlds=(AHEP,))
        for action in ("", "/agree", "/decline", "/withdraw")
    },
    # (The pair's two people are told only the coordinator does this: 409.)
    "/pairs/{pair_id}/remove": Post(frozenset({COORDINATOR}), refused={MENTOR: 409, MENTEE: 409}),
    # (The coordinator reads the item but is told the pair answers it: 409.)
    "/pairs/{pair_id}/checkpoints/{item_id}": Post(PAIR, refused={COORDINATOR: 409}),
}


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def storage(tmp_path: Path) -> DirectoryStorage:
    return DirectoryStorage(tmp_path / "documents")


@pytest.fixture
async def client(
    db: Database,
    settings: Settings,  # noqa: F811
    storage: DirectoryStorage,
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, its documents in the test's own directory (the world's too)."""
    configured = dataclasses.replace(settings, storage_dir=storage.root)
    async with serving(create_app(configured, db=db), base_url=BASE) as c:
        yield c


def test_every_space_route_is_in_the_table(settings: Settings) -> None:  # noqa: F811
    routes = space_routes(create_app(settings).app)  # type: ignore[attr-defined]
    missing = []
    for route in routes:
        table = GET_TABLE if route.method == "GET" else POST_TABLE
        if route.path not in {key.split(" ")[0] for key in table}:
            missing.append(f"{route.method} {route.path} ({route.module})")
    assert not missing, "space routes without a row: add it to the table:\n" + "\n".join(missing)
    have = {(r.method == "GET", r.path) for r in routes}
    stale = [p for p in GET_TABLE if (True, p.split(" ")[0]) not in have]
    stale += [p for p in POST_TABLE if (False, p) not in have]
    assert not stale, f"rows for routes the app does not have: {stale}"


async def test_the_viewers_are_who_they_say(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    """Every viewer's session works where it should (so a refusal below is about the pair,
    never a broken session), and the CSRF tokens are the ones the pages carry."""
    pw = await pair_world(db, "ahep")
    viewers = await viewers_of(settings, pw)
    for name in MEMBERS:
        member = member_of(pw, name)
        assert member is not None
        page = await fetch(client, viewers[name], "GET", f"/t/{pw.world.tenant.slug}/pairs")
        assert page.status_code == 200, name
        assert member.display_name in page.text
        assert csrf_from(page.text) == viewers[name].csrf
    page = await fetch(client, viewers[PLATFORM_ADMIN], "GET", "/platform/activity")
    assert page.status_code == 200  # the platform's own page: the session is good
    page = await fetch(client, viewers[ANONYMOUS], "GET", "/platform/activity")
    assert page.status_code == SIGN_IN
    page = await fetch(client, viewers[ANONYMOUS], "GET", f"/t/{pw.world.tenant.slug}/pairs")
    assert page.status_code == SIGN_IN


def _check(
    failures: list[str],
    what: str,
    answer: httpx.Response,
    expected: Seen,
    rich: Rich,
    viewer_name: str = "",
    *,
    outsider_ok: bool = True,
) -> None:
    """Compare one answer with its row; a difference is added to `failures`."""
    found = markers_in(answer, rich.markers.values())
    names = {name for name, value in rich.markers.items() if value in found}
    want = {m for m in expected.markers if m in rich.markers}
    if answer.status_code != expected.status:
        failures.append(f"{what}: status {answer.status_code}, expected {expected.status}")
    elif expected.status == SEE_OTHER and not answer.headers.get("location", "").endswith(
        f"/t/{rich.slug}" + expected.to.format(**rich.ids)
    ):
        failures.append(f"{what}: sent to {answer.headers.get('location')}, not {expected.to}")
    if names != want:
        leaked, lost = sorted(names - want), sorted(want - names)
        failures.append(f"{what}: LEAKS {leaked}" if leaked else f"{what}: does not show {lost}")
    if answer.status_code != 200 or not outsider_ok:
        # A refusal, or a page of someone outside the pair and its coordinator, does not
        # even say who is in the pair (but the viewer's own name, in the navigation).
        people = {rich.pw.mentor.display_name, rich.pw.mentee.display_name} - {viewer_name}
        named = sorted(p for p in people if p in answer.text)
        if named:
            failures.append(f"{what}: {answer.status_code} names {named}")


def _url(route: SpaceRoute, row: Row, rich: Rich) -> str:
    ids = {**rich.ids, **{name: form.format(**rich.ids) for name, form in row.fill}}
    path = concrete(route, rich.slug, ids)
    if row.query:
        path += "?" + urlencode([(name, str(rich.ids[key])) for name, key in row.query])
    return path


def _rows(route: SpaceRoute, slug: str) -> list[tuple[str, Row]]:
    """The table's rows of a GET route read in `slug`'s world."""
    return [
        (key, row)
        for key, row in GET_TABLE.items()
        if key.split(" ")[0] == route.path and slug in row.worlds
    ]


#: Viewers outside the pair go first: their reads are checked to change nothing.
ORDER = (OTHER_MENTOR, OTHER_MENTEE, COORDINATOR, TENANT_ADMIN, PLATFORM_ADMIN, ANONYMOUS)


@pytest.mark.parametrize(
    ("slug", "ended"), [(AHEP, False), (ALBERTA, False), (ASA, False), (AHEP, True)]
)
async def test_who_reads_what_on_every_space_page(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage: DirectoryStorage,
    slug: str,
    ended: bool,
) -> None:
    """The table, in each world; and in AHEP's after the mentee ended the relationship (the
    space is read-only and kept: the same people read the same things)."""
    rich = await rich_world(db, slug, storage)
    if ended:
        await ending.end_by_party(db, rich.pw.id, rich.pw.mentee.id, rich.pw.pair.id)
    viewers = await viewers_of(settings, rich.pw)
    routes = [
        r
        for r in space_routes(create_app(settings).app)  # type: ignore[attr-defined]
        if r.method == "GET"
    ]
    failures: list[str] = []
    before = await snapshot(db, rich.pw.id)
    for viewer in (*ORDER, MENTOR, MENTEE):
        if viewer == MENTOR:  # the outsiders' reads changed nothing
            assert not before.differences(await snapshot(db, rich.pw.id))
        for route in routes:
            for key, row in _rows(route, slug):
                answer = await fetch(client, viewers[viewer], "GET", _url(route, row, rich))
                seen = (row.ended if ended and row.ended else row.seen)[viewer]
                member = member_of(rich.pw, viewer)
                own = member.display_name if member else ""
                _check(
                    failures,
                    f"{viewer} GET {key}",
                    answer,
                    seen,
                    rich,
                    own,
                    # (The feed's holder reads what the owner's calendar shows.)
                    outsider_ok=route.public or viewer in (MENTOR, MENTEE, COORDINATOR),
                )
    assert not failures, "\n".join(failures)


def _probe_form(rich: Rich) -> dict[str, str]:
    """Every field a space form might read, each carrying a probe marker (so a write that
    got through would also show in the rows)."""
    probe = rich.mark("PROBE")
    form = {
        name: probe
        for name in (
            "body",
            "title",
            "detail",
            "text",
            "reason",
            "place",
            "link",
            "record",
            "agenda",
            "message",
        )
    }
    form |= {"months": "3", "minutes": "60", "held_minutes": "60", "mode": "video"}
    form |= {"date": "2027-02-01", "time": "10:00", "status": "achieved", "lock_version": "0"}
    form |= {"action": "save"}
    return form


@pytest.mark.parametrize("slug", WORLDS)
async def test_no_one_outside_changes_anything(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage: DirectoryStorage,
    slug: str,
) -> None:
    """Every POST route, by every viewer who is not its actor: refused, and the space's rows,
    the audit log and the mails are exactly as before."""
    rich = await rich_world(db, slug, storage)
    viewers = await viewers_of(settings, rich.pw)
    form = _probe_form(rich)
    failures: list[str] = []
    probed = 0
    for route in space_routes(create_app(settings).app):  # type: ignore[attr-defined]
        if route.method == "GET" or slug not in POST_TABLE[route.path].worlds:
            continue
        post = POST_TABLE[route.path]
        probed += 1
        path = concrete(route, rich.slug, rich.ids)
        before = await snapshot(db, rich.pw.id)
        for viewer in VIEWERS:
            if viewer in post.actors:
                continue
            files = {"file": ("probe.txt", form["body"].encode(), "text/plain")}
            answer = await fetch(
                client, viewers[viewer], route.method, path, form, files if post.files else None
            )
            status = post.status_for(viewer)
            if answer.status_code != status:
                failures.append(
                    f"{viewer} {route.method} {route.path}: {answer.status_code}, expected {status}"
                )
            elif status == SIGN_IN and not answer.headers["location"].endswith(
                f"/t/{rich.slug}/login"
            ):
                failures.append(f"{viewer} {route.method} {route.path}: not sent to sign in")
        changed = before.differences(await snapshot(db, rich.pw.id))
        if changed:
            failures.append(f"{route.method} {route.path} CHANGED {changed}")
    assert probed > 15
    assert not failures, "\n".join(failures)


async def test_another_tenant_reads_and_changes_nothing(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage: DirectoryStorage,
) -> None:
    """The mentor, the coordinator and the tenant admin of another association, with this
    association's ids: on their own association's URLs the ids are "not found" (routes
    without an id show their own things: none of these markers); on this association's
    URLs they are sent to sign in. Nothing of this association changes."""
    rich = await rich_world(db, AHEP, storage)
    away = await pair_world(db, AHEP)
    theirs = await viewers_of(settings, away)
    routes = space_routes(create_app(settings).app)  # type: ignore[attr-defined]
    form = _probe_form(rich)
    failures: list[str] = []
    before = await snapshot(db, rich.pw.id)
    probes = [
        (route, key, _url(route, row, rich))
        for route in routes
        if route.method == "GET"
        for key, row in GET_TABLE.items()
        if key.split(" ")[0] == route.path
    ]
    probes += [
        (route, route.path, concrete(route, rich.slug, rich.ids))
        for route in routes
        if route.method != "GET"
    ]
    files = {"file": ("probe.txt", b"probe", "text/plain")}
    for viewer in (MENTOR, COORDINATOR, TENANT_ADMIN):
        for route, key, here in probes:
            what = f"{away.world.tenant.slug}'s {viewer} {route.method} {key}"
            with_ids = "{" in route.path
            for slug in (away.world.tenant.slug, rich.slug):
                if route.public and slug == rich.slug:
                    continue  # the feed's secret address: anyone holding it (see the table)
                path = here.replace(f"/t/{rich.slug}/", f"/t/{slug}/", 1)
                upload = route.method != "GET" and POST_TABLE[route.path].files
                answer = await fetch(
                    client, theirs[viewer], route.method, path, form, files if upload else None
                )
                leaked = markers_in(answer, rich.markers.values())
                if leaked:
                    failures.append(f"{what} at {slug}: LEAKS {sorted(leaked)}")
                if slug == rich.slug:  # a POST carries their association's CSRF token: 403
                    good = (route.method != "GET" and answer.status_code == 403) or (
                        answer.status_code == SIGN_IN
                        and answer.headers["location"].endswith(f"/t/{rich.slug}/login")
                    )
                else:
                    good = answer.status_code == NOT_FOUND or (
                        not with_ids and answer.status_code in (200, 303, 400)
                    )
                if not good:
                    failures.append(f"{what} at {slug}: {answer.status_code}")
    assert not before.differences(await snapshot(db, rich.pw.id))
    assert not failures, "\n".join(failures)


#: What a mail may carry, by recipient: the pair's meeting invitations name the place; the
#: coordinator's mails (a shared entry, a submitted plan) only link to the page.
MAIL_MAY_CARRY = {
    MENTOR: {"MEETING_PLACE"},
    MENTEE: {"MEETING_PLACE"},
    OTHER_MENTOR: {"O_MEETING_PLACE"},
    OTHER_MENTEE: {"O_MEETING_PLACE"},
    COORDINATOR: set(),
    TENANT_ADMIN: set(),
}


@pytest.mark.parametrize("slug", WORLDS)
async def test_mail_carries_nothing_the_recipient_may_not_read(
    db: Database, storage: DirectoryStorage, slug: str
) -> None:
    """Every mail the world's actions wrote (its stored context and attachments: what the
    mail is rendered from) carries only what its recipient may read."""
    rich = await rich_world(db, slug, storage)
    who = {member_of(rich.pw, v).id: v for v in MEMBERS}  # type: ignore[union-attr]
    async with db.tenant(rich.pw.id) as session:
        rows = (
            await session.execute(
                text("SELECT member_id, kind, row_to_json(m)::text FROM messages m")
            )
        ).all()
    assert rows  # invitations, shares and submissions were mailed
    failures = []
    carried: set[tuple[str, str]] = set()
    for member_id, kind, stored in rows:
        unfolded = stored.replace("\\r\\n ", "").replace("\\n ", "")
        found = {name for name, value in rich.markers.items() if value in unfolded}
        carried |= {(who[member_id], name) for name in found}
        extra = found - MAIL_MAY_CARRY[who[member_id]]
        if extra:
            failures.append(f"{kind} to the {who[member_id]}: LEAKS {sorted(extra)}")
    assert not failures, "\n".join(failures)
    # The search sees what is there: the invitations name the place.
    assert (MENTOR, "MEETING_PLACE") in carried and (MENTEE, "MEETING_PLACE") in carried


#: Object parameters → the other pair's object of that kind.
OTHER_PAIRS = {
    "goal_id": "other_goal_id",
    "meeting_id": "other_meeting_id",
    "entry_id": "other_entry_id",
    "document_id": "other_document_id",
}


@pytest.mark.parametrize("slug", WORLDS)
async def test_the_pair_cannot_reach_the_other_pairs_things(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage: DirectoryStorage,
    slug: str,
) -> None:
    """Every POST route on one object (a goal, a meeting, an entry, a document), by each
    of this pair's people at this pair's address with the other pair's object: "not found",
    nothing changes."""
    rich = await rich_world(db, slug, storage)
    viewers = await viewers_of(settings, rich.pw)
    form = _probe_form(rich)
    failures: list[str] = []
    probed = 0
    for route in space_routes(create_app(settings).app):  # type: ignore[attr-defined]
        if route.method == "GET" or slug not in POST_TABLE[route.path].worlds:
            continue
        swapped = {k: rich.ids[v] for k, v in OTHER_PAIRS.items() if f"{{{k}}}" in route.path}
        if not swapped:
            continue
        path = concrete(route, rich.slug, {**rich.ids, **swapped})
        before = await snapshot(db, rich.pw.id)
        for viewer in (MENTOR, MENTEE):
            answer = await fetch(client, viewers[viewer], route.method, path, form)
            probed += 1
            if answer.status_code != NOT_FOUND:
                failures.append(f"{viewer} {route.method} {route.path}: {answer.status_code}")
        changed = before.differences(await snapshot(db, rich.pw.id))
        if changed:
            failures.append(f"{route.method} {route.path} CHANGED {changed}")
    assert probed
    assert not failures, "\n".join(failures)


async def test_the_counts_reach_the_pair_and_the_coordinator(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    storage: DirectoryStorage,
) -> None:
    """DESIGN: counts (meetings, contact hours) are the pair's and the coordinator's: both
    homes carry the held meeting's 75 minutes, with none of the meeting's words."""
    rich = await rich_world(db, AHEP, storage)
    viewers = await viewers_of(settings, rich.pw)
    for viewer in (MENTOR, MENTEE, COORDINATOR):
        page = await fetch(
            client, viewers[viewer], "GET", f"/t/{rich.slug}/pairs/{rich.pw.pair.id}"
        )
        words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
        assert page.status_code == 200 and hours_words(75) in words, viewer
        assert rich.markers["MEETING_RECORD"] not in page.text
