"""One meeting's actions (issue 15): `POST /pairs/{pair_id}/meetings/{meeting_id}/accept`,
`/decline`, `/cancel`, `/reschedule`, `/record` — each reads its form, calls its action in
`pairs.services.meetings` and goes back to the meetings (a notice), or shows the meeting's
page again with what was wrong (400) or why it was refused (409); nothing changed then."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Response, Template

from mentorhub.core.problems import Problem
from mentorhub.db import Database
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.pairs.services import meetings as svc
from mentorhub.pairs.views.meetings_common import (
    ONE,
    MoveForm,
    ReasonForm,
    RecordForm,
    S,
    Versioned,
    meeting_action,
    minutes_of,
    new_time,
    viewer,
)
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant
from mentorhub.web.forms import FormErrors, values_of


@dataclass(frozen=True)
class _At:
    """The meeting an action is for, and who asks."""

    tenant: Tenant
    db: Database
    identity: Identity
    pair_id: uuid.UUID
    meeting_id: str


def _route(
    action: str, model: type[S], call: Callable[[_At, S], Awaitable[None]]
) -> HTTPRouteHandler:
    """`POST ONE/<action>` [meeting_<action>]: read `model`, `call` the action, and on
    (`meetings_common.meeting_action`)."""

    async def handler(
        tenant: CurrentTenant,
        db: DB,
        identity: CurrentIdentity,
        pair_id: FromPath[uuid.UUID],
        meeting_id: FromPath[str],
        request: AnyRequest,
        aredis: AsyncRedis,
    ) -> Response[Any] | Template:
        at = _At(tenant, db, identity, pair_id, meeting_id)

        async def bound(form: S) -> None:
            await call(at, form)

        return await meeting_action(
            action,
            model,
            bound,
            tenant=tenant,
            db=db,
            identity=identity,
            pair_id=pair_id,
            meeting_id=meeting_id,
            request=request,
            aredis=aredis,
        )

    name = handler.__name__ = handler.__qualname__ = "meeting_" + action
    return post(ONE + "/" + action, name=name, opt=rule(MEMBER))(handler)


async def _accept(at: _At, form: Versioned) -> None:
    await svc.accept(
        at.db,
        at.tenant.id,
        viewer(at.identity),
        at.pair_id,
        at.meeting_id,
        lock_version=form.lock_version,
    )


async def _decline(at: _At, form: ReasonForm) -> None:
    await svc.decline(
        at.db,
        at.tenant.id,
        viewer(at.identity),
        at.pair_id,
        at.meeting_id,
        reason=form.reason,
        lock_version=form.lock_version,
    )


async def _cancel(at: _At, form: ReasonForm) -> None:
    await svc.cancel(
        at.db,
        at.tenant.id,
        viewer(at.identity),
        at.pair_id,
        at.meeting_id,
        reason=form.reason,
        lock_version=form.lock_version,
    )


async def _reschedule(at: _At, form: MoveForm) -> None:
    problems: list[Problem] = []
    new = new_time(at.tenant, form, "", problems)
    if problems or new is None:
        raise FormErrors(problems, values_of(form))
    await svc.reschedule(
        at.db,
        at.tenant.id,
        viewer(at.identity),
        at.pair_id,
        at.meeting_id,
        new,
        lock_version=form.lock_version,
    )


async def _record(at: _At, form: RecordForm) -> None:
    problems: list[Problem] = []
    minutes = minutes_of(form.held_minutes, "held_minutes", problems)
    if problems:
        raise FormErrors(problems, values_of(form))
    await svc.record_held(
        at.db,
        at.tenant.id,
        viewer(at.identity),
        at.pair_id,
        at.meeting_id,
        held_minutes=minutes,
        record=form.record,
        lock_version=form.lock_version,
    )


meeting_accept = _route("accept", Versioned, _accept)
meeting_decline = _route("decline", ReasonForm, _decline)
meeting_cancel = _route("cancel", ReasonForm, _cancel)
meeting_reschedule = _route("reschedule", MoveForm, _reschedule)
meeting_record = _route("record", RecordForm, _record)


ROUTES: list[HTTPRouteHandler] = [
    meeting_accept,
    meeting_decline,
    meeting_cancel,
    meeting_reschedule,
    meeting_record,
]
