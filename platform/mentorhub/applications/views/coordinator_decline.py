"""Declining an application, from the coordinator's page of it: the coordinator picks one
of the templated reasons (`services.feedback_templates`), edits it and sends it (or sends
the decision alone: where the scheme offers feedback, the applicant is told they can ask);
where the scheme invites those it could not place to the next intake (Alberta), priority
in the next intake can be offered with it. Refusals and stale forms as on the
application's page (`coordinator_review._act`)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response, Template

from mentorhub.applications import services
from mentorhub.applications.views.coordinator_common import DeclineForm, parse_uuid
from mentorhub.applications.views.coordinator_review import ONE, _act, _actor, _context
from mentorhub.core.problems import Problems
from mentorhub.db import Database
from mentorhub.identity.guards import COORDINATOR, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.schemes.rules import Scheme
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import rerender

DECLINE_PAGE = "applications/review_decline.html"


async def _decline_page(
    db: Database,
    tenant: Tenant,
    identity: Identity,
    key: uuid.UUID,
    reason: str | None,
    errors: Problems | None = None,
    status_code: int = 400,
) -> Template:
    context = await _context(db, tenant, identity, key)
    scheme: Scheme = context["around"].scheme
    templates = services.feedback_templates(scheme, context["a"].role)
    chosen = reason if reason in templates else None
    context.update(
        templates=templates,
        reason=chosen,
        values={"feedback": templates[chosen] if chosen else ""},
    )
    if errors is not None:
        return rerender(DECLINE_PAGE, context, errors, status_code=status_code)
    return Template(DECLINE_PAGE, context=context)


@get(f"{ONE}/decline", name="coordinator_decline_form", opt=rule(COORDINATOR))
async def coordinator_decline_form(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
) -> Template:
    """Pick a reason (`?reason=`): the feedback box starts with its text, to edit."""
    key = parse_uuid(application_id)
    reason = request.query_params.get("reason")
    return await _decline_page(reads, tenant, identity, key, reason)


@post(f"{ONE}/decline", name="coordinator_decline", opt=rule(COORDINATOR))
async def coordinator_decline(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Unsuccessful, with the feedback as edited (may be empty: the scheme's offer of
    feedback is mailed instead where it makes one) and priority in the next intake if
    ticked."""

    async def call(form: DeclineForm, key: uuid.UUID) -> None:
        await services.decline(
            db,
            tenant.id,
            _actor(identity),
            key,
            feedback=form.feedback,
            priority_next_intake=form.priority == "yes",
            lock_version=form.lock_version,
        )

    return await _act(
        request,
        tenant,
        db,
        identity,
        aredis,
        application_id,
        "decline",
        DeclineForm,
        call,
        show=lambda key, errors: _decline_page(db, tenant, identity, key, None, errors),
    )


ROUTES = [coordinator_decline_form, coordinator_decline]
