"""The retention purge (pairs/tasks.py): a pair ended longer ago than its scheme's
`space.retention_months` loses its space content — agreement, goals, plan, log entries,
chat, documents (rows and stored bytes), meeting notes — and keeps its row and meeting
counts; audited once per pair; a second run changes nothing; a pair ended more recently
and a live pair are untouched; the clock's round covers every tenant."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.pairs import tasks
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import end_pair
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
from mentorhub.pairs.storage import DirectoryStorage, new_key
from mentorhub.schemes.calendar import add_months
from tests.pairs.space_helpers import PairWorld, pair_world

CONTENT = (Agreement, Goal, Plan, LogEntry, ChatMessage, PairMemberState, Document)


async def fill(db: Database, pw: PairWorld, pair_id: uuid.UUID, storage: DirectoryStorage) -> str:
    """Content of every kind in the pair's space; the stored document's key."""
    key = new_key(pw.id, pair_id)
    await storage.put(key, b"%PDF-1.4 notes", content_type="application/pdf")
    at = datetime(2024, 3, 1, 10, tzinfo=UTC)
    async with db.tenant(pw.id) as session:
        pair = (await session.execute(select(Pair).where(Pair.id == pair_id))).scalar_one()
        a, b = pair.mentor_id, pair.mentee_id
        t: dict[str, Any] = {"tenant_id": pw.id, "pair_id": pair_id}
        meeting = Meeting(
            **t,
            starts_at=at,
            minutes=60,
            mode="in_person",
            place="The café",
            state="held",
            held_minutes=70,
            record="Talked about the move",
            proposed_by=a,
        )
        session.add(meeting)
        await session.flush()
        session.add_all(
            [
                Agreement(**t, sections=[{"key": "k", "text": "private"}]),
                Goal(**t, title="Lead a project", created_by=b),
                Plan(**t, months=[]),
                LogEntry(
                    **t, author_id=b, written_on=date(2024, 3, 2), body="x", meeting_id=meeting.id
                ),
                LogEntry(**t, author_id=a, written_on=date(2024, 3, 2), body="y", shared_at=at),
                ChatMessage(**t, author_id=a, body="hello"),
                PairMemberState(**t, member_id=b, chat_read_at=at),
                Document(
                    **t,
                    uploaded_by=a,
                    filename="notes.pdf",
                    content_type="application/pdf",
                    size_bytes=14,
                    sha256="0" * 64,
                    storage_key=key,
                ),
            ]
        )
    return key


async def counts(db: Database, pw: PairWorld, pair_id: uuid.UUID) -> dict[str, int]:
    async with db.tenant(pw.id) as session:
        out = {
            m.__tablename__: int(
                (
                    await session.execute(
                        select(func.count()).select_from(m).where(m.pair_id == pair_id)  # type: ignore[attr-defined]
                    )
                ).scalar_one()
            )
            for m in CONTENT
        }
        out["meetings"] = int(
            (
                await session.execute(
                    select(func.count()).select_from(Meeting).where(Meeting.pair_id == pair_id)
                )
            ).scalar_one()
        )
        return out


async def purge_audits(db: Database, pw: PairWorld) -> list[str | None]:
    async with db.tenant(pw.id) as session:
        return list(
            (
                await session.execute(
                    select(AuditEntry.subject).where(AuditEntry.action == "pair_space_purged")
                )
            ).scalars()
        )


async def test_purge_after_the_retention_period(db: Database, tmp_path: Path) -> None:
    storage = DirectoryStorage(tmp_path)
    pw = await pair_world(db, "ahep")  # retention: 12 months after the end
    months = pw.world.scheme.space.retention_months
    ended_at = datetime(2024, 6, 1, 12, tzinfo=UTC)
    old_key = await fill(db, pw, pw.pair.id, storage)
    recent_key = await fill(db, pw, pw.other_pair.id, storage)
    await end_pair(db, pw.id, pw.world.coordinator.id, pw.pair.id, kind="completed", now=ended_at)

    # Not yet: the day before the period is over.
    just_before = datetime.combine(add_months(ended_at.date(), months), ended_at.timetz())
    async with db.tenant(pw.id) as session:
        early = await tasks.purge_tenant(
            session, just_before - timedelta(minutes=1), storage=storage
        )
    assert early.pairs == {}
    assert (await counts(db, pw, pw.pair.id))["pair_goals"] == 1

    # Then: the ended pair's content goes; the other (live) pair keeps everything.
    now = just_before + timedelta(days=1)
    async with db.tenant(pw.id) as session:
        done = await tasks.purge_tenant(session, now, storage=storage)
    assert list(done.pairs) == [pw.pair.id]
    erased = done.pairs[pw.pair.id]
    assert erased["documents"] == 1 and erased["log_entries"] == 2 and erased["goals"] == 1
    assert erased["meeting_notes"] == 1
    left = await counts(db, pw, pw.pair.id)
    assert left.pop("meetings") == 1
    assert set(left.values()) == {0}, left
    assert not await storage.exists(old_key)
    assert await storage.exists(recent_key)
    assert (await counts(db, pw, pw.other_pair.id))["pair_goals"] == 1

    async with db.tenant(pw.id) as session:
        pair = (await session.execute(select(Pair).where(Pair.id == pw.pair.id))).scalar_one()
        assert pair.state == "ended" and pair.end_kind == "completed"  # the row stays
        meeting = (
            await session.execute(select(Meeting).where(Meeting.pair_id == pw.pair.id))
        ).scalar_one()
        # The counts stay (held, its length); the notes, the place go.
        assert meeting.state == "held" and meeting.held_minutes == 70
        assert meeting.record == "" and meeting.place == ""
    assert await purge_audits(db, pw) == [str(pw.pair.id)]

    # Idempotent: a second run finds nothing and writes nothing.
    async with db.tenant(pw.id) as session:
        again = await tasks.purge_tenant(session, now + timedelta(days=30), storage=storage)
    assert again.pairs == {}
    assert await purge_audits(db, pw) == [str(pw.pair.id)]


async def test_the_clocks_round_and_a_recently_ended_pair(db: Database, tmp_path: Path) -> None:
    storage = DirectoryStorage(tmp_path)
    pw = await pair_world(db, "museums-association")
    key = await fill(db, pw, pw.pair.id, storage)
    ended_at = datetime.now(UTC) - timedelta(days=30)
    await end_pair(db, pw.id, pw.world.coordinator.id, pw.pair.id, kind="completed", now=ended_at)
    # Ended a month ago: kept.
    assert await tasks.purge_all(db, storage=storage) == []
    assert (await counts(db, pw, pw.pair.id))["documents"] == 1 and await storage.exists(key)
    # Two years on, the clock's round erases it (every tenant, one transaction each).
    later = datetime.now(UTC) + timedelta(days=2 * 365)
    assert await tasks.purge_all(db, later, storage=storage) == []
    assert (await counts(db, pw, pw.pair.id))["documents"] == 0
    assert not await storage.exists(key)
    assert await purge_audits(db, pw) == [str(pw.pair.id)]


def test_cutoff_moves_back_calendar_months() -> None:
    now = datetime(2027, 3, 31, 9, 30, tzinfo=UTC)
    assert tasks.cutoff(now, 1) == datetime(2027, 2, 28, 9, 30, tzinfo=UTC)
    assert tasks.cutoff(now, 12) == datetime(2026, 3, 31, 9, 30, tzinfo=UTC)
