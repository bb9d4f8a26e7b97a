"""Messages per second from commit to the SMTP sink's accept, with one worker process.

    uv run python benchmarks/messages.py [--rounds 5] [--messages 2000] [--threads 8]

Embedded PostgreSQL and Redis, the real relay (in this process, polling every 20 ms), one
`dramatiq workers` process (the real actor: batches of up to 50 outbox rows per Dramatiq
message; a batch's rows are held by advisory locks and their messages read in one statement,
then each is rendered, sent over one of four reused SMTP connections, and marked sent with
its outbox row done in one round trip of its own) and a real SMTP server on loopback
(aiosmtpd, in a process of its own: sharing this one, it would wait for the relay's GIL on
every SMTP round trip).
Each round writes N messages with `send` in one transaction; the clock starts when that
transaction commits and stops when the sink has accepted the N-th. Prints each round, the
median rate, CPU per message of the worker, the sink and PostgreSQL with Redis, the
worker's peak resident memory (VmHWM of the worker process), and the machine's load average
before and after (the figures are only comparable between runs on an equally quiet machine).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._services import bench_services  # noqa: E402
from mentorhub.db import Database  # noqa: E402

REMINDER = {"title": "First-meeting agenda", "due_on": "3 March 2027", "link": "https://x/y"}


def worker_peak_kib(proc: subprocess.Popen[bytes]) -> int:
    """Peak RSS of the worker process (the CLI's child that runs the actors)."""
    peak = 0
    for p in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error, OSError):
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return peak


class SinkProcess:
    """The SMTP sink in its own process (see tests/messages/sink_process.py); a thread here
    counts the Message-IDs it reports."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.messages.sink_process"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.count = 0
        threading.Thread(target=self._count, daemon=True).start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def _count(self) -> None:
        assert self.proc.stdout is not None
        for _ in self.proc.stdout:
            self.count += 1

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def worker_cpu(proc: subprocess.Popen[bytes]) -> float:
    """CPU seconds (user + system) of the worker process so far."""
    total = 0.0
    for p in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            times = p.cpu_times()
            total += times.user + times.system
    return total


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children so far, those that ended
    included (PostgreSQL backends come and go with the pools' connections)."""
    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        ended = root.cpu_times()
        total += ended.children_user + ended.children_system
        for p in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = p.cpu_times()
                total += times.user + times.system
    return total


def services_cpu(data_dir: Path) -> float:
    """CPU seconds of the embedded PostgreSQL (postmaster and backends) and Redis."""
    total = 0.0
    for p in psutil.process_iter(["cmdline"]):
        if any(str(data_dir) in part for part in p.info["cmdline"] or []):
            total += tree_cpu(p.pid)
    return total


def start_outbox_worker(threads: int) -> subprocess.Popen[bytes]:
    """One `dramatiq workers` process (one process, `threads` threads) on the outbox queue, in
    its own session so that its whole tree can be stopped. Shared with `clock.py`."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dramatiq",
            "workers",
            "--processes",
            "1",
            "--threads",
            str(threads),
            "--queues",
            "outbox",
        ],
        cwd=ROOT,
        # Dramatiq's consumer backs off (sleeps, growing) whenever its prefetch is full; a
        # deeper prefetch keeps a busy worker fed. Production sets the same variable.
        env={**os.environ, "PYTHONPATH": str(ROOT), "dramatiq_queue_prefetch": "200"},
        start_new_session=True,
        stderr=subprocess.DEVNULL,
    )


def stop_outbox_worker(worker: subprocess.Popen[bytes]) -> None:
    """Stop `start_outbox_worker`'s process tree: SIGTERM, then SIGKILL after 15 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


async def run(app_url: str, redis_url: str, sink: SinkProcess, args: argparse.Namespace) -> None:
    import workers
    from mentorhub.messages.services import send
    from mentorhub.outbox.relay import Relay
    from mentorhub.schemes.rules import Branding, TenantInfo
    from mentorhub.tenancy.services import upsert_tenant

    db = Database.connect(app_url, pool_size=4)
    owner = Database.connect(os.environ["DATABASE_URL"], pool_size=1)
    slug = f"bench-{uuid.uuid4().hex[:6]}"
    async with owner.platform() as session:  # tenants are written by the owner
        tenant = await upsert_tenant(
            session,
            TenantInfo(
                slug=slug,
                name="Benchmark Association",
                jurisdiction="GB-ENG",
                hostnames=(f"{slug}.example.org",),
                branding=Branding(scheme_name="Bench Mentoring", contact_email="o@b.example.org"),
            ),
        )
    await owner.dispose()
    worker = start_outbox_worker(args.threads)
    relay = Relay(db, workers.broker, batch=500)
    stop = asyncio.Event()
    relaying = asyncio.create_task(relay.run_forever(0.02, stop))
    rates: list[float] = []
    cpus: list[float] = []
    sink_cpus: list[float] = []
    db_cpus: list[float] = []
    try:
        for round_no in range(args.rounds + 1):  # round 0 warms up (connections, templates)
            n = 200 if round_no == 0 else args.messages
            before = sink.count
            async with db.tenant(tenant.id) as session:
                for i in range(n):
                    await send(
                        session,
                        tenant,
                        "reminder",
                        REMINDER,
                        f"b:{round_no}:{i}",
                        to_address=f"m{i}@example.org",
                    )
            cpu_before = worker_cpu(worker)
            others_before = (tree_cpu(sink.proc.pid), services_cpu(args.data_dir))
            start = time.perf_counter()  # committed
            deadline = start + 300
            while sink.count - before < n:
                if time.perf_counter() > deadline:
                    raise SystemExit(f"round {round_no}: only {sink.count - before} of {n} arrived")
                await asyncio.sleep(0.002)
            took = time.perf_counter() - start
            if round_no:
                rates.append(n / took)
                cpu = (worker_cpu(worker) - cpu_before) / n * 1000
                cpus.append(cpu)
                sink_cpu = (tree_cpu(sink.proc.pid) - others_before[0]) / n * 1000
                db_cpu = (services_cpu(args.data_dir) - others_before[1]) / n * 1000
                sink_cpus.append(sink_cpu)
                db_cpus.append(db_cpu)
                print(
                    f"  round {round_no}: {n} messages in {took:.2f} s = {n / took:.0f}/s; "
                    f"CPU per message: worker {cpu:.2f} ms, sink {sink_cpu:.2f} ms, "
                    f"PostgreSQL and Redis {db_cpu:.2f} ms"
                )
        peak = worker_peak_kib(worker)
    finally:
        stop.set()
        await relaying
        stop_outbox_worker(worker)
        await db.dispose()
    print(
        f"messages/s from commit to the sink's accept, one worker process "
        f"({args.threads} threads): median {statistics.median(rates):.0f}/s "
        f"(min {min(rates):.0f}, max {max(rates):.0f}, {len(rates)} rounds of {args.messages})"
    )
    print(
        f"CPU per message, medians: worker {statistics.median(cpus):.2f} ms, "
        f"SMTP sink {statistics.median(sink_cpus):.2f} ms, "
        f"PostgreSQL and Redis {statistics.median(db_cpus):.2f} ms "
        f"(all on {os.cpu_count()} cores, shared with whatever else runs)"
    )
    print(f"worker peak resident memory: {peak / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    load_before = os.getloadavg()
    sink = SinkProcess()
    try:
        with bench_services(MENTORHUB_SECRET_KEY="b" * 40, MENTORHUB_SMTP_URL=sink.url) as bench:
            args.data_dir = bench.data_dir
            asyncio.run(run(bench.app_url, bench.redis_url, sink, args))
    finally:
        sink.stop()
    before, after = (" ".join(f"{v:.2f}" for v in load) for load in (load_before, os.getloadavg()))
    print(f"load average (1, 5, 15 min) before: {before}, after: {after}")


if __name__ == "__main__":
    main()
