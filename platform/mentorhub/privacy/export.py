"""Gathering everything held about one member in one tenant (Art. 15 access, Art. 20
portability), and writing it as a ZIP: `data.json` plus `attachments/` (the documents the
member shared).

What is in it, and why (DESIGN.md's table decides who reads what; the data subject's right
of access reaches further than the product's pages):

* the member row (their e-mail, name, roles, membership, sign-in link: issuer and subject;
  there is no secret on it), membership lapses, mail preferences, training records and board
  ratifications;
* their applications with every answer, and the interviews of those applications WITH the
  interviewer's notes. DESIGN.md keeps interview notes from the member in the product, but
  they are personal data about the member and Art. 15 gives the data subject a copy (the
  exemptions, e.g. for references given in confidence, are the association's to claim by
  hand, not the software's to assume); the approval requests of their applications;
* matching: their mentor capacities, match requests and proposals where they are the mentee
  or the mentor (the other person's reason for a decision is left out: it is theirs),
  conflicts of interest naming them;
* their pairs (dates, state, how it ended) and the pair content they co-own: agreement,
  goals, plan, meetings; THEIR private log entries only, chat messages THEY wrote only,
  documents THEY shared (metadata here, bytes under `attachments/`), their own chat state
  and calendar feeds (without the token's hash: a secret's digest is no information about
  them);
* checkpoint items they answer, and the pair items of their pairs, with the answers;
* the mails and notifications sent to them (kind, subject, address, status, dates; not the
  template's variables, which repeat the pages' content);
* the audit entries naming them as actor (their e-mail) or subject (their e-mail or id);
  rows naming their address from before their account existed, or about another account's
  id, are not theirs: an address may have belonged to an earlier account that was erased.

Only this tenant's rows are read (the tenant transaction and row-level security), and only
rows that name the member, so another member's words never reach the file.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from mentorhub.applications.models import (
    Application,
    BoardRatification,
    Interview,
    TrainingRecord,
)
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.core.audit import AuditEntry
from mentorhub.db.access import get_in_tenant
from mentorhub.identity.models import ApprovalRequest, Member, MembershipLapse
from mentorhub.matching.models import (
    ConflictOfInterest,
    MatchProposal,
    MatchRequest,
    MentorCapacity,
)
from mentorhub.messages.models import Message, MessagePreference
from mentorhub.pairs.models import Pair
from mentorhub.pairs.space_models import (
    Agreement,
    CalendarFeed,
    ChatMessage,
    Document,
    Goal,
    LogEntry,
    Meeting,
    PairMemberState,
    Plan,
)
from mentorhub.pairs.storage import Missing, Storage

__all__ = ["FORMAT", "Attachment", "Gathered", "attachment_name", "gather", "write_zip"]

#: The file's format version (`data.json`'s "format").
FORMAT = 1
#: Columns never written: the tenant (the file is one tenant's), secrets' digests, and the
#: coordinator's search helper (a copy of the name and e-mail already given).
_LEFT_OUT = frozenset({"tenant_id", "token_hash", "search_text"})
#: A message's fields in the file (its template variables repeat the pages' content).
_MESSAGE_FIELDS = (
    "id",
    "kind",
    "subject",
    "to_address",
    "status",
    "created_at",
    "sent_at",
    "failed_at",
    "read_at",
)


@dataclass(frozen=True)
class Attachment:
    """One document the member shared: where its bytes are and its name in the ZIP."""

    document_id: uuid.UUID
    storage_key: str
    name: str


@dataclass
class Gathered:
    """What `gather` found: the JSON-ready data and the documents to copy."""

    data: dict[str, Any]
    attachments: list[Attachment] = field(default_factory=list)


def plain(row: DeclarativeBase, *, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    """A row's columns by name (JSON-ready values come later, in `_default`)."""
    skip = _LEFT_OUT | set(leave_out)
    mapper = row.__mapper__
    return {a.key: getattr(row, a.key) for a in mapper.column_attrs if a.key not in skip}


def attachment_name(document: Document) -> str:
    """`attachments/<document id>-<file name>`: unique, and the name the member gave it
    (its path separators replaced, so nothing lands outside the folder)."""
    safe = document.filename.replace("/", "_").replace("\\", "_").lstrip(".") or "file"
    return f"attachments/{document.id}-{safe}"


async def _rows(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.execute(query)).scalars())


async def _plain_rows(session: AsyncSession, query: Any) -> list[dict[str, Any]]:
    """The rows `query` selects, each as `plain` gives it."""
    return [plain(r) for r in await _rows(session, query)]


async def gather(session: AsyncSession, member: Member) -> Gathered:
    """Everything held about `member` in the session's tenant (see the module's notes)."""
    me = member.id
    applications = await _rows(
        session,
        select(Application).where(Application.member_id == me).order_by(Application.created_at),
    )
    app_ids = [a.id for a in applications]
    approval_ids = [a.approval_request_id for a in applications if a.approval_request_id]
    interviews = await _rows(
        session,
        select(Interview)
        .where(Interview.application_id.in_(app_ids))
        .order_by(Interview.scheduled_at),
    )
    approvals = await _rows(
        session, select(ApprovalRequest).where(ApprovalRequest.id.in_(approval_ids))
    )
    pairs = await _rows(
        session,
        select(Pair)
        .where(or_(Pair.mentor_id == me, Pair.mentee_id == me))
        .order_by(Pair.created_at),
    )
    pair_ids = [p.id for p in pairs]

    async def of_pairs(model: Any, *where: Any, order: Any = None) -> list[dict[str, Any]]:
        query = select(model).where(model.pair_id.in_(pair_ids), *where)
        query = query.order_by(order if order is not None else model.created_at)
        return await _plain_rows(session, query)

    documents = await _rows(
        session,
        select(Document)
        .where(Document.pair_id.in_(pair_ids), Document.uploaded_by == me)
        .order_by(Document.created_at),
    )
    attachments = [
        Attachment(d.id, d.storage_key, attachment_name(d))
        for d in documents
        if d.removed_at is None
    ]
    by_document = {a.document_id: a.name for a in attachments}
    proposals = await _rows(
        session,
        select(MatchProposal)
        .where(or_(MatchProposal.mentor_id == me, MatchProposal.mentee_id == me))
        .order_by(MatchProposal.created_at),
    )
    data: dict[str, Any] = {
        "format": FORMAT,
        "about": (
            "Everything this association's MentorHub holds about you, as of "
            "the time in 'exported_at'. Dates and times are ISO 8601 (UTC)."
        ),
        "member": plain(member),
        "membership_lapses": await _plain_rows(
            session,
            select(MembershipLapse)
            .where(MembershipLapse.member_id == me)
            .order_by(MembershipLapse.created_at),
        ),
        "mail_preferences": await _plain_rows(
            session, select(MessagePreference).where(MessagePreference.member_id == me)
        ),
        "training_records": await _plain_rows(
            session, select(TrainingRecord).where(TrainingRecord.member_id == me)
        ),
        "board_ratifications": await _plain_rows(
            session, select(BoardRatification).where(BoardRatification.member_id == me)
        ),
        "applications": [plain(a) for a in applications],
        "interviews": [plain(i) for i in interviews],
        "approval_requests": [plain(a) for a in approvals],
        "mentor_capacities": await _plain_rows(
            session, select(MentorCapacity).where(MentorCapacity.mentor_id == me)
        ),
        "match_requests": await _plain_rows(
            session,
            select(MatchRequest)
            .where(or_(MatchRequest.mentee_id == me, MatchRequest.mentor_id == me))
            .order_by(MatchRequest.created_at),
        ),
        "match_proposals": [
            plain(p, leave_out=("mentee_reason",) if p.mentor_id == me else ("mentor_reason",))
            for p in proposals
        ],
        "conflicts_of_interest": await _plain_rows(
            session,
            select(ConflictOfInterest).where(
                or_(ConflictOfInterest.mentee_id == me, ConflictOfInterest.mentor_id == me)
            ),
        ),
        "pairs": [plain(p) for p in pairs],
        "agreements": await of_pairs(Agreement),
        "goals": await of_pairs(Goal, order=Goal.position),
        "plans": await of_pairs(Plan),
        "meetings": await of_pairs(Meeting, order=Meeting.starts_at),
        "log_entries": await of_pairs(LogEntry, LogEntry.author_id == me),
        "chat_messages": await of_pairs(ChatMessage, ChatMessage.author_id == me),
        "documents": [
            {**plain(d, leave_out=("storage_key",)), "file": by_document.get(d.id)}
            for d in documents
        ],
        "pair_member_states": await of_pairs(PairMemberState, PairMemberState.member_id == me),
        "calendar_feeds": await _plain_rows(
            session, select(CalendarFeed).where(CalendarFeed.member_id == me)
        ),
        "checkpoint_items": await _plain_rows(
            session,
            select(CheckpointItem)
            .where(
                CheckpointItem.pair_id.in_(pair_ids),
                or_(
                    CheckpointItem.member_id == me,
                    and_(
                        CheckpointItem.member_id.is_(None),
                        CheckpointItem.audience == "pair",
                    ),
                ),
            )
            .order_by(CheckpointItem.due_on),
        ),
        "messages": [
            {k: getattr(m, k) for k in _MESSAGE_FIELDS}
            for m in await _rows(
                session, select(Message).where(Message.member_id == me).order_by(Message.id)
            )
        ],
        "audit_entries": [
            plain(r)
            for r in await _rows(
                session,
                select(AuditEntry)
                .where(
                    or_(
                        AuditEntry.subject == str(me),
                        and_(
                            or_(
                                AuditEntry.actor == member.email,
                                AuditEntry.subject == member.email,
                            ),
                            AuditEntry.created_at >= member.created_at,
                        ),
                    )
                )
                .order_by(AuditEntry.created_at, AuditEntry.id),
            )
            if not _another_members(r.subject, me)
        ],
    }
    return Gathered(data, attachments)


def _another_members(subject: str | None, me: uuid.UUID) -> bool:
    """Whether an audit row's subject is another member's id: a row naming the member's
    e-mail as actor but about another account (e.g. an earlier, erased account of the same
    address) is that account's."""
    try:
        return subject is not None and uuid.UUID(subject) != me
    except ValueError:
        return False


def _default(value: object) -> object:
    """JSON for what the rows hold besides strings and numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def as_json(data: dict[str, Any]) -> bytes:
    """`data.json`: UTF-8, indented, ISO dates."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=_default).encode()


async def write_zip(gathered: Gathered, storage: Storage, out: IO[bytes]) -> list[str]:
    """Write the ZIP to `out` (a temporary file: documents can be large, so each one is
    copied in chunks, never held whole); the names of documents whose bytes were missing
    from the storage (listed in `data.json` as missing too)."""
    missing: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for attachment in gathered.attachments:
            try:
                chunks = await storage.open(attachment.storage_key)
            except Missing:
                missing.append(attachment.name)
                continue
            with archive.open(attachment.name, "w", force_zip64=True) as target:
                async for chunk in chunks:
                    target.write(chunk)
        gathered.data["missing_attachments"] = missing
        archive.writestr("data.json", as_json(gathered.data))
    return missing


#: The sections of `data.json` in plain words, in the order the page lists them.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("applications", "Your applications and every answer you gave"),
    ("interviews", "Interviews of your applications, with the interviewer's notes"),
    ("approval_requests", "Approvals your applications needed (e.g. your line manager's)"),
    ("training_records", "Trainings recorded for you"),
    ("board_ratifications", "Board ratifications of your membership"),
    ("membership_lapses", "Changes of your membership status"),
    ("mentor_capacities", "How many mentees you offered to take"),
    ("match_requests", "Match requests you made or were asked"),
    ("match_proposals", "Matches a coordinator proposed to you"),
    ("conflicts_of_interest", "Conflicts of interest recorded for you"),
    ("pairs", "Your mentoring relationships"),
    ("agreements", "Mentoring agreements of your relationships"),
    ("goals", "Goals of your relationships"),
    ("plans", "Mentorship plans of your relationships"),
    ("meetings", "Meetings of your relationships"),
    ("log_entries", "Your private log entries"),
    ("chat_messages", "Chat messages you wrote"),
    ("documents", "Documents you shared (the files are in the download)"),
    ("calendar_feeds", "Your calendar subscriptions"),
    ("checkpoint_items", "Checkpoints and surveys you answer, with your answers"),
    ("messages", "Mails and notifications sent to you"),
    ("audit_entries", "Entries of the association's audit log that name you"),
)


async def member_of(session: AsyncSession, member_id: uuid.UUID) -> Member:
    """The member the privacy pages are about, in the session's tenant (another tenant's or
    an unknown id: NotFound, the 404 page)."""
    return await get_in_tenant(session, Member, member_id, what="member")


async def overview(session: AsyncSession, member: Member) -> list[tuple[str, str, int]]:
    """(section key, its words, how many) for the "Your data" page."""
    data = (await gather(session, member)).data
    return [(key, words, len(data.get(key) or [])) for key, words in SECTIONS]
