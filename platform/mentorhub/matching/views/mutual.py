"""Mutual acceptance (Arts Marketing Association), the coordinator's side.

* `/matching/propose`: the cohorts whose scheme matches by proposals, with counts.
* `/matching/cohorts/{cohort}/proposals` (the decline mail's link): the cohort's accepted
  mentees — waiting, proposed, matched — and every proposal with each side's answer and, for a
  decline, the reason; an open proposal can be withdrawn.
* `/matching/cohorts/{cohort}/mentees/{application}`: the engine's candidate mentors for one
  mentee (the scheme's hard rules met — five-year career gap, short travelling distance — a
  free place left, none who declined them), best first, each with why in plain words; propose
  one, with an optional note to both.

The people's pages (answering a proposal) are in `mutual_answer.py` (added to ROUTES here).
Every action is one call of `matching.mutual_flow`; bad input at its field (400), a refusal
on the page (409), nothing changed. Staff only, checked by the guard and again by the
queries; another tenant's or a missing id is 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.core.problems import Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.guards import COORDINATOR, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.matching import mutual_flow as flow
from mentorhub.matching import queries_pages
from mentorhub.matching.views import mutual_answer
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
from mentorhub.web.forms import TEXT, FormErrors, field, read_form, rerender

FLOW = "mutual_acceptance"
COHORTS = "matching/mutual_cohorts.html"
COHORT = "matching/mutual_cohort.html"
CANDIDATES = "matching/mutual_candidates.html"
ONE_COHORT = "/matching/cohorts/{cohort_id:str}"
STATE_WORDS = {
    "proposed": "Waiting for answers",
    "accepted": "Both accepted — paired",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
ANSWER_WORDS = {None: "not answered yet", "accepted": "accepted", "declined": "declined"}


class ProposeForm(msgspec.Struct, kw_only=True):
    mentor: Annotated[str, field("Mentor", max_length=36, required=True)]
    note: Annotated[str, field("Note to both", kind=TEXT, max_length=2000)] = ""


class WithdrawForm(msgspec.Struct, kw_only=True):
    reason: Annotated[str, field("Reason", kind=TEXT, max_length=2000)] = ""


@get("/matching/propose", name="matching_propose_home", opt=rule(COORDINATOR))
async def cohorts(tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity) -> Template:
    async with reads.tenant(tenant.id) as session:
        rows = await queries_pages.cohorts_with_flow(session, member_id(identity), FLOW)
    return Template(COHORTS, context=context(tenant, identity, cohorts=rows))


async def _cohort_context(
    db: Database, tenant: Tenant, identity: Identity, cohort_id: uuid.UUID, **extra: Any
) -> dict[str, Any]:
    me = member_id(identity)
    async with db.tenant(tenant.id, read_only=True) as session:
        cohort = await queries_pages.cohort_for_staff(session, me, cohort_id, FLOW)
        mentees = await queries_pages.cohort_mentees(session, me, cohort_id, FLOW)
    proposals = await flow.proposals_for_cohort(db, tenant.id, me, cohort_id)
    return context(
        tenant,
        identity,
        cohort=cohort,
        mentees=mentees,
        proposals=proposals,
        state_words=STATE_WORDS,
        answer_words=ANSWER_WORDS,
        **extra,
    )


@get(f"{ONE_COHORT}/proposals", name="matching_proposals_of_cohort", opt=rule(COORDINATOR))
async def cohort_page(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    key = parse_id(cohort_id, "cohort")
    shown = await notice(request, aredis)
    return Template(
        COHORT, context=await _cohort_context(reads, tenant, identity, key, notice=shown)
    )


async def _candidates_context(
    db: Database,
    tenant: Tenant,
    identity: Identity,
    cohort_id: uuid.UUID,
    application_id: uuid.UUID,
    **extra: Any,
) -> dict[str, Any]:
    me = member_id(identity)
    async with db.tenant(tenant.id, read_only=True) as session:
        cohort = await queries_pages.cohort_for_staff(session, me, cohort_id, FLOW)
    try:
        found = await flow.candidates(db, tenant.id, me, cohort_id, application_id)
    except Problems:  # not a mentee accepted into this cohort
        raise NotFound("mentee") from None
    return context(tenant, identity, cohort=cohort, found=found, **extra)


@get(
    f"{ONE_COHORT}/mentees/{{application_id:str}}",
    name="matching_candidates",
    opt=rule(COORDINATOR),
)
async def candidates_page(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    application_id: FromPath[str],
) -> Template:
    """The engine's candidate mentors for one mentee, with a proposal form for each."""
    ckey, akey = parse_id(cohort_id, "cohort"), parse_id(application_id, "mentee")
    ctx = await _candidates_context(reads, tenant, identity, ckey, akey)
    return Template(CANDIDATES, context=ctx)


@post(
    f"{ONE_COHORT}/mentees/{{application_id:str}}/propose",
    name="matching_propose",
    opt=rule(COORDINATOR),
)
async def propose(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Propose a mentor: both are mailed and asked. A pair the hard rules exclude, a mentor
    with no free place, one who declined this mentee: refused at the field, nothing written."""
    ckey, akey = parse_id(cohort_id, "cohort"), parse_id(application_id, "mentee")
    form: ProposeForm | None = None
    try:
        form = await read_form(request, ProposeForm)
        proposal = await flow.propose(
            db, tenant.id, member_id(identity), ckey, akey, form.mentor, note=form.note
        )
    except FormErrors as form_errors:
        ctx = await _candidates_context(db, tenant, identity, ckey, akey)
        return rerender(CANDIDATES, ctx, form_errors)
    except Problems as problems:
        assert form is not None
        ctx = await _candidates_context(db, tenant, identity, ckey, akey)
        errors = FormErrors(problems.problems, msgspec.structs.asdict(form))
        return rerender(CANDIDATES, ctx, errors)
    except flow.Refused as exc:
        ctx = await _candidates_context(db, tenant, identity, ckey, akey)
        return rerender(CANDIDATES, ctx, refused(str(exc)), status_code=CONFLICT)
    views = await flow.proposals_for_cohort(db, tenant.id, member_id(identity), ckey)
    made = next((v for v in views if v.id == proposal.id), None)
    who = f"{made.mentor_name} for {made.mentee_name}" if made else "The match"
    return await done(
        request,
        aredis,
        f"/matching/cohorts/{ckey}/proposals",
        f"Proposed {who}. Both have been e-mailed and asked to accept.",
    )


@post(
    "/matching/proposals/{proposal_id:str}/withdraw",
    name="matching_withdraw_proposal",
    opt=rule(COORDINATOR),
)
async def withdraw(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    proposal_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    key = parse_id(proposal_id, "proposal")
    try:
        form = await read_form(request, WithdrawForm)
        p = await flow.withdraw_proposal(
            db, tenant.id, member_id(identity), key, reason=form.reason
        )
    except (FormErrors, flow.Refused) as exc:
        problems = exc if isinstance(exc, Problems) else refused(str(exc))
        async with db.tenant(tenant.id, read_only=True) as session:
            mine = await queries_pages.proposal_cohort(session, member_id(identity), key)
        ctx = await _cohort_context(db, tenant, identity, mine)
        status = 400 if isinstance(exc, FormErrors) else CONFLICT
        return rerender(COHORT, ctx, problems, status_code=status)
    return await done(
        request,
        aredis,
        f"/matching/cohorts/{p.cohort_id}/proposals",
        "Proposal withdrawn; both people have been told.",
    )


ROUTES = [cohorts, cohort_page, candidates_page, propose, withdraw, *mutual_answer.ROUTES]
