"""The pair's plan (issue 15; Alberta's Mentorship Plan): `GET/POST /pairs/{pair_id}/plan`
[pair_plan] and `POST /pairs/{pair_id}/plan/submit` [pair_plan_submit].

Only where the scheme has a plan (`space.plan`; else 404). The pair's two people edit it:
one textarea per month (`month_<n>`, the sample plan's prompt as its hint), the first and
last meeting dates, the plan's lock_version; then submit it to the coordinator, and again
after changing it. A coordinator opens the same address once the plan has been submitted
(before: 404) and reads it without forms, the months changed since the last submission
marked, with the list of changes. After the pair's end: read-only. The rules are in
`pairs.services.agreement`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.core.problems import Problems
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
from mentorhub.schemes.calendar import MONTH_NAMES
from mentorhub.schemes.rules import PlanMonth
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, FormErrors, field, read_form, values_of

PAGE = "pairs/plan.html"


class SubmitForm(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)]


@lru_cache(maxsize=16)
def _form_of(months: tuple[PlanMonth, ...]) -> type[msgspec.Struct]:
    """The plan form of a scheme's months: lock_version, the two dates, one text a month."""
    date = Annotated[str, field("Date", max_length=40)]
    fields: list[tuple[str, Any, Any]] = [
        ("first_meeting_on", date, ""),
        ("last_meeting_on", date, ""),
        *(
            (
                f"month_{m.month}",
                Annotated[str, field(m.heading, kind=TEXT, max_length=service.SECTION_MAX)],
                "",
            )
            for m in months
        ),
    ]
    return msgspec.defstruct(
        "PlanForm",
        [("lock_version", Annotated[int, field("Version", minimum=0, maximum=10**9)]), *fields],
        kw_only=True,
    )


def _change_words(change: dict[str, Any]) -> str:
    """One recorded change in words: what changed (months, dates)."""
    parts = [MONTH_NAMES[m] for m in change.get("months", ())]
    if change.get("dates"):
        parts.append("the meeting dates")
    if not parts:
        return "No visible change"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


async def _context(
    database: Database, tenant: Tenant, identity: Identity, pair_id: uuid.UUID, **extra: Any
) -> dict[str, Any]:
    async with database.tenant(tenant.id) as session:
        space = await space_for(session, pair_id, member_id(identity))
        plan = await service.plan_for(session, space)
    return space_context(
        tenant,
        identity,
        space,
        "plan",
        plan=plan,
        change_words=_change_words,
        change_at=lambda c: datetime.fromisoformat(c["at"]),
        **extra,
    )


@get("/pairs/{pair_id:uuid}/plan", name="pair_plan", opt=rule(MEMBER))
async def plan_page(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    shown = await notice(request, aredis)
    return Template(PAGE, context=await _context(reads, tenant, identity, pair_id, notice=shown))


@post("/pairs/{pair_id:uuid}/plan", name="pair_plan_save", opt=rule(MEMBER))
async def save(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Save the months and dates; after a submission the change is recorded."""
    async with reads.tenant(tenant.id) as session:  # the scheme's months (immutable)
        space = await space_for(session, pair_id, member_id(identity))
    months = space.scheme.space.plan
    posted = set((await request.form()).keys())
    values: dict[str, Any] = {}
    try:
        form = await read_form(request, _form_of(months))
        values = values_of(form)
        _, changed = await service.save_plan(
            db,
            tenant.id,
            member_id(identity),
            pair_id,
            texts={
                m.month: getattr(form, f"month_{m.month}")
                for m in months
                if f"month_{m.month}" in posted
            },
            first_meeting_on=form.first_meeting_on,  # type: ignore[attr-defined]
            last_meeting_on=form.last_meeting_on,  # type: ignore[attr-defined]
            lock_version=form.lock_version,  # type: ignore[attr-defined]
        )
    except FormErrors as errors:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_problems(PAGE, ctx, errors, errors.values)
    except Problems as problems:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_problems(PAGE, ctx, problems, values)
    except Refused as exc:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_refusal(PAGE, ctx, str(exc))
    text = "Plan saved." if changed else "Nothing had changed, so nothing was saved."
    return await done_to(request, aredis, pair_id, "plan", text)


@post("/pairs/{pair_id:uuid}/plan/submit", name="pair_plan_submit", opt=rule(MEMBER))
async def submit(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Submit the plan as it now is to the coordinator."""
    try:
        form = await read_form(request, SubmitForm)
        await service.submit_plan(
            db, tenant.id, member_id(identity), pair_id, lock_version=form.lock_version
        )
    except Problems as problems:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_problems(PAGE, ctx, problems, {})
    except Refused as exc:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_refusal(PAGE, ctx, str(exc))
    return await done_to(
        request, aredis, pair_id, "plan", "Plan submitted: we told the programme coordinator."
    )


ROUTES: list[HTTPRouteHandler] = [plan_page, save, submit]
