"""Who reads what in a pair's space (issue 15, DESIGN.md "Who reads what"), route by route and
viewer by viewer, through the real app over HTTP.

One rich world per tenant whose scheme has the content (AHEP: agreement, chat, documents;
Alberta: the plan submitted to the coordinator; the Advice Skills Academy: log entries shared
with the coordinator for review), every piece written through the space's actions and
carrying its own marker string. Then every route of the space — enumerated from the
application, so a route added later fails `test_every_space_route_is_in_the_table` until it
is given a row — is fetched by each viewer, and the answer's status and the exact set of
markers in its body (page, .ics, CSV, PDF, download) are compared with the table below.

The table, in DESIGN.md's words:

* private log entry: its author only; the coordinator only the entries the author shares;
* agreement, goals, plan, meetings, chat, documents: the pair; the coordinator only the plan
  once submitted (and the shared entries); counts (meetings held, contact hours) the pair and
  the coordinator;
* the other pair's people, a tenant admin without the coordinator role: "not found";
  a platform admin and an anonymous visitor have no session in the tenant: sent to sign in.

POST routes: every viewer who is not the route's actor is refused (404/403/sign-in) and the
space's rows, the audit log and the mails are unchanged. A member of another tenant using
this tenant's ids gets "not found" on their own tenant's URLs and is sent to sign in on this
one's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import pytest

from mentorhub.app import create_app
from mentorhub.db import Database
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

SIGN_IN = 303  # sent to the tenant's sign-in page
NOT_FOUND = 404


@dataclass(frozen=True)
class Seen:
    status: int
    #: The markers (names, see `World.markers`) the body must carry — exactly these.
    markers: frozenset[str] = frozenset()


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
    #: Query parameters: (name, the world's id name whose value it carries).
    query: tuple[tuple[str, str], ...] = ()


#: GET routes: path (under /t/{tenant_slug}) → Row.
GET_TABLE: dict[str, Row] = {
    # The pair's home: the pair reads the shared content at a glance, never a log entry; the
    # coordinator's version has the people, dates and counts only.
    "/pairs/{pair_id}": Row(
        {
            MENTOR: ok(),
            MENTEE: ok(),
            COORDINATOR: ok(),
            **OUTSIDERS,
        }
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

#: POST routes: path (under /t/{tenant_slug}) → Post.
POST_TABLE: dict[str, Post] = {}


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def test_every_space_route_is_in_the_table(settings: Settings) -> None:  # noqa: F811
    routes = space_routes(create_app(settings).app)  # type: ignore[attr-defined]
    missing = []
    for route in routes:
        table = GET_TABLE if route.method == "GET" else POST_TABLE
        if route.path not in table:
            missing.append(f"{route.method} {route.path} ({route.module})")
    assert not missing, "space routes without a row: add it to the table:\n" + "\n".join(missing)
    have = {(r.method == "GET", r.path) for r in routes}
    stale = [p for p in GET_TABLE if (True, p) not in have]
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
) -> None:
    """Compare one answer with its row; a difference is added to `failures`."""
    found = markers_in(answer, rich.markers.values())
    names = {name for name, value in rich.markers.items() if value in found}
    want = {m for m in expected.markers if m in rich.markers}
    if answer.status_code != expected.status:
        failures.append(f"{what}: status {answer.status_code}, expected {expected.status}")
    elif expected.status == SIGN_IN and not answer.headers.get("location", "").endswith(
        f"/t/{rich.slug}/login"
    ):
        failures.append(f"{what}: sent to {answer.headers.get('location')}, not to sign in")
    if names != want:
        leaked, lost = sorted(names - want), sorted(want - names)
        failures.append(f"{what}: LEAKS {leaked}" if leaked else f"{what}: does not show {lost}")


def _url(route: SpaceRoute, row: Row, rich: Rich) -> str:
    path = concrete(route, rich.slug, rich.ids)
    if row.query:
        path += "?" + urlencode([(name, str(rich.ids[key])) for name, key in row.query])
    return path


#: Viewers outside the pair go first: their reads are checked to change nothing.
ORDER = (OTHER_MENTOR, OTHER_MENTEE, COORDINATOR, TENANT_ADMIN, PLATFORM_ADMIN, ANONYMOUS)


@pytest.mark.parametrize("slug", WORLDS)
async def test_who_reads_what_on_every_space_page(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    slug: str,
) -> None:
    rich = await rich_world(db, slug)
    viewers = await viewers_of(settings, rich.pw)
    routes = [
        r
        for r in space_routes(create_app(settings).app)  # type: ignore[attr-defined]
        if r.method == "GET" and slug in GET_TABLE[r.path].worlds
    ]
    failures: list[str] = []
    before = await snapshot(db, rich.pw.id)
    for viewer in (*ORDER, MENTOR, MENTEE):
        if viewer == MENTOR:  # the outsiders' reads changed nothing
            assert not before.differences(await snapshot(db, rich.pw.id))
        for route in routes:
            row = GET_TABLE[route.path]
            answer = await fetch(client, viewers[viewer], "GET", _url(route, row, rich))
            _check(failures, f"{viewer} GET {route.path}", answer, row.seen[viewer], rich)
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
    return form


@pytest.mark.parametrize("slug", WORLDS)
async def test_no_one_outside_changes_anything(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
    slug: str,
) -> None:
    """Every POST route, by every viewer who is not its actor: refused, and the space's rows,
    the audit log and the mails are exactly as before."""
    rich = await rich_world(db, slug)
    viewers = await viewers_of(settings, rich.pw)
    form = _probe_form(rich)
    failures: list[str] = []
    for route in space_routes(create_app(settings).app):  # type: ignore[attr-defined]
        if route.method == "GET" or slug not in POST_TABLE[route.path].worlds:
            continue
        post = POST_TABLE[route.path]
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
    assert not failures, "\n".join(failures)


async def test_another_tenant_reads_and_changes_nothing(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    """The mentor, the coordinator and the tenant admin of another association, with this
    association's ids: on their own association's URLs the ids are "not found" (routes
    without an id show their own things: none of these markers); on this association's
    URLs they are sent to sign in. Nothing of this association changes."""
    rich = await rich_world(db, AHEP)
    away = await pair_world(db, AHEP)
    theirs = await viewers_of(settings, away)
    routes = space_routes(create_app(settings).app)  # type: ignore[attr-defined]
    form = _probe_form(rich)
    failures: list[str] = []
    before = await snapshot(db, rich.pw.id)
    for viewer in (MENTOR, COORDINATOR, TENANT_ADMIN):
        for route in routes:
            what = f"{away.world.tenant.slug}'s {viewer} {route.method} {route.path}"
            with_ids = "{" in route.path
            for slug in (away.world.tenant.slug, rich.slug):
                path = concrete(route, slug, rich.ids)
                if route.method == "GET":
                    path = _url(route, GET_TABLE[route.path], rich).replace(
                        f"/t/{rich.slug}/", f"/t/{slug}/", 1
                    )
                files = {"file": ("probe.txt", b"probe", "text/plain")}
                answer = await fetch(client, theirs[viewer], route.method, path, form, files)
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
                        not with_ids and answer.status_code in (200, 303)
                    )
                if not good:
                    failures.append(f"{what} at {slug}: {answer.status_code}")
    assert not before.differences(await snapshot(db, rich.pw.id))
    assert not failures, "\n".join(failures)
