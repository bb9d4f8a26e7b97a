"""The coordinator pages' tests' world: Alberta's scheme (tests.pairs.space_helpers.pair_world:
two live pairs, a coordinator, a tenant admin) stored again as a newer version with small
checkpoint forms of our own (a rating, a Likert grid, long text, a permission to share), so
the tests do not depend on how the tenant file words its forms; and checkpoint items and
coordinator tasks inserted as rows (the state each test needs, without running the clock).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec

from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.schemes.forms import Question
from mentorhub.schemes.rules import CheckpointForm, Scheme
from mentorhub.schemes.services import store_version
from tests.pairs.space_helpers import PairWorld, pair_world

SURVEY = CheckpointForm(
    checkpoint="mid_program_survey",
    questions=(
        Question(
            id="confidence",
            kind="rating",
            label="How confident do you feel in your role?",
            min=1,
            max=5,
            low_label="Not at all",
            high_label="Very confident",
        ),
        Question(
            id="statements",
            kind="likert",
            label="How far do you agree?",
            rows=("My mentor listens to me", "We meet often enough"),
            options=("Disagree", "Neither", "Agree"),
        ),
        Question(id="comments", kind="long_text", label="Anything else?"),
    ),
)
UPDATE = CheckpointForm(
    checkpoint="quarterly_update",
    questions=(
        Question(id="progress", kind="long_text", label="Progress with the plan", required=True),
        Question(
            id="share",
            kind="consent",
            label="We give permission to share this update",
            permission=True,
        ),
    ),
)


@dataclass(frozen=True)
class CoordWorld:
    pw: PairWorld
    version: int

    @property
    def slug(self) -> str:
        return self.pw.world.tenant.slug

    def url(self, path: str) -> str:
        return f"/t/{self.slug}{path}"


async def coord_world(db: Database, slug: str = "alberta-museums") -> CoordWorld:
    pw = await pair_world(db, slug)
    scheme: Scheme = pw.world.scheme
    ours = msgspec.structs.replace(
        scheme, version=scheme.version + 1, checkpoint_forms=(SURVEY, UPDATE)
    )
    async with db.tenant(pw.id) as session:
        await store_version(session, ours, f"{slug}.toml")
    return CoordWorld(pw, ours.version)


async def add_item(
    db: Database,
    cw: CoordWorld,
    *,
    checkpoint: str = "mid_program_survey",
    title: str = "Mid-program survey",
    audience: str = "each",
    member: Member | None = None,
    pair_id: uuid.UUID | None = None,
    state: str = "submitted",
    readers: tuple[str, ...] = ("coordinator",),
    due_on: date | None = None,
    answers: dict[str, Any] | None = None,
    submitted_at: datetime | None = None,
    share_permission: bool = False,
    slot: str = "",
) -> CheckpointItem:
    due = due_on or date.today() - timedelta(days=3)
    submitted = state in ("submitted", "reviewed")
    item = CheckpointItem(
        tenant_id=cw.pw.id,
        id=uuid.uuid4(),
        pair_id=pair_id or cw.pw.pair.id,
        member_id=member.id if member is not None else None,
        checkpoint=checkpoint,
        slot=slot or uuid.uuid4().hex[:8],
        scheme_version=cw.version,
        kind="survey",
        title=title,
        audience=audience,
        readers=list(readers),
        due_on=due,
        opens_on=due - timedelta(days=7),
        closes_on=due + timedelta(days=7),
        state=state,
        step=1,
        opened_at=datetime.now(UTC) - timedelta(days=10) if state != "upcoming" else None,
        submitted_at=(submitted_at or datetime.now(UTC) - timedelta(days=2)) if submitted else None,
        submitted_by=(member.id if member else cw.pw.mentee.id) if submitted else None,
        answers=answers or {},
        share_permission=share_permission,
        missed_at=datetime.now(UTC) if state == "missed" else None,
    )
    async with db.tenant(cw.pw.id) as session:
        session.add(item)
    return item


async def add_task(
    db: Database,
    cw: CoordWorld,
    *,
    kind: str = "checkpoint",
    item: CheckpointItem | None = None,
    pair_id: uuid.UUID | None = None,
    title: str = "Phone call from the programme manager (month 2)",
    due_on: date | None = None,
    last_activity: date | None = None,
) -> CoordinatorTask:
    pair = pair_id or cw.pw.pair.id
    if kind == "quiet_pair":
        key = f"task:quiet:{pair}:{(last_activity or date.today()).isoformat()}"
    else:
        key = f"task:item:{item.id if item else uuid.uuid4()}"
    task = CoordinatorTask(
        tenant_id=cw.pw.id,
        id=uuid.uuid4(),
        key=key,
        kind=kind,
        pair_id=pair,
        item_id=item.id if item else None,
        title=title,
        detail="",
        due_on=due_on or date.today(),
    )
    async with db.tenant(cw.pw.id) as session:
        session.add(task)
    return task


async def coordinator_call(db: Database, cw: CoordWorld) -> tuple[CheckpointItem, CoordinatorTask]:
    """A coordinator checkpoint opened (the Museums Association's call) and its task."""
    item = await add_item(
        db,
        cw,
        checkpoint="call_month_2",
        title="Phone call from the programme manager (month 2)",
        audience="coordinator",
        state="open",
        due_on=date.today(),
    )
    async with db.tenant(cw.pw.id) as session:
        found = await session.get(CheckpointItem, {"tenant_id": cw.pw.id, "id": item.id})
        assert found is not None
        found.kind = "coordinator_call"
    task = await add_task(db, cw, item=item)
    return item, task


async def reload_item(db: Database, cw: CoordWorld, item_id: uuid.UUID) -> CheckpointItem:
    async with db.tenant(cw.pw.id) as session:
        found = await session.get(
            CheckpointItem, {"tenant_id": cw.pw.id, "id": item_id}, populate_existing=True
        )
        assert found is not None
        return found


async def reload_task(db: Database, cw: CoordWorld, task_id: uuid.UUID) -> CoordinatorTask:
    async with db.tenant(cw.pw.id) as session:
        found = await session.get(
            CoordinatorTask, {"tenant_id": cw.pw.id, "id": task_id}, populate_existing=True
        )
        assert found is not None
        return found
