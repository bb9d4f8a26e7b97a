"""The pair's space after the end: the retention purge, started by the clock
(`workers.clock`, every `PURGE_EVERY` seconds).

A pair's space is kept, read-only, for its scheme's `space.retention_months` after the pair
ended (`pairs.ended_at`); then its content is erased:

* deleted: the agreement, the goals, the plan, every private log entry (shared or not), the
  chat messages and each person's chat state, the documents (the stored bytes first, through
  `pairs.storage`, then the rows);
* kept for the reports: the pair row (people, dates, how it ended) and the meetings' rows
  with their dates, states and lengths — the counts and contact hours — but their notes,
  place, video link and cancellation reason are blanked.

Decisions where the issue is silent:

* It runs on the clock's process, tenant by tenant through `core.tenants.for_each_tenant`
  (one tenant transaction each; one tenant's failure does not stop the others), not through
  an outbox message: the work is small, idempotent and has no mail to send.
* Idempotent without a marker column: a pair is due only while some content is left (one
  statement per scheme version finds them: ended before the cut-off and any content row
  existing), so a second run finds nothing, writes nothing and audits nothing. Each purged
  pair gets one audit row (`pair_space_purged`, what was erased, counted).
* Bytes before rows: a stored object is deleted before its row; if the transaction then
  fails, the next run finds the row, the object is already gone (`Missing` is fine) and the
  row is deleted. A failure to delete an object (storage away) fails that tenant's run, its
  rows stay, and the next run tries again.
* "Ended more than N months ago": `ended_at` before now moved back N calendar months (the
  timeline's month arithmetic, clamped to the month's last day).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.services import scheme_of
from mentorhub.core import audit
from mentorhub.core.tenants import TenantFailure, for_each_tenant
from mentorhub.db import Database
from mentorhub.pairs.models import Pair
from mentorhub.pairs.space_models import (
    Agreement,
    ChatMessage,
    Document,
    Goal,
    LogEntry,
    Meeting,
    PairMemberState,
    Plan,
)
from mentorhub.pairs.storage import Missing, Storage, storage_from
from mentorhub.schemes.calendar import add_months
from mentorhub.settings import get_settings

__all__ = ["ACTOR", "PURGE_EVERY", "Purged", "due_pairs", "purge_all", "purge_tenant"]

log = logging.getLogger(__name__)

#: Seconds between the clock's purge rounds.
PURGE_EVERY = 3600.0
#: Who the audit rows name.
ACTOR = "system:retention"

_CONTENT = (Agreement, Goal, Plan, LogEntry, ChatMessage, PairMemberState, Document)


@dataclass
class Purged:
    """What one tenant's run erased, per pair."""

    pairs: dict[uuid.UUID, dict[str, int]] = field(default_factory=dict)


def cutoff(now: datetime, months: int) -> datetime:
    """`now` moved back `months` calendar months (same time of day, UTC)."""
    now = now.astimezone(UTC)
    return datetime.combine(add_months(now.date(), -months), now.timetz())


def _has_content(pair_id: object) -> object:
    meeting_notes = exists().where(
        Meeting.pair_id == pair_id,
        or_(
            Meeting.record != "",
            Meeting.place != "",
            Meeting.link != "",
            Meeting.cancel_reason != "",
        ),
    )
    return or_(
        meeting_notes,
        *(exists().where(model.pair_id == pair_id) for model in _CONTENT),  # type: ignore[attr-defined]
    )


async def due_pairs(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """The session's tenant's pairs past their retention with content left, oldest end
    first."""
    versions = list(
        (
            await session.execute(
                select(Pair.scheme_version).where(Pair.state == "ended").distinct()
            )
        ).scalars()
    )
    found: list[tuple[datetime, uuid.UUID]] = []
    for version in versions:
        scheme = await scheme_of(session, version)
        before = cutoff(now, scheme.space.retention_months)
        rows = await session.execute(
            select(Pair.ended_at, Pair.id).where(
                Pair.state == "ended",
                Pair.scheme_version == version,
                Pair.ended_at < before,
                _has_content(Pair.id),  # type: ignore[arg-type]
            )
        )
        found.extend((at, pid) for at, pid in rows if at is not None)
    return [pid for _, pid in sorted(found)]


async def _purge_pair(
    session: AsyncSession, pair_id: uuid.UUID, storage: Storage
) -> dict[str, int]:
    erased: dict[str, int] = {}
    keys = list(
        (
            await session.execute(select(Document.storage_key).where(Document.pair_id == pair_id))
        ).scalars()
    )
    for key in keys:
        with contextlib.suppress(Missing):
            await storage.delete(key)
    for name, model in (
        ("documents", Document),
        ("chat_messages", ChatMessage),
        ("chat_states", PairMemberState),
        ("log_entries", LogEntry),
        ("goals", Goal),
        ("agreement", Agreement),
        ("plan", Plan),
    ):
        result = await session.execute(
            delete(model).where(model.pair_id == pair_id)  # type: ignore[attr-defined]
        )
        erased[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    result = await session.execute(
        update(Meeting)
        .where(
            Meeting.pair_id == pair_id,
            or_(
                Meeting.record != "",
                Meeting.place != "",
                Meeting.link != "",
                Meeting.cancel_reason != "",
            ),
        )
        .values(record="", place="", link="", cancel_reason="")
    )
    erased["meeting_notes"] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return erased


async def purge_tenant(
    session: AsyncSession, now: datetime | None = None, *, storage: Storage | None = None
) -> Purged:
    """Erase the space content of the session's tenant's pairs past their retention, in the
    caller's transaction; one audit row per pair."""
    now = now or datetime.now(UTC)
    done = Purged()
    pairs = await due_pairs(session, now)
    if not pairs:
        return done
    storage = storage or storage_from(get_settings())
    for pair_id in pairs:
        erased = await _purge_pair(session, pair_id, storage)
        audit.record(
            session,
            "pair_space_purged",
            actor=ACTOR,
            subject=str(pair_id),
            details={k: v for k, v in erased.items() if v},
        )
        done.pairs[pair_id] = erased
    return done


async def purge_all(
    db: Database, now: datetime | None = None, *, storage: Storage | None = None
) -> list[TenantFailure]:
    """The clock's round: every active tenant, one transaction each; the failures."""
    at = now or datetime.now(UTC)

    async def work(session: AsyncSession, tenant_id: uuid.UUID) -> None:
        purged = await purge_tenant(session, at, storage=storage)
        if purged.pairs:
            log.info("tenant %s: space content of %d pair(s) erased", tenant_id, len(purged.pairs))

    return await for_each_tenant(db, work)
