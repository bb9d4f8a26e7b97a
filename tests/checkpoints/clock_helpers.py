"""The clock tests' world: a tenant whose scheme (the Arts Marketing Association's, with
checkpoints of every audience put 14 days after matching) is stored as its version, one pair
matched on Monday 1 February 2027, and what the clock wrote, read back.

The checkpoints, all due Monday 15 February 2027 (window 8–22 February, London, 09:00):

* `together`: the pair answers once (a form), with a note;
* `survey`: each person answers (a form);
* `call`: the coordinator's (a task when it opens);
* `agree`: done on the agreement page (`done_in = "agreement"`).

Their steps: open Mon 8 Feb, `before:3` Fri 12 Feb, `after:2` Wed 17 Feb, missed Tue 23 Feb.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

import msgspec
from sqlalchemy import select, update

from mentorhub.applications.models import Cohort
from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import NewPair, create_pairs
from mentorhub.schemes.forms import Question
from mentorhub.schemes.loader import load_tenant
from mentorhub.schemes.rules import (
    Checkpoint,
    CheckpointForm,
    OffsetWhen,
    Quiet,
    Reminders,
    Scheme,
)
from mentorhub.schemes.services import store_version
from mentorhub.tenancy.models import Tenant
from tests.applications.conftest import add_member
from tests.foundation.helpers import make_tenant
from tests.support import as_owner

MATCHED = date(2027, 2, 1)
OPEN = date(2027, 2, 8)
BEFORE = date(2027, 2, 12)
DUE = date(2027, 2, 15)
AFTER = date(2027, 2, 17)
MISSED = date(2027, 2, 23)


def _form(checkpoint: str) -> CheckpointForm:
    return CheckpointForm(
        checkpoint=checkpoint,
        questions=(Question(id="how", kind="long_text", label="How is it going?", required=True),),
    )


def clock_scheme(*, quiet: Quiet | None = None) -> Scheme:
    """The AMA's scheme with the four test checkpoints (and `quiet`, if given)."""
    base = load_tenant("arts-marketing").scheme
    when = OffsetWhen(offset_days=14, anchor="matching")
    checkpoints = (
        Checkpoint(
            id="together",
            kind="review",
            title="Review together",
            audience="pair",
            when=when,
            readers=("pair", "coordinator"),
            note="Talk it over before you write.",
        ),
        Checkpoint(
            id="survey",
            kind="survey",
            title="Survey",
            audience="each",
            when=when,
            readers=("coordinator",),
        ),
        Checkpoint(
            id="call",
            kind="coordinator_call",
            title="Call the mentor",
            audience="coordinator",
            when=when,
            note="Ask how the first weeks went.",
        ),
        Checkpoint(
            id="agree",
            kind="document",
            title="Agree your mentoring agreement",
            audience="pair",
            when=when,
            readers=("pair",),
            done_in="agreement",
        ),
    )
    reminders = base.reminders
    if quiet is not None:
        reminders = msgspec.structs.replace(reminders, quiet=quiet)
    else:
        reminders = Reminders(quiet=Quiet(enabled=False))
    return msgspec.structs.replace(
        base,
        checkpoints=checkpoints,
        checkpoint_forms=(_form("together"), _form("survey")),
        reminders=reminders,
    )


@dataclass(frozen=True)
class ClockWorld:
    tenant: Tenant
    scheme: Scheme
    pair: Pair
    mentor: Member
    mentee: Member
    coordinator: Member

    @property
    def id(self) -> uuid.UUID:
        return self.tenant.id

    @property
    def slug(self) -> str:
        return self.tenant.slug


async def clock_world(db: Database, *, scheme: Scheme | None = None) -> ClockWorld:
    """A tenant with the clock scheme stored, a cohort, a coordinator and one pair matched
    on `MATCHED` through the one pair-making path."""
    tenant = await make_tenant(db)
    scheme = scheme or clock_scheme()
    async with db.tenant(tenant.id) as session:
        await store_version(session, scheme, "clock-test.toml")
        cohort = Cohort(
            tenant_id=tenant.id,
            id=uuid.uuid4(),
            name="2027 intake",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            scheme_version=scheme.version,
        )
        session.add(cohort)
    coordinator = await add_member(db, tenant, "Cora Coordinator", roles=("coordinator",))
    mentor = await add_member(db, tenant, "Maya Mentor", roles=("mentor",))
    mentee = await add_member(db, tenant, "Theo Mentee", roles=("mentee",))
    async with db.tenant(tenant.id) as session:
        [made] = await create_pairs(
            session,
            [NewPair(cohort.id, mentor.id, mentee.id, "coordinator")],
            actor_id=coordinator.id,
        )
        await session.execute(update(Pair).where(Pair.id == made.id).values(matched_on=MATCHED))
        pair = (
            await session.execute(
                select(Pair).where(Pair.id == made.id).execution_options(populate_existing=True)
            )
        ).scalar_one()
    return ClockWorld(tenant, scheme, pair, mentor, mentee, coordinator)


async def suspend(db: Database, tenant: Tenant) -> None:
    async with as_owner(db) as owner, owner.platform() as session:
        await session.execute(
            update(Tenant).where(Tenant.id == tenant.id).values(status="suspended")
        )


async def messages(db: Database, world: ClockWorld) -> list[Message]:
    """The tenant's checkpoint and quiet messages, oldest first."""
    async with db.tenant(world.id) as session:
        rows = await session.execute(
            select(Message)
            .where(Message.key.like("checkpoint:%") | Message.key.like("quiet:%"))
            .order_by(Message.id)
        )
        return list(rows.scalars())


async def mail_counts(db: Database, world: ClockWorld) -> Counter[tuple[str, str]]:
    """(kind, recipient's name) → how many messages."""
    names = {world.mentor.id: "mentor", world.mentee.id: "mentee"}
    return Counter((m.kind, names.get(m.member_id, "?")) for m in await messages(db, world))  # type: ignore[arg-type]


async def items(db: Database, world: ClockWorld) -> dict[tuple[str, str], CheckpointItem]:
    """(checkpoint, "mentor"/"mentee"/"pair") → the item."""
    names = {world.mentor.id: "mentor", world.mentee.id: "mentee", None: "pair"}
    async with db.tenant(world.id) as session:
        rows = await session.execute(
            select(CheckpointItem).where(CheckpointItem.pair_id == world.pair.id)
        )
        return {(i.checkpoint, names[i.member_id]): i for i in rows.scalars()}


async def tasks(db: Database, world: ClockWorld) -> list[CoordinatorTask]:
    async with db.tenant(world.id) as session:
        rows = await session.execute(select(CoordinatorTask).order_by(CoordinatorTask.created_at))
        return list(rows.scalars())


async def clock_passes(db: Database, world: ClockWorld) -> list[AuditEntry]:
    async with db.tenant(world.id) as session:
        rows = await session.execute(
            select(AuditEntry).where(AuditEntry.action == "clock_pass").order_by(AuditEntry.subject)
        )
        return list(rows.scalars())


def at(day: date, hour: int = 12) -> datetime:
    """Noon UTC on `day` (after London's 09:00 in every season)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
