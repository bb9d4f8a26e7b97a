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
from dataclasses import dataclass
from typing import Any

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
    SpaceRoute,
    concrete,
    fetch,
    markers_in,
    member_of,
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

#: GET routes: path (under /t/{tenant_slug}) → the tenants it is read in → viewer → Seen.
GET_TABLE: dict[str, dict[str, Any]] = {}

#: POST routes: path → the viewers whose POST is theirs to make (not probed); every other
#: viewer is refused and changes nothing.
POST_TABLE: dict[str, frozenset[str]] = {}


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


_ = (SpaceRoute, concrete, fetch, markers_in, snapshot, viewers_of, VIEWERS)
_ = (MENTOR, MENTEE, COORDINATOR)


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
