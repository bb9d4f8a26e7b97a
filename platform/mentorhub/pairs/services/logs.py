"""The private reflective log (issue 15): each person of a pair keeps their own log, which
only they read — not the other person, not the coordinator, not the platform — unless they
share one entry with the coordinator for a review (the Advice Skills Academy uses learning
logs as review data), which they can withdraw at any time.

Who reads what is decided in the WHERE clause of every query here, never after fetching:

* the author's own entries: `author_id = <viewer> AND pair_id = <pair>` (`my_entries`,
  `my_entry`); an entry id that is someone else's is "not found", exactly like one that
  does not exist, so the answer never tells that it exists;
* the coordinator: `pair_id = <pair> AND shared_at IS NOT NULL` (`shared_entries`), only the
  columns the page shows (title, body, date, author's name, when shared) — nothing about
  the private entries, not even how many there are.

Actions (each one function, one tenant transaction, its audit row; the audit row names the
entry and the pair, never its words):

* `write_entry`, `edit_entry`, `delete_entry`, `share_entry` need the pair live
  (`access.require_writable`): after the end the space is read-only.
* `unshare_entry` (withdraw a share) is allowed after the end too: the share is the
  author's consent to a third party reading their words, and withdrawing consent is their
  right over their own data whatever state the pair is in.
* Sharing mails `log_shared` to each coordinator of the tenant (members holding the
  coordinator role) who is not in this pair: a coordinator who is the other person of the
  pair reads it as the party they are (`pairs.access`), which never shows the other's log,
  so they are not told of it either. With no coordinator yet, the entry is still shared
  (any coordinator appointed later reads it); nobody is mailed.
* `written_on` is a day in the association's time zone, today at the latest and not before
  the pair was matched; the meeting an entry reflects on, if any, must be a meeting of this
  pair (any meeting id of another pair is refused as "not a meeting of yours").
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.queue import tenant_zone
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import LINE, TEXT, BadText, clean_text
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.messages.services import Outgoing, send_many
from mentorhub.pairs.access import Space, require_party, require_writable, space_for
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services.lifecycle import pair_link
from mentorhub.pairs.space_models import LogEntry, Meeting
from mentorhub.tenancy.models import Tenant

__all__ = [
    "BODY_MAX",
    "TITLE_MAX",
    "MeetingChoice",
    "SharedEntry",
    "StaleEntry",
    "delete_entry",
    "edit_entry",
    "meeting_choices",
    "my_entries",
    "my_entry",
    "share_entry",
    "shared_entries",
    "today_in",
    "unshare_entry",
    "write_entry",
]

TITLE_MAX = 200
BODY_MAX = 20_000


class StaleEntry(Refused):
    """The entry changed since the page was shown (another tab); nothing was written."""


@dataclass(frozen=True)
class SharedEntry:
    """What the coordinator reads of one shared entry."""

    id: uuid.UUID
    author_name: str
    written_on: date
    title: str
    body: str
    shared_at: datetime


@dataclass(frozen=True)
class MeetingChoice:
    """A meeting of the pair an entry may reflect on."""

    id: uuid.UUID
    starts_at: datetime
    state: str


def today_in(tenant: Tenant, now: datetime | None = None) -> date:
    """Today in the association's time zone."""
    return (now or datetime.now(UTC)).astimezone(tenant_zone(tenant.jurisdiction)).date()


async def _tenant(session: AsyncSession) -> Tenant:
    return (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()


# --- reads ---------------------------------------------------------------------------------


async def my_entries(session: AsyncSession, space: Space) -> list[LogEntry]:
    """The viewer's own entries in this pair, newest first (the party's page)."""
    require_party(space)
    rows = await session.execute(
        select(LogEntry)
        .where(LogEntry.pair_id == space.pair.id, LogEntry.author_id == space.viewer.id)
        .order_by(LogEntry.written_on.desc(), LogEntry.created_at.desc())
    )
    return list(rows.scalars())


async def my_entry(
    session: AsyncSession, space: Space, entry_id: uuid.UUID | str, *, lock: bool = False
) -> LogEntry:
    """One of the viewer's own entries in this pair; NotFound for any other id."""
    require_party(space)
    try:
        key = uuid.UUID(str(entry_id))
    except ValueError:
        raise NotFound("log entry") from None
    query = select(LogEntry).where(
        LogEntry.id == key,
        LogEntry.pair_id == space.pair.id,
        LogEntry.author_id == space.viewer.id,
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    entry = (await session.execute(query)).scalar_one_or_none()
    if entry is None:
        raise NotFound("log entry")
    return entry


async def shared_entries(session: AsyncSession, space: Space) -> list[SharedEntry]:
    """The entries of this pair that their authors share with the coordinator now, newest
    share first: the coordinator's page. Only for a coordinator's view of the pair."""
    if space.is_party:
        raise NotFound("pair")
    rows = await session.execute(
        select(
            LogEntry.id,
            Member.display_name,
            LogEntry.written_on,
            LogEntry.title,
            LogEntry.body,
            LogEntry.shared_at,
        )
        .join(Member, Member.id == LogEntry.author_id)
        .where(LogEntry.pair_id == space.pair.id, LogEntry.shared_at.is_not(None))
        .order_by(LogEntry.shared_at.desc(), LogEntry.id)
    )
    return [
        SharedEntry(
            id=r[0],
            author_name=r[1],
            written_on=r[2],
            title=r[3],
            body=r[4],
            shared_at=r[5] or datetime.now(UTC),
        )
        for r in rows.all()
    ]


async def meeting_choices(
    session: AsyncSession, space: Space, *, keep: Collection[uuid.UUID | None] = ()
) -> list[MeetingChoice]:
    """The pair's meetings an entry can reflect on (scheduled or held), newest first, and
    those in `keep` (meetings entries already name, whatever became of them since)."""
    require_party(space)
    wanted: ColumnElement[bool] = Meeting.state.in_(("scheduled", "held"))
    kept = [k for k in keep if k is not None]
    if kept:
        wanted = or_(wanted, Meeting.id.in_(kept))
    rows = await session.execute(
        select(Meeting.id, Meeting.starts_at, Meeting.state)
        .where(Meeting.pair_id == space.pair.id, wanted)
        .order_by(Meeting.starts_at.desc())
    )
    return [MeetingChoice(r[0], r[1], r[2]) for r in rows.all()]


# --- checks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fields:
    title: str
    body: str
    written_on: date
    meeting_id: uuid.UUID | None


async def _checked(
    session: AsyncSession,
    space: Space,
    tenant: Tenant,
    *,
    title: str,
    body: str,
    written_on: date | str | None,
    meeting_id: uuid.UUID | str | None,
    now: datetime | None,
) -> _Fields:
    """The entry's fields cleaned, or Problems naming each field that is wrong."""
    problems: list[Problem] = []
    try:
        title = clean_text(title, label="Title", kind=LINE, max_length=TITLE_MAX)
    except BadText as exc:
        problems.append(Problem(path="title", message=exc.message))
    try:
        body = clean_text(body, label="Entry", kind=TEXT, max_length=BODY_MAX, required=True)
    except BadText as exc:
        problems.append(Problem(path="body", message=exc.message))
    today = today_in(tenant, now)
    day: date | None = today
    if isinstance(written_on, str):
        text = written_on.strip()
        try:
            day = date.fromisoformat(text) if text else today
        except ValueError:
            day = None
            problems.append(
                Problem(path="written_on", message="Date must be a date like 2027-03-31")
            )
    elif written_on is not None:
        day = written_on
    if day is not None and day > today:
        problems.append(Problem(path="written_on", message="Date must be today or earlier"))
    elif day is not None and day < space.pair.matched_on:
        problems.append(
            Problem(
                path="written_on",
                message=(
                    "Date must be on or after the day you were matched, "
                    f"{space.pair.matched_on.day} {space.pair.matched_on:%B %Y}"
                ),
            )
        )
    meeting: uuid.UUID | None = None
    if meeting_id not in (None, ""):
        try:
            meeting = uuid.UUID(str(meeting_id))
        except ValueError:
            meeting = None
            problems.append(Problem(path="meeting", message="Choose a meeting from the list"))
        if meeting is not None:
            found = (
                await session.execute(
                    select(Meeting.id).where(
                        Meeting.id == meeting, Meeting.pair_id == space.pair.id
                    )
                )
            ).scalar_one_or_none()
            if found is None:
                meeting = None
                problems.append(
                    Problem(path="meeting", message="Choose one of this pair's meetings")
                )
    if problems:
        raise Problems(problems)
    assert day is not None
    return _Fields(title=title, body=body, written_on=day, meeting_id=meeting)


def _check_version(entry: LogEntry, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != entry.lock_version:
        raise StaleEntry(
            "This entry changed since the page was shown (perhaps in another tab). "
            "Nothing was changed: look at it again and repeat."
        )


def _audit(session: AsyncSession, action: str, space: Space, entry_id: uuid.UUID) -> None:
    audit.record(
        session,
        action,
        actor=space.viewer.email,
        subject=str(entry_id),
        details={"pair": str(space.pair.id)},
    )


# --- actions -------------------------------------------------------------------------------


async def write_entry(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    body: str,
    title: str = "",
    written_on: date | str | None = None,
    meeting_id: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> LogEntry:
    """A new private entry by the actor in their own log of this pair."""
    now = now or datetime.now(UTC)
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        tenant = await _tenant(session)
        fields = await _checked(
            session,
            space,
            tenant,
            title=title,
            body=body,
            written_on=written_on,
            meeting_id=meeting_id,
            now=now,
        )
        entry = LogEntry(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            pair_id=space.pair.id,
            author_id=space.viewer.id,
            meeting_id=fields.meeting_id,
            written_on=fields.written_on,
            title=fields.title,
            body=fields.body,
            updated_at=now,
        )
        session.add(entry)
        _audit(session, "log_entry_written", space, entry.id)
        await session.flush()
        return entry


async def edit_entry(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    entry_id: uuid.UUID | str,
    *,
    body: str,
    title: str = "",
    written_on: date | str | None = None,
    meeting_id: uuid.UUID | str | None = None,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> LogEntry:
    """Change one of the actor's own entries. A shared entry stays shared: the coordinator
    reads it as it now is (the page says so before saving)."""
    now = now or datetime.now(UTC)
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        entry = await my_entry(session, space, entry_id, lock=True)
        _check_version(entry, lock_version)
        tenant = await _tenant(session)
        fields = await _checked(
            session,
            space,
            tenant,
            title=title,
            body=body,
            written_on=written_on,
            meeting_id=meeting_id,
            now=now,
        )
        entry.title = fields.title
        entry.body = fields.body
        entry.written_on = fields.written_on
        entry.meeting_id = fields.meeting_id
        entry.updated_at = now
        entry.lock_version += 1
        _audit(session, "log_entry_edited", space, entry.id)
        await session.flush()
        return entry


async def delete_entry(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    entry_id: uuid.UUID | str,
    *,
    lock_version: int | None = None,
) -> None:
    """Delete one of the actor's own entries for good (a shared one is no longer shared)."""
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        entry = await my_entry(session, space, entry_id, lock=True)
        _check_version(entry, lock_version)
        await session.execute(
            delete(LogEntry).where(
                LogEntry.id == entry.id,
                LogEntry.pair_id == space.pair.id,
                LogEntry.author_id == space.viewer.id,
            )
        )
        _audit(session, "log_entry_deleted", space, entry.id)


async def share_entry(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    entry_id: uuid.UUID | str,
    *,
    now: datetime | None = None,
) -> LogEntry:
    """Share one of the actor's entries with the coordinator for a review; each coordinator
    of the tenant outside this pair is told (`log_shared`). Sharing an entry already shared
    changes nothing and mails nobody again."""
    now = now or datetime.now(UTC)
    async with db.tenant(tenant_id) as session:
        space = require_writable(await space_for(session, pair_id, actor_id, lock=True))
        entry = await my_entry(session, space, entry_id, lock=True)
        if entry.shared_at is not None:
            return entry
        entry.shared_at = now
        entry.updated_at = now
        entry.lock_version += 1
        _audit(session, "log_entry_shared", space, entry.id)
        coordinators = (
            await session.execute(
                select(Member)
                .where(
                    Member.roles.contains([Role.COORDINATOR.value]),
                    Member.id.not_in((space.pair.mentor_id, space.pair.mentee_id)),
                )
                .order_by(Member.id)
            )
        ).scalars()
        tenant = await _tenant(session)
        link = pair_link(tenant, space.pair.id) + "/log/shared"
        context = {
            "author_name": space.viewer.display_name,
            "cohort": space.cohort.name,
            "link": link,
        }
        await send_many(
            session,
            tenant,
            "log_shared",
            [
                Outgoing(context, f"log:{entry.id}:shared{entry.lock_version}:{c.id}", to_member=c)
                for c in coordinators
            ],
        )
        await session.flush()
        return entry


async def unshare_entry(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    entry_id: uuid.UUID | str,
    *,
    now: datetime | None = None,
) -> LogEntry:
    """Withdraw the share: the coordinator no longer reads the entry. Allowed after the
    pair's end too (see the module's docstring). Withdrawing an entry not shared changes
    nothing."""
    now = now or datetime.now(UTC)
    async with db.tenant(tenant_id) as session:
        space = require_party(await space_for(session, pair_id, actor_id, lock=True))
        entry = await my_entry(session, space, entry_id, lock=True)
        if entry.shared_at is None:
            return entry
        entry.shared_at = None
        entry.updated_at = now
        entry.lock_version += 1
        _audit(session, "log_entry_unshared", space, entry.id)
        await session.flush()
        return entry
