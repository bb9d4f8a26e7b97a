"""The privacy actions: a member's export (Art. 15/20) and a tenant admin's erasure of a
member (Art. 17). Each is one function and one tenant transaction with its audit row; what
must follow the commit (documents' bytes, Redis sessions) happens after it, in the action.

`export_member` reads everything held about the member (`privacy.export.gather`) and
records `privacy.exported` (counts only) in the same transaction; the view then writes the
ZIP to a temporary file outside it (documents can be large and the storage slow).

`erase_member` — decisions where the issue is silent:

* The member row stays, anonymised ("Erased member", `erased-<id>@erased.invalid`: the
  reserved `.invalid` top-level domain can never take mail, RFC 2606), with issuer, subject
  and member number cleared, no roles and `erased_at` set. The pairs, meetings, checkpoint
  items and applications keep pointing at it, so the reports' counts and the other person's
  records keep their shape, and nobody can tell who it was. A new sign-in with the same
  identity finds no member by issuer and subject (cleared) nor by e-mail (replaced), so it
  makes a fresh member: the old link is gone.
* Removed: their applications' answers and free text (ineligible reason, feedback, flag
  reason, search text; role, state and dates kept for the counts), the interviews' notes on
  them, their approval requests' summary, details, comment and approver address, board
  ratification notes, the reasons they gave in matching (and the reasons given to them),
  conflict-of-interest reasons naming them, the end reason of a pair they ended, the record,
  place, link and cancellation reason of meetings they wrote; their private log entries are
  deleted and their calendar feeds revoked with their secret's digest replaced (the runtime
  role may not delete feed rows); their chat messages read "(removed)"; the mails and
  notifications to them lose their address and template variables.
* Checkpoint answers they gave (their own items and the pair items they sent in): free text
  (text, long text, e-mail, location questions, and any answer no stored form explains) is
  removed; structured answers (choices, numbers, ratings, Likert grids, yes/no, consent)
  stay on the item, now linked only to the anonymised row, so the evaluation report's counts
  and percentages do not move.
* Kept: the co-owned pair content — agreement text, goals, plan — which is the other
  person's record of the relationship as much as theirs (Art. 17(3), the rights of others)
  and names nobody; the other person's own log entries, chat messages, documents, answers.
* Their name or e-mail inside other people's records (a coordinator's task, a mail to a
  coordinator, an approval summary, a review note) is replaced by "Erased member"
  (whole words, case-insensitive; names shorter than three characters are left alone rather
  than risk rewriting other words).
* Documents they shared: in the transaction the rows become tombstones — removed, the file
  name "(removed)", the checksum cleared — exactly as when the uploader takes a file down,
  so none can be listed or downloaded from that moment. The bytes are deleted after the
  commit; a failure is logged with the key, and the key stays on the tombstone, so the
  bytes are still unreachable and are deleted by the next erase request for the member
  (which repeats the after-commit steps) or, at the latest, by the retention purge
  (`pairs.tasks`), which deletes every document row's bytes of an ended pair.
* Sessions: every session of the member ends after the commit (Redis). A repeated erase
  repeats that too.
* The audit log is append-only (the runtime role may only insert and read) and is kept as it
  is: its rows are the association's record of who did what (accountability, Art. 5(2);
  legal obligation and legitimate interest, Art. 17(3)(b) and (e)), read only by tenant
  admins. The `member.erased` row names the member by id only, and no personal data.
* Refused, changing nothing: erasing yourself, and the last tenant administrator (another
  must exist). A member already erased: a clear "already erased" answer; nothing changes
  and nothing is audited.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Application, BoardRatification, Interview
from mentorhub.applications.services import scheme_of
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.core import audit
from mentorhub.db import Database
from mentorhub.db.access import get_in_tenant
from mentorhub.identity.models import ApprovalRequest, Member, Role
from mentorhub.identity.sessions import SessionStore
from mentorhub.matching.models import ConflictOfInterest, MatchProposal, MatchRequest
from mentorhub.messages.models import Message
from mentorhub.pairs.models import Pair
from mentorhub.pairs.space_models import CalendarFeed, ChatMessage, Document, LogEntry, Meeting
from mentorhub.pairs.storage import Storage
from mentorhub.privacy.export import Gathered, gather

__all__ = [
    "ERASED_NAME",
    "REMOVED",
    "Erased",
    "Refused",
    "erase_member",
    "erased_email",
    "export_member",
    "free_text_removed",
]

log = logging.getLogger("mentorhub.privacy")

ERASED_NAME = "Erased member"
#: What a removed message or file name reads.
REMOVED = "(removed)"
#: Checkpoint question kinds whose answers are the person's own words.
FREE_TEXT_KINDS = frozenset({"text", "long_text", "email", "location"})
#: Names shorter than this are not searched for in other people's records.
MIN_SCRUB = 3


class Refused(Exception):
    """The erasure is refused (what to tell the administrator); nothing was changed."""


def erased_email(member_id: uuid.UUID) -> str:
    """A placeholder no mail can reach (RFC 2606 `.invalid`), unique per member."""
    return f"erased-{member_id.hex}@erased.invalid"


# --- export -----------------------------------------------------------------------------


async def export_member(
    db: Database, tenant_id: uuid.UUID, member_id: uuid.UUID, *, now: datetime | None = None
) -> Gathered:
    """Everything held about the member in this tenant, and its audit row."""
    now = now or datetime.now(UTC)
    async with db.tenant(tenant_id) as session:
        member = await get_in_tenant(session, Member, member_id, what="member")
        gathered = await gather(session, member)
        gathered.data["exported_at"] = now
        counts = {k: len(v) for k, v in gathered.data.items() if isinstance(v, list) and v}
        audit.record(
            session,
            "privacy.exported",
            actor=member.email,
            subject=str(member.id),
            details={"counts": counts, "attachments": len(gathered.attachments)},
        )
    return gathered


# --- erase ------------------------------------------------------------------------------


@dataclass
class Erased:
    """What one erase request did."""

    member_id: uuid.UUID
    #: True: the member was erased before; nothing changed now.
    already: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    #: Documents whose bytes could not be deleted after the commit (their keys, logged).
    left_in_storage: list[str] = field(default_factory=list)


def free_text_removed(answers: dict[str, Any], kinds: dict[str, str] | None) -> dict[str, Any]:
    """The structured part of a checkpoint item's answers. `kinds`: question id → kind from
    the item's stored form (None: no form explains the answers, so only numbers and
    yes/no values, which cannot be words, are kept)."""
    kept: dict[str, Any] = {}
    for key, value in answers.items():
        if kinds is None:
            if isinstance(value, bool | int | float):
                kept[key] = value
            continue
        kind = kinds.get(key)
        if kind is not None and kind not in FREE_TEXT_KINDS:
            kept[key] = value
    return kept


def _word_pattern(words: str) -> str:
    """A PostgreSQL regular expression (ARE) matching `words` as whole words."""
    escaped = re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", words)
    return rf"(^|[^[:alnum:]_]){escaped}($|[^[:alnum:]_])"


#: Other people's records that may name the member: (table, column, is jsonb).
_SCRUBBED = (
    ("messages", "subject", False),
    ("messages", "context", True),
    ("coordinator_tasks", "title", False),
    ("coordinator_tasks", "detail", False),
    ("coordinator_tasks", "note", False),
    ("approval_requests", "summary", False),
    ("approval_requests", "details", True),
    ("approval_requests", "comment", False),
    ("checkpoint_items", "review_note", False),
    ("interviews", "notes", False),
    ("pairs", "end_reason", False),
    ("match_proposals", "note", False),
    ("matching_runs", "note", False),
    ("match_requests", "reasons", False),
    ("match_requests", "decline_reason", False),
    ("meetings", "record", False),
    ("meetings", "cancel_reason", False),
)


async def _rewrite(session: AsyncSession, model: Any, where: Any, **changes: Any) -> int:
    """Change rows of a table the runtime role may insert and delete but not update
    (chat messages, conflicts of interest, board ratifications): each row is deleted and
    written again with the same id, dates and links, `changes` applied."""
    rows = list((await session.execute(select(model).where(where))).scalars())
    if not rows:
        return 0
    columns = [(a.key, a.columns[0].name) for a in model.__mapper__.column_attrs]
    values = [{name: getattr(r, key) for key, name in columns} | changes for r in rows]
    for row in rows:
        session.expunge(row)
    ids = [r.id for r in rows]
    await session.execute(
        delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False)
    )
    await session.execute(insert(model.__table__), values)
    return len(rows)


async def _scrub(session: AsyncSession, words: list[str]) -> int:
    """Replace `words` (the member's old name and e-mail) in other people's records by
    the erased member's name; how many values changed."""
    changed = 0
    for word in words:
        if len(word) < MIN_SCRUB:
            continue
        plain_pattern = _word_pattern(word)
        json_pattern = _word_pattern(json.dumps(word, ensure_ascii=False)[1:-1])
        for table, column, is_json in _SCRUBBED:
            if is_json:
                statement = (
                    f"UPDATE {table} SET {column} = regexp_replace({column}::text, :p, "
                    f"'\\1{ERASED_NAME}\\2', 'gi')::jsonb WHERE {column}::text ~* :p"
                )
                pattern = json_pattern
            else:
                statement = (
                    f"UPDATE {table} SET {column} = regexp_replace({column}, :p, "
                    f"'\\1{ERASED_NAME}\\2', 'gi') WHERE {column} ~* :p"
                )
                pattern = plain_pattern
            result = await session.execute(text(statement), {"p": pattern})
            changed += int(getattr(result, "rowcount", 0) or 0)
    return changed


async def _checkpoint_answers(session: AsyncSession, me: uuid.UUID) -> int:
    items = list(
        (
            await session.execute(
                select(CheckpointItem)
                .where(
                    or_(
                        CheckpointItem.member_id == me,
                        and_(
                            CheckpointItem.member_id.is_(None),
                            CheckpointItem.submitted_by == me,
                            CheckpointItem.audience != "coordinator",
                        ),
                    )
                )
                .with_for_update()
            )
        ).scalars()
    )
    changed = 0
    for item in items:
        scheme = await scheme_of(session, item.scheme_version)
        form = scheme.checkpoint_form(item.checkpoint)
        kinds: dict[str, str] | None = (
            {q.id: str(q.kind) for q in form.questions} if form is not None else None
        )
        kept = free_text_removed(dict(item.answers or {}), kinds)
        if kept != item.answers:
            item.answers = kept
            item.lock_version += 1
            changed += 1
    return changed


async def _refusal(session: AsyncSession, member: Member, actor_id: uuid.UUID) -> str | None:
    if member.id == actor_id:
        return "You cannot erase yourself: ask another administrator of the association."
    if Role.TENANT_ADMIN in (member.roles or []):
        others = (
            await session.execute(
                select(func.count())
                .select_from(Member)
                .where(
                    Member.id != member.id,
                    Member.erased_at.is_(None),
                    Member.roles.contains([Role.TENANT_ADMIN.value]),
                )
            )
        ).scalar_one()
        if not others:
            return (
                f"{member.display_name} is the association's last administrator: give "
                "someone else the administrator role first."
            )
    return None


async def _erase_rows(
    session: AsyncSession, member: Member, now: datetime, counts: dict[str, int]
) -> None:
    """Every change of the erasure, in the caller's transaction."""
    me = member.id

    async def run(name: str, statement: Any) -> None:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        counts[name] = int(getattr(result, "rowcount", 0) or 0)

    app_ids = select(Application.id).where(Application.member_id == me).scalar_subquery()
    approval_ids = (
        select(Application.approval_request_id)
        .where(Application.member_id == me, Application.approval_request_id.is_not(None))
        .scalar_subquery()
    )
    await run(
        "applications",
        update(Application)
        .where(Application.member_id == me)
        .values(
            answers={},
            ineligible_reason=None,
            feedback=None,
            flag_reason=None,
            search_text="",
            lock_version=Application.lock_version + 1,
        ),
    )
    await run(
        "interviews",
        update(Interview).where(Interview.application_id.in_(app_ids)).values(notes=None),
    )
    await run(
        "approval_requests",
        update(ApprovalRequest)
        .where(ApprovalRequest.id.in_(approval_ids))
        .values(
            summary=REMOVED,
            details=[],
            comment=None,
            approver_email=f"approver-{me.hex}@erased.invalid",
        ),
    )
    counts["board_ratifications"] = await _rewrite(
        session,
        BoardRatification,
        and_(BoardRatification.member_id == me, BoardRatification.note.is_not(None)),
        note=None,
    )
    await run(
        "match_requests",
        update(MatchRequest)
        .where(MatchRequest.mentee_id == me)
        .values(reasons="", decline_reason=None),
    )
    # Reasons they gave as a mentor asked, in requests' past outcomes and the last decline.
    asked = list(
        (
            await session.execute(
                select(MatchRequest).where(
                    or_(MatchRequest.mentor_id == me, MatchRequest.choices.contains([me]))
                )
            )
        ).scalars()
    )
    for request in asked:
        outcomes = [
            {**o, "reason": ""} if o.get("mentor") == str(me) and o.get("reason") else o
            for o in request.outcomes or []
        ]
        if outcomes != request.outcomes:
            request.outcomes = outcomes
        if request.mentor_id == me and request.decline_reason:
            request.decline_reason = None
    await run(
        "match_proposals_mentor",
        update(MatchProposal).where(MatchProposal.mentor_id == me).values(mentor_reason=None),
    )
    await run(
        "match_proposals_mentee",
        update(MatchProposal).where(MatchProposal.mentee_id == me).values(mentee_reason=None),
    )
    counts["conflicts_of_interest"] = await _rewrite(
        session,
        ConflictOfInterest,
        and_(
            or_(ConflictOfInterest.mentee_id == me, ConflictOfInterest.mentor_id == me),
            ConflictOfInterest.reason != "",
        ),
        reason="",
    )
    await run(
        "pairs_ended",
        update(Pair)
        .where(Pair.ended_by == me, Pair.end_reason.is_not(None))
        .values(end_reason=None),
    )
    await run(
        "meeting_records",
        update(Meeting).where(Meeting.recorded_by == me).values(record=""),
    )
    await run(
        "meeting_places",
        update(Meeting).where(Meeting.proposed_by == me).values(place="", link=""),
    )
    await run(
        "meeting_cancellations",
        update(Meeting).where(Meeting.cancelled_by == me).values(cancel_reason=""),
    )
    await run("log_entries", delete(LogEntry).where(LogEntry.author_id == me))
    counts["chat_messages"] = await _rewrite(
        session,
        ChatMessage,
        and_(ChatMessage.author_id == me, ChatMessage.body != REMOVED),
        body=REMOVED,
    )
    # The runtime role may not delete feeds: the secret's digest is replaced by the digest
    # of a random value nobody holds, and the feed revoked, so the old address answers 404.
    feeds = list(
        (await session.execute(select(CalendarFeed).where(CalendarFeed.member_id == me))).scalars()
    )
    for feed in feeds:
        feed.token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        feed.revoked_at = feed.revoked_at or now
    counts["calendar_feeds"] = len(feeds)
    await run(
        "documents",
        update(Document)
        .where(Document.uploaded_by == me)
        .values(
            filename=REMOVED,
            sha256="",
            removed_at=func.coalesce(Document.removed_at, now),
            removed_by=func.coalesce(Document.removed_by, me),
        ),
    )
    counts["checkpoint_items"] = await _checkpoint_answers(session, me)
    await run(
        "messages",
        update(Message)
        .where(Message.member_id == me)
        .values(to_address=erased_email(me), context={}),
    )
    counts["named_elsewhere"] = await _scrub(session, [member.display_name, member.email])
    member.display_name = ERASED_NAME
    member.email = erased_email(me)
    member.issuer = None
    member.subject = None
    member.member_number = None
    member.roles = []
    member.erased_at = now


async def _document_keys(session: AsyncSession, me: uuid.UUID) -> list[str]:
    rows = await session.execute(select(Document.storage_key).where(Document.uploaded_by == me))
    return list(rows.scalars())


async def erase_member(
    db: Database,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID | str,
    *,
    actor: str,
    actor_id: uuid.UUID | str,
    storage: Storage,
    sessions: SessionStore | None,
    now: datetime | None = None,
) -> Erased:
    """Erase one member of the tenant (see the module's notes). NotFound for an id that is
    not a member of this tenant; Refused (nothing changed) for yourself or the last
    administrator."""
    now = now or datetime.now(UTC)
    async with db.tenant(tenant_id) as session:
        member = await get_in_tenant(session, Member, member_id, what="member")
        await session.refresh(member, with_for_update=True)
        done = Erased(member.id)
        if member.erased_at is not None:
            done.already = True
        else:
            refusal = await _refusal(session, member, uuid.UUID(str(actor_id)))
            if refusal is not None:
                raise Refused(refusal)
            await _erase_rows(session, member, now, done.counts)
            audit.record(
                session,
                "member.erased",
                actor=actor,
                subject=str(member.id),
                details={"counts": {k: v for k, v in done.counts.items() if v}},
            )
        keys = await _document_keys(session, member.id)
    # After the commit: what the database cannot do in the transaction.
    if sessions is not None:
        await sessions.revoke_member(str(tenant_id), str(done.member_id))
    for key in keys:
        try:
            await storage.delete(key)
        except Exception:
            log.exception(
                "member %s erased, but stored object %s was not deleted", done.member_id, key
            )
            done.left_in_storage.append(key)
    return done
