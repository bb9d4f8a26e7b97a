"""The coordinator's two checkpoint actions: reviewing a submission, and completing a task
on their list (the Museums Association's calls, a pilot review, a quiet pair).

Each is one function in the caller's tenant transaction (`db.tenant(...)`), with its audit
row; neither mails anyone (the pair is not told that the coordinator read their answers,
and a task is the coordinator's own work).

* `review_item`: the item is locked (FOR UPDATE) and must be readable by the coordinator
  (`"coordinator"` in its readers; anything else is "not found", like an item that does not
  exist) and sent in (`submitted`; any other state is refused in words). The page's
  `lock_version` must still be the item's. The note is optional, at most 2,000 characters.
* `complete_task`: the task must be open; the page's `lock_version` must still be the
  task's. A task made from a coordinator checkpoint (`item_id`) also sends that item in,
  by the coordinator, with the note as its answer (`{"note": note}`), when it still waits
  (upcoming, open) or was missed; its clock stops (`next_at` NULL). A quiet-pair task just
  closes.

Decisions where the issue is silent:

* Who acts: a member holding the coordinator role. A tenant admin without it, and a
  coordinator who is the mentor or mentee of the pair (a coordinator mentoring someone is
  the party they are, as in `pairs.access`), get "not found".
* Locks: the item is locked before the task (the clock opens an item, then writes its
  task), so the two never wait on each other in opposite orders.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.queue import tenant_zone
from mentorhub.checkpoints.models import WAITING, CheckpointItem, CoordinatorTask
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import TEXT, BadText, clean_text
from mentorhub.db.access import NotFound
from mentorhub.identity.models import Member, Role
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from mentorhub.tenancy.models import Tenant

__all__ = [
    "NOTE_MAX",
    "StaleItem",
    "StaleTask",
    "complete_task",
    "is_coordinator",
    "review_item",
]

NOTE_MAX = 2000


class StaleItem(Refused):
    """The item changed since the page was shown; nothing was written."""


class StaleTask(Refused):
    """The task changed since the page was shown; nothing was written."""


def is_coordinator(member: Member | None) -> bool:
    return member is not None and Role.COORDINATOR.value in (member.roles or [])


def _key(value: uuid.UUID | str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(what) from None


def _note(note: str) -> str:
    try:
        return clean_text(note, label="Note", kind=TEXT, max_length=NOTE_MAX)
    except BadText as exc:
        raise Problems([Problem(path="note", message=exc.message)]) from None


def _on(tenant: Tenant, moment: datetime | None) -> str:
    if moment is None:
        return "an earlier day"
    local = moment.astimezone(tenant_zone(tenant.jurisdiction))
    return f"{local.day} {local:%B %Y}"


async def _name(session: AsyncSession, member_id: uuid.UUID | None) -> str:
    if member_id is None:
        return "someone"
    found = (
        await session.execute(select(Member.display_name).where(Member.id == member_id))
    ).scalar_one_or_none()
    return found or "someone"


async def _locked_item(
    session: AsyncSession, item_id: uuid.UUID, coordinator: Member
) -> CheckpointItem:
    """The item FOR UPDATE, if this coordinator may read it; else NotFound."""
    found = (
        await session.execute(
            select(CheckpointItem, Pair.mentor_id, Pair.mentee_id)
            .join(Pair, Pair.id == CheckpointItem.pair_id)
            .where(CheckpointItem.id == item_id)
            .with_for_update(of=CheckpointItem.__table__)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if found is None:
        raise NotFound("checkpoint item")
    item, mentor_id, mentee_id = found
    if "coordinator" not in (item.readers or []) or coordinator.id in (mentor_id, mentee_id):
        raise NotFound("checkpoint item")
    return item


async def _not_reviewable(session: AsyncSession, tenant: Tenant, item: CheckpointItem) -> str:
    """Why an item that is not `submitted` cannot be reviewed, in words."""
    if item.state == "reviewed":
        who = await _name(session, item.reviewed_by)
        return f"This was already reviewed by {who} on {_on(tenant, item.reviewed_at)}."
    if item.state == "missed":
        return "This checkpoint was missed: nothing was sent in, so there is nothing to review."
    if item.state == "cancelled":
        why = f" ({item.cancel_reason})" if item.cancel_reason else ""
        return f"This checkpoint was cancelled{why}: there is nothing to review."
    return "This has not been sent in yet: there is nothing to review."


async def review_item(
    session: AsyncSession,
    tenant: Tenant,
    coordinator: Member,
    item_id: uuid.UUID | str,
    *,
    note: str,
    lock_version: int,
    now: datetime | None = None,
) -> CheckpointItem:
    """Mark a submission reviewed by `coordinator`, with an optional note. NotFound for an
    item they may not read, Refused (in words) for one that is not waiting for review or
    changed since the page was shown, Problems for a note that cannot be taken."""
    now = now or datetime.now(UTC)
    if not is_coordinator(coordinator):
        raise NotFound("checkpoint item")
    item = await _locked_item(session, _key(item_id, "checkpoint item"), coordinator)
    if item.state != "submitted":
        raise Refused(await _not_reviewable(session, tenant, item))
    if lock_version != item.lock_version:
        raise StaleItem(
            "This submission changed since the page was shown. Nothing was changed: "
            "read it again below and repeat."
        )
    cleaned = _note(note)
    item.state = "reviewed"
    item.reviewed_by = coordinator.id
    item.reviewed_at = now
    item.review_note = cleaned
    item.lock_version += 1
    item.updated_at = now
    audit.record(
        session,
        "checkpoint_reviewed",
        actor=coordinator.email,
        subject=str(item.id),
        details={"pair": str(item.pair_id), "checkpoint": item.checkpoint, "slot": item.slot},
    )
    return item


async def complete_task(
    session: AsyncSession,
    tenant: Tenant,
    coordinator: Member,
    task_id: uuid.UUID | str,
    *,
    note: str,
    lock_version: int,
    now: datetime | None = None,
) -> CoordinatorTask:
    """Mark an open task done by `coordinator`, with an optional note; a checkpoint task's
    item is sent in with it (see the module). NotFound for a task they may not see, Refused
    for one that is no longer open or changed since the page was shown, Problems for a note
    that cannot be taken."""
    now = now or datetime.now(UTC)
    if not is_coordinator(coordinator):
        raise NotFound("task")
    key = _key(task_id, "task")
    item_id = (
        await session.execute(select(CoordinatorTask.item_id).where(CoordinatorTask.id == key))
    ).one_or_none()
    if item_id is None:
        raise NotFound("task")
    item = None
    if item_id[0] is not None:
        item = (
            await session.execute(
                select(CheckpointItem)
                .where(CheckpointItem.id == item_id[0])
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
    found = (
        await session.execute(
            select(CoordinatorTask, Pair.mentor_id, Pair.mentee_id)
            .join(Pair, Pair.id == CoordinatorTask.pair_id)
            .where(CoordinatorTask.id == key)
            .with_for_update(of=CoordinatorTask.__table__)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if found is None or coordinator.id in (found[1], found[2]):
        raise NotFound("task")
    task: CoordinatorTask = found[0]
    if task.state == "done":
        who = await _name(session, task.done_by)
        raise Refused(f"This task was already done by {who} on {_on(tenant, task.done_at)}.")
    if task.state != "open":
        why = f" ({task.note})" if task.note else ""
        raise Refused(f"This task was closed{why}: there is nothing more to do.")
    if lock_version != task.lock_version:
        raise StaleTask(
            "This task changed since the page was shown. Nothing was changed: "
            "look at it again below and repeat."
        )
    cleaned = _note(note)
    task.state = "done"
    task.done_by = coordinator.id
    task.done_at = now
    task.note = cleaned
    task.lock_version += 1
    task.updated_at = now
    submitted = False
    if item is not None and (item.state in WAITING or item.state == "missed"):
        item.state = "submitted"
        item.submitted_at = now
        item.submitted_by = coordinator.id
        item.answers = {"note": cleaned}
        item.opened_at = item.opened_at or now
        item.next_at = None
        item.lock_version += 1
        item.updated_at = now
        submitted = True
    audit.record(
        session,
        "coordinator_task_done",
        actor=coordinator.email,
        subject=str(task.id),
        details={
            "pair": str(task.pair_id),
            "kind": task.kind,
            **({"item": str(item.id), "item_submitted": submitted} if item is not None else {}),
        },
    )
    return task
