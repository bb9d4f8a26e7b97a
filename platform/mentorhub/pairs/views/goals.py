"""The pair's goals (issue 15): `GET/POST /pairs/{pair_id}/goals` [pair_goals] (the list;
adding one) and `POST /pairs/{pair_id}/goals/{goal_id}` [pair_goal] (`action`: save the
title, detail and status; delete; move up or down).

Only the pair's two people (a coordinator, anyone else: 404). The scheme's bounds
(`relationship.goals`, MA 2–4): the maximum is refused when adding, the minimum is guidance
on the page. Each goal's form carries its lock_version; its fields' ids are prefixed with
the goal's id so the error summary links to the right one. After the end: read-only.
The rules are in `pairs.services.agreement`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.pairs.access import space_for
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import agreement as service
from mentorhub.pairs.views.agreement_common import (
    answer_problems,
    answer_refusal,
    done_to,
    member_id,
    notice,
    space_context,
)
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, FormErrors, choice, field, read_form, values_of

PAGE = "pairs/goals.html"

Status = Literal["not_started", "in_progress", "achieved", "partly", "dropped"]


class AddForm(msgspec.Struct, kw_only=True):
    title: Annotated[str, field("Goal", max_length=service.TITLE_MAX, required=True)]
    detail: Annotated[str, field("Detail", kind=TEXT, max_length=service.DETAIL_MAX)] = ""


class GoalForm(msgspec.Struct, kw_only=True):
    action: Annotated[
        Literal["save", "delete", "up", "down"], choice("Choose what to do with the goal")
    ]
    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)]
    title: Annotated[str, field("Goal", max_length=service.TITLE_MAX)] = ""
    detail: Annotated[str, field("Detail", kind=TEXT, max_length=service.DETAIL_MAX)] = ""
    status: Annotated[Status, choice("Choose the goal's status", label="Status")] | None = None


async def _context(
    database: Database, tenant: Tenant, identity: Identity, pair_id: uuid.UUID, **extra: Any
) -> dict[str, Any]:
    async with database.tenant(tenant.id) as session:
        space = await space_for(session, pair_id, member_id(identity))
        goals = await service.goals_for(session, space)
    return space_context(
        tenant,
        identity,
        space,
        "goals",
        goals=goals,
        STATUS_WORDS=service.GOAL_STATUS_WORDS,
        **{"editing": None, **extra},
    )


@get("/pairs/{pair_id:uuid}/goals", name="pair_goals", opt=rule(MEMBER))
async def goals_page(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    shown = await notice(request, aredis)
    return Template(PAGE, context=await _context(reads, tenant, identity, pair_id, notice=shown))


@post("/pairs/{pair_id:uuid}/goals", name="pair_goals_add", opt=rule(MEMBER))
async def add(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Add a goal (refused at the scheme's maximum)."""
    values: dict[str, Any] = {}
    try:
        form = await read_form(request, AddForm)
        values = values_of(form)
        goal = await service.add_goal(
            db, tenant.id, member_id(identity), pair_id, title=form.title, detail=form.detail
        )
    except FormErrors as errors:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_problems(PAGE, ctx, errors, errors.values)
    except Problems as problems:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_problems(PAGE, ctx, problems, values)
    except Refused as exc:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_refusal(PAGE, ctx, str(exc), values)
    return await done_to(request, aredis, pair_id, "goals", f"Goal added: {goal.title}.")


def _at_goal(problems: Problems, goal_id: uuid.UUID) -> dict[str, str]:
    """The error summary's links to one goal's fields."""
    return {p.path: f"goal-{goal_id}-{p.path}" for p in problems.problems if p.path}


@post("/pairs/{pair_id:uuid}/goals/{goal_id:uuid}", name="pair_goal", opt=rule(MEMBER))
async def change(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    goal_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Save, delete or move one goal."""
    actor = member_id(identity)
    values: dict[str, Any] = {}
    try:
        form = await read_form(request, GoalForm)
        values = values_of(form)
        if form.action == "save":
            if form.status is None:
                raise Problems([Problem(path="status", message="Choose the goal's status")])
            goal, changed = await service.edit_goal(
                db,
                tenant.id,
                actor,
                pair_id,
                goal_id,
                title=form.title,
                detail=form.detail,
                status=form.status,
                lock_version=form.lock_version,
            )
            text = f"Goal saved: {goal.title}." if changed else "Nothing had changed."
        elif form.action == "delete":
            await service.delete_goal(
                db, tenant.id, actor, pair_id, goal_id, lock_version=form.lock_version
            )
            text = "Goal deleted."
        else:
            moved = await service.move_goal(
                db,
                tenant.id,
                actor,
                pair_id,
                goal_id,
                direction=form.action,
                lock_version=form.lock_version,
            )
            text = f"Goal moved {form.action}." if moved else "The goal is already there."
    except Problems as problems:
        ctx = await _context(db, tenant, identity, pair_id, editing=goal_id)
        shown = problems.values if isinstance(problems, FormErrors) else values
        return answer_problems(PAGE, ctx, problems, shown, anchors=_at_goal(problems, goal_id))
    except Refused as exc:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_refusal(PAGE, ctx, str(exc))
    return await done_to(request, aredis, pair_id, "goals", text)


ROUTES: list[HTTPRouteHandler] = [goals_page, add, change]
