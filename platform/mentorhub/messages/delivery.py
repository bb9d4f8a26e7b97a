"""Delivery: the outbox handler that renders a message and hands it to the SMTP server.

Exactly once, as far as SMTP allows. A worker's batch (`deliver_many`, the held rows of
`mentorhub.outbox.process`): the batch's connection holds an advisory lock on each of its
outbox rows, so a duplicate delivery of a row running at the same time leaves it alone; the
messages are read once, after the locks were taken; each is sent only if it is still
`pending`, and right after the server's 250 one round trip marks it `sent`, finishes its
outbox row and commits. One row at a time (`deliver`, through `process_message`): the
handler runs in the tenant transaction that holds the outbox row's lock and marks it done;
a duplicate waits for the lock, then finds the row done. Either way the one window left is
a worker killed between the 250 and that commit: the message is then sent again by the
redelivery, with the *same* `Message-ID` (derived from the tenant and the message id), so
receivers that dedupe on it — as the mail catcher and the tests' sink do — hold it once.

Errors: a permanent refusal (5xx, an address the server rejects) is recorded on the message
(`failed`, `last_error`) and in the tenant's audit log, and never retried. A transient one
(4xx, connection refused or lost, a timeout) is recorded (`attempts`, `last_error`) in its
own transaction and raised, so Dramatiq retries with back-off and the outbox redelivers; after
`MAX_ATTEMPTS` it is recorded as failed like a permanent error.

A few SMTP connections per worker process (per event loop, `CONNECTIONS`), each opened at
its first message, reused for every message after it, and reopened after a failure. A server
that cannot be reached stops the worker's batch (`SmtpUnavailable`) instead of each of its
messages waiting for a connection in turn. The hot statements run on the driver connection
(`mentorhub.outbox.process.driver_connection`, `tenant_script`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

import aiosmtplib
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from mentorhub.core.smtp import SmtpConfig
from mentorhub.db import Database
from mentorhub.db.errors import database_unavailable
from mentorhub.messages.kinds import Category, get_kind
from mentorhub.messages.models import Message, Status
from mentorhub.messages.render import Branding, Outgoing, Override, build_email, message_id
from mentorhub.messages.services import (
    renderer,
    stored_attachments,
    unsubscribe_token,
)
from mentorhub.outbox.models import OutboxMessage
from mentorhub.outbox.process import (
    DRIVER,
    Held,
    ServiceUnavailable,
    driver_connection,
    run_script,
    tenant_fetch,
    tenant_script,
)
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.models import Tenant

log = logging.getLogger(__name__)

#: Transient failures after which a message is recorded as failed.
MAX_ATTEMPTS = 8


class TransientDeliveryError(RuntimeError):
    """Try again later (raised so Dramatiq retries with back-off)."""


class SmtpUnavailable(TransientDeliveryError, ServiceUnavailable):
    """The server cannot be reached or refuses our sign-in: every message waits, so the rest
    of the worker's batch is not tried one by one."""


class PermanentDeliveryError(RuntimeError):
    pass


def require_smtp(settings: Settings) -> None:
    """Production start-up (web and workers): one clear line, not a failure at first send."""
    if settings.smtp is None and os.environ.get("MENTORHUB_EMBEDDED") != "1":
        print(
            "mentorhub: MENTORHUB_SMTP_URL is not set (production mode sends e-mail through "
            "it, e.g. smtp+starttls://user:password@mail.example.org)",
            file=sys.stderr,
        )
        raise SystemExit(1)


def base_url(settings: Settings, tenant: Tenant | TenantFacts) -> str:
    """Where the tenant's pages are, for links in mail."""
    if settings.path_prefix_tenants or not tenant.hostnames:
        root = os.environ.get("MENTORHUB_BASE_URL", "http://localhost:8000").rstrip("/")
        return f"{root}/t/{tenant.slug}"
    return f"https://{tenant.hostnames[0]}"


class Mailer:
    """One SMTP connection, reused; reconnects after any failure."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.client: aiosmtplib.SMTP | None = None
        self.lock = asyncio.Lock()

    async def _connected(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            return self.client
        c = self.config
        client = aiosmtplib.SMTP(
            hostname=c.host,
            port=c.port,
            username=c.username,
            password=c.password,
            timeout=c.timeout,
            use_tls=c.security == "tls",
            start_tls=c.security == "starttls",
        )
        await client.connect()
        self.client = client
        return client

    async def send(self, email: Outgoing, sender: str, recipient: str) -> None:
        async with self.lock:
            try:
                client = await self._connected()
                await client.sendmail(sender, [recipient], email.raw)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                codes = [r.code for r in exc.recipients]
                text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
                if codes and all(code >= 500 for code in codes):
                    raise PermanentDeliveryError(f"recipient refused: {text}") from None
                raise TransientDeliveryError(f"recipient deferred: {text}") from None
            except aiosmtplib.SMTPAuthenticationError as exc:
                await self.close()  # our configuration, not the message: keep it
                raise SmtpUnavailable(f"SMTP sign-in refused: {exc.code}") from None
            except aiosmtplib.SMTPResponseException as exc:
                if exc.code >= 500:
                    raise PermanentDeliveryError(f"refused: {exc.code} {exc.message}") from None
                raise TransientDeliveryError(f"deferred: {exc.code} {exc.message}") from None
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await self.close()
                reason = str(exc) or type(exc).__name__
                raise SmtpUnavailable(f"SMTP server unavailable: {reason}") from None

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                if client.is_connected:
                    await asyncio.wait_for(client.quit(), 2)
            with contextlib.suppress(Exception):
                client.close()


#: SMTP connections per worker process: a message waits for the server's four replies in
#: turn, so one connection caps a worker at one message per four round trips however many
#: batches it runs at once; a few let those waits overlap.
CONNECTIONS = 4

_mailers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Mailer]] = (
    weakref.WeakKeyDictionary()
)


def mailer(settings: Settings) -> Mailer:
    """A free one of the process's connections for this event loop (asyncio streams belong
    to their loop), opened on first use."""
    if settings.smtp is None:
        raise SmtpUnavailable("MENTORHUB_SMTP_URL is not set")
    loop = asyncio.get_running_loop()
    found = _mailers.get(loop)
    if found is None or found[0].config != settings.smtp:
        found = _mailers[loop] = [Mailer(settings.smtp) for _ in range(CONNECTIONS)]
    for candidate in found:
        if not candidate.lock.locked():
            return candidate
    found.append(found.pop(0))  # all busy: queue behind each in turn
    return found[-1]


@dataclass(frozen=True)
class TenantFacts:
    """What mail needs of a tenant, copied out of the ORM (a cached ORM object would be
    expired by the next rollback)."""

    id: uuid.UUID
    slug: str
    name: str
    branding: dict[str, Any]
    hostnames: tuple[str, ...]


#: Tenants' names and branding, read once a minute per process rather than per message.
_tenants: dict[uuid.UUID, tuple[float, TenantFacts]] = {}


def _cached_tenant(tenant_id: uuid.UUID) -> TenantFacts | None:
    cached = _tenants.get(tenant_id)
    if cached is not None and time.monotonic() - cached[0] < 60:
        return cached[1]
    return None


async def _tenant(session: AsyncSession, tenant_id: uuid.UUID) -> TenantFacts:
    cached = _cached_tenant(tenant_id)
    if cached is not None:
        return cached
    tenant = (await session.execute(select(Tenant).where(Tenant.id == tenant_id))).scalar_one()
    facts = TenantFacts(
        tenant.id, tenant.slug, tenant.name, dict(tenant.branding), tuple(tenant.hostnames)
    )
    _tenants[tenant_id] = (time.monotonic(), facts)
    return facts


#: One round trip for everything delivery needs of a message (RLS scopes every table).
#: Its first column is `set_config`'s result: delivery's read turns off waiting for the WAL
#: flush at its transaction's commit (see `deliver`) in the same round trip; other reads leave
#: the setting as it is.
_LOAD_SQL = """
    SELECT set_config('synchronous_commit',
                      coalesce(CAST(:commit AS text), current_setting('synchronous_commit')),
                      true),
           m.tenant_id, m.id, m.kind, m.status, m.to_address, m.subject, m.context,
           m.member_id, m.attempts, mem.display_name, p.reminders_off_at IS NOT NULL,
           o.subject, o.body
    FROM messages m
    LEFT JOIN members mem ON mem.tenant_id = m.tenant_id AND mem.id = m.member_id
    LEFT JOIN message_preferences p ON p.tenant_id = m.tenant_id AND p.member_id = m.member_id
    LEFT JOIN message_templates o ON o.tenant_id = m.tenant_id AND o.kind = m.kind
    WHERE m.id = :id
    """
#: Run on the driver connection (`mentorhub.outbox.process.driver_connection`), hence $n.
_SENT = (
    "UPDATE messages SET status = 'sent', sent_at = now(), attempts = attempts + 1, "
    "last_error = NULL WHERE id = $1"
)
_LOAD_DRIVER = _LOAD_SQL.replace(":commit AS", "$2 AS").replace("m.id = :id", "m.id = $1")


@dataclass(frozen=True)
class Stored:
    tenant_id: uuid.UUID
    id: int
    kind: str
    status: str
    to_address: str
    subject: str
    context: dict[str, Any]
    member_id: uuid.UUID | None
    attempts: int
    recipient_name: str | None
    reminders_off: bool
    override: Override | None


_LOAD = text(_LOAD_SQL)


async def load(
    session: AsyncSession, message_id: int, *, wait_for_flush: bool = True
) -> Stored | None:
    """Everything delivery needs of one message; `wait_for_flush=False` also makes this
    transaction's commit not wait for its WAL flush (delivery's own transaction only)."""
    setting = None if wait_for_flush else "off"  # None: as it was
    if DRIVER in session.info:  # a worker's batch: the driver connection (see there why)
        row = await session.info[DRIVER].fetchrow(_LOAD_DRIVER, message_id, setting)
    else:
        row = (await session.execute(_LOAD, {"id": message_id, "commit": setting})).one_or_none()
    if row is None:
        return None
    (
        _,
        tenant_id,
        id_,
        kind,
        status,
        to,
        subject,
        context,
        member_id,
        attempts,
        name,
        off,
        o_subject,
        o_body,
    ) = row
    override = Override(o_subject, o_body) if (o_subject or o_body) else None
    return Stored(
        tenant_id, id_, kind, status, to, subject, context, member_id, attempts, name, off, override
    )


async def render_stored(
    session: AsyncSession, message: Stored, *, unsubscribe_url: str | None
) -> Outgoing:
    return compose(
        await _tenant(session, message.tenant_id), message, unsubscribe_url=unsubscribe_url
    )


def compose(tenant: TenantFacts, message: Stored, *, unsubscribe_url: str | None) -> Outgoing:
    settings = get_settings()
    domain = settings.mail_from.partition("@")[2]
    # Attachments are kept under a reserved key of the stored context (services'
    # docstring): taken out here, so templates never see them.
    context, attachments = stored_attachments(message.context)
    return build_email(
        renderer=renderer(),
        kind=get_kind(message.kind),
        branding=Branding.from_tenant(tenant.name, tenant.branding),
        context=dict(context),
        attachments=attachments,
        subject=message.subject,
        to_address=message.to_address,
        recipient_name=message.recipient_name,
        mail_from=settings.mail_from,
        msg_id=message_id(message.tenant_id, message.id, domain),
        unsubscribe_url=unsubscribe_url,
        override=message.override,
    )


async def deliver(session: AsyncSession, outbox: OutboxMessage) -> None:
    """The outbox handler for `message.send` (see the module docstring). Two statements of
    its own: one read, one update; Core SQL, since the ORM's per-statement cost was most of
    a message's CPU time."""
    settings = get_settings()
    # The commit that records "sent" need not wait for its WAL flush (`load` turns it off):
    # losing it in a database crash can only make the message be sent again, with the same
    # Message-ID, never lose it; waiting for the flush was most of a message's time.
    message = await load(session, int(outbox.payload["message"]), wait_for_flush=False)
    if message is None or message.status != Status.PENDING:
        return  # already sent, failed or suppressed: a redelivery does nothing
    kind = get_kind(message.kind)
    unsubscribe_url = None
    if kind.category is Category.REMINDER and message.member_id is not None:
        if message.reminders_off:
            await session.execute(
                text("UPDATE messages SET status = 'suppressed' WHERE id = :id"),
                {"id": message.id},
            )
            return
        tenant = await _tenant(session, message.tenant_id)
        token = unsubscribe_token(settings.secret_key or "", message.tenant_id, message.member_id)
        unsubscribe_url = f"{base_url(settings, tenant)}/messages/unsubscribe/{token}"
    email = await render_stored(session, message, unsubscribe_url=unsubscribe_url)
    try:
        await mailer(settings).send(email, settings.mail_from, message.to_address)
    except PermanentDeliveryError as exc:
        await _fail(session, message, str(exc))
        return
    except TransientDeliveryError as exc:
        if message.attempts + 1 >= MAX_ATTEMPTS:
            await _fail(session, message, f"gave up after {MAX_ATTEMPTS} attempts: {exc}")
            return
        await _record_attempt(session, message, str(exc))
        raise
    await (await driver_connection(session)).execute(_SENT, message.id)


async def _fail(session: AsyncSession, message: Stored, error: str) -> None:
    from mentorhub.core.audit import record

    await session.execute(
        text(
            "UPDATE messages SET status = 'failed', failed_at = now(), "
            "attempts = attempts + 1, last_error = :error WHERE id = :id"
        ),
        {"id": message.id, "error": error[:1000]},
    )
    record(
        session,
        "message.failed",
        actor=None,
        subject=f"message:{message.id}",
        details={"kind": message.kind, "to": message.to_address, "error": error[:300]},
    )
    log.warning("message %s (%s) not delivered: %s", message.id, message.kind, error)


async def _record_attempt(session: AsyncSession, message: Stored, error: str) -> None:
    """Count a transient failure in its own transaction: the handler's is rolled back when
    the error is raised for a retry."""
    bind = session.bind
    if isinstance(bind, AsyncConnection):
        bind = bind.engine
    if not isinstance(bind, AsyncEngine):
        return
    await _count_attempt(Database(bind), message, error)


async def _count_attempt(db: Database, message: Stored, error: str) -> None:
    async with db.tenant(message.tenant_id) as own:
        await own.execute(
            update(Message)
            .where(Message.id == message.id, Message.status == Status.PENDING)
            .values(attempts=Message.attempts + 1, last_error=error[:1000])
        )
    log.info("message %s deferred (attempt %d): %s", message.id, message.attempts + 1, error)


# --- a batch's messages at once (`mentorhub.outbox.process`, held rows) ---------------------

#: Everything delivery needs of the held rows' messages (pairs of outbox and message ids),
#: read after their locks were taken:
#: a row another worker finished meanwhile is not returned (done), a row whose message is
#: gone comes back with NULLs (nothing to send; the row is finished).
_LOAD_HELD = """
    SELECT ob.id, m.tenant_id, m.id, m.kind, m.status, m.to_address, m.subject, m.context,
           m.member_id, m.attempts, mem.display_name, p.reminders_off_at IS NOT NULL,
           o.subject, o.body
    FROM unnest($2::bigint[], $3::bigint[]) AS h(outbox_id, message_id)
    JOIN outbox ob ON ob.tenant_id = $1 AND ob.id = h.outbox_id
    LEFT JOIN messages m ON m.tenant_id = $1 AND m.id = h.message_id
    LEFT JOIN members mem ON mem.tenant_id = m.tenant_id AND mem.id = m.member_id
    LEFT JOIN message_preferences p ON p.tenant_id = m.tenant_id AND p.member_id = m.member_id
    LEFT JOIN message_templates o ON o.tenant_id = m.tenant_id AND o.kind = m.kind
    WHERE ob.id = ANY($2::bigint[]) AND ob.done_at IS NULL AND ob.failed_at IS NULL
    ORDER BY ob.id
    """


#: The statements a held row is finished with (`tenant_script`: no parameters, so only a
#: UUID and ints are formatted in; the tenant keeps them on the primary keys' index).
def _finished(tenant_id: uuid.UUID, outbox_id: int) -> str:
    return (
        f"UPDATE outbox SET done_at = now() "
        f"WHERE tenant_id = '{uuid.UUID(str(tenant_id))}' AND id = {int(outbox_id)}"
    )


def _marked_sent(tenant_id: uuid.UUID, message_id: int) -> str:
    return (
        "UPDATE messages SET status = 'sent', sent_at = now(), attempts = attempts + 1, "
        f"last_error = NULL WHERE tenant_id = '{uuid.UUID(str(tenant_id))}' "
        f"AND id = {int(message_id)}"
    )


async def deliver_many(held: Held) -> tuple[int, Exception | None]:
    """`deliver` for a batch's held rows (see `mentorhub.outbox.process`): one read for all
    of them, then per message the render, the SMTP transaction and one round trip that marks
    it sent and its outbox row done and commits. The window is a single message's, as in
    `deliver`: between the server's 250 and that commit."""
    driver, tenant_id = held.driver, held.tenant_id
    # The message ids as values, not `payload->>'message'` in the join: row-level security
    # keeps a join condition that is not leakproof above the scan, so that scanned all of
    # the tenant's messages for each row.
    message_ids = [int(payload["message"]) for _, payload in held.rows]
    rows = await tenant_fetch(
        driver, tenant_id, _LOAD_HELD, tenant_id, [i for i, _ in held.rows], message_ids
    )
    tenant = _cached_tenant(tenant_id)
    if tenant is None and rows:
        async with held.db.tenant(tenant_id) as session:
            tenant = await _tenant(session, tenant_id)
    done = 0
    first_error: Exception | None = None
    for row in rows:
        try:
            count, error = await _deliver_row(held, tenant, row)
        except Exception as exc:
            # One message's error (e.g. a template refused) is that message's: the batch
            # goes on, the row is left for a retry; what every message needs stops it.
            if isinstance(exc, ServiceUnavailable) or database_unavailable(exc):
                raise
            log.warning("outbox %s failed; left for a retry: %s", row[0], exc)
            count, error = 0, exc
        done += count
        first_error = first_error or error
    return done, first_error


async def _deliver_row(
    held: Held, tenant: TenantFacts | None, row: Any
) -> tuple[int, Exception | None]:
    """One held row of `deliver_many`: (1 if it was finished, the error leaving it open)."""
    settings = get_settings()
    driver, tenant_id = held.driver, held.tenant_id
    outbox_id = int(row[0])
    if row[2] is None or row[4] != Status.PENDING:  # gone, or sent/failed/suppressed
        await run_script(driver, tenant_script(tenant_id, _finished(tenant_id, outbox_id)))
        return 1, None
    message = Stored(
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        Override(row[12], row[13]) if (row[12] or row[13]) else None,
    )
    assert tenant is not None
    unsubscribe_url = None
    if get_kind(message.kind).category is Category.REMINDER and message.member_id is not None:
        if message.reminders_off:
            await run_script(
                driver,
                tenant_script(
                    tenant_id,
                    "UPDATE messages SET status = 'suppressed' "
                    f"WHERE tenant_id = '{tenant_id}' AND id = {int(message.id)}",
                    _finished(tenant_id, outbox_id),
                ),
            )
            return 1, None
        token = unsubscribe_token(settings.secret_key or "", tenant_id, message.member_id)
        unsubscribe_url = f"{base_url(settings, tenant)}/messages/unsubscribe/{token}"
    email = compose(tenant, message, unsubscribe_url=unsubscribe_url)
    try:
        await mailer(settings).send(email, settings.mail_from, message.to_address)
    except PermanentDeliveryError as exc:
        await _fail_held(held, outbox_id, message, str(exc))
        return 1, None
    except TransientDeliveryError as exc:
        if message.attempts + 1 >= MAX_ATTEMPTS:
            await _fail_held(
                held, outbox_id, message, f"gave up after {MAX_ATTEMPTS} attempts: {exc}"
            )
            return 1, None
        await _count_attempt(held.db, message, str(exc))
        if isinstance(exc, SmtpUnavailable):
            raise
        log.warning("outbox %s failed; left for a retry: %s", outbox_id, exc)
        return 0, exc
    await run_script(
        driver,
        tenant_script(
            tenant_id, _marked_sent(tenant_id, message.id), _finished(tenant_id, outbox_id)
        ),
    )
    return 1, None


async def _fail_held(held: Held, outbox_id: int, message: Stored, error: str) -> None:
    """A permanent failure of a held row: recorded (message, audit) and the row finished."""
    async with held.db.tenant(held.tenant_id) as session:
        await _fail(session, message, error)
        await session.execute(text(_finished(held.tenant_id, outbox_id)))


class Delivery:
    """The `message.send` handler: `deliver` for one row, `many` for a batch's rows."""

    async def __call__(self, session: AsyncSession, outbox: OutboxMessage) -> None:
        await deliver(session, outbox)

    many = staticmethod(deliver_many)


#: What `workers.handlers` maps `message.send` to.
HANDLER = Delivery()
