"""Who reads and who answers a pair's checkpoint items — the one place the member's
checkpoint pages and the submission action ask (DESIGN.md, "Who reads what": checkpoint and
survey answers are read by the person who answered, by the other person of the pair only for
pair items, by the coordinator; never by a tenant admin or a platform admin).

Every read names its reader in its WHERE clause (`readable`), so a query cannot forget who
asks:

* one of the pair (`Space.role` mentor or mentee) reads the pair's items written together
  (audience "pair") and their own items (`member_id` = the viewer: each, mentor, mentee);
  never the other person's own items, and never the coordinator's task items (audience
  "coordinator": the programme manager's calls are the coordinator's work, their note
  is the coordinator's);
* a coordinator (the coordinator role and not in the pair; `pairs.access.space_for`) reads
  the items whose `readers` name the coordinator, read-only — and their answers only once
  sent in (a draft is still the pair's);
* anyone else never gets this far: `space_for` answers "not found" for the pair itself (the
  other pairs' people, a tenant admin without the coordinator role, a malformed id); an item
  outside what the viewer reads is "not found" too, exactly like one that does not exist.

Who answers (`answerable`): the item's own person, or either person of the pair for a pair
item. Answering is allowed after the pair has ended: a final survey is due at the end, and an
early end moves the items anchored to the end onto the end day (issue 16, "which items
exist"); the pair's space being read-only concerns the space's own content.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, literal, or_, select

from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.pairs.access import Space
from mentorhub.pairs.models import Pair

__all__ = ["answerable", "answerable_by", "may_answer", "readable"]

COORDINATOR_READER = "coordinator"


def readable(space: Space) -> ColumnElement[bool]:
    """The WHERE clause of the items of `space`'s pair its viewer may read."""
    item = CheckpointItem
    of_pair = item.pair_id == space.pair.id
    if space.is_party:
        return and_(
            of_pair,
            item.audience != "coordinator",
            or_(item.audience == "pair", item.member_id == space.viewer.id),
        )
    return and_(of_pair, item.readers.contains([COORDINATOR_READER]))


def answerable(space: Space) -> ColumnElement[bool]:
    """The WHERE clause of the items of `space`'s pair its viewer may answer (nothing for a
    coordinator: they read, the pair answers)."""
    if not space.is_party:
        return literal(False)
    return readable(space)


def answerable_by(member_id: uuid.UUID) -> ColumnElement[bool]:
    """The WHERE clause of every item `member_id` may answer, in any of their pairs: their
    own items, and the pair items of the pairs they are in."""
    item = CheckpointItem
    theirs = select(Pair.id).where(or_(Pair.mentor_id == member_id, Pair.mentee_id == member_id))
    return and_(
        item.audience != "coordinator",
        or_(
            item.member_id == member_id,
            and_(item.audience == "pair", item.pair_id.in_(theirs.scalar_subquery())),
        ),
    )


def may_answer(space: Space, item: CheckpointItem) -> bool:
    """`readable`/`answerable` for an item already read (the page decides whether to show the
    form)."""
    if not space.is_party or item.pair_id != space.pair.id or item.audience == "coordinator":
        return False
    return item.audience == "pair" or item.member_id == space.viewer.id
