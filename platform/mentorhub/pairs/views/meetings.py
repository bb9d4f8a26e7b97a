"""A pair's meetings (issue 15): `GET/POST /pairs/{pair_id}/meetings` [pair_meetings /
pair_meetings_propose] — the list (waiting for my answer, waiting for theirs, coming up, to
record, held, declined and cancelled), the cadence summary, the form proposing one to three
meetings and the form recording a meeting held that was never arranged here
(`POST …/meetings/held` [pair_meetings_held]); one meeting
`GET /pairs/{pair_id}/meetings/{meeting_id}` [meeting_ics] — its page with the actions its
state allows — or, with `.ics` after the id, its calendar file (an attachment); its actions
`POST …/meetings/{meeting_id}/accept|decline|cancel|reschedule|record`.

The pair's two people only: anyone else, the coordinator included, gets 404 for every one
of these (the coordinator reads the counts on the pair's overview). Dates and times are
typed and shown in the association's time zone. Every POST carries the `lock_version` the
page showed; a stale page or a refused action (409) and bad input (400) change nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Response, Template

from mentorhub.applications.queue import tenant_zone
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis, base
from mentorhub.pairs import ics
from mentorhub.pairs.access import require_party, space_for
from mentorhub.pairs.services import meetings as svc
from mentorhub.pairs.views import meeting_actions
from mentorhub.pairs.views.meetings_common import (
    DONE,
    LIST_PAGE,
    ONE,
    ONE_PAGE,
    PAIR,
    ROWS,
    HeldForm,
    ProposeForm,
    act,
    filled,
    list_context,
    new_time,
    notice_of,
    one_context,
    other_name,
    viewer,
)
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, rerender, values_of


@get(PAIR + "/meetings", name="pair_meetings", opt=rule(MEMBER))
async def pair_meetings(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """The pair's meetings, the cadence summary and the forms."""
    context = await list_context(reads, tenant, identity, pair_id)
    context.update(notice=await notice_of(request, aredis), values={})
    return Template(LIST_PAGE, context=context)


@get(ONE, name="meeting_ics", opt=rule(MEMBER))
async def meeting_page(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    meeting_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """One meeting's page with its actions; `<id>.ics`: its calendar file (download)."""
    if meeting_id.endswith(".ics"):
        return await _ics_file(reads, tenant, identity, pair_id, meeting_id.removesuffix(".ics"))
    context = await one_context(reads, tenant, identity, pair_id, meeting_id)
    context.update(notice=await notice_of(request, aredis), values={})
    return Template(ONE_PAGE, context=context)


async def _ics_file(
    db: Database, tenant: Tenant, identity: Identity, pair_id: uuid.UUID, meeting_id: str
) -> Response[Any]:
    async with db.tenant(tenant.id) as session:
        space = require_party(await space_for(session, pair_id, viewer(identity)))
        meeting = await svc.one_meeting(session, space, meeting_id)
        if meeting.state in ("proposed", "declined"):
            raise NotFound("meeting")  # not agreed: nothing for a calendar
        text = ics.invitation(
            svc.calendar_meeting(tenant, meeting, space.mentor, space.mentee, None),
            method="CANCEL" if meeting.state == "cancelled" else "REQUEST",
            zone=tenant_zone(tenant.jurisdiction),
            tenant_slug=tenant.slug,
            stamp=datetime.now(UTC),
        )
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="meeting-{meeting.id}.ics"',
            "Cache-Control": "private, no-store",
        },
    )


@post(PAIR + "/meetings", name="pair_meetings_propose", opt=rule(MEMBER))
async def pair_meetings_propose(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Propose one to three meetings (the rows filled in)."""
    context = await list_context(db, tenant, identity, pair_id)

    async def call(form: ProposeForm) -> None:
        problems: list[Problem] = []
        rows = [r for r in ROWS if filled(form, r)] or ["1"]
        times = [t for r in rows if (t := new_time(tenant, form, r, problems)) is not None]
        if problems:
            raise FormErrors(problems, values_of(form))
        await svc.propose(
            db, tenant.id, viewer(identity), pair_id, times, lock_version=form.lock_version
        )

    async def again(errors: Problems, status: int) -> Template:
        return rerender(LIST_PAGE, {**context, "failed": "propose"}, errors, status_code=status)

    return await act(
        request,
        aredis,
        ProposeForm,
        call,
        again,
        DONE["propose"].format(other=other_name(context)),
        f"{base(request)}/pairs/{pair_id}/meetings",
    )


@post(PAIR + "/meetings/held", name="pair_meetings_held", opt=rule(MEMBER))
async def pair_meetings_held(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Record a meeting held that was never arranged here."""
    context = await list_context(db, tenant, identity, pair_id)

    async def call(form: HeldForm) -> None:
        problems: list[Problem] = []
        held = new_time(tenant, form, "", problems)
        if problems or held is None:
            raise FormErrors(problems, values_of(form))
        await svc.record_held(
            db,
            tenant.id,
            viewer(identity),
            pair_id,
            None,
            held_minutes=held.minutes,
            record=form.record,
            held=held,
            lock_version=form.lock_version,
        )

    async def again(errors: Problems, status: int) -> Template:
        return rerender(LIST_PAGE, {**context, "failed": "held"}, errors, status_code=status)

    return await act(
        request,
        aredis,
        HeldForm,
        call,
        again,
        DONE["held_new"],
        f"{base(request)}/pairs/{pair_id}/meetings",
    )


ROUTES: list[HTTPRouteHandler] = [
    pair_meetings,
    pair_meetings_propose,
    pair_meetings_held,
    meeting_page,
    *meeting_actions.ROUTES,
]
