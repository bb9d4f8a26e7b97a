"""The pair's space tests' world: a tenant with its scheme, a coordinator and a tenant admin
(tests.applications.conftest.make_world), one live pair (mentor and mentee), a second pair
of the same tenant (its people must never read the first pair's space), and an HTTP client
of the real app. Pages are fetched as a signed-in member with `sign_in_as`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import NewPair, create_pairs
from tests.applications.conftest import World, add_member, make_world


@dataclass(frozen=True)
class PairWorld:
    world: World
    pair: Pair
    mentor: Member
    mentee: Member
    #: Another live pair of the same tenant and cohort.
    other_pair: Pair
    other_mentor: Member
    other_mentee: Member

    @property
    def id(self) -> uuid.UUID:
        return self.world.id

    def url(self, path: str = "") -> str:
        """`/t/<slug>/pairs/<pair id><path>`."""
        return f"/t/{self.world.tenant.slug}/pairs/{self.pair.id}{path}"


async def pair_world(
    db: Database, slug: str, *, matched_on: date | None = None, world: World | None = None
) -> PairWorld:
    """`slug`'s world with two live pairs made through the one pair-making path."""
    world = world or await make_world(db, slug)
    mentor = await add_member(db, world.tenant, "Maya Mentor", roles=("mentor",))
    mentee = await add_member(db, world.tenant, "Theo Mentee", roles=("mentee",))
    other_mentor = await add_member(db, world.tenant, "Olga Other", roles=("mentor",))
    other_mentee = await add_member(db, world.tenant, "Omar Other", roles=("mentee",))
    async with db.tenant(world.id) as session:
        pairs = await create_pairs(
            session,
            [
                NewPair(world.cohort.id, mentor.id, mentee.id, "coordinator"),
                NewPair(world.cohort.id, other_mentor.id, other_mentee.id, "coordinator"),
            ],
            actor_id=world.coordinator.id,
        )
        if matched_on is not None:
            # create_pairs writes with one INSERT (its rows are not tracked by the session).
            await session.execute(
                update(Pair).where(Pair.id.in_([p.id for p in pairs])).values(matched_on=matched_on)
            )
            pairs = list(
                (
                    await session.execute(
                        select(Pair)
                        .where(Pair.id.in_([p.id for p in pairs]))
                        .execution_options(populate_existing=True)
                    )
                ).scalars()
            )
            pairs.sort(key=lambda p: p.mentor_id != mentor.id)
    return PairWorld(world, pairs[0], mentor, mentee, pairs[1], other_mentor, other_mentee)
