"""The member checkpoint tests' world: a tenant's pair world (tests.pairs.space_helpers:
two live pairs, a coordinator, a tenant admin) whose scheme answers the checkpoints the
tests use with forms — the tenant file's own where it has them, else small ones of ours
(stored as a newer version: a rating, a Likert grid, long text, a permission to share) —
and checkpoint items inserted as rows in the state each test needs (the clock is not run
here: its own tests do that). `filled` answers any form completely, as a person would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select

from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.schemes.forms import Form, Question, likert_field
from mentorhub.schemes.rules import Checkpoint, CheckpointForm, Scheme
from mentorhub.schemes.services import store_version
from tests.pairs.space_helpers import PairWorld, pair_world

#: Forms of ours for the checkpoints the tests answer, used where the tenant file has none.
OUR_FORMS = (
    CheckpointForm(
        checkpoint="mid_program_survey",
        intro="Answer on your own.",
        questions=(
            Question(
                id="confidence",
                kind="rating",
                label="How confident do you feel in your role?",
                min=1,
                max=5,
                low_label="Not at all",
                high_label="Very confident",
                required=True,
            ),
            Question(
                id="statements",
                kind="likert",
                label="How far do you agree?",
                rows=("My partner listens to me", "We meet often enough"),
                options=("Disagree", "Neither agree nor disagree", "Agree"),
                required=True,
            ),
            Question(id="comments", kind="long_text", label="Anything else?"),
        ),
    ),
    CheckpointForm(
        checkpoint="final_survey",
        questions=(
            Question(id="overall", kind="long_text", label="How did it go?", required=True),
        ),
    ),
    CheckpointForm(
        checkpoint="quarterly_update",
        questions=(
            Question(
                id="progress",
                kind="long_text",
                label="Progress with your Mentorship Plan",
                required=True,
            ),
            Question(
                id="share",
                kind="consent",
                label="We give our written permission to share this update",
                permission=True,
            ),
        ),
    ),
)


@dataclass(frozen=True)
class MemberWorld:
    pw: PairWorld
    scheme: Scheme

    @property
    def id(self) -> uuid.UUID:
        return self.pw.id

    @property
    def slug(self) -> str:
        return self.pw.world.tenant.slug

    def form(self, checkpoint: str) -> CheckpointForm:
        found = self.scheme.checkpoint_form(checkpoint)
        assert found is not None, checkpoint
        return found

    def checkpoint(self, checkpoint_id: str) -> Checkpoint:
        return next(c for c in self.scheme.checkpoints if c.id == checkpoint_id)


async def member_world(
    db: Database, slug: str = "alberta-museums", *, matched_on: date | None = None
) -> MemberWorld:
    """`slug`'s pair world with a form for every checkpoint of OUR_FORMS the scheme has."""
    pw = await pair_world(db, slug, matched_on=matched_on)
    scheme: Scheme = pw.world.scheme
    have = {c.id for c in scheme.checkpoints}
    missing = tuple(
        f
        for f in OUR_FORMS
        if f.checkpoint in have and scheme.checkpoint_form(f.checkpoint) is None
    )
    if missing:
        scheme = msgspec.structs.replace(
            scheme,
            version=scheme.version + 1,
            checkpoint_forms=(*scheme.checkpoint_forms, *missing),
        )
        async with db.tenant(pw.id) as session:
            await store_version(session, scheme, f"{slug}.toml")
    return MemberWorld(pw, scheme)


async def add_item(
    db: Database,
    mw: MemberWorld,
    checkpoint: str,
    *,
    member: Member | None = None,
    pair_id: uuid.UUID | None = None,
    state: str = "open",
    due_on: date | None = None,
    opens_on: date | None = None,
    next_at: datetime | None = None,
    slot: str = "",
    answers: dict[str, Any] | None = None,
    submitted_by: Member | None = None,
    submitted_at: datetime | None = None,
    cancel_reason: str = "",
    review_note: str = "",
    readers: tuple[str, ...] | None = None,
    audience: str | None = None,
) -> CheckpointItem:
    """One item of `checkpoint` (title, kind, audience, readers from the scheme) for the
    pair (or `pair_id`), `member`'s own where the audience is a person's."""
    c = mw.checkpoint(checkpoint)
    due = due_on or date.today() + timedelta(days=5)
    sent = state in ("submitted", "reviewed")
    item = CheckpointItem(
        tenant_id=mw.id,
        id=uuid.uuid4(),
        pair_id=pair_id or mw.pw.pair.id,
        member_id=member.id if member is not None else None,
        checkpoint=checkpoint,
        slot=slot or uuid.uuid4().hex[:8],
        scheme_version=mw.scheme.version,
        kind=c.kind,
        title=c.title,
        audience=audience or c.audience,
        readers=list(readers if readers is not None else c.readers),
        due_on=due,
        opens_on=opens_on or due - timedelta(days=14),
        closes_on=due + timedelta(days=7),
        state=state,
        next_at=next_at,
        step=0 if state == "upcoming" else 1,
        opened_at=None if state == "upcoming" else datetime.now(UTC) - timedelta(days=3),
        submitted_at=(submitted_at or datetime.now(UTC) - timedelta(days=1)) if sent else None,
        submitted_by=(submitted_by or member or mw.pw.mentee).id if sent else None,
        answers=answers or {},
        cancelled_at=datetime.now(UTC) if state == "cancelled" else None,
        cancel_reason=cancel_reason,
        missed_at=datetime.now(UTC) if state == "missed" else None,
        review_note=review_note,
        reviewed_at=datetime.now(UTC) if state == "reviewed" else None,
        reviewed_by=mw.pw.world.coordinator.id if state == "reviewed" else None,
    )
    async with db.tenant(mw.id) as session:
        session.add(item)
    return item


def filled(form: Form, **given: Any) -> dict[str, list[str]]:
    """Every question of `form` answered plausibly, as the posted fields; `given` (a field's
    name — a question id, or a Likert row's `<id>.<n>` — → value(s), None to leave it out)
    overrides."""
    out: dict[str, list[str]] = {}
    for q in form.questions:
        if q.id in given:
            continue
        if q.kind == "likert":
            for n in range(1, len(q.rows) + 1):
                out[likert_field(q.id, n)] = [q.options[-1]]
            continue
        if q.kind in ("consent",) and q.permission:
            continue  # permission is given only when a test says so
        out[q.id] = {
            "text": ["Some words"],
            "long_text": ["We met twice and worked on the plan."],
            "single_choice": list(q.options[:1]),
            "multiple_choice": list(q.options[: max(1, q.min_choices or 1)]),
            "number": [str(int(q.min or 1))],
            "yes_no": ["no"],
            "consent": ["yes"],
            "rating": [str(int(q.max or 5))],
            "email": ["someone@example.org"],
        }.get(q.kind, ["Some words"])
    for name, value in given.items():
        out.pop(name, None)
        if value is not None:
            out[name] = value if isinstance(value, list) else [str(value)]
    return out


async def reload(db: Database, mw: MemberWorld, item_id: uuid.UUID) -> CheckpointItem:
    async with db.tenant(mw.id) as session:
        found = await session.get(
            CheckpointItem, {"tenant_id": mw.id, "id": item_id}, populate_existing=True
        )
        assert found is not None
        return found


async def snapshot(db: Database, mw: MemberWorld) -> tuple[Any, ...]:
    """What a checkpoint action writes: the items, the audit entries and the messages."""
    async with db.tenant(mw.id) as s:
        items = [
            (
                i.id,
                i.state,
                i.answers,
                i.lock_version,
                i.submitted_by,
                i.submitted_at,
                i.share_permission,
                i.next_at,
            )
            for i in (await s.execute(select(CheckpointItem).order_by(CheckpointItem.id))).scalars()
        ]
        audits = (await s.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
        messages = (await s.execute(select(func.count()).select_from(Message))).scalar_one()
    return items, audits, messages


async def messages_of(db: Database, mw: MemberWorld, kind: str) -> list[Message]:
    async with db.tenant(mw.id) as s:
        rows = await s.execute(select(Message).where(Message.kind == kind).order_by(Message.id))
        return list(rows.scalars())


async def audit_of(db: Database, mw: MemberWorld) -> list[AuditEntry]:
    async with db.tenant(mw.id) as s:
        rows = await s.execute(
            select(AuditEntry)
            .where(AuditEntry.action.like("checkpoint_%"))
            .order_by(AuditEntry.created_at)
        )
        return list(rows.scalars())
