"""Who is looking at a pair's space, and what they may do there — the one place every space
page and action asks (DESIGN.md, "Who reads what").

* The pair's two people (`mentor`, `mentee`) read and change the shared content
  (agreement, goals, plan, meetings, chat, documents) and their own log.
* A coordinator (the member holds the coordinator role and is not in the pair) reads only
  what is submitted to them: the plan once submitted, log entries their authors share, the
  counts (meetings held, contact hours) and the pair's dates. `require_party` refuses them
  the rest as "not found", so a page does not even confirm the content exists.
* A coordinator given a scope by the tenant admin (`admin.scope`: the cohorts they run)
  reads only the pairs of those cohorts; another cohort's pair is "not found", as below.
* Anyone else — the other pairs' members, a tenant admin without the coordinator role, a
  platform admin (no member session in the tenant) — gets "not found" for the pair itself.

A member who is in the pair *and* a coordinator is treated as the party they are: a
coordinator mentoring someone reads their own pair as a mentor, never as staff.

After the pair ends (`state = 'ended'`) the space is read-only: `require_writable` refuses
every change with plain words. Actions call `space_for(..., lock=True)`, which locks the
pair's row FOR SHARE: an action writing into the space and the pair being ended at the
same moment are serialised (ending locks it FOR UPDATE), so nothing is written into an
ended pair's space.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Uuid, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mentorhub.admin.scope import cohorts_in_scope, in_scope
from mentorhub.applications.models import Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.db.access import NotFound
from mentorhub.identity.models import Member, Role
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from mentorhub.schemes.rules import Scheme

__all__ = [
    "ReadOnly",
    "Space",
    "SpaceRole",
    "require_party",
    "require_writable",
    "space_for",
]

SpaceRole = Literal["mentor", "mentee", "coordinator"]

_Viewer = aliased(Member, name="viewer")
_Mentor = aliased(Member, name="mentor")
_Mentee = aliased(Member, name="mentee")

#: `space_for`'s one statement, built once (the session's scoping adds the tenant to each
#: table; each join is a primary-key lookup).
_SPACE = (
    select(Pair, _Viewer, _Mentor, _Mentee, Cohort)
    .join(_Mentor, _Mentor.id == Pair.mentor_id)
    .join(_Mentee, _Mentee.id == Pair.mentee_id)
    .join(Cohort, Cohort.id == Pair.cohort_id)
    .join(_Viewer, _Viewer.id == bindparam("viewer", type_=Uuid))
    .where(Pair.id == bindparam("pair", type_=Uuid))
)
#: The same for an action: FOR SHARE on the pair's row only, read afresh.
_SPACE_LOCKED = _SPACE.with_for_update(read=True, of=Pair.__table__).execution_options(
    populate_existing=True
)


class ReadOnly(Refused):
    """A change to the space of a pair that has ended."""


@dataclass(frozen=True)
class Space:
    """A pair seen by one viewer."""

    pair: Pair
    cohort: Cohort
    scheme: Scheme
    viewer: Member
    role: SpaceRole
    #: The other person of the pair (for a coordinator: None).
    other: Member | None
    mentor: Member
    mentee: Member

    @property
    def is_party(self) -> bool:
        return self.role != "coordinator"

    @property
    def read_only(self) -> bool:
        return not self.pair.live

    @property
    def has_chat(self) -> bool:
        return "chat" in self.scheme.relationship.shared_space

    @property
    def has_documents(self) -> bool:
        return "documents" in self.scheme.relationship.shared_space

    @property
    def shares_contact_details(self) -> bool:
        return "contact_details" in self.scheme.relationship.shared_space


async def space_for(
    session: AsyncSession,
    pair_id: uuid.UUID | str,
    viewer_id: uuid.UUID | str,
    *,
    lock: bool = False,
) -> Space:
    """The pair `pair_id` as `viewer_id` may see it; NotFound("pair") for anyone who may
    not see it at all (and for a malformed id). `lock`: FOR SHARE on the pair (actions).

    One statement: the pair joined to its two people, its cohort and the viewer (each a
    primary-key lookup in the tenant); no row when the pair or the viewer is not in the
    tenant. The scheme version is cached per process (`scheme_of`)."""
    try:
        key = uuid.UUID(str(pair_id))
        viewer_key = uuid.UUID(str(viewer_id))
    except ValueError:
        raise NotFound("pair") from None
    query = _SPACE_LOCKED if lock else _SPACE
    found = (await session.execute(query, {"pair": key, "viewer": viewer_key})).one_or_none()
    if found is None:
        raise NotFound("pair")
    pair, viewer, mentor, mentee, cohort = found
    role: SpaceRole
    if viewer.id == pair.mentor_id:
        role = "mentor"
    elif viewer.id == pair.mentee_id:
        role = "mentee"
    elif Role.COORDINATOR in viewer.roles:
        # A coordinator with a scope (admin.scope) reads only the pairs of their cohorts;
        # any other pair is refused as to a stranger.
        if not in_scope(await cohorts_in_scope(session, viewer.id), pair.cohort_id):
            raise NotFound("pair")
        role = "coordinator"
    else:
        raise NotFound("pair")
    other = mentee if role == "mentor" else mentor if role == "mentee" else None
    scheme = await scheme_of(session, pair.scheme_version)
    return Space(
        pair=pair,
        cohort=cohort,
        scheme=scheme,
        viewer=viewer,
        role=role,
        other=other,
        mentor=mentor,
        mentee=mentee,
    )


def require_party(space: Space) -> Space:
    """Content only the pair's two people read: anyone else is told it is not there."""
    if not space.is_party:
        raise NotFound("pair")
    return space


def require_writable(space: Space) -> Space:
    """A change to the space: only by one of the pair, and only while the pair is live."""
    require_party(space)
    if space.read_only:
        raise ReadOnly(
            "This relationship has ended, so its space is read-only: you can read and "
            "download what is here, but not change it."
        )
    return space
