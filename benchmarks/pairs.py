"""The pair's space figures (issue 15), served as production serves them:

* **the pair's home page** (`GET /t/ahep/pairs/<id>`) and **the chat page**
  (`GET /t/ahep/pairs/<id>/chat`, ~200 messages in the pair), signed in as the pair's mentor,
  under 20 concurrent clients — p50/p95, goal p95 ≤ 50 ms;
* **a member's calendar feed** (`GET /t/ahep/calendar/<token>.ics`, the public secret URL)
  listing their 50 meetings — goal ≤ 20 ms (at 1 client; at 20 beside it);

with 1,000 tenants, 1,000,000 members and 300,000 pairs in the database (`--tenants`,
`--members`, `--pairs` scale it down for a quick run).

The database (embedded PostgreSQL and Redis in a temporary folder, `benchmarks._services`)
is loaded with set-based SQL as the owner (`INSERT … SELECT … FROM generate_series`, the
members with `benchmarks.applications.MEMBERS_SQL`), not through the actions: the five
reference tenants as the product loads them, the other tenants with AHEP's scheme, one
cohort per tenant, the members spread evenly over the tenants, the pairs likewise (a tenth
of them ended), and in every pair a little content (`--background-meetings` meetings and
`--background-messages` chat messages each) so the space tables are not empty around the
measured pair. The measured pair is in AHEP (the reference scheme with chat and documents):
about 200 chat messages, an agreed agreement, goals, both people's log entries, documents
and meetings; its mentor mentors four more pairs, 50 meetings in all across the five — the
calendar feed's. After loading, VACUUM ANALYZE.

The app runs as `mentorhub serve --workers N` (a real server process, like
`benchmarks.pages`), with real sessions stored in Redis the way sign-in stores them
(`SessionStore.create`), and the load comes from wrk on loopback (as `benchmarks.pages.wrk`:
one thread, its Lua hook printing p50/p95/p99 and errors, any answer but 2xx fails the run;
here with a 30 s request timeout instead of wrk's 2 s, so a slow answer on a loaded machine
is a figure, not a socket error). Beside wrk's figures, the CPU a request costs in
`mentorhub serve`'s processes and in PostgreSQL's (user + system time over the run ÷
requests): what a loaded shared machine does not inflate. With 20 clients always waiting on
2 cores, latency ≈ 20 × (that CPU) ÷ 2 (Little's law): the 50 ms goal at 20 clients asks for
about 5 ms of CPU a request, app and database together.
The latency wrk measures is from the request written to the response read on loopback: the
server's time plus a loopback round trip (tens of microseconds). Each figure is the median
over `--rounds` rounds of one wrk run of `--seconds`; every round prints its figures and the
load average before → after (this machine is shared: 2 cores).

    uv run python -m benchmarks.pairs                      # the full figures (~1M members)
    uv run python -m benchmarks.pairs --tenants 10 --members 10000 --pairs 3000 --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text

from benchmarks._services import BenchServices, bench_services
from benchmarks.applications import MEMBERS_SQL, _owner_sql, _timed, _vacuum, peak_rss_mb
from benchmarks.pages import (
    LUA,
    MENTORHUB,
    WRK,
    Figure,
    base_env,
    free_port,
    listen,
    median_figure,
    running,
)
from mentorhub.db import Database
from mentorhub.db.session import Timeouts
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.schemes.services import current_scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants

SLUG = "ahep"
PAGE_GOAL_MS = 50.0
FEED_GOAL_MS = 20.0
CHAT_MESSAGES = 200
FEED_MEETINGS = 50
FEED_PAIRS = 5  # the feed member mentors this many pairs (the measured one among them)
BATCH = 100  # tenants per loading transaction


@dataclass(frozen=True)
class Sizes:
    tenants: int = 1_000
    members: int = 1_000_000
    pairs: int = 300_000
    background_meetings: int = 2
    background_messages: int = 5

    @property
    def per_tenant_members(self) -> int:
        return max(20, self.members // self.tenants)

    @property
    def per_tenant_pairs(self) -> int:
        # Pair k: mentor M-(3k), mentee M-(3k+1); the members must be there.
        return max(
            FEED_PAIRS + 1, min(self.pairs // self.tenants, (self.per_tenant_members - 1) // 3)
        )


# --- loading ------------------------------------------------------------------------------------

#: One cohort per tenant (its newest scheme version), started three months ago: the pairs'
#: relationships are running.
COHORT_SQL = """
    INSERT INTO cohorts (tenant_id, id, name, starts_on, ends_on, scheme_version)
    SELECT sv.tenant_id, gen_random_uuid(), 'Benchmark cohort', CAST(:starts AS date),
           CAST(:ends AS date), max(sv.version)
    FROM scheme_versions sv WHERE sv.tenant_id = ANY(CAST(:tenants AS uuid[]))
    GROUP BY sv.tenant_id
"""

#: Pairs 1..:n in each tenant's benchmark cohort: mentor M-(3k), mentee M-(3k+1); every tenth
#: ended (completed).
PAIRS_SQL = """
    INSERT INTO pairs (tenant_id, id, cohort_id, scheme_version, mentor_id, mentee_id,
                       matched_on, flow, explanation, state, end_kind, ended_at, extensions,
                       lock_version)
    SELECT c.tenant_id, gen_random_uuid(), c.id, c.scheme_version, mr.id, me.id,
           c.starts_on - 10, 'suggest_and_accept', '[]',
           CASE WHEN k % 10 = 0 THEN 'ended' ELSE 'active' END,
           CASE WHEN k % 10 = 0 THEN 'completed' END,
           CASE WHEN k % 10 = 0 THEN now() - interval '1 day' END,
           '[]', 0
    FROM cohorts c
    CROSS JOIN generate_series(1, :n) AS k
    JOIN members mr ON mr.tenant_id = c.tenant_id AND mr.member_number = 'M-' || (3 * k)
    JOIN members me ON me.tenant_id = c.tenant_id AND me.member_number = 'M-' || (3 * k + 1)
    WHERE c.tenant_id = ANY(CAST(:tenants AS uuid[])) AND c.name = 'Benchmark cohort'
"""

#: :m meetings per pair of the tenants (held a month apart before today, the last scheduled).
MEETINGS_SQL = """
    INSERT INTO meetings (tenant_id, id, pair_id, starts_at, minutes, mode, place, link, state,
                          proposed_by, answered_by, answered_at, sequence, held_minutes,
                          record, recorded_by, recorded_at, created_at)
    SELECT p.tenant_id, gen_random_uuid(), p.id,
           date_trunc('day', now()) + make_interval(days => 30 * (j - :m)) + interval '14 hours',
           60, 'video', '', 'https://meet.example.org/' || left(md5(p.id::text || j), 10),
           CASE WHEN j = :m THEN 'scheduled' ELSE 'held' END,
           p.mentee_id, p.mentor_id, now() - make_interval(days => 30 * (:m - j) + 7), 1,
           CASE WHEN j = :m THEN NULL ELSE 60 END,
           CASE WHEN j = :m THEN '' ELSE 'Talked about the next steps; actions agreed.' END,
           CASE WHEN j = :m THEN NULL ELSE p.mentor_id END,
           CASE WHEN j = :m THEN NULL ELSE now() - make_interval(days => 30 * (:m - j)) END,
           now() - make_interval(days => 30 * (:m - j) + 8)
    FROM pairs p CROSS JOIN generate_series(1, :m) AS j
    WHERE p.tenant_id = ANY(CAST(:tenants AS uuid[]))
"""

#: :c chat messages per pair, alternating authors, an hour apart.
MESSAGES_SQL = """
    INSERT INTO chat_messages (tenant_id, id, pair_id, author_id, body, created_at)
    SELECT p.tenant_id, gen_random_uuid(), p.id,
           CASE WHEN j % 2 = 0 THEN p.mentor_id ELSE p.mentee_id END,
           'Message ' || j || ': thanks for last time, shall we meet again next month?',
           now() - make_interval(hours => :c - j + 1)
    FROM pairs p CROSS JOIN generate_series(1, :c) AS j
    WHERE p.tenant_id = ANY(CAST(:tenants AS uuid[]))
"""


@dataclass(frozen=True)
class Measured:
    tenant_id: uuid.UUID
    pair_id: uuid.UUID
    mentor_id: uuid.UUID
    mentor_email: str
    mentor_name: str
    feed_token: str | None


async def load(owner: Database, n: Sizes) -> Measured:
    today = datetime.now(UTC).date()
    tenants = {t.slug: t for t in await load_tenants(owner, get_settings().tenants_dir)}
    ahep = tenants[SLUG]
    others = max(0, n.tenants - len(tenants))

    async def bench_tenants() -> None:
        await _owner_sql(
            owner,
            "INSERT INTO tenants (id, slug, name, jurisdiction, branding)"
            " SELECT gen_random_uuid(), 'bench-' || i, 'Bench association ' || i, 'GB', '{}'"
            " FROM generate_series(1, :n) AS i",
            [{"n": others}],
        )
        await _owner_sql(
            owner,
            "INSERT INTO scheme_versions (tenant_id, id, version, document, source)"
            " SELECT t.id, gen_random_uuid(), sv.version, sv.document, sv.source"
            " FROM tenants t, scheme_versions sv"
            " WHERE t.slug LIKE 'bench-%' AND sv.tenant_id = :ahep",
            [{"ahep": ahep.id}],
        )

    await _timed(f"{others:,} more tenants (AHEP's scheme)", bench_tenants)
    async with owner.engine.connect() as conn:
        ids = list((await conn.execute(text("SELECT id FROM tenants ORDER BY slug"))).scalars())
    starts = today - timedelta(days=90)
    await _owner_sql(
        owner,
        COHORT_SQL,
        [{"tenants": ids, "starts": starts, "ends": starts + timedelta(days=183)}],
    )
    per_members, per_pairs = n.per_tenant_members, n.per_tenant_pairs

    async def members_and_pairs() -> None:
        for chunk in range(0, len(ids), BATCH):
            batch = ids[chunk : chunk + BATCH]
            await _owner_sql(
                owner,
                MEMBERS_SQL,
                [{"tenants": batch, "prefix": "member", "first": 1, "n": per_members}],
            )
            await _owner_sql(owner, PAIRS_SQL, [{"tenants": batch, "n": per_pairs}])

    await _timed(
        f"{per_members * len(ids):,} members and {per_pairs * len(ids):,} pairs"
        f" ({len(ids):,} tenants × {per_members:,} members, {per_pairs:,} pairs)",
        members_and_pairs,
    )

    async def content() -> None:
        for chunk in range(0, len(ids), BATCH):
            batch = ids[chunk : chunk + BATCH]
            if n.background_meetings:
                await _owner_sql(
                    owner, MEETINGS_SQL, [{"tenants": batch, "m": n.background_meetings}]
                )
            if n.background_messages:
                await _owner_sql(
                    owner, MESSAGES_SQL, [{"tenants": batch, "c": n.background_messages}]
                )

    await _timed(
        f"{n.background_meetings} meetings and {n.background_messages} chat messages in every pair",
        content,
    )
    measured = await _measured_pair(owner, ahep.id, today)
    await _timed("VACUUM ANALYZE", lambda: _vacuum(owner))
    return measured


async def _measured_pair(owner: Database, tenant_id: uuid.UUID, today: date) -> Measured:
    """AHEP's pair 1 (mentor M-3, mentee M-4) with a lived-in space, and its mentor's four
    more pairs (mentees M-(3k+1), k = 2..5, moved to M-3) — 50 meetings across the five."""
    async with owner.tenant(tenant_id) as s:
        scheme = await current_scheme(s)
        assert scheme is not None
        rows = (
            await s.execute(
                text(
                    "SELECT p.id, p.mentor_id, p.mentee_id, m.email, m.display_name FROM pairs p"
                    " JOIN members m ON m.tenant_id = p.tenant_id AND m.id = p.mentor_id"
                    " JOIN members e ON e.tenant_id = p.tenant_id AND e.id = p.mentee_id"
                    " WHERE p.tenant_id = :t AND e.member_number = ANY(:numbers)"
                    " ORDER BY CAST(substring(e.member_number FROM 3) AS int)"
                ),
                {
                    "t": tenant_id,
                    "numbers": [f"M-{3 * k + 1}" for k in range(1, FEED_PAIRS + 1)],
                },
            )
        ).all()
        assert len(rows) == FEED_PAIRS, rows
        pair_id, mentor_id, mentee_id, mentor_email, mentor_name = rows[0]
        others = [r[0] for r in rows[1:]]
        # The mentor of pair 1 mentors the other four (live).
        await s.execute(
            text(
                "UPDATE pairs SET mentor_id = :m, state = 'active', end_kind = NULL,"
                " ended_at = NULL WHERE tenant_id = :t AND id = ANY(:ids)"
            ),
            {"m": mentor_id, "t": tenant_id, "ids": others},
        )
        await s.execute(
            text("DELETE FROM meetings WHERE tenant_id = :t AND pair_id = ANY(:ids)"),
            {"t": tenant_id, "ids": [pair_id, *others]},
        )
        await s.execute(
            text("DELETE FROM chat_messages WHERE tenant_id = :t AND pair_id = :p"),
            {"t": tenant_id, "p": pair_id},
        )
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        meetings: list[dict[str, Any]] = []
        per_pair = [FEED_MEETINGS - 9 * (FEED_PAIRS - 1)] + [9] * (FEED_PAIRS - 1)
        mentees = {r[0]: r[2] for r in rows}
        for pid, count in zip([pair_id, *others], per_pair, strict=True):
            for j in range(count):
                at = now + timedelta(days=14 * (j - count + 3), hours=j % 5)
                state = "held" if at < now else "scheduled"  # what a feed lists
                meetings.append(
                    {
                        "t": tenant_id,
                        "id": uuid.uuid4(),
                        "p": pid,
                        "at": at,
                        "minutes": 90,
                        "mode": ("video", "in_person", "phone")[j % 3],
                        "place": "Staff room, Library building" if j % 3 == 1 else "",
                        "link": f"https://meet.example.org/{pid.hex[:8]}{j}" if j % 3 == 0 else "",
                        "state": state,
                        "by": mentees[pid] if j % 2 else mentor_id,
                        "answered": mentor_id,
                        "held": 80 if state == "held" else None,
                        "record": "Agreed actions: read the report; draft the plan."
                        if state == "held"
                        else "",
                        "recorded_by": mentor_id if state == "held" else None,
                    }
                )
        await s.execute(
            text(
                "INSERT INTO meetings (tenant_id, id, pair_id, starts_at, minutes, mode, place,"
                " link, state, proposed_by, answered_by, answered_at, sequence, held_minutes,"
                " record, recorded_by, recorded_at)"
                " VALUES (:t, :id, :p, :at, :minutes, :mode, :place, :link, :state, :by,"
                " :answered, CAST(:at AS timestamptz) - interval '7 days', 0, :held, :record,"
                " :recorded_by,"
                " CASE WHEN CAST(:held AS int) IS NULL THEN NULL"
                " ELSE CAST(:at AS timestamptz) + interval '2 hours' END)"
            ),
            meetings,
        )
        await s.execute(
            text(
                "INSERT INTO chat_messages (tenant_id, id, pair_id, author_id, body, created_at)"
                " SELECT :t, gen_random_uuid(), :p,"
                "  CASE WHEN j % 2 = 0 THEN CAST(:mentor AS uuid) ELSE CAST(:mentee AS uuid) END,"
                "  (ARRAY['Thanks for today — the notes are in the documents.',"
                "   'Could we move Thursday to 3pm? Something came up.',"
                "   'I read the chapter you suggested; the part on delegation was useful.',"
                "   'Good luck with the interview! Tell me how it goes.',"
                "   'Here is the link to the framework we discussed.'])[1 + j % 5]"
                "  || ' (' || j || ')',"
                "  now() - make_interval(hours => 3 * (:n - j + 1))"
                " FROM generate_series(1, :n) AS j"
            ),
            {
                "t": tenant_id,
                "p": pair_id,
                "mentor": mentor_id,
                "mentee": mentee_id,
                "n": CHAT_MESSAGES,
            },
        )
        sections = [
            {
                "key": sec.key,
                "heading": str(sec.heading),
                "prompt": sec.prompt,
                "text": f"What we agreed about {str(sec.heading).lower()}: as discussed.",
            }
            for sec in scheme.space.agreement
        ]
        await s.execute(
            text(
                "INSERT INTO pair_agreements (tenant_id, id, pair_id, sections, revision,"
                " mentor_agreed_revision, mentor_agreed_at, mentee_agreed_revision,"
                " mentee_agreed_at, updated_by, updated_at)"
                " VALUES (:t, gen_random_uuid(), :p, CAST(:sections AS jsonb), 2, 2,"
                " now() - interval '60 days', 2, now() - interval '59 days', :mentor,"
                " now() - interval '61 days')"
            ),
            {"t": tenant_id, "p": pair_id, "sections": json.dumps(sections), "mentor": mentor_id},
        )
        await s.execute(
            text(
                "INSERT INTO pair_goals (tenant_id, id, pair_id, title, detail, status, position,"
                " created_by) SELECT :t, gen_random_uuid(), :p, g.title, '', g.status, g.pos,"
                " :mentee FROM (VALUES ('Lead a project from start to finish', 'in_progress', 1),"
                " ('Build a network outside my department', 'achieved', 2),"
                " ('Prepare for a promotion interview', 'not_started', 3),"
                " ('Write and publish a short article', 'partly', 4)) AS g(title, status, pos)"
            ),
            {"t": tenant_id, "p": pair_id, "mentee": mentee_id},
        )
        await s.execute(
            text(
                "INSERT INTO log_entries (tenant_id, id, pair_id, author_id, written_on, title,"
                " body) SELECT :t, gen_random_uuid(), :p, a.author, CAST(:today AS date) - 14 * j,"
                " 'Reflection ' || j, 'What went well, what I will do differently. ' || j"
                " FROM generate_series(1, 3) AS j,"
                " (VALUES (CAST(:mentor AS uuid)), (CAST(:mentee AS uuid))) AS a(author)"
            ),
            {
                "t": tenant_id,
                "p": pair_id,
                "mentor": mentor_id,
                "mentee": mentee_id,
                "today": today,
            },
        )
        await s.execute(
            text(
                "INSERT INTO documents (tenant_id, id, pair_id, uploaded_by, filename,"
                " content_type, size_bytes, sha256, storage_key)"
                " SELECT :t, gen_random_uuid(), :p,"
                "  CASE WHEN j % 2 = 0 THEN CAST(:mentor AS uuid) ELSE CAST(:mentee AS uuid) END,"
                "  'notes-' || j || '.pdf', 'application/pdf', 20000 + j, md5(j::text) ||"
                "  md5(j::text), 'bench/' || j FROM generate_series(1, 5) AS j"
            ),
            {"t": tenant_id, "p": pair_id, "mentor": mentor_id, "mentee": mentee_id},
        )
        await s.execute(
            text(
                "INSERT INTO pair_member_states (tenant_id, id, pair_id, member_id, chat_read_at)"
                " VALUES (:t, gen_random_uuid(), :p, :mentor, now() - interval '6 hours'),"
                " (:t, gen_random_uuid(), :p, :mentee, now() - interval '1 hour')"
            ),
            {"t": tenant_id, "p": pair_id, "mentor": mentor_id, "mentee": mentee_id},
        )
    token = await _feed_token(tenant_id, mentor_id)
    return Measured(tenant_id, pair_id, mentor_id, mentor_email, mentor_name, token)


async def _feed_token(tenant_id: uuid.UUID, member_id: uuid.UUID) -> str | None:
    """The member's calendar feed through the meetings area's own action (the secret URL's
    token), or None where that action is not there yet."""
    try:
        from mentorhub.pairs.services import calendar
    except ImportError:
        return None
    settings = get_settings()
    db = Database.connect(settings.app_database_url or "", pool_size=1)
    try:
        return await calendar.create_feed(db, tenant_id, member_id)  # type: ignore[attr-defined, no-any-return]
    finally:
        await db.dispose()


async def member_cookie(redis_url: str, identity: Identity) -> str:
    """The Cookie header of a real session of `identity` in Redis, stored as sign-in
    stores it (shared with benchmarks.consoles)."""
    redis = Redis.from_url(redis_url)
    store = SessionStore(redis, idle_seconds=86_400, absolute_seconds=86_400)
    try:
        token = await store.create(identity)
    finally:
        await redis.aclose()
    return f"{TENANT_COOKIE}={token}"


async def session_cookie(redis_url: str, measured: Measured) -> str:
    """A real session of the pair's mentor."""
    return await member_cookie(
        redis_url,
        Identity(
            email=measured.mentor_email,
            display_name=measured.mentor_name,
            tenant_id=str(measured.tenant_id),
            tenant_slug=SLUG,
            member_id=str(measured.mentor_id),
            roles=("mentor",),
        ),
    )


def serve_env(bench: BenchServices, secret: str) -> dict[str, str]:
    """The environment `mentorhub serve` runs with against the benchmark's services
    (shared with benchmarks.consoles)."""
    return base_env() | {
        "DATABASE_URL": bench.owner_url,
        "MENTORHUB_APP_DATABASE_URL": bench.app_url,
        "REDIS_URL": bench.redis_url,
        "MENTORHUB_SECRET_KEY": secret,
        "MENTORHUB_SMTP_URL": "smtp://127.0.0.1:9",  # no mail is sent here
        "MENTORHUB_STORAGE_DIR": tempfile.gettempdir(),  # documents (none uploaded)
        "MENTORHUB_PATH_PREFIX_TENANTS": "true",
        "MENTORHUB_DATA_DIR": str(bench.tmp / "data"),
    }


@contextmanager
def serving(port: int, workers: int, env: dict[str, str]) -> Iterator[None]:
    """`mentorhub serve --workers N` on the port, until the block ends (shared with
    benchmarks.consoles)."""
    with running(
        [*MENTORHUB, "serve", "--workers", str(workers), *listen(port)],
        env,
        f"http://127.0.0.1:{port}/healthz",
    ):
        print(f"mentorhub serve --workers {workers} on :{port}", flush=True)
        yield


# --- measuring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    cookie: str | None
    connections: tuple[int, ...]
    goal_ms: float
    goal_at: int  # the connection count the goal is about


def wrk(
    url: str,
    connections: int,
    seconds: float,
    script: Path,
    cookie: str | None,
    *,
    warm_up: bool = False,
) -> Figure:
    """`benchmarks.pages.wrk` with wrk's request timeout at 30 s instead of 2 s: on a loaded
    machine a slow answer is a figure to print, not a socket error that ends the run."""
    command = [WRK, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s"]
    command += ["-s", str(script), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    requests, duration, p50, p95, p99, bad_status, socket_errors = map(int, line.split()[1:])
    if bad_status or (not warm_up and (socket_errors or requests == 0)):
        raise RuntimeError(
            f"{url}: {bad_status} non-2xx answers, {socket_errors} socket errors,"
            f" {requests} requests"
        )
    return Figure(requests / (duration / 1e6), p50 / 1000, p95 / 1000, p99 / 1000)


def _processes() -> dict[int, tuple[list[bytes], list[str]]]:
    """Every process: its command line and the fields of /proc/<pid>/stat after the name."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(entry.name)] = (cmdline, stat)
    return out


def _cpu_seconds(match: Callable[[list[bytes]], bool]) -> float:
    """User + system CPU used so far by the processes whose command line `match`es and by
    all their descendants, those still running and those that have exited (the CPU of
    exited children is in their parent's cutime/cstime): a difference of two readings is
    the CPU the tree used in between, whatever started or ended meanwhile."""
    processes = _processes()
    roots = [pid for pid, (cmdline, _) in processes.items() if match(cmdline)]
    tree = list(roots)
    for pid in tree:
        tree += [child for child, (_, stat) in processes.items() if int(stat[1]) == pid]
    ticks = 0
    for pid in tree:
        stat = processes[pid][1]
        ticks += int(stat[11]) + int(stat[12])  # utime, stime
    for pid in roots:
        stat = processes[pid][1]
        ticks += int(stat[13]) + int(stat[14])  # cutime, cstime: its exited children
    return ticks / os.sysconf("SC_CLK_TCK")


def _server(port: int) -> Callable[[list[bytes]], bool]:
    """`mentorhub serve --port <port>` (its workers are its children)."""
    return lambda cmd: b"serve" in cmd and str(port).encode() in cmd


def _database(data_dir: Path) -> Callable[[list[bytes]], bool]:
    """The benchmark's PostgreSQL: the postmaster started on `data_dir` (backends are its
    children)."""
    where = str(data_dir).encode()
    return lambda cmd: bool(cmd) and cmd[0].endswith(b"postgres") and any(where in a for a in cmd)


CPU = dict[tuple[str, int], list[tuple[float, float]]]


def measure(
    base: str,
    port: int,
    data_dir: Path,
    targets: list[Target],
    rounds: int,
    seconds: float,
    script: Path,
) -> tuple[dict[tuple[str, int], list[Figure]], CPU]:
    """Each round: every target at each client count. Beside wrk's figures, the CPU a request
    costs (user + system time over the run ÷ requests) in the server's processes and in
    PostgreSQL's: what it costs with the machine to itself, which a loaded machine does not
    inflate (2 cores at 20 clients: latency ≈ 20 × that CPU ÷ 2, by Little's law)."""
    server, database = _server(port), _database(data_dir)
    for t in targets:  # warm the templates and plans one client at a time, then the pools
        wrk(base + t.path, 1, 2, script, t.cookie, warm_up=True)
        wrk(base + t.path, 20, 2, script, t.cookie, warm_up=True)
    samples: dict[tuple[str, int], list[Figure]] = {}
    cpu: CPU = {}
    for number in range(1, rounds + 1):
        before = os.getloadavg()[0]
        line = []
        for t in targets:
            for c in t.connections:
                used, used_db = _cpu_seconds(server), _cpu_seconds(database)
                f = wrk(base + t.path, c, seconds, script, t.cookie)
                requests = max(1.0, f.rps * seconds)
                per = (_cpu_seconds(server) - used) * 1000 / requests
                per_db = (_cpu_seconds(database) - used_db) * 1000 / requests
                samples.setdefault((t.name, c), []).append(f)
                cpu.setdefault((t.name, c), []).append((per, per_db))
                line.append(
                    f"{t.name} @{c}: p50 {f.p50:.1f} p95 {f.p95:.1f} ms, {f.rps:,.0f}/s,"
                    f" CPU per request: server {per:.1f} ms, PostgreSQL {per_db:.1f} ms"
                )
        print_round(number, line, before)
    return samples, cpu


def print_round(number: int, parts: list[str], load_before: float) -> None:
    """A round's figures on one line, with the load average before and after it (shared
    with benchmarks.consoles)."""
    print(
        f"  round {number}: "
        + "; ".join(parts)
        + f" (load average {load_before:.1f} → {os.getloadavg()[0]:.1f})",
        flush=True,
    )


def medians(
    samples: dict[tuple[str, int], list[Figure]], cpu: CPU, key: tuple[str, int]
) -> tuple[Figure, float, float]:
    """One target's figures at one client count over the rounds: wrk's median figure, and
    the median CPU ms per request in the server and in PostgreSQL."""
    return (
        median_figure(samples[key]),
        statistics.median(a for a, _ in cpu[key]),
        statistics.median(b for _, b in cpu[key]),
    )


def report(
    targets: list[Target],
    samples: dict[tuple[str, int], list[Figure]],
    cpu: CPU,
    rounds: int,
    n: Sizes,
) -> None:
    print()
    print(
        f"the pair's space, {n.tenants:,} tenants, {n.members:,} members, {n.pairs:,} pairs"
        f" (medians of {rounds} round(s); wrk on loopback; CPU ms per request in mentorhub"
        " serve's processes and in PostgreSQL's)"
    )
    header = (
        f"{'page':<34} {'clients':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}"
        f" {'CPU app':>8} {'CPU db':>7}"
    )
    print(header)
    print("-" * len(header))
    for t in targets:
        for c in t.connections:
            f, per, per_db = medians(samples, cpu, (t.name, c))
            print(
                f"{t.name:<34} {c:>7} {f.p50:>8.2f} {f.p95:>8.2f} {f.p99:>8.2f} {f.rps:>8.0f}"
                f" {per:>8.1f} {per_db:>7.1f}"
            )
    for t in targets:
        f = median_figure(samples[(t.name, t.goal_at)])
        verdict = "meets" if f.p95 <= t.goal_ms else "MISSES"
        print(
            f"  {t.name}, {t.goal_at} client(s): p95 {f.p95:.1f} ms, goal ≤ {t.goal_ms:.0f} ms:"
            f" {verdict}"
        )
    print(f"load average at the end: {os.getloadavg()}; peak memory {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=Sizes.tenants)
    parser.add_argument("--members", type=int, default=Sizes.members)
    parser.add_argument("--pairs", type=int, default=Sizes.pairs)
    parser.add_argument("--background-meetings", type=int, default=Sizes.background_meetings)
    parser.add_argument("--background-messages", type=int, default=Sizes.background_messages)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2, help="for mentorhub serve")
    args = parser.parse_args()
    n = Sizes(
        args.tenants, args.members, args.pairs, args.background_meetings, args.background_messages
    )
    print(f"load average at the start: {os.getloadavg()} on {os.cpu_count()} cores", flush=True)
    secret = secrets.token_urlsafe(40)
    with bench_services(MENTORHUB_SECRET_KEY=secret, MENTORHUB_PATH_PREFIX_TENANTS="true") as bench:
        measured, cookie = asyncio.run(_set_up(bench.owner_url, bench.redis_url, n))
        script = Path(tempfile.mkdtemp(prefix="mentorhub-pairs-")) / "report.lua"
        script.write_text(LUA)
        home = f"/t/{SLUG}/pairs/{measured.pair_id}"
        targets = [
            Target("pair home (mentor)", home, cookie, (1, 20), PAGE_GOAL_MS, 20),
            Target(
                f"chat ({CHAT_MESSAGES} messages)",
                f"{home}/chat",
                cookie,
                (1, 20),
                PAGE_GOAL_MS,
                20,
            ),
        ]
        if measured.feed_token is not None:
            targets.append(
                Target(
                    f"calendar feed ({FEED_MEETINGS} meetings)",
                    f"/t/{SLUG}/calendar/{measured.feed_token}.ics",
                    None,
                    (1, 20),
                    FEED_GOAL_MS,
                    1,
                )
            )
        else:
            print("the calendar feed is not measured: pairs.services.calendar is not there")
        port = free_port()
        with serving(port, args.workers, serve_env(bench, secret)):
            samples, cpu = measure(
                f"http://127.0.0.1:{port}",
                port,
                bench.data_dir,
                targets,
                args.rounds,
                args.seconds,
                script,
            )
    report(targets, samples, cpu, args.rounds, n)


async def _set_up(owner_url: str, redis_url: str, n: Sizes) -> tuple[Measured, str]:
    owner = Database.connect(
        owner_url, pool_size=1, timeouts=Timeouts(statement=1800, idle_in_transaction=1800)
    )
    try:
        t0 = time.perf_counter()
        print("loading (set-based SQL as the owner, not through the actions):", flush=True)
        measured = await load(owner, n)
        print(f"  loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    finally:
        await owner.dispose()
    return measured, await session_cookie(redis_url, measured)


if __name__ == "__main__":
    main()
