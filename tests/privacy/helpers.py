"""The privacy tests' world: the pairs' rich world (tests.pairs.confidentiality_helpers:
AHEP, two live pairs, every piece of their space written through the space's actions with
its own marker) plus, for the mentee whose data is exported and erased, what the other
areas hold about a person — an application with answers and an interview with notes, a
match request with their reasons, an AHEP feedback survey with a rating, choices and words,
a chat message of their own — each with a marker too. A second tenant gets a world of its
own (same names, other markers) that must never show up.

`text_hits` is the generic search: every text, varchar, array and json(b) column of every
table with a tenant_id (from information_schema), read in the tenant's own transaction."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from mentorhub.applications.models import Application, Interview
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.db import Database
from mentorhub.matching.models import MatchRequest
from mentorhub.pairs.services import chat
from mentorhub.pairs.storage import Storage
from tests.pairs.confidentiality_helpers import Rich, rich_world

#: The mentee's own words: gone after the erasure.
MENTEE_OWN = (
    "LOG_MENTEE",
    "LOG_MENTEE_WITHDRAWN",
    "MEETING_RECORD",
    "DOC_NAME",
    "CHECKPOINT",
    "CHAT_MENTEE",
    "APP_ANSWER",
    "APP_FEEDBACK",
    "INTERVIEW_NOTE",
    "MATCH_REASONS",
    "SURVEY_WORDS",
)
#: In the mentee's export besides their own: the pair's co-owned content.
MENTEE_SHARED = ("AGREEMENT", "GOAL", "MEETING_PLACE")
#: Never in the mentee's export: the other person's private words, the other pair's.
NOT_MENTEES = (
    "LOG_MENTOR",
    "LOG_MENTOR_SHARED",
    "CHAT",
    "O_AGREEMENT",
    "O_GOAL",
    "O_MEETING_PLACE",
    "O_LOG",
    "O_LOG_SHARED",
    "O_CHAT",
    "O_DOC_BODY",
    "FEED_TOKEN",
    "REVOKED_TOKEN",
)
#: Kept after the mentee's erasure: the other person's own entries and the co-owned content.
KEPT = ("LOG_MENTOR", "LOG_MENTOR_SHARED", "CHAT", "AGREEMENT", "GOAL", "MEETING_PLACE")


@dataclass
class PrivacyWorld:
    rich: Rich
    survey_id: uuid.UUID
    application_id: uuid.UUID

    @property
    def pw(self) -> Any:
        return self.rich.pw

    @property
    def id(self) -> uuid.UUID:
        return self.rich.pw.id

    @property
    def slug(self) -> str:
        return self.rich.slug

    def m(self, name: str) -> str:
        return self.rich.markers[name]


async def privacy_world(db: Database, storage: Storage) -> PrivacyWorld:
    rich = await rich_world(db, "ahep", storage)
    pw, tid = rich.pw, rich.pw.id
    mentee = pw.mentee
    await chat.post_message(db, tid, mentee.id, pw.pair.id, rich.mark("CHAT_MENTEE"))
    now = datetime.now(UTC)
    application = Application(
        tenant_id=tid,
        id=uuid.uuid4(),
        cohort_id=pw.world.cohort.id,
        member_id=mentee.id,
        role="mentee",
        state="accepted",
        answers={"motivation": rich.mark("APP_ANSWER"), "areas": ["Digital"]},
        feedback=rich.mark("APP_FEEDBACK"),
        submitted_at=now - timedelta(days=40),
        decided_at=now - timedelta(days=35),
        lock_version=2,
        search_text=f"{mentee.display_name} {mentee.email}".lower(),
    )
    survey = CheckpointItem(
        tenant_id=tid,
        id=uuid.uuid4(),
        pair_id=pw.pair.id,
        member_id=mentee.id,
        checkpoint="feedback_survey",
        scheme_version=pw.pair.scheme_version,
        kind="survey",
        title="Feedback survey",
        audience="each",
        readers=["coordinator"],
        due_on=date.today(),
        opens_on=date.today(),
        closes_on=date.today(),
        state="submitted",
        submitted_at=now,
        submitted_by=mentee.id,
        answers={
            "overall": 4,
            "areas_supported": ["Moving into management"],
            "what_worked": rich.mark("SURVEY_WORDS"),
        },
    )
    async with db.tenant(tid) as session:
        session.add(application)
        await session.flush()
        session.add(
            Interview(
                tenant_id=tid,
                id=uuid.uuid4(),
                application_id=application.id,
                scheduled_at=now - timedelta(days=38),
                format="video",
                held_at=now - timedelta(days=38),
                notes=rich.mark("INTERVIEW_NOTE"),
                recorded_by=pw.world.coordinator.id,
            )
        )
        session.add(
            MatchRequest(
                tenant_id=tid,
                id=uuid.uuid4(),
                cohort_id=pw.world.cohort.id,
                mentee_id=mentee.id,
                mentee_application_id=application.id,
                choices=[pw.mentor.id],
                mentor_id=pw.mentor.id,
                reasons=rich.mark("MATCH_REASONS"),
                state="accepted",
                asked_at=now - timedelta(days=33),
                expires_at=now - timedelta(days=30),
                closed_at=now - timedelta(days=31),
            )
        )
        session.add(survey)
    return PrivacyWorld(rich, survey.id, application.id)


def unzip(content: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """`data.json` and the other files of an export."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    data = json.loads(files.pop("data.json").decode("utf-8"))
    return data, files


async def text_columns(db: Database, tenant_id: uuid.UUID) -> list[tuple[str, str]]:
    """(table, column) of every text-like column of every tenant-owned table."""
    async with db.tenant(tenant_id) as session:
        rows = await session.execute(
            text(
                "SELECT c.table_name, c.column_name FROM information_schema.columns c "
                "WHERE c.table_schema = 'public' AND c.table_name IN ("
                "  SELECT table_name FROM information_schema.columns"
                "  WHERE table_schema = 'public' AND column_name = 'tenant_id') "
                "AND c.data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY') "
                "ORDER BY 1, 2"
            )
        )
        return [(t, c) for t, c in rows.all()]


async def text_hits(
    db: Database, tenant_id: uuid.UUID, needles: dict[str, str], *, skip: tuple[str, ...] = ()
) -> set[tuple[str, str, str]]:
    """(needle's name, table, column) for every needle found (case-insensitive) in a
    text-like column of the tenant's rows."""
    found: set[tuple[str, str, str]] = set()
    columns = [(t, c) for t, c in await text_columns(db, tenant_id) if t not in skip]
    assert len(columns) > 40, columns  # the search really covers the schema
    names = {needle.lower(): name for name, needle in needles.items()}
    async with db.tenant(tenant_id) as session:
        for table, column in columns:
            hits = await session.execute(
                text(
                    "SELECT n FROM unnest(CAST(:needles AS text[])) n WHERE EXISTS ("
                    f'SELECT 1 FROM "{table}" t WHERE lower(t."{column}"::text) '
                    "LIKE '%' || n || '%')"
                ),
                {"needles": list(names)},
            )
            found |= {(names[n], table, column) for (n,) in hits.all()}
    return found
