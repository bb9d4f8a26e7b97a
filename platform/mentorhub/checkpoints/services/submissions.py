"""A member answers a checkpoint item: saves a draft or sends it in (`save_answers`). One
action in the caller's tenant transaction: the item locked FOR UPDATE, the checks, the
answers, its audit row, and — when one person sends in a pair item — the mail to the other.

Who answers (`checkpoints.access`): the item's own person (an each / mentor / mentee item),
or either person of the pair for a pair item (written together, sent in once for both). The
item is found with its answerer in the WHERE clause; anyone who does not read it gets "not
found", a coordinator who reads it is told that the pair answers it.

Decisions where the issue is silent:

* An item takes answers while open or missed (a missed item may be sent in late: its
  `submitted_at` after `closes_on` shows it). Upcoming: "This opens on <day>." (the clock's
  opening day); submitted or reviewed: "Already sent in by <name> on <day>." — the refusal
  a second submission gets, the other person of a pair item's included; cancelled: why.
* The state is checked before the version, so a second submission from a page shown before
  the first one says who sent it in rather than "changed since".
* A draft replaces the saved answers with what was posted (checked for types, limits and
  choices); sending in checks them for completeness too. A draft saved on a pair item is
  the pair's (either may carry on with it). Nothing is written when anything is wrong.
* `share_permission` follows the form's permission question (a consent or yes/no whose yes
  is the written permission to share); it is kept with a draft too, but only a sent-in
  item's matters.
* Answering is allowed after the pair has ended (a final survey falls at the end).
* Items done in the pair's space (`done_in`: agreement, plan, log) have no form: the clock
  marks them done when the space shows it; posting answers to one is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.queue import tenant_zone
from mentorhub.applications.services import scheme_of
from mentorhub.checkpoints.access import COORDINATOR_READER, answerable_by
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.checkpoints.queries import day_words
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.db.access import NotFound
from mentorhub.identity.models import Member, Role
from mentorhub.messages.services import send
from mentorhub.pairs.access import space_for
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services.lifecycle import pair_link
from mentorhub.schemes.forms import parse_answers
from mentorhub.tenancy.models import Tenant

__all__ = ["NOT_YOURS", "Stale", "save_answers"]

#: A coordinator who reads an item, posting answers to it.
NOT_YOURS = "The pair answers this; you can read what they send in."


class Stale(Refused):
    """The item changed since the form was shown; nothing was written."""


def _item_id(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("checkpoint") from None


async def _locked(
    session: AsyncSession, member: Member, item_id: uuid.UUID, pair_id: uuid.UUID | None
) -> CheckpointItem:
    """The item `member` may answer, locked FOR UPDATE (read afresh); a coordinator who
    reads it is refused, anyone else gets "not found"."""
    query = select(CheckpointItem).where(CheckpointItem.id == item_id, answerable_by(member.id))
    if pair_id is not None:
        query = query.where(CheckpointItem.pair_id == pair_id)
    item = (
        await session.execute(
            query.with_for_update(of=CheckpointItem).execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if item is not None:
        return item
    if Role.COORDINATOR in member.roles:
        seen = (
            await session.execute(
                select(CheckpointItem.pair_id).where(
                    CheckpointItem.id == item_id,
                    CheckpointItem.readers.contains([COORDINATOR_READER]),
                )
            )
        ).scalar_one_or_none()
        if seen is not None and (pair_id is None or seen == pair_id):
            space = await space_for(session, seen, member.id)  # in the pair: not found
            if not space.is_party:
                raise Refused(NOT_YOURS)
    raise NotFound("checkpoint")


async def _name(session: AsyncSession, member_id: uuid.UUID | None, member: Member) -> str:
    if member_id is None:
        return "someone"
    if member_id == member.id:
        return "you"
    found = (
        await session.execute(select(Member.display_name).where(Member.id == member_id))
    ).scalar_one_or_none()
    return found or "someone"


async def _refusal(
    session: AsyncSession, tenant: Tenant, member: Member, item: CheckpointItem
) -> str | None:
    """Why `item` takes no answers now, in plain words; None while it does."""
    zone = tenant_zone(tenant.jurisdiction)
    if item.state == "upcoming":
        opens = item.opens_on
        if item.step == 0 and item.next_at is not None:
            opens = item.next_at.astimezone(zone).date()
        return f"This opens on {day_words(opens)}."
    if item.state in ("submitted", "reviewed"):
        by = await _name(session, item.submitted_by, member)
        on = item.submitted_at.astimezone(zone).date() if item.submitted_at else item.due_on
        return f"Already sent in by {by} on {day_words(on)}."
    if item.state == "cancelled":
        why = f" ({item.cancel_reason.rstrip('.')})" if item.cancel_reason else ""
        return f"This was cancelled{why}: there is nothing to send in."
    return None


async def save_answers(
    session: AsyncSession,
    tenant: Tenant,
    member: Member,
    item_id: uuid.UUID | str,
    data: Mapping[str, Sequence[str]],
    *,
    lock_version: int,
    submit: bool,
    now: datetime | None = None,
    pair_id: uuid.UUID | None = None,
) -> CheckpointItem:
    """Save `member`'s answers to an item (`data`: the posted fields, name → values) as a
    draft, or send them in (`submit`). `pair_id`: the pair the page named (the item must be
    that pair's). Raises Problems for answers that are not right (nothing saved), Refused
    for an item that takes no answers now or changed since the form was shown (`Stale`),
    NotFound for an item the member does not read."""
    now = now or datetime.now(UTC)
    item = await _locked(session, member, _item_id(item_id), pair_id)
    refusal = await _refusal(session, tenant, member, item)
    if refusal is not None:
        raise Refused(refusal)
    if item.lock_version != lock_version:
        raise Stale(
            f"This {item.title} changed since the page was shown (perhaps the other person "
            "saved it, or you did in another tab). Nothing was changed: look at it again "
            "and repeat."
        )
    scheme = await scheme_of(session, item.scheme_version)
    form = scheme.checkpoint_form(item.checkpoint)
    checkpoint = next((c for c in scheme.checkpoints if c.id == item.checkpoint), None)
    if form is None or (checkpoint is not None and checkpoint.done_in):
        raise Refused("This is done in your mentoring space, not with a form.")
    answers, errors = parse_answers(form, data, final=submit)
    if errors:
        raise Problems(Problem(path=e.field, message=e.message) for e in errors)
    item.answers = answers
    item.share_permission = any(q.permission and answers.get(q.id) is True for q in form.questions)
    item.updated_at = now
    item.lock_version += 1
    details: dict[str, Any] = {
        "item": str(item.id),
        "checkpoint": item.checkpoint,
        "slot": item.slot,
    }
    if submit:
        late = item.state == "missed"
        item.state = "submitted"
        item.submitted_by = member.id
        item.submitted_at = now
        item.next_at = None
        details.update(late=late, share_permission=item.share_permission)
    audit.record(
        session,
        "checkpoint_submitted" if submit else "checkpoint_draft_saved",
        actor=member.email,
        subject=str(item.pair_id),
        details=details,
    )
    await session.flush()
    if submit and item.audience == "pair":
        space = await space_for(session, item.pair_id, member.id)
        if space.other is not None:
            await send(
                session,
                tenant,
                "checkpoint_submitted",
                {
                    "title": item.title,
                    "other_name": member.display_name,
                    "link": f"{pair_link(tenant, item.pair_id)}/checkpoints/{item.id}",
                },
                f"checkpoint:{item.id}:submitted:{space.other.id}",
                to_member=space.other,
            )
    return item
