"""The pair's agreement (issue 15): `GET/POST /pairs/{pair_id}/agreement` [pair_agreement]
and `POST /pairs/{pair_id}/agreement/agree` [pair_agreement_agree].

Only the pair's two people open it (a coordinator, anyone else: 404), and only where the
scheme has an agreement (`space.agreement`; else 404). Until the first save the page shows
the scheme's template; the form carries one textarea per section (`section_<key>`) and the
agreement's lock_version; agreeing carries the revision read. After the pair's end the
page is read-only (no forms; a forged POST is refused, 409). The rules are in
`pairs.services.agreement`.
"""

from __future__ import annotations

import uuid
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
from mentorhub.identity.models import Member
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
from mentorhub.schemes.rules import AgreementSection
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, FormErrors, field, read_form, values_of

PAGE = "pairs/agreement.html"


def _name(member: Member | None) -> str:
    return member.display_name if member is not None else "the other person"


class AgreeForm(msgspec.Struct, kw_only=True):
    revision: Annotated[int, field("Version", minimum=1, maximum=10**9)]


@lru_cache(maxsize=64)
def _form_of(sections: tuple[AgreementSection, ...]) -> type[msgspec.Struct]:
    """The agreement form of a scheme's sections: the lock_version and one text each."""
    fields: list[tuple[str, Any, Any]] = [
        (f"section_{s.key}", Annotated[str, field(s.heading, kind=TEXT, max_length=10_000)], "")
        for s in sections
    ]
    return msgspec.defstruct(
        "AgreementForm",
        [("lock_version", Annotated[int, field("Version", minimum=0, maximum=10**9)]), *fields],
        kw_only=True,
    )


async def _context(
    reads: Database, tenant: Tenant, identity: Identity, pair_id: uuid.UUID, **extra: Any
) -> dict[str, Any]:
    async with reads.tenant(tenant.id) as session:
        space = await space_for(session, pair_id, member_id(identity))
        agreement = await service.agreement_for(session, space)
    return space_context(
        tenant,
        identity,
        space,
        "agreement",
        agreement=agreement,
        principles=space.scheme.relationship.principles,
        **extra,
    )


@get("/pairs/{pair_id:uuid}/agreement", name="pair_agreement", opt=rule(MEMBER))
async def agreement_page(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    shown = await notice(request, aredis)
    return Template(PAGE, context=await _context(reads, tenant, identity, pair_id, notice=shown))


@post("/pairs/{pair_id:uuid}/agreement", name="pair_agreement_save", opt=rule(MEMBER))
async def save(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Save the sections; a change makes a new revision both must agree to again."""
    async with reads.tenant(tenant.id) as session:  # the scheme's sections (immutable)
        space = await space_for(session, pair_id, member_id(identity))
    sections = space.scheme.space.agreement
    posted = set((await request.form()).keys())
    values: dict[str, Any] = {}
    try:
        form = await read_form(request, _form_of(sections))
        values = values_of(form)
        texts = {
            s.key: getattr(form, f"section_{s.key}")
            for s in sections
            if f"section_{s.key}" in posted
        }
        _, changed = await service.save_agreement(
            db,
            tenant.id,
            member_id(identity),
            pair_id,
            texts=texts,
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
    text = (
        f"Agreement saved. We told {_name(space.other)}; you both agree to it "
        "again when you are happy with it."
        if changed
        else "Nothing had changed, so nothing was saved."
    )
    return await done_to(request, aredis, pair_id, "agreement", text)


@post("/pairs/{pair_id:uuid}/agreement/agree", name="pair_agreement_agree", opt=rule(MEMBER))
async def agree(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    pair_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Agree to the revision the page showed."""
    try:
        form = await read_form(request, AgreeForm)
        view = await service.agree(
            db, tenant.id, member_id(identity), pair_id, revision=form.revision
        )
    except Problems as problems:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_problems(PAGE, ctx, problems, {})
    except Refused as exc:
        ctx = await _context(db, tenant, identity, pair_id)
        return answer_refusal(PAGE, ctx, str(exc))
    other = "your mentee" if view.role == "mentor" else "your mentor"
    text = (
        "You agreed. You have both agreed to this version of your agreement."
        if view.agreed
        else f"You agreed. We are waiting for {other} to agree to this version."
    )
    return await done_to(request, aredis, pair_id, "agreement", text)


ROUTES: list[HTTPRouteHandler] = [agreement_page, save, agree]
