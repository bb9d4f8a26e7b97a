"""The confidentiality test's machinery (tests/pairs/test_confidentiality.py): the viewers and
their sessions, the space routes enumerated from the real application, filling a route's
path parameters with a world's ids, reading the marker strings out of any answer (HTML,
.ics, CSV, PDF, a downloaded document) and a snapshot of everything a pair's space holds.

Viewers sign in the way the other HTTP tests do: a session is written to the session store
for the member (tests.applications.test_coordinator_pages.sign_in_as). The platform admin's
session is made the same way, as the platform's sign-in callback makes it after the OIDC
round (tests/identity/test_platform.py shows the round itself): an Identity with
`platform_admin=True` and no tenant. A platform admin's browser sends it only under
/platform/; here it is also sent as the tenant cookie, the worst case, and must count for
nothing on a tenant's pages."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pypdf import PdfReader
from redis.asyncio import Redis
from sqlalchemy import text

from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE, Identity, SessionStore
from mentorhub.pairs.services import logs
from mentorhub.settings import Settings
from mentorhub.web.security import CSRF_COOKIE, CSRFProtection
from tests.pairs.space_helpers import PairWorld, pair_world

TENANT_PREFIX = "/t/{tenant_slug:str}"

# --- viewers ------------------------------------------------------------------------------

MENTOR = "mentor"
MENTEE = "mentee"
OTHER_MENTOR = "other pair's mentor"
OTHER_MENTEE = "other pair's mentee"
COORDINATOR = "coordinator"
TENANT_ADMIN = "tenant admin"
PLATFORM_ADMIN = "platform admin"
ANONYMOUS = "anonymous"
VIEWERS = (
    MENTOR,
    MENTEE,
    OTHER_MENTOR,
    OTHER_MENTEE,
    COORDINATOR,
    TENANT_ADMIN,
    PLATFORM_ADMIN,
    ANONYMOUS,
)
#: Members of the tenant (they have a tenant session).
MEMBERS = VIEWERS[:6]


def member_of(pw: PairWorld, viewer: str) -> Member | None:
    return {
        MENTOR: pw.mentor,
        MENTEE: pw.mentee,
        OTHER_MENTOR: pw.other_mentor,
        OTHER_MENTEE: pw.other_mentee,
        COORDINATOR: pw.world.coordinator,
        TENANT_ADMIN: pw.world.admin,
    }.get(viewer)


@dataclass
class Viewer:
    """One viewer's cookies and CSRF token for one tenant."""

    name: str
    cookies: dict[str, str]
    csrf: str


def _csrf(settings: Settings, tenant_id: uuid.UUID, cookies: Mapping[str, str]) -> str:
    """The token the CSRF middleware expects for these cookies on this tenant's pages (its
    own `token` method, so a POST probe is refused for who sends it, never for the token)."""
    protection = CSRFProtection(app=None, secret_key=settings.secret_key or "")  # type: ignore[arg-type]
    session = cookies.get(TENANT_COOKIE)
    if session:
        binding = "session:" + hashlib.sha256(session.encode()).hexdigest()
    else:
        binding = "browser:" + cookies[CSRF_COOKIE]
    return protection.token(f"tenant:{tenant_id}", binding)


async def viewers_of(settings: Settings, pw: PairWorld) -> dict[str, Viewer]:
    """Every viewer of `pw` with a live session (none for the anonymous visitor)."""
    redis = Redis.from_url(settings.redis_url or "")
    store = SessionStore(redis, idle_seconds=900, absolute_seconds=900)
    found: dict[str, Viewer] = {}
    try:
        for name in MEMBERS:
            member = member_of(pw, name)
            assert member is not None
            token = await store.create(
                Identity(
                    email=member.email,
                    display_name=member.display_name,
                    tenant_id=str(pw.id),
                    tenant_slug=pw.world.tenant.slug,
                    member_id=str(member.id),
                    roles=tuple(member.roles),
                )
            )
            cookies = {TENANT_COOKIE: token}
            found[name] = Viewer(name, cookies, _csrf(settings, pw.id, cookies))
        platform = await store.create(
            Identity(
                email=f"pat.{uuid.uuid4().hex[:6]}@platform.example.org",
                display_name="Pat Platform",
                platform_admin=True,
            )
        )
        cookies = {PLATFORM_COOKIE: platform, TENANT_COOKIE: platform}
        found[PLATFORM_ADMIN] = Viewer(PLATFORM_ADMIN, cookies, _csrf(settings, pw.id, cookies))
    finally:
        await redis.aclose()
    cookies = {CSRF_COOKIE: base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode()[:40]}
    found[ANONYMOUS] = Viewer(ANONYMOUS, cookies, _csrf(settings, pw.id, cookies))
    return found


async def fetch(
    client: httpx.AsyncClient,
    viewer: Viewer,
    method: str,
    path: str,
    data: Mapping[str, str] | None = None,
    files: Mapping[str, tuple[str, bytes, str]] | None = None,
) -> httpx.Response:
    """One request as `viewer` (its cookies only; a POST carries its CSRF token)."""
    client.cookies.clear()
    for name, value in viewer.cookies.items():
        client.cookies.set(name, value)
    if method == "GET":
        return await client.get(path)
    form = {**(data or {}), "_csrf_token": viewer.csrf}
    return await client.request(method, path, data=form, files=files)


# --- routes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpaceRoute:
    method: str
    #: The path under /t/{tenant_slug}, its parameters without their types:
    #: "/pairs/{pair_id}/meetings/{meeting_id}.ics".
    path: str
    #: The template as the router has it.
    template: str
    name: str | None
    module: str


_SPACE_PREFIXES = ("/pairs/{pair_id", "/calendar", "/cpd")


def space_routes(app: Any) -> list[SpaceRoute]:
    """Every route of the pair's space: each path under /t/{tenant_slug}/pairs/{pair_id},
    /calendar or /cpd, and anything else a pairs view module (but 'My mentoring') serves."""
    found: set[SpaceRoute] = set()
    for route in app.routes:
        if not route.path.startswith(TENANT_PREFIX):
            continue
        rest = route.path[len(TENANT_PREFIX) :]
        for handler in route.route_handlers:
            fn = getattr(handler, "fn", None)
            module = getattr(fn, "__module__", "") or ""
            if module == "litestar.routes.http":  # Litestar's own OPTIONS answer
                continue
            ours = module.startswith("mentorhub.pairs.views.") and not module.endswith(".mine")
            if not (ours or rest.startswith(_SPACE_PREFIXES)):
                continue
            for method in handler.http_methods:
                if method in ("HEAD", "OPTIONS"):
                    continue
                found.add(
                    SpaceRoute(
                        method=method,
                        path=re.sub(r"\{(\w+):[^}]+\}", r"{\1}", rest),
                        template=route.path,
                        name=handler.name,
                        module=module,
                    )
                )
    return sorted(found, key=lambda r: (r.path, r.method))


def concrete(route: SpaceRoute, slug: str, ids: Mapping[str, Any]) -> str:
    """The route's URL with the tenant's slug and `ids` for its parameters."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"no id for {{{name}}} in {route.path}: add it to the world"
        return str(ids[name])

    return f"/t/{slug}" + re.sub(r"\{(\w+)\}", fill, route.path)


# --- markers ------------------------------------------------------------------------------


def marker(kind: str) -> str:
    """A unique string to find in an answer, e.g. SECRET-LOG-MENTOR-7f3a1c."""
    return f"SECRET-{kind}-{uuid.uuid4().hex[:6]}"


def _pdf_text(data: bytes) -> str:
    """A PDF's text as pypdf extracts it, page by page."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def body_text(answer: httpx.Response) -> str:
    """The answer as text to search for markers: HTML with entities kept as they are (the
    markers have none), .ics unfolded, a PDF's text."""
    content = answer.content
    if content.startswith(b"%PDF"):
        return _pdf_text(content)
    raw = content.decode("utf-8", "replace")
    return raw.replace("\r\n ", "").replace("\n ", "")  # iCalendar folding


def markers_in(answer: httpx.Response, markers: Iterable[str]) -> set[str]:
    found = body_text(answer)
    return {m for m in markers if m in found}


# --- the space's rows ---------------------------------------------------------------------

SPACE_TABLES = (
    "pairs",
    "pair_agreements",
    "pair_goals",
    "pair_plans",
    "meetings",
    "calendar_feeds",
    "log_entries",
    "chat_messages",
    "pair_member_states",
    "documents",
    "audit_log",
    "messages",
)


@dataclass
class Snapshot:
    rows: dict[str, list[str]] = field(default_factory=dict)

    def differences(self, other: Snapshot) -> list[str]:
        out = []
        for table in SPACE_TABLES:
            before, after = self.rows.get(table, []), other.rows.get(table, [])
            if before != after:
                gone = sorted(set(before) - set(after))[:2]
                new = sorted(set(after) - set(before))[:2]
                out.append(f"{table}: -{gone} +{new}")
        return out


async def snapshot(db: Database, tenant_id: uuid.UUID) -> Snapshot:
    """Every row of the space's tables (and the audit log and mails) of the tenant, as text."""
    taken = Snapshot()
    async with db.tenant(tenant_id) as session:
        for table in SPACE_TABLES:
            rows = await session.execute(
                text(f"SELECT row_to_json(t)::text FROM {table} t ORDER BY 1")
            )
            taken.rows[table] = [r[0] for r in rows]
    return taken


# --- the rich world -------------------------------------------------------------------------


@dataclass
class Rich:
    """A pair world with content in both pairs, each piece carrying a marker."""

    pw: PairWorld
    #: Marker name (e.g. "LOG_MENTOR") → the unique string written into that piece.
    markers: dict[str, str] = field(default_factory=dict)
    #: Path parameter → value ("pair_id", "entry_id", ...).
    ids: dict[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.pw.world.tenant.slug

    def mark(self, name: str) -> str:
        self.markers[name] = marker(name.replace("_", "-"))
        return self.markers[name]


async def _logs(db: Database, rich: Rich) -> None:
    """Private entries of both people of both pairs; some shared with the coordinator."""
    pw, tid = rich.pw, rich.pw.id
    p, o = pw.pair.id, pw.other_pair.id
    entry = await logs.write_entry(db, tid, pw.mentor.id, p, body=rich.mark("LOG_MENTOR"))
    rich.ids["entry_id"] = entry.id
    shared = await logs.write_entry(
        db, tid, pw.mentor.id, p, title="For review", body=rich.mark("LOG_MENTOR_SHARED")
    )
    await logs.share_entry(db, tid, pw.mentor.id, p, shared.id)
    rich.ids["shared_entry_id"] = shared.id
    await logs.write_entry(db, tid, pw.mentee.id, p, body=rich.mark("LOG_MENTEE"))
    withdrawn = await logs.write_entry(
        db, tid, pw.mentee.id, p, body=rich.mark("LOG_MENTEE_WITHDRAWN")
    )
    await logs.share_entry(db, tid, pw.mentee.id, p, withdrawn.id)
    await logs.unshare_entry(db, tid, pw.mentee.id, p, withdrawn.id)
    await logs.write_entry(db, tid, pw.other_mentor.id, o, body=rich.mark("O_LOG"))
    other_shared = await logs.write_entry(
        db, tid, pw.other_mentee.id, o, body=rich.mark("O_LOG_SHARED")
    )
    await logs.share_entry(db, tid, pw.other_mentee.id, o, other_shared.id)


async def rich_world(db: Database, slug: str) -> Rich:
    """`slug`'s pair world (tests.pairs.space_helpers) with content in the space of both
    pairs, written through the space's actions, each piece with its own marker."""
    rich = Rich(await pair_world(db, slug))
    rich.ids["pair_id"] = rich.pw.pair.id
    await _logs(db, rich)
    return rich
