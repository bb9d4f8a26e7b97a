"""Mutual acceptance (Arts Marketing Association), each person's side.

* `/matching/proposals` (the cancellation mail's link): the proposals addressed to the
  member, as mentor or mentee — waiting ones first, then those answered.
* `/matching/proposals/{id}` (the proposal mail's link): one proposal, to accept, or to
  decline with a reason (the proposal goes back to the coordinator with it). One not
  addressed to the member is 404.

One call of `matching.mutual_flow.answer_proposal` per answer, carrying the version the page
showed; a second answer, a closed or changed proposal: refused on the page (409), nothing
changed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.core.problems import Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.matching import mutual_flow as flow
from mentorhub.matching.views.suggest_common import (
    CONFLICT,
    context,
    done,
    member_id,
    notice,
    parse_id,
    refused,
)
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, FormErrors, choice, field, read_form, rerender

LIST = "matching/mutual_proposals.html"
ONE = "matching/mutual_proposal.html"


class AnswerForm(msgspec.Struct, kw_only=True):
    answer: Annotated[
        Literal["accepted", "declined"], choice("Choose accept or decline", label="Answer")
    ]
    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)]
    reason: Annotated[str, field("Your reason", kind=TEXT, max_length=2000)] = ""


def _words(p: flow.ProposalView) -> str:
    """Where the proposal stands, for the person reading it."""
    mine = p.mentor_answer if p.viewer == "mentor" else p.mentee_answer
    if p.state == "accepted":
        return "You both accepted: your pair has started."
    if p.state == "withdrawn":
        return "The coordinator withdrew this proposal."
    if p.state == "declined":
        if mine == "declined":
            return "You declined this proposal; it went back to the coordinator."
        return "This proposal will not go ahead; the coordinator will be in touch."
    if mine == "accepted":
        return "You accepted. Waiting for the other person's answer."
    return "Waiting for your answer."


async def _one_context(
    db: Database, tenant: Tenant, identity: Identity, key: uuid.UUID, **extra: Any
) -> dict[str, Any]:
    found = await flow.proposals_for_member(db, tenant.id, member_id(identity), open_only=False)
    p = next((x for x in found if x.id == key), None)
    if p is None:
        raise NotFound("proposal")
    mine = p.mentor_answer if p.viewer == "mentor" else p.mentee_answer
    return context(
        tenant,
        identity,
        p=p,
        other=p.mentee_name if p.viewer == "mentor" else p.mentor_name,
        may_answer=p.state == "proposed" and mine is None,
        words=_words(p),
        **extra,
    )


@get("/matching/proposals", name="matching_my_proposals", opt=rule(MEMBER))
async def proposals(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    shown = await notice(request, aredis)
    found = await flow.proposals_for_member(reads, tenant.id, member_id(identity), open_only=False)
    found.sort(key=lambda p: p.state != "proposed")
    return Template(
        LIST,
        context=context(tenant, identity, proposals=found, words=_words, notice=shown),
    )


@get("/matching/proposals/{proposal_id:str}", name="matching_my_proposal", opt=rule(MEMBER))
async def one_proposal(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    proposal_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    key = parse_id(proposal_id, "proposal")
    shown = await notice(request, aredis)
    return Template(ONE, context=await _one_context(reads, tenant, identity, key, notice=shown))


@post("/matching/proposals/{proposal_id:str}/answer", name="matching_answer", opt=rule(MEMBER))
async def answer(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    proposal_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Accept, or decline with a reason (required, at its field)."""
    key = parse_id(proposal_id, "proposal")
    form: AnswerForm | None = None
    try:
        form = await read_form(request, AnswerForm)
        p = await flow.answer_proposal(
            db,
            tenant.id,
            member_id(identity),
            key,
            form.answer,
            reason=form.reason,
            lock_version=form.lock_version,
        )
    except FormErrors as form_errors:
        return rerender(ONE, await _one_context(db, tenant, identity, key), form_errors)
    except Problems as problems:
        assert form is not None
        errors = FormErrors(problems.problems, msgspec.structs.asdict(form))
        return rerender(ONE, await _one_context(db, tenant, identity, key), errors)
    except flow.Refused as exc:
        ctx = await _one_context(db, tenant, identity, key)
        return rerender(ONE, ctx, refused(str(exc)), status_code=CONFLICT)
    if p.state == "accepted":
        text = "You accepted, and so did the other person: your pair has started."
    elif form.answer == "accepted":
        text = "You accepted. We will tell you when the other person answers."
    else:
        text = "You declined. The proposal is back with the coordinator, with your reason."
    return await done(request, aredis, f"/matching/proposals/{key}", text)


ROUTES = [proposals, one_proposal, answer]
