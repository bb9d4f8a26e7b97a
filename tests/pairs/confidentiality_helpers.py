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
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from pypdf import PdfReader
from redis.asyncio import Redis
from sqlalchemy import text, update

from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.db import Database
from mentorhub.identity.guards import PUBLIC
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE, Identity, SessionStore
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import agreement, calendar, chat, documents, logs, meetings
from mentorhub.pairs.storage import Storage
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
    if files:
        # An upload carries the token in the header (the CSRF middleware then leaves the
        # multipart body to the handler, which closes its temporary files).
        return await client.request(
            method, path, data=data, files=files, headers={"X-CSRFToken": viewer.csrf}
        )
    return await client.request(method, path, data={**(data or {}), "_csrf_token": viewer.csrf})


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
    #: Its access rule is PUBLIC (no session needed).
    public: bool = False


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
                        public=handler.opt.get("rule") == PUBLIC,
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
    """Private entries of both people of both pairs (the marker in the title and the body:
    lists show titles); some shared with the coordinator, one share withdrawn."""
    pw, tid = rich.pw, rich.pw.id
    p, o = pw.pair.id, pw.other_pair.id

    async def write(author: Member, pair_id: uuid.UUID, name: str) -> uuid.UUID:
        text = rich.mark(name)
        entry = await logs.write_entry(
            db, tid, author.id, pair_id, title=text, body=f"Reflection: {text}"
        )
        return entry.id

    rich.ids["entry_id"] = await write(pw.mentor, p, "LOG_MENTOR")
    rich.ids["shared_entry_id"] = await write(pw.mentor, p, "LOG_MENTOR_SHARED")
    await logs.share_entry(db, tid, pw.mentor.id, p, rich.ids["shared_entry_id"])
    await write(pw.mentee, p, "LOG_MENTEE")
    withdrawn = await write(pw.mentee, p, "LOG_MENTEE_WITHDRAWN")
    await logs.share_entry(db, tid, pw.mentee.id, p, withdrawn)
    await logs.unshare_entry(db, tid, pw.mentee.id, p, withdrawn)
    rich.ids["other_entry_id"] = await write(pw.other_mentor, o, "O_LOG")
    other_shared = await write(pw.other_mentee, o, "O_LOG_SHARED")
    await logs.share_entry(db, tid, pw.other_mentee.id, o, other_shared)


async def _agreement_goals_plan(db: Database, rich: Rich) -> None:
    """The agreement (where the scheme has one), a goal of each pair, and the plan (where
    the scheme has one): this pair's submitted, the other pair's only saved."""
    pw, tid = rich.pw, rich.pw.id
    p, o = pw.pair.id, pw.other_pair.id
    space = pw.world.scheme.space
    if space.agreement:
        texts = {section.key: "" for section in space.agreement}
        first = space.agreement[0].key
        view, _ = await agreement.save_agreement(
            db,
            tid,
            pw.mentor.id,
            p,
            texts={**texts, first: rich.mark("AGREEMENT")},
            lock_version=0,
        )
        assert view is not None
        await agreement.agree(db, tid, pw.mentor.id, p, revision=view.revision)
        await agreement.save_agreement(
            db,
            tid,
            pw.other_mentor.id,
            o,
            texts={**texts, first: rich.mark("O_AGREEMENT")},
            lock_version=0,
        )
    goal = await agreement.add_goal(db, tid, pw.mentee.id, p, title=rich.mark("GOAL"))
    rich.ids["goal_id"] = goal.id
    other_goal = await agreement.add_goal(db, tid, pw.other_mentee.id, o, title=rich.mark("O_GOAL"))
    rich.ids["other_goal_id"] = other_goal.id
    if space.plan:
        months: dict[int, str] = {m.month: "" for m in space.plan}
        month = space.plan[0].month
        first_on, last_on = date.today() + timedelta(days=7), date.today() + timedelta(days=60)
        plan, _ = await agreement.save_plan(
            db,
            tid,
            pw.mentor.id,
            p,
            texts={**months, month: rich.mark("PLAN")},
            first_meeting_on=first_on,
            last_meeting_on=last_on,
            lock_version=0,
        )
        assert plan is not None
        await agreement.submit_plan(db, tid, pw.mentee.id, p, lock_version=plan.lock_version)
        await agreement.save_plan(
            db,
            tid,
            pw.other_mentor.id,
            o,
            texts={**months, month: rich.mark("O_PLAN")},
            first_meeting_on=first_on,
            last_meeting_on=last_on,
            lock_version=0,
        )


async def _meetings(db: Database, rich: Rich) -> None:
    """A scheduled meeting in person (its place a marker) and a held one (its record a
    marker) in this pair; a scheduled one in the other pair; the mentor's calendar feed."""
    pw, tid = rich.pw, rich.pw.id
    p, o = pw.pair.id, pw.other_pair.id
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    (proposed,) = await meetings.propose(
        db,
        tid,
        pw.mentor.id,
        p,
        [meetings.NewTime(soon, 60, "in_person", place=rich.mark("MEETING_PLACE"))],
    )
    await meetings.accept(db, tid, pw.mentee.id, p, proposed.id)
    rich.ids["meeting_id"] = proposed.id
    held = meetings.NewTime(soon - timedelta(days=14), 75, "phone", link="")
    await meetings.record_held(
        db,
        tid,
        pw.mentee.id,
        p,
        None,
        held_minutes=75,
        record=rich.mark("MEETING_RECORD"),
        held=held,
    )
    (other,) = await meetings.propose(
        db,
        tid,
        pw.other_mentor.id,
        o,
        [meetings.NewTime(soon, 60, "in_person", place=rich.mark("O_MEETING_PLACE"))],
    )
    await meetings.accept(db, tid, pw.other_mentee.id, o, other.id)
    rich.ids["other_meeting_id"] = other.id
    rich.ids["token"] = rich.markers["FEED_TOKEN"] = await calendar.create_feed(
        db, tid, pw.mentor.id
    )
    rich.ids["unknown_token"] = secrets.token_urlsafe(32)
    rich.ids["revoked_token"] = rich.markers["REVOKED_TOKEN"] = await calendar.create_feed(
        db, tid, pw.mentee.id
    )
    assert await calendar.revoke_feed(db, tid, pw.mentee.id)


async def _chat_documents(db: Database, rich: Rich, storage: Storage) -> None:
    """Where the scheme shares them: a message and a document in each pair."""
    pw, tid = rich.pw, rich.pw.id
    p, o = pw.pair.id, pw.other_pair.id
    shared = pw.world.scheme.relationship.shared_space
    if "chat" in shared:
        await chat.post_message(db, tid, pw.mentor.id, p, rich.mark("CHAT"))
        message = await chat.post_message(db, tid, pw.other_mentee.id, o, rich.mark("O_CHAT"))
        rich.ids["other_message_id"] = message.id
    if "documents" in shared:
        name = rich.mark("DOC_NAME")
        document = await documents.upload_document(
            db,
            storage,
            tid,
            pw.mentee.id,
            p,
            filename=f"{name}.txt",
            data=f"Notes: {rich.mark('DOC_BODY')}\n".encode(),
        )
        rich.ids["document_id"] = document.id
        theirs = await documents.upload_document(
            db,
            storage,
            tid,
            pw.other_mentor.id,
            o,
            filename="theirs.txt",
            data=f"Notes: {rich.mark('O_DOC_BODY')}\n".encode(),
        )
        rich.ids["other_document_id"] = theirs.id


async def rich_world(db: Database, slug: str, storage: Storage) -> Rich:
    """`slug`'s pair world (tests.pairs.space_helpers, matched a month ago) with content in
    the space of both pairs, written through the space's actions, each piece with its own
    marker."""
    pw = await pair_world(db, slug)
    # pair_world(matched_on=...) sets it on Pair objects create_pairs did not keep in the
    # session (it inserts with Core): set it in the table.
    async with db.tenant(pw.id) as session:
        await session.execute(
            update(Pair)
            .where(Pair.id.in_((pw.pair.id, pw.other_pair.id)))
            .values(matched_on=date.today() - timedelta(days=30))
        )
    rich = Rich(pw)
    rich.ids["pair_id"] = rich.pw.pair.id
    rich.ids["other_pair_id"] = rich.pw.other_pair.id
    await _agreement_goals_plan(db, rich)
    await _meetings(db, rich)
    await _logs(db, rich)
    await _chat_documents(db, rich, storage)
    await _checkpoint(db, rich)
    return rich


async def _checkpoint(db: Database, rich: Rich) -> None:
    """One pair item sent in (issue 16), its answer a marker, read by the pair and the
    coordinator (each reader of every kind of item: tests/checkpoints/
    test_member_confidentiality.py)."""
    pw, today = rich.pw, date.today()
    item = CheckpointItem(
        tenant_id=pw.id,
        id=uuid.uuid4(),
        pair_id=pw.pair.id,
        checkpoint="probe_update",
        scheme_version=pw.pair.scheme_version,
        kind="survey",
        title="Probe update",
        audience="pair",
        readers=["pair", "coordinator"],
        due_on=today,
        opens_on=today,
        closes_on=today,
        state="submitted",
        submitted_at=datetime.now(UTC),
        submitted_by=pw.mentee.id,
        answers={"update": rich.mark("CHECKPOINT")},
    )
    async with db.tenant(pw.id) as session:
        session.add(item)
    rich.ids["item_id"] = item.id
