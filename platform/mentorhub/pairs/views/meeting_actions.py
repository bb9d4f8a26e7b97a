"""One meeting's actions (issue 15): `POST /pairs/{pair_id}/meetings/{meeting_id}/accept`,
`/decline`, `/cancel`, `/reschedule`, `/record` — each reads its form, calls its action in
`pairs.services.meetings` and goes back to the meetings (a notice), or shows the meeting's
page again with what was wrong (400) or why it was refused (409); nothing changed then."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Response, Template

from mentorhub.core.problems import Problem
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.pairs.services import meetings as svc
from mentorhub.pairs.views.meetings_common import (
    ONE,
    MoveForm,
    ReasonForm,
    RecordForm,
    Versioned,
    meeting_action,
    minutes_of,
    new_time,
    viewer,
)
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant
from mentorhub.web.forms import FormErrors, values_of


@post(ONE + "/accept", name="meeting_accept", opt=rule(MEMBER))
async def meeting_accept(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    meeting_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    async def call(form: Versioned) -> None:
        await svc.accept(
            db, tenant.id, viewer(identity), pair_id, meeting_id, lock_version=form.lock_version
        )

    return await meeting_action(
        "accept",
        Versioned,
        call,
        tenant=tenant,
        db=db,
        identity=identity,
        pair_id=pair_id,
        meeting_id=meeting_id,
        request=request,
        aredis=aredis,
    )


@post(ONE + "/decline", name="meeting_decline", opt=rule(MEMBER))
async def meeting_decline(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    meeting_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    async def call(form: ReasonForm) -> None:
        await svc.decline(
            db,
            tenant.id,
            viewer(identity),
            pair_id,
            meeting_id,
            reason=form.reason,
            lock_version=form.lock_version,
        )

    return await meeting_action(
        "decline",
        ReasonForm,
        call,
        tenant=tenant,
        db=db,
        identity=identity,
        pair_id=pair_id,
        meeting_id=meeting_id,
        request=request,
        aredis=aredis,
    )


@post(ONE + "/cancel", name="meeting_cancel", opt=rule(MEMBER))
async def meeting_cancel(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    meeting_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    async def call(form: ReasonForm) -> None:
        await svc.cancel(
            db,
            tenant.id,
            viewer(identity),
            pair_id,
            meeting_id,
            reason=form.reason,
            lock_version=form.lock_version,
        )

    return await meeting_action(
        "cancel",
        ReasonForm,
        call,
        tenant=tenant,
        db=db,
        identity=identity,
        pair_id=pair_id,
        meeting_id=meeting_id,
        request=request,
        aredis=aredis,
    )


@post(ONE + "/reschedule", name="meeting_reschedule", opt=rule(MEMBER))
async def meeting_reschedule(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    meeting_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    async def call(form: MoveForm) -> None:
        problems: list[Problem] = []
        new = new_time(tenant, form, "", problems)
        if problems or new is None:
            raise FormErrors(problems, values_of(form))
        await svc.reschedule(
            db,
            tenant.id,
            viewer(identity),
            pair_id,
            meeting_id,
            new,
            lock_version=form.lock_version,
        )

    return await meeting_action(
        "reschedule",
        MoveForm,
        call,
        tenant=tenant,
        db=db,
        identity=identity,
        pair_id=pair_id,
        meeting_id=meeting_id,
        request=request,
        aredis=aredis,
    )


@post(ONE + "/record", name="meeting_record", opt=rule(MEMBER))
async def meeting_record(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    meeting_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    async def call(form: RecordForm) -> None:
        problems: list[Problem] = []
        minutes = minutes_of(form.held_minutes, "held_minutes", problems)
        if problems:
            raise FormErrors(problems, values_of(form))
        await svc.record_held(
            db,
            tenant.id,
            viewer(identity),
            pair_id,
            meeting_id,
            held_minutes=minutes,
            record=form.record,
            lock_version=form.lock_version,
        )

    return await meeting_action(
        "record",
        RecordForm,
        call,
        tenant=tenant,
        db=db,
        identity=identity,
        pair_id=pair_id,
        meeting_id=meeting_id,
        request=request,
        aredis=aredis,
    )


ROUTES: list[HTTPRouteHandler] = [
    meeting_accept,
    meeting_decline,
    meeting_cancel,
    meeting_reschedule,
    meeting_record,
]
