"""Carry out outbox messages, each at most once in effect however often it is delivered.

A worker receives a batch of one tenant's outbox ids (see `mentorhub.outbox.relay`) and
carries them out on one pooled connection. A row is done in a transaction of its own, so a
worker killed mid-batch has committed the rows it finished and nothing of the one it was in.

Two ways through a batch:

* A kind whose handler carries several rows at once (`handler.many`, e.g. e-mail delivery)
  gets its rows *held*: one statement takes a session-level advisory lock per row on the
  batch's connection (`_HOLD`), then the handler re-reads them (a snapshot taken after the
  locks, so a row finished by another worker just before is seen done), does its outside
  work row by row and finishes each row in one round trip of its own (`tenant_script`:
  begin, tenant setting, its updates, commit). A concurrent duplicate does not get the lock
  and leaves the row to the holder (`Busy`, retried later); a killed worker's connection
  closes and PostgreSQL drops its locks with it. The locks are released at the end of the
  batch, or the connection is discarded if the batch ended in an error.
* Any other kind: one transaction per row that claims it (locked and marked done in one
  statement) and runs its handler (`process_message`).

The hot statements are plain statements on the driver connection (see `driver_connection`):
the ORM's load and flush, then the async session's cost per statement, were a large share
of a short message's cost.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db import Database
from mentorhub.db.errors import database_unavailable
from mentorhub.outbox.handlers import Handlers
from mentorhub.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

OUTBOX = cast(Table, OutboxMessage.__table__)


#: `session.info` key of the driver (asyncpg) connection under a batch's transactions.
DRIVER = "driver_connection"

#: Claim and mark done in one statement, on the driver connection (see `driver_connection`).
_CLAIM = (
    "UPDATE outbox SET done_at = now() "
    "WHERE id = $1 AND tenant_id = $2 AND done_at IS NULL AND failed_at IS NULL "
    "RETURNING kind, payload"
)


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under `session`'s transaction, for the few hot statements of a
    batch: a statement through the async ORM session costs a greenlet (and its stack) and the
    statement-cache work, several times the statement's own cost on a short message. Only
    plain statements run on it, inside the session's transaction (the tenant setting and RLS
    apply); transaction control stays with the session."""
    found: Any = session.info.get(DRIVER)
    if found is None:
        conn = await session.connection()
        found = session.info[DRIVER] = (await conn.get_raw_connection()).driver_connection
    if not found.is_in_transaction():
        # The driver opens the session's transaction (and sends its tenant setting) with
        # the first statement through the session: make sure ours run inside it.
        await session.execute(text("SELECT 1"))
    return found


class ServiceUnavailable(RuntimeError):
    """Raised by a handler when something every row of the batch needs is away (e.g. the
    SMTP server): the batch stops there instead of trying each remaining row in turn."""


class Busy(ServiceUnavailable):
    """Some of the batch's rows are held by another worker (a duplicate delivery running at
    the same time, or a killed worker whose connection PostgreSQL has not yet dropped): the
    batch is retried later, and finds them done or free."""


#: The lock space of held outbox rows (`pg_try_advisory_lock(int, int)`; the roster's locks
#: use the one-key space). Ids beyond 2^31 share keys modulo it: a clash only makes a row
#: wait for the retry.
LOCK_CLASS = 0x6D68_6F62  # "mhob"

#: Take each row's lock on this connection (session level: it outlives the transactions of
#: the batch and dies with the connection); returns the ids now held.
_HOLD = (
    "SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM unnest($1::bigint[]) AS id "
    f"WHERE pg_try_advisory_lock({LOCK_CLASS}, (id % 2147483648)::int)"
)
_RELEASE = "SELECT pg_advisory_unlock_all()"

#: The batch's open rows (read in a tenant transaction on the driver connection).
_OPEN = (
    "SELECT id, kind, payload FROM outbox "
    "WHERE tenant_id = $1 AND id = ANY($2::bigint[]) AND done_at IS NULL AND failed_at IS NULL "
    "ORDER BY id"
)


def tenant_script(tenant_id: uuid.UUID, *statements: str) -> str:
    """One round trip: a transaction in `tenant_id` (the setting `Database.tenant` makes)
    running `statements` and committing without waiting for the WAL flush — losing such a
    commit in a database crash can only make a row be carried out again, as a killed worker
    does. For the simple-query protocol (`driver.execute(script)`): the statements carry no
    parameters, so only ints and UUIDs go into them, formatted by the caller."""
    tenant = str(uuid.UUID(str(tenant_id)))  # nothing but a UUID into the text
    return "; ".join(
        (
            "BEGIN",
            f"SELECT set_config('mentorhub.tenant_id', '{tenant}', true), "
            "set_config('mentorhub.scope', '', true)",
            "SET LOCAL synchronous_commit = off",
            *statements,
            "COMMIT",
        )
    )


async def run_script(driver: Any, script: str) -> None:
    """Run a `tenant_script`; if it fails, the transaction it opened is rolled back (a
    failed statement leaves it open and aborted) before the error goes on."""
    try:
        await driver.execute(script)
    except BaseException:
        if not driver.is_closed() and driver.is_in_transaction():
            with contextlib.suppress(Exception):
                await driver.execute("ROLLBACK")
        raise


async def tenant_fetch(driver: Any, tenant_id: uuid.UUID, query: str, *args: Any) -> list[Any]:
    """Rows of `query` read in a tenant transaction on the driver connection (three round
    trips: begin and setting, the query, commit)."""
    tenant = str(uuid.UUID(str(tenant_id)))
    # A plan for the values at hand: the cached generic plan of a join on `= ANY($n)`
    # scanned a whole table per batch, a cost that grew with the table.
    await driver.execute(
        "BEGIN; SELECT set_config('mentorhub.tenant_id', "
        f"'{tenant}', true), set_config('mentorhub.scope', '', true); "
        "SET LOCAL plan_cache_mode = force_custom_plan"
    )
    try:
        rows = await driver.fetch(query, *args)
    except BaseException:
        await driver.execute("ROLLBACK")
        raise
    await driver.execute("COMMIT")
    return list(rows)


@dataclass(frozen=True)
class Held:
    """Rows of one kind held for a handler that carries several at once (`handler.many`)."""

    db: Database  #: on the batch's connection, for the rare ORM transaction (no raw one open)
    driver: Any  #: the asyncpg connection under it
    tenant_id: uuid.UUID
    rows: list[tuple[int, dict[str, Any]]]  #: (outbox id, payload), in id order


#: `handler.many(held)`: carry out the held rows; returns (rows carried out, the first error
#: of a row left for a retry, or None). Each row it finishes is marked done in the outbox by
#: the handler itself, in the transaction that records its effect; a row it leaves open is
#: retried. Raises `ServiceUnavailable` to stop the batch.
ManyHandler = Callable[[Held], Awaitable[tuple[int, Exception | None]]]


async def process_message(
    db: Database,
    tenant_id: uuid.UUID,
    outbox_id: int,
    handlers: Handlers,
    *,
    driver: Any = None,
) -> bool:
    """Run the message's handler from `handlers` (the workers' one mapping) and mark the row
    done in one tenant transaction. One statement claims the row and marks it done; its row
    lock is held until the commit, and the mark rolls back with the handler's effects if the
    handler fails. A concurrent duplicate waits on that lock, then finds the row done (the
    update re-reads it) and does nothing. Returns True if this call did the work.

    `driver`: the driver connection under `db`'s transactions (`process_batch` holds one)."""
    async with db.tenant(tenant_id) as session:
        if driver is not None:
            session.info[DRIVER] = driver
        row = await (await driver_connection(session)).fetchrow(_CLAIM, outbox_id, tenant_id)
        if row is None:
            return False
        kind, payload = row["kind"], row["payload"]
        handler = handlers.get(kind)
        if handler is None:
            # Only a row written by another release can get here: add_outbox refuses unknown
            # kinds and the workers refuse to start with a kind unhandled.
            error = f"no handler for kind {kind!r}"
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == outbox_id)
                .values(done_at=None, failed_at=func.now(), last_error=error)
            )
            log.error("outbox %s: %s", outbox_id, error)
            return False
        # The handler's view of the row: a plain object, never added to the session.
        message = OutboxMessage(id=outbox_id, tenant_id=tenant_id, kind=kind, payload=payload)
        await handler(session, message)
        return True


async def process_batch(
    db: Database, tenant_id: uuid.UUID, outbox_ids: Sequence[int], handlers: Handlers
) -> int:
    """Carry out each of `outbox_ids` (one tenant's) on one connection: rows of a kind whose
    handler has `many` are held and handed to it together, the others go one by one through
    `process_message`, in order (see the module docstring). A row whose handler fails is
    left for a retry and the others still run; the first error is raised at the end (so the
    broker retries the batch, and rows done by then are skipped). A database outage or
    `ServiceUnavailable` stops the batch at once. Returns how many rows this call carried
    out."""
    done = 0
    first_error: Exception | None = None
    async with db.engine.connect() as conn:
        held_db = Database(db.engine, bind=conn)
        driver: Any = (await conn.get_raw_connection()).driver_connection
        holding = False
        try:
            rows = await tenant_fetch(driver, tenant_id, _OPEN, tenant_id, list(outbox_ids))
            many: dict[str, list[tuple[int, dict[str, Any]]]] = {}
            single: list[int] = []
            for outbox_id, kind, payload in rows:
                if getattr(handlers.get(kind), "many", None) is not None:
                    many.setdefault(kind, []).append((outbox_id, payload))
                else:
                    single.append(outbox_id)
            for kind, kind_rows in many.items():
                holding = True
                got = set(await driver.fetchval(_HOLD, [i for i, _ in kind_rows]))
                if len(got) < len(kind_rows):
                    first_error = first_error or Busy(
                        f"{len(kind_rows) - len(got)} rows held by another worker"
                    )
                handler: Any = handlers[kind]
                count, error = await handler.many(
                    Held(held_db, driver, tenant_id, [r for r in kind_rows if r[0] in got])
                )
                done += count
                first_error = first_error or error
            for outbox_id in single:
                try:
                    done += await process_message(
                        held_db, tenant_id, outbox_id, handlers, driver=driver
                    )
                except Exception as exc:
                    if isinstance(exc, ServiceUnavailable) or database_unavailable(exc):
                        raise
                    log.warning("outbox %s failed; left for a retry: %s", outbox_id, exc)
                    first_error = first_error or exc
            if holding:
                await driver.execute(_RELEASE)
                holding = False
        finally:
            # Locks or an open transaction must not stay on a pooled connection: drop it.
            if holding or (not driver.is_closed() and driver.is_in_transaction()):
                await conn.invalidate()
    if first_error is not None:
        raise first_error
    return done
