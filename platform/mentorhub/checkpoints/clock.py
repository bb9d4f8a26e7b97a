"""The clock's pass over the checkpoints: open items, remind, mark missed, make the
coordinator's tasks and nudge quiet pairs — in every tenant, on time, and never twice.

A pass (:func:`run_pass`, every `tasks.CLOCK_EVERY` seconds on the clock's process, or
`mentorhub clock run` by an operator):

1. :func:`tenants_with_due_work`: one statement on the clock's discovery scope
   (`Database.platform("clock")`, which may read only `checkpoint_items` and `pairs` across
   tenants) finds the active tenants with an item whose `next_at` has come, a pair whose
   items are stale, or a pair whose quiet check is due — through partial indexes that are
   empty when nothing is due, so a pass that finds nothing costs three empty index scans.
   It says, per tenant, which of the three kinds of work is due (:class:`DueWork`).
2. Each of them in its own `db.tenant(...)` transaction (the Dispatch way: one tenant's
   error is logged, that tenant's work rolled back, and the others go on), up to
   :data:`PARALLEL` tenants at once, each over its own connection, :func:`run_tenant`:

   * a transaction-level advisory try-lock on the tenant: a second clock running at the
     same moment skips the tenant (reported `skipped`) instead of waiting for it;
   * `checkpoints.sync.sync_stale_pairs`: the stale pairs' items (re)made from their
     timelines (only when the discovery found stale pairs);
   * the due items (`next_at` ≤ now), oldest first, in batches of `BATCH`, locked
     `FOR UPDATE SKIP LOCKED` (an item a person is sending in right now waits for the next
     pass), read with their pair's two people in one statement (only when the discovery
     found due items or stale pairs: a sync may make items already due). An item whose
     checkpoint is done in the pair's space (`done_in`) and is done there is marked
     submitted, without mail (`checkpoints.fulfilment`). Otherwise
     `schedule.advance` says which steps are due: the item opens (a coordinator item
     becomes a coordinator task, `task:item:<item id>`), is missed, and at most one mail
     goes to its audience — `checkpoint_open`, `reminder` or `checkpoint_overdue`, with the
     link to the item's page and the checkpoint's note. The items are updated by one
     statement per batch, the mails written kind by kind with `send_many`;
   * the quiet pairs (`checkpoints.quiet`; only when the discovery found quiet looks due or
     stale pairs);
   * one audit row `clock_pass` with the counts, when anything changed.

Exactly once: the message keys (`checkpoint:<item>:<step>:<member>`, a before/after
reminder with `:<due_on>` too; the writer's unique index) and the task keys make a repeated
step write nothing; the item's `step`/`next_at` move in the same transaction as its mails, so
a pass killed half-way leaves the tenant as it was, and the next pass does it all once.

Decisions where the issue is silent:

* `as_of` (the operator's catching up or "what would go out on…"): each tenant's now is that
  day at its scheme's `send_at` in the tenant's time zone — the latest `send_at` of the
  tenant's stored scheme versions, so whatever any of its pairs has due that day is done.
* Members who turned reminders off are still written their `reminder` and
  `checkpoint_overdue` messages; delivery leaves them unsent (the messages area's rule),
  so the record shows what the scheme asked for.
* An ended or removed pair's items are what the sync left: items it cancelled have no
  `next_at` and are never touched; an end-anchored item moved to the end date runs as any
  other. An item found with a `next_at` in a state that waits for nothing (a stray) gets its
  `next_at` cleared.
* The item's `lock_version` moves only when the clock marks it submitted (done in the
  space): opening, a reminder or "missed" must not refuse a form a person has open (a
  missed item may still be sent in late).
* Work that becomes due between the discovery and the tenant's transaction (a pair made
  stale a moment later) is done by the next pass, a minute later; `run_tenant` called
  without `due` (the operator's `--tenant`, the demo) looks at every kind.
* A tenant's pass is logged at INFO when it changed something, at DEBUG otherwise.
* A dry run does the same work inside a savepoint that is rolled back, after reading the
  messages it wrote: what would have gone out, nothing kept. It still takes the tenant's
  lock (a real clock waits for the next minute).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, literal, select, text, union
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from mentorhub.applications.queue import tenant_zone
from mentorhub.applications.services import scheme_of
from mentorhub.checkpoints.fulfilment import Done, Wanted, done_in_space
from mentorhub.checkpoints.mailing import ACTOR, day_words, item_link
from mentorhub.checkpoints.models import WAITING, CheckpointItem, CoordinatorTask
from mentorhub.checkpoints.quiet import run_quiet
from mentorhub.checkpoints.schedule import Step, advance, local_at, steps_for
from mentorhub.checkpoints.sync import sync_stale_pairs
from mentorhub.core import audit
from mentorhub.core.tenants import TenantFailure
from mentorhub.db import Database
from mentorhub.db.errors import database_unavailable
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.messages.services import Outgoing, send_many
from mentorhub.pairs.models import Pair
from mentorhub.schemes.models import SchemeVersion
from mentorhub.schemes.rules import Checkpoint, Scheme
from mentorhub.tenancy.models import Tenant, TenantStatus

__all__ = [
    "ALL_WORK",
    "BATCH",
    "PARALLEL",
    "ClockError",
    "DueWork",
    "PassResult",
    "PlannedMail",
    "TenantPass",
    "due_work",
    "run_pass",
    "run_tenant",
    "tenant_now",
    "tenants_with_due_work",
]

log = logging.getLogger(__name__)

#: Items (and quiet pairs) taken per statement.
BATCH = 1000

#: Tenants a pass works on at once, each over its own connection and in its own
#: transaction: while one waits for the database, another's Python runs.
PARALLEL = 4

#: One clock per tenant at a time: a transaction-level advisory lock, tried, never waited on
#: (the roster's and the agreement's locks hash their own prefixes the same way).
_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtextextended('mentorhub.clock:' || :tenant, 0))")

_items = cast(Table, CheckpointItem.__table__)
_pairs = cast(Table, Pair.__table__)
_tenants = cast(Table, Tenant.__table__)
_tasks = cast(Table, CoordinatorTask.__table__)

#: The counts a tenant's pass reports, in the order the command prints them.
COUNTS = (
    "synced",
    "opened",
    "reminded",
    "overdue",
    "missed",
    "submitted",
    "tasks",
    "nudged",
    "resumed",
    "mails",
)


class ClockError(ValueError):
    """A pass cannot run as asked (an unknown or suspended tenant); the text says why."""


@dataclass(frozen=True)
class PlannedMail:
    """A message a pass wrote (a dry run: would have written)."""

    kind: str
    to_address: str
    subject: str
    key: str


@dataclass
class TenantPass:
    """What one tenant's pass did. `synced`: pairs whose items the sync (re)made;
    `opened`, `reminded` (before the due date), `overdue` (after it), `missed`,
    `submitted` (done in the pair's space): items; `tasks`: coordinator tasks made;
    `nudged`: quiet pairs nudged; `resumed`: quiet tasks closed; `mails`: messages written."""

    tenant_id: uuid.UUID
    slug: str
    now: datetime | None = None
    skipped: bool = False
    synced: int = 0
    opened: int = 0
    reminded: int = 0
    overdue: int = 0
    missed: int = 0
    submitted: int = 0
    tasks: int = 0
    nudged: int = 0
    resumed: int = 0
    mails: int = 0
    messages: list[PlannedMail] = field(default_factory=list)
    #: The ids of the messages written (dry run: then rolled back).
    message_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name in COUNTS}

    @property
    def changed(self) -> bool:
        return any(self.counts().values())


@dataclass
class PassResult:
    """A pass over the tenants: each tenant's work, and the tenants whose work failed
    (rolled back; the others went on)."""

    tenants: list[TenantPass] = field(default_factory=list)
    failures: list[TenantFailure] = field(default_factory=list)

    @property
    def messages(self) -> list[PlannedMail]:
        return [m for t in self.tenants for m in t.messages]


# --- discovery -----------------------------------------------------------------------------


#: The kinds of work the discovery tells apart (its `kind` column).
_ITEMS, _STALE, _QUIET = 1, 2, 3


@dataclass(frozen=True)
class DueWork:
    """Which of the three kinds of work a tenant has due: an item whose `next_at` has come,
    a pair whose items are stale, a pair whose quiet check is due. A tenant's pass skips
    the statements of the kinds it has none of (:data:`ALL_WORK`: look at every kind)."""

    items: bool = True
    stale: bool = True
    quiet: bool = True


ALL_WORK = DueWork()


def _discovery(now: datetime) -> Select[Any]:
    due = union(
        select(_items.c.tenant_id, literal(_ITEMS).label("kind")).where(_items.c.next_at <= now),
        select(_pairs.c.tenant_id, literal(_STALE)).where(_pairs.c.items_stale),
        select(_pairs.c.tenant_id, literal(_QUIET)).where(_pairs.c.quiet_next_at <= now),
    ).subquery()
    return (
        select(
            _tenants.c.id,
            func.bool_or(due.c.kind == _ITEMS),
            func.bool_or(due.c.kind == _STALE),
            func.bool_or(due.c.kind == _QUIET),
        )
        .join(due, due.c.tenant_id == _tenants.c.id)
        .where(_tenants.c.status == TenantStatus.ACTIVE)
        .group_by(_tenants.c.id, _tenants.c.slug)
        .order_by(_tenants.c.slug)
    )


async def due_work(db: Database, now: datetime) -> dict[uuid.UUID, DueWork]:
    """The active tenants with work due at `now`, in slug order, each with the kinds of
    work it has due. One statement on the clock's discovery scope (it reads ids only; the
    work happens in each tenant's transaction)."""
    async with db.platform("clock") as session:
        return {
            tenant_id: DueWork(items=bool(items), stale=bool(stale), quiet=bool(quiet))
            for tenant_id, items, stale, quiet in await session.execute(_discovery(now))
        }


async def tenants_with_due_work(db: Database, now: datetime) -> list[uuid.UUID]:
    """The active tenants with work due at `now`, in slug order: an item whose `next_at` has
    come, a pair whose items are stale, a pair whose quiet check is due (:func:`due_work`)."""
    return list(await due_work(db, now))


# --- one tenant ----------------------------------------------------------------------------


async def run_tenant(
    session: AsyncSession,
    tenant: Tenant,
    *,
    now: datetime,
    dry_run: bool = False,
    due: DueWork = ALL_WORK,
) -> TenantPass:
    """The clock's work for the session's tenant at `now`, in the caller's transaction (see
    the module docstring). Another clock holding the tenant: nothing is done (`skipped`).
    `dry_run`: the work is rolled back; `messages` lists what it would have written.
    `due`: the kinds of work the discovery found (the others' statements are skipped)."""
    result = TenantPass(tenant.id, tenant.slug, now=now)
    locked = (await session.execute(_LOCK, {"tenant": str(tenant.id)})).scalar_one()
    if not locked:
        result.skipped = True
        log.info("tenant %s: another clock is at work on it; skipped", tenant.slug)
        return result
    if not dry_run:
        await _work(session, tenant, now, result, due)
        return result
    savepoint = await session.begin_nested()
    try:
        await _work(session, tenant, now, result, due)
        result.messages = await _planned(session, result.message_ids)
    finally:
        await savepoint.rollback()
    return result


async def _work(
    session: AsyncSession, tenant: Tenant, now: datetime, result: TenantPass, due: DueWork
) -> None:
    zone = tenant_zone(tenant.jurisdiction)
    if due.stale:
        synced = await sync_stale_pairs(session, tenant, now=now)
        result.synced = synced.pairs
    # A pair the sync just made may have items (and a quiet look) due already.
    if due.items or due.stale:
        seen: set[uuid.UUID] = set()
        while True:
            found = await session.execute(_DUE_ITEMS, {"tenant": tenant.id, "now": now})
            rows = found.all()
            batch = [row for row in rows if row.id not in seen]
            if not batch:
                break
            seen.update(row.id for row in batch)
            await _items_batch(session, tenant, batch, now, zone, result)
            if len(rows) < BATCH:
                break
    if due.quiet or due.stale:
        quiet = await run_quiet(session, tenant, now=now, zone=zone)
        result.nudged += quiet.nudged
        result.tasks += quiet.tasks
        result.resumed += quiet.resumed
        result.mails += len(quiet.message_ids)
        result.message_ids.extend(quiet.message_ids)
    if result.changed:
        details = {k: v for k, v in result.counts().items() if v}
        await audit.record_many(
            session, "clock_pass", actor=ACTOR, entries=[(now.isoformat(), details)]
        )
        log.info("tenant %s at %s: %s", tenant.slug, now.isoformat(), details)
    else:
        log.debug("tenant %s at %s: nothing changed", tenant.slug, now.isoformat())


_mentors = cast(Table, Member.__table__).alias("mentor")
_mentees = cast(Table, Member.__table__).alias("mentee")

#: A batch of the tenant's due items, oldest first, locked (rows a person's action holds
#: are skipped: they wait for the next pass), with what their mails and tasks need of the
#: pair and its two people — one statement (Core: rows, not ORM objects).
_DUE_ITEMS = (
    select(
        _items.c.id,
        _items.c.pair_id,
        _items.c.member_id,
        _items.c.checkpoint,
        _items.c.scheme_version,
        _items.c.title,
        _items.c.audience,
        _items.c.due_on,
        _items.c.opens_on,
        _items.c.closes_on,
        _items.c.state,
        _items.c.step,
        _pairs.c.mentor_id,
        _pairs.c.mentee_id,
        _mentors.c.email.label("mentor_email"),
        _mentors.c.display_name.label("mentor_name"),
        _mentees.c.email.label("mentee_email"),
        _mentees.c.display_name.label("mentee_name"),
    )
    .join(
        _pairs,
        (_pairs.c.tenant_id == _items.c.tenant_id) & (_pairs.c.id == _items.c.pair_id),
    )
    .join(
        _mentors,
        (_mentors.c.tenant_id == _pairs.c.tenant_id) & (_mentors.c.id == _pairs.c.mentor_id),
    )
    .join(
        _mentees,
        (_mentees.c.tenant_id == _pairs.c.tenant_id) & (_mentees.c.id == _pairs.c.mentee_id),
    )
    .where(_items.c.tenant_id == bindparam("tenant"), _items.c.next_at <= bindparam("now"))
    .order_by(_items.c.next_at, _items.c.id)
    .limit(BATCH)
    .with_for_update(of=_items, skip_locked=True)
)


#: One UPDATE for a batch, whatever its size: the step and next look always; a state, and
#: the moment it was reached, where the item changed state (COALESCE keeps the others).
_UPDATE_ITEMS = text(
    "UPDATE checkpoint_items AS i SET step = v.step, next_at = v.next_at, state = v.state,"
    " opened_at = coalesce(v.opened_at, i.opened_at),"
    " missed_at = coalesce(v.missed_at, i.missed_at),"
    " submitted_at = coalesce(v.submitted_at, i.submitted_at),"
    " submitted_by = coalesce(v.submitted_by, i.submitted_by),"
    " updated_at = coalesce(v.updated_at, i.updated_at),"
    " lock_version = i.lock_version + v.bump"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:steps AS smallint[]),"
    " CAST(:next_ats AS timestamptz[]), CAST(:states AS varchar[]),"
    " CAST(:opened_ats AS timestamptz[]), CAST(:missed_ats AS timestamptz[]),"
    " CAST(:submitted_ats AS timestamptz[]), CAST(:submitted_bys AS uuid[]),"
    " CAST(:updated_ats AS timestamptz[]), CAST(:bumps AS int[]))"
    " AS v(id, step, next_at, state, opened_at, missed_at, submitted_at, submitted_by,"
    " updated_at, bump)"
    " WHERE i.tenant_id = :tenant AND i.id = v.id"
)

#: The columns of :data:`_UPDATE_ITEMS`, each an array parameter (`<name>s`).
_UPDATE_FIELDS = (
    "id",
    "step",
    "next_at",
    "state",
    "opened_at",
    "missed_at",
    "submitted_at",
    "submitted_by",
    "updated_at",
    "bump",
)


class _Batch:
    """One batch's changes: the items' updates, the mails by kind, the tasks to make."""

    def __init__(self, tenant: Tenant, now: datetime) -> None:
        self.tenant = tenant
        self.now = now
        self.updates: dict[str, list[Any]] = {f"{name}s": [] for name in _UPDATE_FIELDS}
        self.mails: dict[str, list[Outgoing]] = {}
        self.tasks: list[dict[str, Any]] = []

    def update(
        self, row: Row[Any], *, step: int, next_at: datetime | None, state: str, **changed: Any
    ) -> None:
        values = {
            "id": row.id,
            "step": step,
            "next_at": next_at,
            "state": state,
            "opened_at": None,
            "missed_at": None,
            "submitted_at": None,
            "submitted_by": None,
            "updated_at": self.now if state != row.state else None,
            "bump": 0,
        }
        values.update(changed)
        for name, value in values.items():
            self.updates[f"{name}s"].append(value)

    @property
    def updated(self) -> bool:
        return bool(self.updates["ids"])


class _People:
    """The pairs' people as the mails need them (id, e-mail, name), from the due items'
    rows: transient `Member`s, made on first use and never added to the session
    (`send_many` reads these three attributes only)."""

    def __init__(self) -> None:
        self._made: dict[uuid.UUID, Member] = {}

    def of(self, row: Row[Any], member_id: uuid.UUID) -> Member:
        found = self._made.get(member_id)
        if found is None:
            mentor = member_id == row.mentor_id
            found = self._made[member_id] = Member(
                id=member_id,
                email=row.mentor_email if mentor else row.mentee_email,
                display_name=row.mentor_name if mentor else row.mentee_name,
            )
        return found


async def _items_batch(
    session: AsyncSession,
    tenant: Tenant,
    rows: list[Any],
    now: datetime,
    zone: tzinfo,
    result: TenantPass,
) -> None:
    schemes: dict[int, Scheme] = {}
    checkpoints: dict[int, dict[str, Checkpoint]] = {}
    for version in {r.scheme_version for r in rows}:
        schemes[version] = await scheme_of(session, version)
        checkpoints[version] = {c.id: c for c in schemes[version].checkpoints}

    def checkpoint_of(row: Row[Any]) -> Checkpoint | None:
        return checkpoints[row.scheme_version].get(row.checkpoint)

    wanted = []
    for r in rows:
        c = checkpoint_of(r)
        if r.state in WAITING and r.audience != "coordinator" and c is not None and c.done_in:
            wanted.append(
                Wanted(
                    r.id, r.pair_id, r.member_id, r.opens_on, c.done_in, r.mentor_id, r.mentee_id
                )
            )
    done = await done_in_space(session, wanted) if wanted else {}
    people = _People()
    steps_cache: dict[tuple[Any, ...], tuple[Step, ...]] = {}
    batch = _Batch(tenant, now)
    for r in rows:
        if r.state not in WAITING:
            batch.update(r, step=r.step, next_at=None, state=r.state)
            continue
        if r.id in done:
            _submitted(batch, r, done[r.id], result)
            continue
        scheme = schemes[r.scheme_version]
        key = (r.scheme_version, r.opens_on, r.due_on, r.closes_on, r.audience)
        steps = steps_cache.get(key)
        if steps is None:
            steps = steps_cache[key] = steps_for(
                opens_on=r.opens_on,
                due_on=r.due_on,
                closes_on=r.closes_on,
                audience=r.audience,
                reminders=scheme.reminders,
                zone=zone,
                jurisdiction=tenant.jurisdiction,
            )
        moved = advance(steps, r.step, now)
        state, changed = r.state, {}
        if moved.missed:
            state = "missed"
            changed["missed_at"] = now
            result.missed += 1
        elif moved.opened and state == "upcoming":
            state = "open"
            changed["opened_at"] = now
            result.opened += 1
            if r.audience == "coordinator":
                _task(batch, r, checkpoint_of(r))
        if moved.mail is not None and state != "missed":
            _mail(batch, r, moved.mail, people, checkpoint_of(r), result)
        batch.update(r, step=moved.done, next_at=moved.next_at, state=state, **changed)
    for kind, outgoing in batch.mails.items():
        sent = await send_many(session, tenant, kind, outgoing)
        written = [i for i in sent if i is not None]
        result.mails += len(written)
        result.message_ids.extend(written)
    if batch.tasks:
        made = await session.execute(
            insert(_tasks)
            .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
            .returning(_tasks.c.id),
            batch.tasks,
        )
        result.tasks += len(made.all())
    if batch.updated:
        await session.execute(_UPDATE_ITEMS, {"tenant": tenant.id, **batch.updates})


def _submitted(batch: _Batch, row: Row[Any], done: Done, result: TenantPass) -> None:
    batch.update(
        row,
        step=row.step,
        next_at=None,
        state="submitted",
        submitted_at=done.at,
        submitted_by=done.by,
        bump=1,
    )
    result.submitted += 1


def _task(batch: _Batch, row: Row[Any], checkpoint: Checkpoint | None) -> None:
    detail = f"{row.mentor_name} (mentor) and {row.mentee_name} (mentee)."
    if checkpoint is not None and checkpoint.note:
        detail = f"{detail}\n\n{checkpoint.note}"
    batch.tasks.append(
        {
            "tenant_id": batch.tenant.id,
            "id": uuid.uuid4(),
            "key": f"task:item:{row.id}",
            "kind": "checkpoint",
            "pair_id": row.pair_id,
            "item_id": row.id,
            "title": row.title,
            "detail": detail,
            "due_on": row.due_on,
            "state": "open",
        }
    )


def _mail(
    batch: _Batch,
    row: Row[Any],
    step: Step,
    people: _People,
    checkpoint: Checkpoint | None,
    result: TenantPass,
) -> None:
    """The step's one mail to the item's audience: its person, or both people of a pair
    item (the opening mail then names the other: they write it together)."""
    if row.audience == "coordinator" or step.mail is None:
        return
    context: dict[str, Any] = {
        "title": row.title,
        "due_on": day_words(row.due_on),
        "link": item_link(batch.tenant, row.pair_id, row.id),
    }
    if checkpoint is not None and checkpoint.note:
        context["note"] = checkpoint.note
    suffix = f":{row.due_on.isoformat()}" if step.name.startswith(("before:", "after:")) else ""
    recipients: list[tuple[Member, Member | None]]
    if row.member_id is not None:
        recipients = [(people.of(row, row.member_id), None)]
    else:
        mentor, mentee = people.of(row, row.mentor_id), people.of(row, row.mentee_id)
        recipients = [(mentor, mentee), (mentee, mentor)]
    outgoing = batch.mails.setdefault(step.mail, [])
    for person, other in recipients:
        values = dict(context)
        if other is not None and step.mail == "checkpoint_open":
            values["together"] = other.display_name
        outgoing.append(
            Outgoing(
                values, f"checkpoint:{row.id}:{step.name}:{person.id}{suffix}", to_member=person
            )
        )
    if step.name.startswith("before:"):
        result.reminded += 1
    elif step.name.startswith("after:"):
        result.overdue += 1


async def _planned(session: AsyncSession, ids: list[int]) -> list[PlannedMail]:
    if not ids:
        return []
    rows = await session.execute(
        select(Message.kind, Message.to_address, Message.subject, Message.key)
        .where(Message.id.in_(ids))
        .order_by(Message.id)
    )
    return [PlannedMail(*row) for row in rows]


# --- a pass over the tenants ---------------------------------------------------------------


async def tenant_now(session: AsyncSession, tenant: Tenant, as_of: date) -> datetime:
    """`as_of` at the tenant's send time in its zone: the latest `send_at` of its stored
    scheme versions (09:00 when it has none)."""
    zone = tenant_zone(tenant.jurisdiction)
    versions = list((await session.execute(select(SchemeVersion.version))).scalars())
    sends = {(await scheme_of(session, v)).reminders.send_at for v in versions} or {"09:00"}
    return max(local_at(as_of, send_at, zone) for send_at in sends)


def _discovery_now(as_of: date) -> datetime:
    """A moment no earlier than `as_of` at any send time in any zone (UTC−12 at 23:59 is
    11:59 UTC the next day): discovery with it finds every tenant with work that day."""
    return datetime.combine(as_of + timedelta(days=1), time(12), tzinfo=UTC)


def _parallel(db: Database) -> int:
    """How many tenants a pass works on at once: :data:`PARALLEL`, no more than the pool's
    steady size (its overflow stays for the relay and the other scheduled work of the
    clock's process); one where every session shares one connection (a `Database` bound to
    a connection, as the tests' is)."""
    if not isinstance(db.sessionmaker.kw.get("bind"), AsyncEngine):
        return 1
    size = getattr(db.engine.pool, "size", None)
    return max(1, min(PARALLEL, size() if callable(size) else 1))


async def run_pass(
    db: Database,
    *,
    now: datetime | None = None,
    as_of: date | None = None,
    tenant_slug: str | None = None,
    dry_run: bool = False,
) -> PassResult:
    """One pass: each active tenant with due work (or the one `tenant_slug` names) in its
    own transaction, a few tenants at a time (:func:`_parallel`); a tenant's failure is
    logged, rolled back and reported, and the others go on. `now` (default: the present)
    or `as_of` (each tenant's send time that day). The result lists the tenants in slug
    order. Raises ClockError for an unknown or suspended `tenant_slug`."""
    if now is not None and as_of is not None:
        raise ValueError("a pass runs at `now` or `as_of`, not both")
    if now is None and as_of is None:
        now = datetime.now(UTC)
    due: dict[uuid.UUID, DueWork] = {}
    async with db.platform() as session:
        if tenant_slug is not None:
            tenants = list(
                (await session.execute(select(Tenant).where(Tenant.slug == tenant_slug))).scalars()
            )
            if not tenants:
                raise ClockError(f"no tenant has the slug {tenant_slug!r}")
            if not tenants[0].is_active:
                raise ClockError(
                    f"the tenant {tenant_slug!r} is suspended: the clock runs nothing for it"
                )
        else:
            tenants = []
    if tenant_slug is None:
        due = await due_work(db, now or _discovery_now(as_of or date.today()))
        if due:
            async with db.platform() as session:
                found = {
                    t.id: t
                    for t in (
                        await session.execute(select(Tenant).where(Tenant.id.in_(list(due))))
                    ).scalars()
                }
            # Suspended since the discovery read them: nothing for them either.
            tenants = [found[t] for t in due if t in found and found[t].is_active]

    done: list[TenantPass | TenantFailure | None] = [None] * len(tenants)
    gate = asyncio.Semaphore(_parallel(db))

    async def one(number: int, tenant: Tenant) -> None:
        async with gate:
            try:
                async with db.tenant(tenant.id) as session:
                    at = (
                        now
                        if now is not None
                        else await tenant_now(session, tenant, as_of or date.today())
                    )
                    done[number] = await run_tenant(
                        session, tenant, now=at, dry_run=dry_run, due=due.get(tenant.id, ALL_WORK)
                    )
            except Exception as exc:  # one tenant's failure must not stop the others
                away = database_unavailable(exc)
                if away is not None:  # not a bug: one line, and the next pass tries again
                    log.warning("the clock's pass for tenant %s waits: %s", tenant.slug, away)
                else:
                    log.exception(
                        "the clock's pass for tenant %s failed; its changes were rolled back",
                        tenant.slug,
                    )
                done[number] = TenantFailure(tenant.id, tenant.slug, exc)

    await asyncio.gather(*(one(number, tenant) for number, tenant in enumerate(tenants)))
    result = PassResult()
    for outcome in done:
        if isinstance(outcome, TenantPass):
            result.tenants.append(outcome)
        elif isinstance(outcome, TenantFailure):
            result.failures.append(outcome)
    return result
