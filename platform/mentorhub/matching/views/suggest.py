"""Suggest and accept (AHEP), the mentee's side, and the member's matching page.

* `/matching/me`: where the member stands in whichever flow concerns them — their
  suggestions or request (a mentee who chooses), their requests and availability (a mentor
  who is chosen), proposals addressed to them (a scheme whose coordinator proposes).
* `/matching/suggestions`: the mentee's top N mentors (name and what the scheme lets them
  see — job title, biography — and why each is suggested, the engine's explanation in plain
  words); a form to rank up to three and write why; once sent, the request's status (which
  choice it is with, until when), with a button to withdraw it; after a decline or an expiry,
  what happened and a fresh top N to choose from again.

The mentor's pages are in `suggest_mentor.py` (added to ROUTES here). Every action is one call
of `matching.suggest_flow`; a refusal is shown on the page (409), bad input at its field
(400), nothing changed.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.core.problems import Problems
from mentorhub.db import Database
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.matching import mutual_flow
from mentorhub.matching import suggest_flow as flow
from mentorhub.matching.views import suggest_mentor
from mentorhub.matching.views.suggest_common import (
    CONFLICT,
    at_field,
    context,
    day_in,
    done,
    member_id,
    notice,
    parse_id,
    refused,
)
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, FormErrors, field, read_form, rerender

PAGE = "matching/suggest.html"
HOME = "matching/suggest_home.html"

#: Where a choice stands, in words (RequestView.choices' third item).
CHOICE_WORDS = {
    "asking": "asked now — waiting for an answer",
    "accepted": "accepted",
    "declined": "declined",
    "expired": "did not answer in time",
    "unavailable": "became unavailable",
    "full": "had no free place left",
    "skipped": "skipped (full or away when your request came to them)",
    "withdrawn": "withdrawn",
    "waiting": "next, if needed",
}
#: How a closed request ended, in words.
CLOSED_WORDS = {
    "declined": "Your request was declined",
    "expired": "Your request was not answered in time",
    "withdrawn": "You withdrew your request",
    "accepted": "Your request was accepted",
}
ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth")


class ChooseForm(msgspec.Struct, kw_only=True):
    cohort: Annotated[str, field("Cohort", max_length=36)] = ""
    choice_1: Annotated[str, field("First choice", max_length=36)] = ""
    choice_2: Annotated[str, field("Second choice", max_length=36)] = ""
    choice_3: Annotated[str, field("Third choice", max_length=36)] = ""
    reasons: Annotated[
        str, field("Why would you like this mentor?", kind=TEXT, max_length=2000)
    ] = ""


async def _page_context(
    db: Database, tenant: Tenant, identity: Identity, **extra: Any
) -> dict[str, Any]:
    me = member_id(identity)
    page = await flow.suggestions_for(db, tenant.id, me)
    last = None
    if page.open_request is None and page.cohort_id is not None:
        last = await flow.request_status(db, tenant.id, me, cohort_id=page.cohort_id)
    return context(
        tenant,
        identity,
        page=page,
        last=last,
        choice_words=CHOICE_WORDS,
        closed_words=CLOSED_WORDS,
        ordinals=ORDINALS,
        **extra,
    )


@get("/matching/suggestions", name="matching_suggestions", opt=rule(MEMBER))
async def suggestions(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """The mentee's suggestions and request."""
    shown = await notice(request, aredis)
    return Template(PAGE, context=await _page_context(reads, tenant, identity, notice=shown))


@post("/matching/suggestions", name="matching_choose", opt=rule(MEMBER))
async def choose(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Send the request: up to three ranked choices and the reasons. Bad input at its field
    (400); a refusal (an open request already, matched already) on the page (409)."""
    form: ChooseForm | None = None
    try:
        form = await read_form(request, ChooseForm)
        choices = [form.choice_1, form.choice_2, form.choice_3]
        req = await flow.choose(
            db,
            tenant.id,
            member_id(identity),
            choices,
            form.reasons,
            cohort_id=form.cohort or None,
        )
    except FormErrors as form_errors:
        return rerender(PAGE, await _page_context(db, tenant, identity), form_errors)
    except Problems as problems:
        assert form is not None
        errors = FormErrors(
            at_field(problems, {"choices": "choice_1"}).problems, msgspec.structs.asdict(form)
        )
        return rerender(PAGE, await _page_context(db, tenant, identity), errors)
    except flow.Refused as exc:
        return rerender(
            PAGE,
            await _page_context(db, tenant, identity),
            refused(str(exc)),
            status_code=CONFLICT,
        )
    names = await flow.request_status(db, tenant.id, member_id(identity), cohort_id=req.cohort_id)
    asked = names.mentor_name if names is not None else "your first choice"
    return await done(
        request,
        aredis,
        "/matching/suggestions",
        f"Your request is sent. {asked} has been asked and has until "
        f"{day_in(tenant, req.expires_at)} to answer.",
    )


@post(
    "/matching/suggestions/{request_id:str}/withdraw",
    name="matching_withdraw_request",
    opt=rule(MEMBER),
)
async def withdraw(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Withdraw the open request (to choose again); another's request is 404."""
    key = parse_id(request_id, "request")
    try:
        await flow.withdraw_request(db, tenant.id, member_id(identity), key)
    except flow.Refused as exc:
        return rerender(
            PAGE,
            await _page_context(db, tenant, identity),
            refused(str(exc)),
            status_code=CONFLICT,
        )
    return await done(
        request,
        aredis,
        "/matching/suggestions",
        "Your request is withdrawn. You can choose again below.",
    )


@get("/matching/me", name="matching_home", opt=rule(MEMBER))
async def home(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
) -> Template:
    """Where the member stands in matching, whichever flow their scheme uses."""
    me = member_id(identity)
    mentee = await flow.suggestions_for(reads, tenant.id, me)
    places = await flow.availability_of(reads, tenant.id, me)
    incoming = await flow.incoming_requests(reads, tenant.id, me) if places else []
    proposals = await mutual_flow.proposals_for_member(reads, tenant.id, me)
    return Template(
        HOME,
        context=context(
            tenant,
            identity,
            mentee=mentee if mentee.cohort_id is not None else None,
            places=places,
            incoming=incoming,
            proposals=proposals,
        ),
    )


ROUTES = [suggestions, choose, withdraw, home, *suggest_mentor.ROUTES]
