"""Checkpoints done in the pair's space (`Checkpoint.done_in`): has the space already done it?

A checkpoint with `done_in` has no form of its own: the pair does it where they work, and
the clock (`checkpoints.clock`) marks the item submitted when it comes due and the space
shows it done, instead of opening it or mailing a reminder:

* "agreement": the pair's agreement agreed by both people at its current revision; sent in
  by whoever agreed last, when they did;
* "plan": the pair's plan submitted (`plans.submitted_at`), by whoever submitted it;
* "log": a reflective log entry by the item's person (either person for an item of the
  pair) written on or after the day the item opens; sent in by its author, when the entry
  was written into the product (the earliest such entry).

Decisions where the issue is silent:

* The space is read only when the item comes due for one of its steps (opening, a
  reminder, missed), in the same batch, a few statements for a whole batch; an item done
  in the space between two steps is marked at its next step, before any mail. An item
  already missed is not looked at again (nothing more is due for it).
* A log entry counts by the day it is about (`written_on`), not by when it was typed, so a
  reflection written up a day late for a meeting still counts; private entries count too
  (the clock reads only that one exists, never its text).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.pairs.space_models import Agreement, LogEntry, Plan

__all__ = ["DONE_IN", "Done", "Wanted", "done_in_space"]

DONE_IN = ("agreement", "plan", "log")


@dataclass(frozen=True)
class Wanted:
    """One due item whose checkpoint is done in the space."""

    item_id: uuid.UUID
    pair_id: uuid.UUID
    #: The person who answers; None for an item of the pair (either person).
    member_id: uuid.UUID | None
    opens_on: date
    done_in: str
    mentor_id: uuid.UUID
    mentee_id: uuid.UUID


@dataclass(frozen=True)
class Done:
    """Who did it in the space, and when."""

    by: uuid.UUID | None
    at: datetime


async def done_in_space(session: AsyncSession, wanted: Iterable[Wanted]) -> dict[uuid.UUID, Done]:
    """The items among `wanted` that the space shows done, by item id (one statement per
    kind of place, for the whole batch)."""
    items = list(wanted)
    found: dict[uuid.UUID, Done] = {}
    by_kind: dict[str, list[Wanted]] = {kind: [] for kind in DONE_IN}
    for w in items:
        if w.done_in not in by_kind:
            raise ValueError(f"unknown place where a checkpoint is done: {w.done_in!r}")
        by_kind[w.done_in].append(w)
    if by_kind["agreement"]:
        found.update(await _agreements(session, by_kind["agreement"]))
    if by_kind["plan"]:
        plans = await _plans(session, {w.pair_id for w in by_kind["plan"]})
        found.update({w.item_id: plans[w.pair_id] for w in by_kind["plan"] if w.pair_id in plans})
    if by_kind["log"]:
        found.update(await _logs(session, by_kind["log"]))
    return found


async def _agreements(session: AsyncSession, wanted: list[Wanted]) -> dict[uuid.UUID, Done]:
    rows = await session.execute(
        select(Agreement).where(Agreement.pair_id.in_({w.pair_id for w in wanted}))
    )
    agreements = {a.pair_id: a for a in rows.scalars()}
    out: dict[uuid.UUID, Done] = {}
    for w in wanted:
        agreement = agreements.get(w.pair_id)
        if agreement is None or not agreement.agreed:
            continue
        mentor_at, mentee_at = agreement.mentor_agreed_at, agreement.mentee_agreed_at
        if mentor_at is None or mentee_at is None:
            continue
        # The last of the two to agree completed it.
        if mentor_at >= mentee_at:
            out[w.item_id] = Done(w.mentor_id, mentor_at)
        else:
            out[w.item_id] = Done(w.mentee_id, mentee_at)
    return out


async def _plans(session: AsyncSession, pair_ids: set[uuid.UUID]) -> dict[uuid.UUID, Done]:
    rows = await session.execute(
        select(Plan.pair_id, Plan.submitted_by, Plan.submitted_at).where(
            Plan.pair_id.in_(pair_ids), Plan.submitted_at.is_not(None)
        )
    )
    return {pair_id: Done(by, at) for pair_id, by, at in rows if at is not None}


async def _logs(session: AsyncSession, wanted: list[Wanted]) -> dict[uuid.UUID, Done]:
    earliest = min(w.opens_on for w in wanted)
    rows = await session.execute(
        select(LogEntry.pair_id, LogEntry.author_id, LogEntry.written_on, LogEntry.created_at)
        .where(
            LogEntry.pair_id.in_({w.pair_id for w in wanted}),
            LogEntry.written_on >= earliest,
        )
        .order_by(LogEntry.created_at, LogEntry.id)
    )
    entries: dict[uuid.UUID, list[tuple[uuid.UUID, date, datetime]]] = {}
    for pair_id, author_id, written_on, created_at in rows:
        entries.setdefault(pair_id, []).append((author_id, written_on, created_at))
    out: dict[uuid.UUID, Done] = {}
    for w in wanted:
        for author_id, written_on, created_at in entries.get(w.pair_id, ()):
            if written_on >= w.opens_on and (w.member_id is None or author_id == w.member_id):
                out[w.item_id] = Done(author_id, created_at)
                break
    return out
