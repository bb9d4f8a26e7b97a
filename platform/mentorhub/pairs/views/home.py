"""The pair's home, `GET /pairs/{pair_id}` [pair_home] (issue 15).

For one of the pair: who the other person is (their e-mail address only where the scheme
shares contact details — a member record holds no phone number), the one next thing to do,
the timeline (meetings expected and checkpoints due, from the scheme engine, with what is
done, due and overdue), the meetings and contact hours against the cadence, the agreement,
goals and plan at a glance, the pair's dates, and the actions: end the relationship (where
the scheme lets either party), propose an extension (where the scheme has an extension
rule) and answer or withdraw a proposal.

For a coordinator (not in the pair) the same address shows their version: the people,
dates, state, meeting counts and contact hours, the plan's state (a link once submitted),
the number of log entries shared with them (a link), and End / Remove. Never the agreement,
the goals, meeting notes, chat or documents (`pairs.queries_space` does not read them).
Anyone else: the 404 page (`pairs.access.space_for`).

Both versions have a "Checkpoints" panel (issue 16), so a newcomer finds the updates and
surveys without hunting: for one of the pair, the items to do now (open and missed, with
the due day, overdue marked) and the next one to open, each linking to its page; for a
coordinator, the items sent in whose readers name the coordinator. Then a link to all of
the pair's checkpoints. It costs one extra statement (`checkpoints.queries.overview_of`,
the pair's items through the (tenant, pair, …) index): the page is on a hot path.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from litestar import Request, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Template

from mentorhub.applications.views.coordinator_common import page_context, zone_of
from mentorhub.checkpoints.queries import overview_of
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import TENANT_COOKIE
from mentorhub.identity.views._common import AsyncRedis
from mentorhub.pairs.cadence import hours_words
from mentorhub.pairs.queries_space import goals_words, home_of
from mentorhub.pairs.space_models import GOAL_STATUSES
from mentorhub.pairs.views.mine import END_WORDS, HOW_WORDS
from mentorhub.web import flash
from mentorhub.web.deps import CurrentIdentity, CurrentTenant, TenantReads

GOAL_WORDS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "achieved": "Achieved",
    "partly": "Partly achieved",
    "dropped": "Dropped",
}
STATE_WORDS = {
    "done": "Done",
    "due": "Due now",
    "overdue": "Overdue",
    "upcoming": "Coming up",
    "past": "Was due",
    "end": "End",
}
AUDIENCE_WORDS = {
    "pair": "Both of you",
    "each": "Each of you",
    "mentor": "The mentor",
    "mentee": "The mentee",
    "coordinator": "The coordinator",
}
NOTICES = {
    "ended": "The relationship has ended. You have both been told by e-mail.",
    "removed": "The pair was removed. Both people have been told by e-mail.",
    "proposed": "Your extension proposal was sent. The relationship is extended when your "
    "partner agrees.",
    "agreed": "The relationship is extended: the new official end is shown below. You have "
    "both been told by e-mail.",
    "declined": "You declined the extension. Your partner has been told.",
    "withdrawn": "You withdrew your extension proposal.",
}


def state_words(pair: Any) -> str:
    if pair.state == "ended":
        return END_WORDS.get(pair.end_kind or "", "Ended")
    return "Active, extended" if pair.state == "extended" else "Active"


@get("/pairs/{pair_id:uuid}", name="pair_home", opt=rule(MEMBER))
async def pair_home(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: Request[Any, Any, Any],
    aredis: AsyncRedis,
) -> Template:
    assert identity.member_id is not None  # the MEMBER rule checked it
    zone = zone_of(tenant)
    now = datetime.now(UTC)
    async with reads.tenant(tenant.id) as session:
        home = await home_of(
            session,
            pair_id,
            identity.member_id,
            zone=zone,
            jurisdiction=tenant.jurisdiction,
            now=now,
        )
        checkpoints = await overview_of(session, home.space, zone=zone, now=now)
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    space = home.space
    pending = space.pair.pending_extension
    template = "pairs/home.html" if space.is_party else "pairs/home_coordinator.html"
    return Template(
        template,
        context=page_context(
            tenant,
            identity,
            home=home,
            space=space,
            checkpoints=checkpoints,
            current="home",
            extensions=[
                (date.fromisoformat(str(e["agreed_on"])), int(e["months"]))
                for e in space.pair.extensions
            ],
            pending=pending,
            pending_mine=pending is not None and pending.get("by") == str(space.viewer.id),
            notice=NOTICES.get(str((notice or {}).get("kind"))),
            goals=goals_words(home.goals, GOAL_STATUSES),
            GOAL_WORDS=GOAL_WORDS,
            STATE_WORDS=STATE_WORDS,
            AUDIENCE_WORDS=AUDIENCE_WORDS,
            HOW_WORDS=HOW_WORDS,
            state_words=state_words,
            hours_words=hours_words,
        ),
    )


ROUTES: list[HTTPRouteHandler] = [pair_home]
