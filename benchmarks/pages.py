"""Page figures: what every request costs, side by side with a bare Litestar + Jinja page.

One run, one data directory, one database:

1. set-up (this process, embedded PostgreSQL and Redis on the data directory): migrate, load
   the reference tenants and their demo members, add 100,000 members to `ahep`, and store two
   sessions in Redis the way sign-in does (`SessionStore.create`): the demo mentee (a member
   page, `/me`) and the demo tenant admin (`/admin/members` at 100,000 members);
2. the embedded default, `mentorhub --data-dir DIR` (web, worker and clock in one process,
   its own PostgreSQL and Redis on the same directory), measured;
3. `mentorhub serve --workers N` (production serving) against the same database and Redis,
   started by this process on the same directory, measured.

The reference (`benchmarks/pages_reference.py`) is served by the same uvicorn, once as one
process (beside the embedded default) and once with as many worker processes as
`mentorhub serve` (beside it), and measured in every round just before the product's pages,
so both see the same machine at the same moment.

The load generator is wrk (Debian's package, `/usr/bin/wrk`: C, epoll, one thread here),
on loopback, with a Lua `done` hook printing p50/p95/p99 and the error counts. Each figure is
the median over the rounds (`--rounds`, default 3) of one wrk run (`--seconds`, default 5)
at 1 and at 20 connections; the ratio is product ÷ reference for p50 and reference ÷
product for requests/s (so both read "times worse"). Any answer but 2xx fails the run.

    uv run python -m benchmarks.pages [--quick] [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import text

from mentorhub.db import Database
from mentorhub.db.migrate import upgrade
from mentorhub.db.urls import with_database, with_user
from mentorhub.demo import demo_email, seed_demo_members
from mentorhub.embedded import EmbeddedServices, load_or_create_secret
from mentorhub.identity.sessions import TENANT_COOKIE, Identity, SessionStore
from mentorhub.tenancy.loading import load_tenants

ROOT = Path(__file__).resolve().parent.parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
SLUG = "ahep"
MEMBERS = 100_000
CONNECTIONS = (1, 20)
GOALS = (
    "tenant home ≤ 3× at 1 connection, member page ≤ 4×;"
    " serve at 20: tenant home ≥ 1,000 req/s, p99 ≤ 50 ms"
)

LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    cookie: str | None = None


@dataclass(frozen=True)
class Figure:
    rps: float
    p50: float  # milliseconds
    p95: float
    p99: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], ready_url: str) -> Iterator[None]:
    """A server process of ours; stopped with SIGINT (like Ctrl-C) and waited for."""
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        wait_http(ready_url, process)
        yield
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wrk(
    url: str,
    connections: int,
    seconds: float,
    script: Path,
    cookie: str | None,
    *,
    warm_up: bool = False,
) -> Figure:
    """One wrk run. A warm-up only fails on a wrong answer: on a busy machine a slow page may
    complete nothing in its second, or time out."""
    command = [WRK, "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script), url]
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


def median_figure(figures: list[Figure]) -> Figure:
    return Figure(
        statistics.median(f.rps for f in figures),
        statistics.median(f.p50 for f in figures),
        statistics.median(f.p95 for f in figures),
        statistics.median(f.p99 for f in figures),
    )


async def set_up(data_dir: Path, owner_url: str, redis_url: str) -> dict[str, str]:
    """Tenants, demo members, MEMBERS more in SLUG, two sessions; returns their cookies."""
    owner = Database.connect(owner_url, pool_size=2)
    try:
        tenants = await load_tenants(owner, ROOT / "tenants")
        await seed_demo_members(owner, tenants)
        tenant = next(t for t in tenants if t.slug == SLUG)
        async with owner.tenant(tenant.id) as session:
            count = (await session.execute(text("SELECT count(*) FROM members"))).scalar_one()
            if count < MEMBERS:
                await session.execute(
                    text(
                        "INSERT INTO members (tenant_id, id, email, display_name, roles,"
                        " membership_status, membership_source, member_number)"
                        " SELECT :tenant, gen_random_uuid(),"
                        "  'member.' || i || '@bench.example.org',"
                        "  (ARRAY['Ada','Ben','Cara','Dev','Eli','Fay','Gus','Hana','Ivo','Jo'])"
                        "   [1 + i % 10] || ' Member ' || i,"
                        "  '{mentee}', 'active', 'roster', 'M-' || i"
                        " FROM generate_series(1, :n) AS i"
                    ),
                    {"tenant": tenant.id, "n": MEMBERS},
                )
            rows = await session.execute(
                text("SELECT email, id, roles FROM members WHERE email = ANY(:emails)"),
                {"emails": [demo_email(SLUG, "admin"), demo_email(SLUG, "mentee1")]},
            )
            found = {email: (str(id_), tuple(roles)) for email, id_, roles in rows}
        async with owner.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM (ANALYZE) members"))
    finally:
        await owner.dispose()
    redis = Redis.from_url(redis_url)
    store = SessionStore(redis, idle_seconds=86_400, absolute_seconds=86_400)
    cookies = {}
    try:
        for key in ("admin", "mentee1"):
            member_id, roles = found[demo_email(SLUG, key)]
            token = await store.create(
                Identity(
                    email=demo_email(SLUG, key),
                    display_name=key,
                    tenant_id=str(tenant.id),
                    tenant_slug=SLUG,
                    member_id=member_id,
                    roles=roles,
                )
            )
            cookies[key] = f"{TENANT_COOKIE}={token}"
        await redis.save()
    finally:
        await redis.aclose()
    return cookies


def pages(cookies: dict[str, str]) -> list[Page]:
    return [
        Page("landing", "/"),
        Page("tenant home", f"/t/{SLUG}/"),
        Page("scheme page", f"/t/{SLUG}/scheme"),
        Page("member page (/me)", f"/t/{SLUG}/me", cookies["mentee1"]),
        Page("admin: members (100k)", f"/t/{SLUG}/admin/members?page=777", cookies["admin"]),
    ]


def measure(
    label: str,
    base: str,
    ref_base: str,
    page_list: list[Page],
    rounds: int,
    seconds: float,
    script: Path,
) -> list[tuple[str, str, int, Figure, Figure]]:
    """Each round: the reference, then every page, at each connection count."""
    for page in page_list:  # warm pools, template caches, the members page's plan
        wrk(base + page.path, 20, 1, script, page.cookie, warm_up=True)
    wrk(ref_base + "/", 20, 1, script, None, warm_up=True)
    samples: dict[tuple[str, int], list[Figure]] = {}
    for _ in range(rounds):
        for connections in CONNECTIONS:
            ref = wrk(ref_base + "/", connections, seconds, script, None)
            samples.setdefault(("reference", connections), []).append(ref)
            for page in page_list:
                figure = wrk(base + page.path, connections, seconds, script, page.cookie)
                samples.setdefault((page.name, connections), []).append(figure)
    results = []
    for connections in CONNECTIONS:
        for page in page_list:
            results.append(
                (
                    label,
                    page.name,
                    connections,
                    median_figure(samples[(page.name, connections)]),
                    median_figure(samples[("reference", connections)]),
                )
            )
    return results


def report(results: list[tuple[str, str, int, Figure, Figure]], rounds: int) -> None:
    print()
    print(f"medians of {rounds} round(s); ×ref: p50 ÷ reference p50, reference req/s ÷ req/s")
    header = (
        f"{'server':<22} {'page':<24} {'conns':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        f" {'req/s':>8} {'×ref p50':>9} {'×ref rps':>9}"
    )
    print(header)
    print("-" * len(header))
    shown_refs: set[tuple[str, int]] = set()
    for label, name, connections, figure, ref in results:
        if (label, connections) not in shown_refs:
            shown_refs.add((label, connections))
            print(
                f"{label:<22} {'(reference page)':<24} {connections:>5} {ref.p50:>8.2f}"
                f" {ref.p95:>8.2f} {ref.p99:>8.2f} {ref.rps:>8.0f} {'1.0':>9} {'1.0':>9}"
            )
        print(
            f"{label:<22} {name:<24} {connections:>5} {figure.p50:>8.2f} {figure.p95:>8.2f}"
            f" {figure.p99:>8.2f} {figure.rps:>8.0f} {figure.p50 / ref.p50:>9.1f}"
            f" {ref.rps / figure.rps:>9.1f}"
        )
    print(f"goals: {GOALS}")
    for label, name, connections, figure, ref in results:
        ratio = figure.p50 / ref.p50
        if connections == 1 and name in ("tenant home", "member page (/me)"):
            limit = 3.0 if name == "tenant home" else 4.0
            verdict = "meets" if ratio <= limit else f"MISSES by {ratio / limit:.1f}×"
            print(f"  {label}, {name}, 1 connection: {ratio:.1f}× ≤ {limit:.0f}×? {verdict}")
        if connections == 20 and name == "tenant home" and label.startswith("serve"):
            ok = figure.rps >= 1000 and figure.p99 <= 50
            print(
                f"  {label}, tenant home, 20 connections: {figure.rps:,.0f} req/s,"
                f" p99 {figure.p99:.1f} ms: {'meets' if ok else 'MISSES'}"
            )


def base_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MENTORHUB_", "DATABASE_URL", "REDIS_URL"))
    }
    # This checkout's code (platform/ first), whichever checkout the virtualenv was made in.
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT / "platform"), str(ROOT)))
    return env


MENTORHUB = [sys.executable, "-m", "mentorhub.cli"]


def listen(port: int) -> list[str]:
    return ["--host", "127.0.0.1", "--port", str(port)]


def reference_command(port: int, workers: int) -> list[str]:
    """The reference app, served as `mentorhub serve` serves (`pages_reference.main`)."""
    command = [sys.executable, "-m", "benchmarks.pages_reference"]
    return [*command, "--port", str(port), "--workers", str(workers)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round of 2 s (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2, help="for mentorhub serve")
    parser.add_argument("--only", choices=["embedded", "serve"], help="measure one server")
    parser.add_argument("--keep", type=Path, help="use (and keep) this data directory")
    args = parser.parse_args()
    rounds, seconds = (1, 2) if args.quick else (args.rounds, args.seconds)

    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="mentorhub-pages-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    script = data_dir / "report.lua"
    script.write_text(LUA)
    secret = load_or_create_secret(data_dir / "secret_key")
    results: list[tuple[str, str, int, Figure, Figure]] = []
    try:
        services = EmbeddedServices(data_dir)
        server_url, redis_url = services.start()
        owner_url = with_database(server_url, "mentorhub")
        try:
            upgrade(owner_url)
            cookies = asyncio.run(set_up(data_dir, owner_url, redis_url))
        finally:
            services.stop()
        page_list = pages(cookies)

        if args.only in (None, "embedded"):
            port, ref_port = free_port(), free_port()
            with (
                running(
                    reference_command(ref_port, 1), base_env(), f"http://127.0.0.1:{ref_port}/"
                ),
                running(
                    [*MENTORHUB, "--data-dir", str(data_dir), *listen(port)],
                    base_env(),
                    f"http://127.0.0.1:{port}/healthz",
                ),
            ):
                print(f"embedded default on :{port}, reference (1 process) on :{ref_port}")
                results += measure(
                    "embedded default",
                    f"http://127.0.0.1:{port}",
                    f"http://127.0.0.1:{ref_port}",
                    page_list,
                    rounds,
                    seconds,
                    script,
                )

        if args.only in (None, "serve"):
            services = EmbeddedServices(data_dir)
            server_url, redis_url = services.start()
            try:
                owner_url = with_database(server_url, "mentorhub")
                env = base_env() | {
                    "DATABASE_URL": owner_url,
                    "MENTORHUB_APP_DATABASE_URL": with_user(owner_url, "mentorhub_app"),
                    "REDIS_URL": redis_url,
                    "MENTORHUB_SECRET_KEY": secret,
                    "MENTORHUB_SMTP_URL": "smtp://127.0.0.1:9",  # no mail is sent here
                    "MENTORHUB_STORAGE_DIR": tempfile.gettempdir(),  # documents (none uploaded)
                    "MENTORHUB_PATH_PREFIX_TENANTS": "true",
                }
                port, ref_port = free_port(), free_port()
                workers = str(args.workers)
                with (
                    running(
                        reference_command(ref_port, args.workers),
                        base_env(),
                        f"http://127.0.0.1:{ref_port}/",
                    ),
                    running(
                        [*MENTORHUB, "serve", "--workers", workers, *listen(port)],
                        env,
                        f"http://127.0.0.1:{port}/healthz",
                    ),
                ):
                    print(f"mentorhub serve --workers {workers} on :{port}, reference :{ref_port}")
                    results += measure(
                        f"serve --workers {workers}",
                        f"http://127.0.0.1:{port}",
                        f"http://127.0.0.1:{ref_port}",
                        page_list,
                        rounds,
                        seconds,
                        script,
                    )
            finally:
                services.stop()
    finally:
        if args.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    report(results, rounds)


if __name__ == "__main__":
    main()
