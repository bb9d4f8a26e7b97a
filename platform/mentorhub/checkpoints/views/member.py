"""The member's checkpoint pages (issue 16), in the pair's space:

* `GET /pairs/{pair_id}/checkpoints` [pair_checkpoints]: the pair's items grouped — to do
  now (open and missed, with the due day, overdue marked), coming up (with the day each
  opens), done (who sent it in, when), the cancelled ones folded away; each links to its
  item.
* `GET /pairs/{pair_id}/checkpoints/{item_id}` [checkpoint_item]: the item — what it asks,
  its form while it takes answers (the application forms' question macro, with rating
  scales and Likert grids), "Save draft" and "Send in"; once sent in, the answers
  read-only with who sent them and when, and the coordinator's review note; an item done
  in the space links to the agreement, plan or log page instead.
* `POST` to the same address [checkpoint_item_save]: save a draft or send in
  (`checkpoints.services.submissions.save_answers`). Success: 303 to the list with a
  notice; answers that are not right: the form again with the problems (400); a refusal
  (already sent in, not open yet, changed since the page was shown): the page again with
  why (409). Nothing is written then.

Who sees what is `checkpoints.access` (one of the pair: pair items and their own; a
coordinator: items whose readers name the coordinator, read-only; anyone else: 404).
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from mentorhub.applications.views.applicant_form import Field, fields, posted, shown
from mentorhub.applications.views.coordinator_common import page_context, zone_of
from mentorhub.checkpoints import queries
from mentorhub.checkpoints.services.submissions import NOT_YOURS, save_answers
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.matching.views.suggest_common import CONFLICT, done, member_id, notice, refused
from mentorhub.pairs.access import space_for
from mentorhub.pairs.rules import Refused
from mentorhub.schemes.forms import Form
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads

LIST_PAGE = "checkpoints/member_checkpoints.html"
ITEM_PAGE = "checkpoints/member_item.html"

#: The form's own fields (a question's id matches [a-z][a-z0-9_]*, never these).
VERSION_FIELD = "lock_version"

STATE_WORDS = {
    "upcoming": "Coming up",
    "open": "Open",
    "submitted": "Sent in",
    "reviewed": "Reviewed",
    "missed": "Missed",
    "cancelled": "Cancelled",
}
DONE_IN_WORDS = {
    "agreement": ("agreement", "your agreement"),
    "plan": ("plan", "your Mentorship Plan"),
    "log": ("log", "your log"),
}


def question_fields(form: Form, permission_note: str = "") -> tuple[list[Field], dict[str, str]]:
    """The form's questions as the shared question macro renders them, and where the error
    summary links each problem: a rating to its first radio, a Likert grid (and each of its
    statements, `<id>.<n>`) to the first radio of the statement. The permission question's
    hint is its own help and then `permission_note` (what a "no" means, from the item's
    readers: `queries.ItemPage.permission_note`)."""
    out: list[Field] = []
    anchors: dict[str, str] = {}
    for f in fields(form):
        q = f.question
        if q.kind == "rating":
            low, high = queries.rating_bounds(q)
            said = f"Choose a number from {low} to {high}."
            f = dataclasses.replace(
                f, anchor=f"{f.id}-0", hint=" ".join(p for p in (q.help.strip(), said) if p)
            )
        elif q.kind == "likert":
            f = dataclasses.replace(f, anchor=f"{f.id}-1-0")
            for n in range(1, len(q.rows) + 1):
                anchors[f"{q.id}.{n}"] = f"{f.id}-{n}-0"
        if q.permission and permission_note:
            f = dataclasses.replace(f, hint=" ".join(p for p in (f.hint, permission_note) if p))
        anchors[q.id] = f.anchor
        out.append(f)
    return out, anchors


def _named(problems: Problems, form: Form | None) -> Problems:
    """The problems with the question each is about named first ("How satisfied are you
    with the Program: choose a number from 1 to 5"): a survey's messages alone ("Choose a
    number from 1 to 5") do not say which of its scales they are about."""
    if form is None:
        return problems
    named = []
    for p in problems.problems:
        q = form.question(p.path)
        if q is None or not p.message:
            named.append(p)
            continue
        label = q.label.rstrip(" ?.:")
        named.append(
            Problem(path=p.path, message=f"{label}: {p.message[0].lower()}{p.message[1:]}")
        )
    return Problems(named)


def _context(
    tenant: Tenant, identity: Identity, space: Any, current: str, **extra: Any
) -> dict[str, Any]:
    return page_context(
        tenant,
        identity,
        space=space,
        current=current,
        STATE_WORDS=STATE_WORDS,
        DONE_IN_WORDS=DONE_IN_WORDS,
        day_words=queries.day_words,
        **{"errors": None, "values": {}, "anchors": {}, **extra},
    )


async def _item_context(
    database: Database,
    tenant: Tenant,
    identity: Identity,
    pair_id: uuid.UUID,
    item_id: uuid.UUID,
    **extra: Any,
) -> dict[str, Any]:
    async with database.tenant(tenant.id, read_only=True) as session:
        space = await space_for(session, pair_id, member_id(identity))
        page = await queries.item_page(
            session, space, item_id, zone=zone_of(tenant), now=datetime.now(UTC)
        )
    shown_fields, anchors = (
        question_fields(page.form, page.permission_note) if page.form is not None else ([], {})
    )
    return _context(
        tenant,
        identity,
        page.space,
        "checkpoints",
        page=page,
        fields=shown_fields,
        values=page.values,
        anchors=anchors,
        **extra,
    )


@get("/pairs/{pair_id:uuid}/checkpoints", name="pair_checkpoints", opt=rule(MEMBER))
async def pair_checkpoints(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    shown_notice = await notice(request, aredis)
    async with reads.tenant(tenant.id) as session:
        space = await space_for(session, pair_id, member_id(identity))
        listing = await queries.items_of(
            session, space, zone=zone_of(tenant), now=datetime.now(UTC)
        )
    return Template(
        LIST_PAGE,
        context=_context(
            tenant, identity, space, "checkpoints", listing=listing, notice=shown_notice
        ),
    )


@get(
    "/pairs/{pair_id:uuid}/checkpoints/{item_id:uuid}",
    name="checkpoint_item",
    opt=rule(MEMBER),
)
async def checkpoint_item(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    item_id: FromPath[uuid.UUID],
) -> Template:
    return Template(
        ITEM_PAGE, context=await _item_context(reads, tenant, identity, pair_id, item_id)
    )


@post(
    "/pairs/{pair_id:uuid}/checkpoints/{item_id:uuid}",
    name="checkpoint_item_save",
    opt=rule(MEMBER),
)
async def checkpoint_item_save(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    item_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Save the draft or send the answers in."""
    data, action, version = await posted(request, version_field=VERSION_FIELD)
    me = member_id(identity)
    try:
        if action is None or version is None:
            ctx = await _item_context(db, tenant, identity, pair_id, item_id)
            if not ctx["page"].row.mine:  # a coordinator: refused before the form is read
                raise Refused(NOT_YOURS)
            if action is None:
                raise Problems([Problem(message="Choose “Save draft” or “Send in”.")])
            raise Refused("The form was incomplete. Nothing was changed: open it again.")
        async with db.tenant(tenant.id) as session:
            member = (await session.execute(select(Member).where(Member.id == me))).scalar_one()
            item = await save_answers(
                session,
                tenant,
                member,
                item_id,
                data,
                lock_version=version,
                submit=action == "submit",
                pair_id=pair_id,
            )
            title = item.title
    except Problems as problems:
        ctx = await _item_context(db, tenant, identity, pair_id, item_id)
        return Template(
            ITEM_PAGE,
            context={**ctx, "errors": _named(problems, ctx["page"].form), "values": shown(data)},
            status_code=400,
        )
    except Refused as exc:
        ctx = await _item_context(db, tenant, identity, pair_id, item_id)
        return Template(
            ITEM_PAGE,
            context={**ctx, "errors": refused(str(exc)), "values": shown(data)},
            status_code=CONFLICT,
        )
    if action == "submit":
        text = f"{title} sent in."
    else:
        text = f"Draft of {title} saved: you can come back to it and send it in later."
    return await done(request, aredis, f"/pairs/{pair_id}/checkpoints", text, kind="checkpoints")


ROUTES: list[HTTPRouteHandler] = [pair_checkpoints, checkpoint_item, checkpoint_item_save]
