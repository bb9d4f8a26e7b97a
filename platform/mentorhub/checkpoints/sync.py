"""Keep each pair's checkpoint items in step with its timeline (run by the clock).

A pair whose items may be out of date carries `pairs.items_stale` (a new pair, an applied
extension, an end or a removal, a meeting recorded as held). :func:`sync_stale_pairs` takes
such pairs in batches, locked `FOR UPDATE SKIP LOCKED` (a pair that a person's action holds
right now is synced on the next pass), compares the items each should have
(`schedule.item_specs`) with the ones it has, and in a handful of statements per batch:

* inserts the new items (state upcoming, step 0, `next_at` = their first step) with one
  multi-row INSERT … ON CONFLICT DO NOTHING on the item's identity, so a sync racing
  another never makes an item twice;
* moves waiting items (upcoming, open) whose dates changed: new dates, the steps recomputed
  and `next_at` set. An open item stays open: the steps whose time has passed count as done
  (the opening at least, never "missed" — the clock's `advance` marks it missed when it is
  due), so no past reminder is sent late; an upcoming item starts again at step 0;
* cancels waiting items the timeline no longer has (an early end, a removal), with the
  reason in words, `next_at` NULL, and cancels the coordinator's open task of such an item;
* clears `items_stale` and sets `pairs.quiet_next_at`: for a live pair whose scheme nudges
  quiet pairs, its start + the allowance (moved to the next business day, as every quiet
  look is) at the send time when not set yet (the clock moves it on from there); NULL once
  the pair has ended.

Submitted, reviewed and missed items are never touched.

Decisions where the issue is silent:

* The end date E of an ended pair is the local day (tenant's zone) of `pairs.ended_at`.
* A pair whose facts contradict its scheme (`FactsError`, which the actions refuse, so only
  hand-edited data) keeps its items as they are; the problem is logged and the pair is no
  longer stale (the next change of its dates marks it again).
* A title that changed (an after-meeting item's number when an earlier meeting is recorded
  later) is updated with the dates; only a date change counts as "moved".
* A move leaves the item's `lock_version` alone (like the clock's own steps): a person with
  the item's form open is not refused for a change of dates; a cancellation moves it.
* One audit row (`checkpoint_items_synced`, actor "clock") per pair whose items were moved or
  cancelled; making a new pair's items is not audited (the pair's creation is).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, cast

import msgspec
from sqlalchemy import Row, Table, bindparam, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Cohort
from mentorhub.applications.queue import tenant_zone
from mentorhub.applications.services import scheme_of
from mentorhub.checkpoints.models import WAITING, CheckpointItem, CoordinatorTask
from mentorhub.checkpoints.schedule import (
    ItemSpec,
    Step,
    item_specs,
    local_at,
    quiet_allowance_days,
    steps_for,
)
from mentorhub.core import audit
from mentorhub.pairs.models import LIVE_STATES, Pair
from mentorhub.pairs.services.lifecycle import facts_of
from mentorhub.pairs.space_models import Meeting
from mentorhub.schemes.calendar import next_business_day
from mentorhub.schemes.errors import FactsError
from mentorhub.schemes.rules import Scheme
from mentorhub.schemes.timeline import relationship_span
from mentorhub.tenancy.models import Tenant

__all__ = ["BATCH", "SyncResult", "sync_pair", "sync_stale_pairs"]

log = logging.getLogger(__name__)

#: Stale pairs locked and synced per round.
BATCH = 500

_items = cast(Table, CheckpointItem.__table__)
_tasks = cast(Table, CoordinatorTask.__table__)


@dataclass
class SyncResult:
    """Counts of one sync: pairs synced, items created, moved (dates changed), cancelled."""

    pairs: int = 0
    created: int = 0
    moved: int = 0
    cancelled: int = 0

    def __iadd__(self, other: SyncResult) -> SyncResult:
        self.pairs += other.pairs
        self.created += other.created
        self.moved += other.moved
        self.cancelled += other.cancelled
        return self


@dataclass(frozen=True)
class _PairRow:
    """What the sync reads of a pair."""

    id: uuid.UUID
    cohort_id: uuid.UUID
    scheme_version: int
    mentor_id: uuid.UUID
    mentee_id: uuid.UUID
    matched_on: date
    state: str
    end_kind: str | None
    ended_at: datetime | None
    extensions: list[dict[str, Any]]
    quiet_next_at: datetime | None


_PAIR_COLUMNS = (
    Pair.id,
    Pair.cohort_id,
    Pair.scheme_version,
    Pair.mentor_id,
    Pair.mentee_id,
    Pair.matched_on,
    Pair.state,
    Pair.end_kind,
    Pair.ended_at,
    Pair.extensions,
    Pair.quiet_next_at,
)

_ITEM_COLUMNS = (
    CheckpointItem.id,
    CheckpointItem.pair_id,
    CheckpointItem.checkpoint,
    CheckpointItem.slot,
    CheckpointItem.member_id,
    CheckpointItem.state,
    CheckpointItem.audience,
    CheckpointItem.title,
    CheckpointItem.due_on,
    CheckpointItem.opens_on,
    CheckpointItem.closes_on,
)


def _row_of(pair: Pair) -> _PairRow:
    return _PairRow(
        id=pair.id,
        cohort_id=pair.cohort_id,
        scheme_version=pair.scheme_version,
        mentor_id=pair.mentor_id,
        mentee_id=pair.mentee_id,
        matched_on=pair.matched_on,
        state=pair.state,
        end_kind=pair.end_kind,
        ended_at=pair.ended_at,
        extensions=list(pair.extensions or []),
        quiet_next_at=pair.quiet_next_at,
    )


def _day_words(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


@dataclass
class _Plan:
    """The statements one batch needs, gathered over its pairs."""

    inserts: list[dict[str, Any]]
    moves: list[dict[str, Any]]
    cancels: dict[str, list[uuid.UUID]]  # reason → item ids
    quiet: dict[uuid.UUID, datetime | None]  # pair id → quiet_next_at
    audits: list[tuple[str | None, dict[str, Any]]]
    moved: int = 0


async def sync_stale_pairs(
    session: AsyncSession, tenant: Tenant, *, now: datetime, limit: int | None = None
) -> SyncResult:
    """Sync every stale pair of the session's tenant (at most `limit`), in batches of
    :data:`BATCH` locked FOR UPDATE SKIP LOCKED, in the caller's transaction."""
    result = SyncResult()
    while limit is None or result.pairs < limit:
        size = BATCH if limit is None else min(BATCH, limit - result.pairs)
        rows = (
            await session.execute(
                select(*_PAIR_COLUMNS)
                .where(Pair.tenant_id == tenant.id, Pair.items_stale.is_(True))
                .order_by(Pair.id)
                .limit(size)
                .with_for_update(of=Pair, skip_locked=True)
            )
        ).all()
        if not rows:
            break
        pairs = [_PairRow(*row) for row in rows]
        result += await _sync(session, tenant, pairs, now=now, write_pairs=True)
        if len(rows) < size:
            break
    return result


async def sync_pair(
    session: AsyncSession, tenant: Tenant, pair: Pair, *, now: datetime
) -> SyncResult:
    """Sync one pair (an ORM object in this session; lock it first where a race matters):
    its items, `items_stale` False, `quiet_next_at` by the rule above."""
    plan_quiet: dict[uuid.UUID, datetime | None] = {}
    result = await _sync(
        session, tenant, [_row_of(pair)], now=now, write_pairs=False, quiet_out=plan_quiet
    )
    pair.items_stale = False
    pair.quiet_next_at = plan_quiet.get(pair.id)
    return result


async def _sync(
    session: AsyncSession,
    tenant: Tenant,
    pairs: Sequence[_PairRow],
    *,
    now: datetime,
    write_pairs: bool,
    quiet_out: dict[uuid.UUID, datetime | None] | None = None,
) -> SyncResult:
    zone = tenant_zone(tenant.jurisdiction)
    ids = [p.id for p in pairs]
    cohorts = {
        c.id: c
        for c in (
            await session.execute(select(Cohort).where(Cohort.id.in_({p.cohort_id for p in pairs})))
        ).scalars()
    }
    schemes = {v: await scheme_of(session, v) for v in {p.scheme_version for p in pairs}}
    held = await _held(session, tenant, ids, zone)
    existing = await _existing(session, tenant, ids)
    plan = _Plan(inserts=[], moves=[], cancels=defaultdict(list), quiet={}, audits=[])
    for p in pairs:
        _plan_pair(
            plan,
            tenant,
            p,
            cohort=cohorts[p.cohort_id],
            scheme=schemes[p.scheme_version],
            held=held.get(p.id, ()),
            items=existing.get(p.id, ()),
            zone=zone,
            now=now,
        )
    result = SyncResult(pairs=len(pairs), moved=plan.moved)
    result.created = await _insert(session, plan.inserts)
    await _move(session, tenant, plan.moves)
    result.cancelled = await _cancel(session, tenant, plan.cancels, now)
    if write_pairs:
        await _write_pairs(session, tenant, plan.quiet)
    if quiet_out is not None:
        quiet_out.update(plan.quiet)
    if plan.audits:
        await audit.record_many(
            session, "checkpoint_items_synced", actor="clock", entries=plan.audits
        )
    return result


# --- reading ---------------------------------------------------------------------------------


async def _held(
    session: AsyncSession, tenant: Tenant, pair_ids: Sequence[uuid.UUID], zone: tzinfo
) -> dict[uuid.UUID, tuple[date, ...]]:
    """Each pair's meetings held, as local days (sorted)."""
    rows = await session.execute(
        select(Meeting.pair_id, Meeting.starts_at).where(
            Meeting.tenant_id == tenant.id,
            Meeting.pair_id.in_(pair_ids),
            Meeting.state == "held",
        )
    )
    days: dict[uuid.UUID, list[date]] = defaultdict(list)
    for pair_id, starts_at in rows:
        days[pair_id].append(starts_at.astimezone(zone).date())
    return {k: tuple(sorted(v)) for k, v in days.items()}


async def _existing(
    session: AsyncSession, tenant: Tenant, pair_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    rows = await session.execute(
        select(*_ITEM_COLUMNS).where(
            CheckpointItem.tenant_id == tenant.id, CheckpointItem.pair_id.in_(pair_ids)
        )
    )
    out: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        out[row.pair_id].append(cast("Row[Any]", row))
    return out


# --- deciding --------------------------------------------------------------------------------


def _steps(spec: ItemSpec, scheme: Scheme, zone: tzinfo, jurisdiction: str) -> tuple[Step, ...]:
    return steps_for(
        opens_on=spec.opens_on,
        due_on=spec.due_on,
        closes_on=spec.closes_on,
        audience=spec.audience,
        reminders=scheme.reminders,
        zone=zone,
        jurisdiction=jurisdiction,
    )


def _open_step_count(steps: Sequence[Step], now: datetime) -> int:
    """Steps of a moved open item that count as done: the opening, and every later one whose
    time has passed, "missed" excepted (the clock marks it when it comes)."""
    done = 1
    while done < len(steps) and steps[done].name != "missed" and steps[done].at <= now:
        done += 1
    return done


def _plan_pair(
    plan: _Plan,
    tenant: Tenant,
    p: _PairRow,
    *,
    cohort: Cohort,
    scheme: Scheme,
    held: tuple[date, ...],
    items: Iterable[Row[Any]],
    zone: tzinfo,
    now: datetime,
) -> None:
    jurisdiction = tenant.jurisdiction
    live = p.state in LIVE_STATES
    ended: tuple[str, date] | None = None
    if not live:
        end_day = (p.ended_at or now).astimezone(zone).date()
        ended = (p.end_kind or "completed", end_day)
    # facts_of reads the match date and the extensions only (a transient Pair, never added).
    facts = facts_of(Pair(matched_on=p.matched_on, extensions=p.extensions), cohort, scheme)
    facts = msgspec.structs.replace(facts, meetings_held=held)
    # Quiet pairs: from the start, once; cleared when the pair ends.
    quiet: datetime | None = None
    if live:
        quiet = p.quiet_next_at
        allowance = quiet_allowance_days(scheme, None)
        if allowance is None:
            quiet = None
        elif quiet is None:
            try:
                start = relationship_span(scheme, facts).start
            except FactsError:
                start = p.matched_on
            # On a business day, like every quiet look (checkpoints.quiet).
            first = next_business_day(start + timedelta(days=allowance), jurisdiction)
            quiet = local_at(first, scheme.reminders.send_at, zone)
    plan.quiet[p.id] = quiet

    try:
        specs = item_specs(
            scheme,
            facts,
            jurisdiction=jurisdiction,
            mentor_id=p.mentor_id,
            mentee_id=p.mentee_id,
            ended=ended,
        )
    except FactsError as exc:
        log.warning("pair %s: its facts contradict its scheme: %s", p.id, "; ".join(exc.problems))
        return
    wanted = {s.identity: s for s in specs}
    have: dict[tuple[str, str, uuid.UUID | None], Row[Any]] = {
        (r.checkpoint, r.slot, r.member_id): r for r in items
    }
    moved: list[str] = []
    cancelled: list[str] = []
    for key, spec in wanted.items():
        row = have.get(key)
        if row is None:
            steps = _steps(spec, scheme, zone, jurisdiction)
            plan.inserts.append(
                {
                    "tenant_id": tenant.id,
                    "id": uuid.uuid4(),
                    "pair_id": p.id,
                    "member_id": spec.member_id,
                    "checkpoint": spec.checkpoint,
                    "slot": spec.slot,
                    "scheme_version": p.scheme_version,
                    "kind": spec.kind,
                    "title": spec.title,
                    "audience": spec.audience,
                    "readers": list(spec.readers),
                    "due_on": spec.due_on,
                    "opens_on": spec.opens_on,
                    "closes_on": spec.closes_on,
                    "state": "upcoming",
                    "next_at": steps[0].at,
                    "step": 0,
                    "updated_at": now,
                }
            )
            continue
        if row.state not in WAITING:
            continue
        dates_changed = (row.due_on, row.opens_on, row.closes_on) != (
            spec.due_on,
            spec.opens_on,
            spec.closes_on,
        )
        if not dates_changed and row.title == spec.title:
            continue
        steps = _steps(spec, scheme, zone, jurisdiction)
        step = _open_step_count(steps, now) if row.state == "open" else 0
        plan.moves.append(
            {
                "_id": row.id,
                "_due": spec.due_on,
                "_opens": spec.opens_on,
                "_closes": spec.closes_on,
                "_title": spec.title,
                "_step": step,
                "_next": steps[step].at if step < len(steps) else None,
                "_now": now,
            }
        )
        if dates_changed:
            plan.moved += 1
            moved.append(f"{spec.checkpoint}{':' + spec.slot if spec.slot else ''}")
    reason = (
        f"The relationship ended on {_day_words(ended[1])}."
        if ended is not None
        else "The relationship's dates changed."
    )
    for key, row in have.items():
        if key not in wanted and row.state in WAITING:
            plan.cancels[reason].append(row.id)
            cancelled.append(f"{row.checkpoint}{':' + row.slot if row.slot else ''}")
    if moved or cancelled:
        plan.audits.append(
            (str(p.id), {"moved": sorted(set(moved)), "cancelled": sorted(set(cancelled))})
        )


# --- writing ---------------------------------------------------------------------------------


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """New items in multi-row INSERTs (SQLAlchemy pages them by 1,000 rows); an item that
    exists already (a racing sync) is left alone. Returns how many were made."""
    if not rows:
        return 0
    made = await session.execute(
        insert(_items).on_conflict_do_nothing().returning(_items.c.id),
        rows,
    )
    return len(made.all())


_MOVE = (
    update(_items)
    .where(
        _items.c.tenant_id == bindparam("_tenant"),
        _items.c.id == bindparam("_id"),
        or_(*(_items.c.state == state for state in WAITING)),  # executemany: no IN (...)
    )
    .values(
        due_on=bindparam("_due"),
        opens_on=bindparam("_opens"),
        closes_on=bindparam("_closes"),
        title=bindparam("_title"),
        step=bindparam("_step"),
        next_at=bindparam("_next"),
        updated_at=bindparam("_now"),
    )
)


async def _move(session: AsyncSession, tenant: Tenant, moves: list[dict[str, Any]]) -> None:
    if moves:
        await session.execute(_MOVE, [{**m, "_tenant": tenant.id} for m in moves])


async def _cancel(
    session: AsyncSession, tenant: Tenant, cancels: Mapping[str, list[uuid.UUID]], now: datetime
) -> int:
    count = 0
    for reason, ids in cancels.items():
        done = await session.execute(
            update(_items)
            .where(
                _items.c.tenant_id == tenant.id,
                _items.c.id.in_(ids),
                _items.c.state.in_(WAITING),
            )
            .values(
                state="cancelled",
                cancelled_at=now,
                cancel_reason=reason,
                next_at=None,
                updated_at=now,
                lock_version=_items.c.lock_version + 1,
            )
            .returning(_items.c.id)
        )
        gone = [r[0] for r in done]
        count += len(gone)
        if gone:
            await session.execute(
                update(_tasks)
                .where(
                    _tasks.c.tenant_id == tenant.id,
                    _tasks.c.item_id.in_(gone),
                    _tasks.c.state == "open",
                )
                .values(
                    state="cancelled",
                    note=reason,
                    updated_at=now,
                    lock_version=_tasks.c.lock_version + 1,
                )
            )
    return count


_WRITE_PAIRS = text(
    "UPDATE pairs SET items_stale = false, quiet_next_at = v.quiet "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:quiet AS timestamptz[])) AS v(id, quiet) "
    "WHERE pairs.tenant_id = :tenant AND pairs.id = v.id"
)


async def _write_pairs(
    session: AsyncSession, tenant: Tenant, quiet: Mapping[uuid.UUID, datetime | None]
) -> None:
    """One UPDATE for the whole batch: not stale any more, and each pair's quiet_next_at."""
    await session.execute(
        _WRITE_PAIRS,
        {"ids": list(quiet), "quiet": list(quiet.values()), "tenant": tenant.id},
    )
