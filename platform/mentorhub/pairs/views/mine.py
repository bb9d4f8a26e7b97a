"""A member's pairs: "My mentoring" (see the package docstring). Each pair shows the other
person's name and, where the scheme shares contact details within a pair, their e-mail
address; the match date; how the pair was made; its state; the relationship's official end
recomputed from the pair's scheme version (the timeline engine); and a link to the pair's
space (`pair_home`; read-only once the pair has ended). Both people see their pair here;
the coordinator's list of a cohort's pairs is in `matching.views.runs`.

Each pair also says how many checkpoints wait for the member ("2 checkpoints to do": open
and missed items, theirs or the pair's), linking to the pair's checkpoints — one statement
for all the pairs (`checkpoints.queries.waiting_counts`)."""

from __future__ import annotations

import uuid

from litestar import get
from litestar.handlers import HTTPRouteHandler
from litestar.response import Template

from mentorhub.applications.views.coordinator_common import page_context
from mentorhub.checkpoints.queries import waiting_counts
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.pairs.queries_mine import my_pairs
from mentorhub.web.deps import CurrentIdentity, CurrentTenant, TenantReads

HOW_WORDS = {
    "coordinator": "Matched by the coordinator",
    "suggest_and_accept": "Chosen by the mentee and accepted by the mentor",
    "mutual_acceptance": "Proposed by the coordinator and accepted by both",
}
END_WORDS = {
    "completed": "Completed",
    "ended_early": "Ended early",
    "removed": "Ended by the coordinator",
}


@get("/pairs", name="my_pairs", opt=rule(MEMBER))
async def my_mentoring(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity
) -> Template:
    """The member's pairs, as mentor and as mentee: live ones first."""
    pairs = []
    waiting: dict[uuid.UUID, int] = {}
    if identity.member_id is not None:
        me = uuid.UUID(identity.member_id)
        async with reads.tenant(tenant.id) as session:
            pairs = await my_pairs(session, me)
            waiting = await waiting_counts(session, me, [p.row.id for p in pairs])
    return Template(
        "pairs/mine.html",
        context=page_context(
            tenant,
            identity,
            pairs=pairs,
            waiting=waiting,
            HOW_WORDS=HOW_WORDS,
            END_WORDS=END_WORDS,
        ),
    )


ROUTES: list[HTTPRouteHandler] = [my_mentoring]
