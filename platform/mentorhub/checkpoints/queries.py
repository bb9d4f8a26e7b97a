"""What the member's checkpoint pages read: a pair's items grouped for its list page, and one
item with its form or its answers. Every statement names its reader in the WHERE clause
(`checkpoints.access.readable`), after `pairs.access.space_for` has decided who the viewer is
for the pair (one of the pair, or a coordinator; anyone else: not found).

What each reader gets (DESIGN.md, "Who reads what"):

* one of the pair: the pair items and their own items, with the answers (a pair item's
  draft too: it is written together), the form while the item is open or missed;
* a coordinator: the items whose readers name the coordinator, their state and dates, and
  the answers only once sent in — a draft is still the pair's; never a form.

Decisions where the issue is silent:

* The day an upcoming item opens is the clock's: its first step's moment (`next_at`, the
  opening moved to a business day) in the association's time zone; `opens_on` if the clock
  has nothing scheduled.
* An open item is overdue once its due day has passed (in the association's time zone); a
  missed item can still be sent in, late, and says so.
* Who reads an item, in words (`read_by`, the permission question's explanation): the
  people who answer it (you, or you and your partner for a pair item) and the coordinator
  when its `readers` name the coordinator — what `checkpoints.access` lets through, from
  the item itself, so no tenant's wording is written into a template. A reader "pair",
  "mentor" or "mentee" on a person's own item adds nobody: the access rules never show the
  other person someone's own answers.
* The pair's overview (`overview_of`) and "My mentoring" (`waiting_counts`) count open and
  missed items as "to do", as the list page does (a missed item can still be sent in).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.services import scheme_of
from mentorhub.checkpoints.access import (
    COORDINATOR_READER,
    answerable_by,
    may_answer,
    readable,
)
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.db.access import NotFound
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member
from mentorhub.pairs.access import Space
from mentorhub.schemes.forms import Form, Question, form_values
from mentorhub.schemes.rules import Checkpoint, Scheme

__all__ = [
    "DONE",
    "ItemPage",
    "ItemRow",
    "Overview",
    "PairCheckpoints",
    "ShownAnswer",
    "day_words",
    "item_page",
    "items_of",
    "overview_of",
    "rating_bounds",
    "read_by",
    "shown_answers",
    "waiting_counts",
]

#: States of an item that has been sent in.
DONE = ("submitted", "reviewed")
#: States in which an item takes answers.
ANSWERING = ("open", "missed")


def day_words(value: date) -> str:
    """A day in words, as the mails say it: "Monday 4 January 2027"."""
    return f"{value:%A} {value.day} {value:%B %Y}"


def rating_bounds(q: Question) -> tuple[int, int]:
    """The whole numbers a rating question's scale runs over (1 to 5 unless it says)."""
    low = int(q.min) if q.min is not None else 1
    high = int(q.max) if q.max is not None else 5
    return low, high


@dataclass(frozen=True)
class ItemRow:
    """One item as the list shows it."""

    id: uuid.UUID
    checkpoint: str
    title: str
    kind: str
    audience: str
    state: str
    due_on: date
    #: The day it opens (the clock's, see the module's docstring).
    opens_on: date
    closes_on: date
    #: Whose item it is, in words for the viewer ("You both", "You", "Theo Mentee").
    whose: str
    submitted_at: datetime | None = None
    submitted_by_name: str = ""
    reviewed_at: datetime | None = None
    #: Answers saved but not sent in (only ever set for one of the pair).
    draft: bool = False
    #: Open with its due day passed.
    overdue: bool = False
    #: Done in the pair's space instead of a form ("agreement", "plan", "log").
    done_in: str | None = None
    #: The viewer may answer it (one of the pair, their own or a pair item).
    mine: bool = False
    cancel_reason: str = ""


@dataclass(frozen=True)
class PairCheckpoints:
    """A pair's items for one viewer, grouped as the list page shows them."""

    space: Space
    #: Open and missed items, soonest due first.
    to_do: tuple[ItemRow, ...]
    #: Upcoming items, soonest opening first.
    coming_up: tuple[ItemRow, ...]
    #: Sent in (submitted or reviewed), latest first.
    done: tuple[ItemRow, ...]
    cancelled: tuple[ItemRow, ...]

    @property
    def empty(self) -> bool:
        return not (self.to_do or self.coming_up or self.done or self.cancelled)


@dataclass(frozen=True)
class ShownAnswer:
    """One answered question, read-only: `text`, or for a Likert grid its `rows`
    (statement, answer)."""

    label: str
    text: str = ""
    rows: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ItemPage:
    """One item as its page shows it to one viewer."""

    space: Space
    row: ItemRow
    lock_version: int
    #: The checkpoint's note from the scheme (what the item asks, in the scheme's words).
    note: str = ""
    #: The form, when the viewer may answer now (open or missed, theirs to answer).
    form: Form | None = None
    #: The saved answers as form fields (a draft shown again).
    values: dict[str, list[str]] = field(default_factory=dict)
    #: The answers, read-only (sent in; for the pair also a draft of an item not answerable
    #: any more, e.g. cancelled). None: nothing the viewer may read.
    answers: tuple[ShownAnswer, ...] | None = None
    share_permission: bool = False
    #: The form has a permission-to-share question.
    asks_permission: bool = False
    review_note: str = ""
    reviewed_by_name: str = ""
    #: The form exists in the scheme (False: a task, or done in the space).
    has_form: bool = False
    #: Who reads the item, in words for the viewer ("you and the coordinator").
    read_by: str = ""
    #: The permission question's own label ("" without one).
    permission_label: str = ""
    #: What a "no" means, from the item's readers ("Without it, what you write is read only
    #: by you and the coordinator."; "" without a permission question).
    permission_note: str = ""


def _checkpoint(scheme: Scheme, checkpoint_id: str) -> Checkpoint | None:
    return next((c for c in scheme.checkpoints if c.id == checkpoint_id), None)


def _names(space: Space) -> dict[uuid.UUID, str]:
    return {space.mentor.id: space.mentor.display_name, space.mentee.id: space.mentee.display_name}


def _opening_day(item: CheckpointItem, zone: ZoneInfo) -> date:
    if item.state == "upcoming" and item.step == 0 and item.next_at is not None:
        return item.next_at.astimezone(zone).date()
    return item.opens_on


def _whose(space: Space, item: CheckpointItem, names: Mapping[uuid.UUID, str]) -> str:
    if item.audience == "pair":
        return "You both" if space.is_party else "The pair"
    if item.member_id is None:
        return "The coordinator"
    if space.is_party and item.member_id == space.viewer.id:
        return "You"
    return names.get(item.member_id, "")


def _submitter(space: Space, item: CheckpointItem, names: Mapping[uuid.UUID, str]) -> str:
    if item.submitted_by is None:
        return ""
    if space.is_party and item.submitted_by == space.viewer.id:
        return "you"
    return names.get(item.submitted_by, "the coordinator")


def _and(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def read_by(space: Space, item: CheckpointItem) -> str:
    """Who reads `item`'s answers once sent in, in words for the viewer: "you and Theo
    Mentee", "you and the coordinator", "Ann Mentee and the coordinator" (for a
    coordinator). See the module's decisions."""
    people: list[str] = []
    if item.audience == "pair":
        if space.is_party and space.other is not None:
            people = ["you", space.other.display_name]
        else:
            people = [space.mentee.display_name, space.mentor.display_name]
    elif item.member_id is not None:
        if space.is_party and item.member_id == space.viewer.id:
            people = ["you"]
        else:
            people = [_names(space).get(item.member_id, "the person it is for")]
    if COORDINATOR_READER in (item.readers or ()):
        people.append("the coordinator")
    return _and(people)


def _row(
    space: Space,
    item: CheckpointItem,
    scheme: Scheme | None,
    *,
    zone: ZoneInfo,
    today: date,
    names: Mapping[uuid.UUID, str],
) -> ItemRow:
    checkpoint = _checkpoint(scheme, item.checkpoint) if scheme is not None else None
    mine = may_answer(space, item)
    return ItemRow(
        id=item.id,
        checkpoint=item.checkpoint,
        title=item.title,
        kind=item.kind,
        audience=item.audience,
        state=item.state,
        due_on=item.due_on,
        opens_on=_opening_day(item, zone),
        closes_on=item.closes_on,
        whose=_whose(space, item, names),
        submitted_at=item.submitted_at,
        submitted_by_name=_submitter(space, item, names),
        reviewed_at=item.reviewed_at,
        draft=mine and item.state not in DONE and bool(item.answers),
        overdue=item.state == "open" and item.due_on < today,
        done_in=checkpoint.done_in if checkpoint is not None else None,
        mine=mine,
        cancel_reason=item.cancel_reason,
    )


async def _schemes(session: AsyncSession, versions: Sequence[int]) -> dict[int, Scheme]:
    return {v: await scheme_of(session, v) for v in sorted(set(versions))}


async def items_of(
    session: AsyncSession, space: Space, *, zone: ZoneInfo, now: datetime
) -> PairCheckpoints:
    """The pair's items the viewer reads, grouped: to do now, coming up, done, cancelled."""
    items = list(
        (
            await session.execute(
                select(CheckpointItem)
                .where(readable(space))
                .order_by(CheckpointItem.due_on, CheckpointItem.title, CheckpointItem.id)
            )
        ).scalars()
    )
    schemes = await _schemes(session, [i.scheme_version for i in items])
    today = now.astimezone(zone).date()
    names = _names(space)
    rows = [
        _row(space, i, schemes.get(i.scheme_version), zone=zone, today=today, names=names)
        for i in items
    ]
    return PairCheckpoints(
        space=space,
        to_do=tuple(r for r in rows if r.state in ANSWERING),
        coming_up=tuple(sorted((r for r in rows if r.state == "upcoming"), key=_opens)),
        done=tuple(sorted((r for r in rows if r.state in DONE), key=_sent_at, reverse=True)),
        cancelled=tuple(r for r in rows if r.state == "cancelled"),
    )


@dataclass(frozen=True)
class Overview:
    """The pair's checkpoints as its overview (pairs home) shows them to one viewer."""

    #: One of the pair: open and missed items, soonest due first.
    to_do: tuple[ItemRow, ...] = ()
    #: One of the pair: the next item to open.
    next_up: ItemRow | None = None
    #: A coordinator: the items sent in whose readers name the coordinator, latest first.
    sent_in: tuple[ItemRow, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.to_do or self.next_up or self.sent_in)


async def overview_of(
    session: AsyncSession, space: Space, *, zone: ZoneInfo, now: datetime
) -> Overview:
    """What the pair's overview shows of its checkpoints, in ONE statement (the home page is
    on a hot path): the viewer's readable items in the states the panel shows, found through
    the (tenant, pair, …) unique index — the tenant named in the WHERE clause as well, since
    the row policy's "or the clock" does not give the planner the index's first column.
    The pair's scheme is the one `space` already holds (an item of another scheme version
    only lacks its `done_in`, which the panel does not show)."""
    states = DONE if not space.is_party else (*ANSWERING, "upcoming")
    items = (
        await session.execute(
            select(CheckpointItem)
            .where(
                CheckpointItem.tenant_id == current_tenant(session),
                readable(space),
                CheckpointItem.state.in_(states),
            )
            .order_by(CheckpointItem.due_on, CheckpointItem.title, CheckpointItem.id)
        )
    ).scalars()
    today = now.astimezone(zone).date()
    names = _names(space)
    rows = [
        _row(
            space,
            i,
            space.scheme if i.scheme_version == space.pair.scheme_version else None,
            zone=zone,
            today=today,
            names=names,
        )
        for i in items
    ]
    if not space.is_party:
        return Overview(sent_in=tuple(sorted(rows, key=_sent_at, reverse=True)))
    upcoming = sorted((r for r in rows if r.state == "upcoming"), key=_opens)
    return Overview(
        to_do=tuple(r for r in rows if r.state in ANSWERING),
        next_up=upcoming[0] if upcoming else None,
    )


async def waiting_counts(
    session: AsyncSession, member_id: uuid.UUID, pair_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many items wait for `member_id` (open or missed, theirs or their pair's) in each
    of `pair_ids`, in ONE statement for all the pairs ("My mentoring"); a pair with none is
    left out."""
    if not pair_ids:
        return {}
    item = CheckpointItem
    found = await session.execute(
        select(item.pair_id, func.count())
        .where(
            item.tenant_id == current_tenant(session),
            item.pair_id.in_(list(pair_ids)),
            item.state.in_(ANSWERING),
            answerable_by(member_id),
        )
        .group_by(item.pair_id)
    )
    return {pair_id: int(n) for pair_id, n in found}


def _opens(row: ItemRow) -> tuple[date, date, str]:
    return row.opens_on, row.due_on, row.title


def _sent_at(row: ItemRow) -> tuple[bool, datetime | None]:
    moment = row.submitted_at or row.reviewed_at
    return moment is not None, moment


def _rating_text(q: Question, value: Any) -> str:
    low, high = rating_bounds(q)
    ends = ""
    if q.low_label or q.high_label:
        ends = f" ({low}: {q.low_label or '—'}; {high}: {q.high_label or '—'})"
    return f"{value} out of {high}{ends}"


def _words(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return str(value.get("label") or value.get("text") or "")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def shown_answers(form: Form | None, answers: Mapping[str, Any]) -> tuple[ShownAnswer, ...]:
    """The answers in words, in the form's order (a question left unanswered says so); a
    Likert grid statement by statement. Without a form (a coordinator's task note) each
    stored answer under its key."""
    if form is None:
        return tuple(
            ShownAnswer(label=k.replace("_", " ").capitalize(), text=_words(v))
            for k, v in answers.items()
        )
    out: list[ShownAnswer] = []
    for q in form.questions:
        value = answers.get(q.id)
        if q.kind == "likert":
            given = value if isinstance(value, list) else []
            rows = tuple(
                (statement, str(given[n]) if n < len(given) and given[n] else "Not answered")
                for n, statement in enumerate(q.rows)
            )
            out.append(ShownAnswer(label=q.label, rows=rows))
        elif value is None or value == [] or value == "":
            out.append(ShownAnswer(label=q.label, text="Not answered"))
        elif q.kind == "rating":
            out.append(ShownAnswer(label=q.label, text=_rating_text(q, value)))
        else:
            out.append(ShownAnswer(label=q.label, text=_words(value)))
    return tuple(out)


async def item_page(
    session: AsyncSession,
    space: Space,
    item_id: uuid.UUID,
    *,
    zone: ZoneInfo,
    now: datetime,
) -> ItemPage:
    """One item of the pair as the viewer may read it; "not found" for an item that is not
    there or that the viewer does not read (the same answer)."""
    item = (
        await session.execute(
            select(CheckpointItem).where(CheckpointItem.id == item_id, readable(space))
        )
    ).scalar_one_or_none()
    if item is None:
        raise NotFound("checkpoint")
    scheme = await scheme_of(session, item.scheme_version)
    names = _names(space)
    row = _row(space, item, scheme, zone=zone, today=now.astimezone(zone).date(), names=names)
    checkpoint = _checkpoint(scheme, item.checkpoint)
    form = scheme.checkpoint_form(item.checkpoint)
    sent = item.state in DONE
    answers: tuple[ShownAnswer, ...] | None = None
    if sent or (row.mine and item.answers and item.state not in ANSWERING):
        answers = shown_answers(form, item.answers)
    reviewed_by = ""
    if item.reviewed_by is not None:
        reviewed_by = names.get(item.reviewed_by) or await _name(session, item.reviewed_by)
    answering = row.mine and item.state in ANSWERING and form is not None and not row.done_in
    asked = next((q for q in form.questions if q.permission), None) if form else None
    readers = read_by(space, item)
    return ItemPage(
        space=space,
        row=row,
        lock_version=item.lock_version,
        note=checkpoint.note if checkpoint is not None else "",
        form=form if answering else None,
        values=form_values(form, item.answers) if answering and form is not None else {},
        answers=answers,
        share_permission=item.share_permission,
        asks_permission=asked is not None,
        review_note=item.review_note if sent else "",
        reviewed_by_name=reviewed_by,
        has_form=form is not None,
        read_by=readers,
        permission_label=asked.label if asked is not None else "",
        permission_note=(
            f"Without it, what {'you write' if space.is_party else 'they wrote'} is read "
            f"only by {readers}."
            if asked is not None and readers
            else ""
        ),
    )


async def _name(session: AsyncSession, member_id: uuid.UUID) -> str:
    found = (
        await session.execute(select(Member.display_name).where(Member.id == member_id))
    ).scalar_one_or_none()
    return found or "the coordinator"
