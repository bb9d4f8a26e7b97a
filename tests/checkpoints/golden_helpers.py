"""The golden clock tests' harness: one reference tenant made from its real file, one pair,
the clock run day by day, every mail delivered to the SMTP sink through the real outbox
path, and what happened recorded as plain rows to compare with a list written by hand.

A row is `Event(day, who, what, checkpoint)`:
- a mail caught by the sink: `what` is its kind (the `X-MentorHub-Kind` header), `who`
  its envelope recipient, "mentor"/"mentee" (or "coordinator", "other": never expected),
  `checkpoint` the item it is about ("quarterly_update:2027-01" with a slot; "quiet" for a
  quiet-pair nudge), found through the message's idempotency key (the sink's Message-ID
  names the message row);
- an item that became missed that day: `what` "missed", `who` its person ("pair" for a
  pair item);
- a coordinator task that appeared that day: `what` "task", `who` "coordinator",
  `checkpoint` the item's checkpoint, or "quiet_pair" for a quiet pair (the task's kind).

`golden(text)` reads the hand-written list: one row a line, `#` comments, "both" for the
same mail to the mentor and to the mentee; the day is written "Mon 4 Jan 2027" and its
weekday is checked, so a slip in a hand derivation shows at once.

Nothing here computes what the clock should do: the expected rows come only from the test
file's hand derivations.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from sqlalchemy import select, update

from mentorhub.applications.models import Cohort
from mentorhub.applications.queue import tenant_zone
from mentorhub.checkpoints.models import CheckpointItem, CoordinatorTask
from mentorhub.checkpoints.services.submissions import save_answers
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.outbox.models import OutboxMessage
from mentorhub.outbox.process import process_batch
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import NewPair, create_pairs
from mentorhub.schemes.forms import Form
from mentorhub.schemes.loader import load_tenant
from mentorhub.schemes.services import store_message_texts
from mentorhub.tenancy.models import Tenant
from mentorhub.tenancy.services import upsert_tenant
from tests.applications.conftest import World, add_member, make_world
from tests.messages.sink import Sink
from tests.support import as_owner

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class Event:
    day: date
    who: str
    what: str
    checkpoint: str

    def __str__(self) -> str:
        return f"{words(self.day)}  {self.who:<11} {self.what:<18} {self.checkpoint}"


def words(day: date) -> str:
    """ "Mon 4 Jan 2027"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


_ROW = re.compile(r"^(\w{3}) (\d{1,2}) (\w{3}) (\d{4})\s+(\S+)\s+(\S+)\s+(\S+)$")


def golden(text: str) -> list[Event]:
    """The hand-written rows of `text` (see the module docstring), sorted."""
    rows: list[Event] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        found = _ROW.match(line)
        if found is None:
            raise ValueError(f"golden row not understood: {raw!r}")
        weekday, day_, month, year, who, what, checkpoint = found.groups()
        day = datetime.strptime(f"{day_} {month} {year}", "%d %b %Y").date()
        if f"{day:%a}" != weekday:
            raise ValueError(f"golden row {raw!r}: {day.isoformat()} is a {day:%A}")
        for person in ("mentor", "mentee") if who == "both" else (who,):
            rows.append(Event(day, person, what, checkpoint))
    return sorted(rows)


def show(events: Iterable[Event]) -> str:
    return "\n".join(str(e) for e in sorted(events))


# --- the world ----------------------------------------------------------------------------


@dataclass
class Golden:
    """One reference tenant (from its file), its cohort and one pair."""

    slug: str  # the reference tenant's slug (its file)
    world: World
    pair: Pair
    mentor: Member
    mentee: Member
    roles: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def tenant(self) -> Tenant:
        return self.world.tenant

    @property
    def test_slug(self) -> str:
        return self.world.tenant.slug


async def golden_world(
    db: Database, slug: str, *, cohort_start: date, cohort_end: date, matched_on: date
) -> Golden:
    """A tenant made from `tenants/<slug>.toml` (its jurisdiction, branding and wording of
    messages; its own unique slug and hostnames, so tests never meet), the file's scheme
    stored as its version (tests.applications.conftest.make_world), a cohort running from
    `cohort_start` to `cohort_end`, and one pair matched on `matched_on` through the one
    pair-making path. The match notices are delivered and left out of what follows."""
    file = load_tenant(slug)
    unique = f"g-{slug[:12]}-{uuid.uuid4().hex[:8]}"
    info = msgspec.structs.replace(file.tenant, slug=unique, hostnames=(f"{unique}.example.org",))
    async with as_owner(db) as owner, owner.platform() as session:
        tenant = await upsert_tenant(session, info)
    world = await make_world(db, slug, tenant=tenant)
    async with db.tenant(tenant.id) as session:
        await store_message_texts(session, file.messages)
        await session.execute(
            update(Cohort)
            .where(Cohort.id == world.cohort.id)
            .values(starts_on=cohort_start, ends_on=cohort_end)
        )
    mentor = await add_member(db, tenant, "Maya Mentor", roles=("mentor",))
    mentee = await add_member(db, tenant, "Theo Mentee", roles=("mentee",))
    async with db.tenant(tenant.id) as session:
        [pair] = await create_pairs(
            session,
            [NewPair(world.cohort.id, mentor.id, mentee.id, "coordinator")],
            actor_id=world.coordinator.id,
            now=datetime.combine(matched_on, time(12), UTC),
        )
    assert pair.matched_on == matched_on
    roles = {mentor.id: "mentor", mentee.id: "mentee", world.coordinator.id: "coordinator"}
    return Golden(slug, world, pair, mentor, mentee, roles)


# --- delivery and what the sink caught ---------------------------------------------------------


def _handlers() -> Any:
    """The workers' one mapping (imported late: `workers` reads REDIS_URL when imported)."""
    from workers.handlers import HANDLERS

    return HANDLERS


async def open_outbox(db: Database, tenant_id: uuid.UUID) -> list[int]:
    async with db.tenant(tenant_id) as session:
        rows = await session.execute(
            select(OutboxMessage.id)
            .where(OutboxMessage.done_at.is_(None), OutboxMessage.failed_at.is_(None))
            .order_by(OutboxMessage.id)
        )
        return list(rows.scalars())


async def deliver(db: Database, tenant_id: uuid.UUID) -> int:
    """Carry out the tenant's open outbox rows as a worker's batch would (the real handlers:
    SMTP to the sink). Returns how many rows there were."""
    ids = await open_outbox(db, tenant_id)
    if ids:
        await process_batch(db, tenant_id, ids, _handlers())
        left = await open_outbox(db, tenant_id)
        assert left == [], f"outbox rows not delivered: {left}"
    return len(ids)


_MESSAGE_ID = re.compile(r"^<m(\d+)\.([0-9a-f]{32})@")


@dataclass
class Recorder:
    """What one clock run did, day by day (see the module docstring)."""

    g: Golden
    events: list[Event] = field(default_factory=list)
    seen_mail: int = 0  # how many of the sink's caught copies were looked at
    states: dict[uuid.UUID, str] = field(default_factory=dict)
    tasks: set[uuid.UUID] = field(default_factory=set)
    items: dict[uuid.UUID, CheckpointItem] = field(default_factory=dict)
    mails: int = 0

    def who(self, member_id: uuid.UUID | None) -> str:
        if member_id is None:
            return "pair"
        return self.g.roles.get(member_id, "other")

    def name(self, item: CheckpointItem) -> str:
        return f"{item.checkpoint}:{item.slot}" if item.slot else item.checkpoint

    async def look(self, db: Database, day: date, sink: Sink) -> list[Event]:
        """Deliver the tenant's open outbox rows (a worker's batch), then record the new
        mails in the sink, items newly missed and tasks newly listed; return them. One
        transaction on a day when nothing was written (the run has hundreds of days)."""
        new: list[Event] = []
        tenant_id = self.g.tenant.id
        async with db.tenant(tenant_id) as session:
            pending = list(
                (
                    await session.execute(
                        select(OutboxMessage.id).where(
                            OutboxMessage.done_at.is_(None), OutboxMessage.failed_at.is_(None)
                        )
                    )
                ).scalars()
            )
            for item in (
                await session.execute(
                    select(CheckpointItem).where(CheckpointItem.pair_id == self.g.pair.id)
                )
            ).scalars():
                self.items[item.id] = item
                if item.state == "missed" and self.states.get(item.id) != "missed":
                    new.append(Event(day, self.who(item.member_id), "missed", self.name(item)))
                self.states[item.id] = item.state
            for task in (
                await session.execute(
                    select(CoordinatorTask).where(CoordinatorTask.pair_id == self.g.pair.id)
                )
            ).scalars():
                if task.id in self.tasks:
                    continue
                self.tasks.add(task.id)
                of = self.items.get(task.item_id) if task.item_id else None
                new.append(Event(day, "coordinator", "task", self.name(of) if of else task.kind))
        if pending:
            await process_batch(db, tenant_id, sorted(pending), _handlers())
            left = await open_outbox(db, tenant_id)
            assert left == [], f"outbox rows not delivered: {left}"
        caught = sink.caught[self.seen_mail :]
        self.seen_mail += len(caught)
        # message id → (kind, recipient), as the sink received them
        got: dict[int, tuple[str, str]] = {}
        for copy in caught:
            found = _MESSAGE_ID.match(copy.message_id)
            if found is None or found.group(2) != tenant_id.hex:
                continue  # another tenant's mail (another test)
            [address] = copy.recipients
            got[int(found.group(1))] = (copy.parsed()["X-MentorHub-Kind"], address)
        if got:
            addresses = {
                self.g.mentor.email: "mentor",
                self.g.mentee.email: "mentee",
                self.g.world.coordinator.email: "coordinator",
            }
            async with db.tenant(tenant_id) as session:
                for message in (
                    await session.execute(select(Message).where(Message.id.in_(list(got))))
                ).scalars():
                    kind, address = got[message.id]
                    who = addresses.get(address, "other")
                    assert (kind, who) == (message.kind, self.who(message.member_id))
                    new.append(Event(day, who, kind, self.about(message)))
        self.mails += len(got)
        self.events.extend(new)
        return new

    def about(self, message: Message) -> str:
        """The checkpoint (with its slot) a mail is about, from its idempotency key:
        `checkpoint:<item id>:...` or `quiet:<pair id>:...`."""
        head, _, rest = message.key.partition(":")
        if head == "quiet":
            return "quiet"
        if head == "checkpoint":
            item = self.items.get(uuid.UUID(rest.split(":", 1)[0]))
            return self.name(item) if item is not None else "unknown-item"
        return head


def duplicates(sink: Sink, tenant: Tenant) -> dict[str, int]:
    """Message-IDs of the tenant the sink accepted more than once (extra copies)."""
    counts = Counter(c.message_id for c in sink.caught if f".{tenant.id.hex}@" in c.message_id)
    return {mid: n - 1 for mid, n in counts.items() if n > 1}


def days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def filled(form: Form) -> dict[str, list[str]]:
    """A complete posted checkpoint form: every question answered plausibly (rating at its
    low end, every Likert statement with the scale's first option, permission not given)."""
    posted: dict[str, list[str]] = {}
    for q in form.questions:
        if q.kind == "likert":
            for n in range(1, len(q.rows) + 1):
                posted[f"{q.id}.{n}"] = [q.options[0]]
            continue
        posted[q.id] = {
            "text": ["Some words"],
            "long_text": ["We met twice and agreed what to work on next."],
            "single_choice": list(q.options[:1]),
            "multiple_choice": list(q.options[: max(1, q.min_choices or 1)]),
            "number": [str(int(q.min if q.min is not None else 1))],
            "rating": [str(int(q.min if q.min is not None else 1))],
            "yes_no": ["no"],
            "consent": ["yes"] if q.required else [],
            "location": ["SW1A 1AA" if q.location == "GB" else "Edmonton"],
            "email": ["someone@example.org"],
            "organisation": ["Citizens Advice Leeds"],
        }[q.kind]
    return {k: v for k, v in posted.items() if v}


async def item_of(
    db: Database, g: Golden, checkpoint: str, slot: str = "", member_id: uuid.UUID | None = None
) -> CheckpointItem:
    async with db.tenant(g.tenant.id) as session:
        return (
            await session.execute(
                select(CheckpointItem).where(
                    CheckpointItem.pair_id == g.pair.id,
                    CheckpointItem.checkpoint == checkpoint,
                    CheckpointItem.slot == slot,
                    CheckpointItem.member_id.is_(None)
                    if member_id is None
                    else CheckpointItem.member_id == member_id,
                )
            )
        ).scalar_one()


async def send_in(
    db: Database, g: Golden, member: Member, item: CheckpointItem, on: date
) -> CheckpointItem:
    """`member` sends `item` in (the member's Send in: `save_answers` with a complete form),
    at the tenant's 10:00 on `on`."""
    form = g.world.scheme.checkpoint_form(item.checkpoint)
    assert form is not None, item.checkpoint
    at = datetime.combine(on, time(10), tenant_zone(g.tenant.jurisdiction)).astimezone(UTC)
    async with db.tenant(g.tenant.id) as session:
        return await save_answers(
            session,
            g.tenant,
            member,
            item.id,
            filled(form),
            lock_version=item.lock_version,
            submit=True,
            now=at,
        )
