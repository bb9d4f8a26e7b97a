"""What the agreement, goals and plan pages share: the space read in the request's read
transaction, the page context (the space for the sub-navigation, dates in the
association's time zone, the one-time notice), and the answers to an action (303 with a
notice; the page again with the problems, 400; with a refusal, 409)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.response import Redirect, Template

from mentorhub.applications.views.coordinator_common import page_context
from mentorhub.core.problems import Problems
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest
from mentorhub.matching.views.suggest_common import CONFLICT, done, member_id, notice, refused
from mentorhub.pairs.access import Space
from mentorhub.tenancy.models import Tenant
from mentorhub.web.forms import FormErrors, rerender

__all__ = [
    "CONFLICT",
    "answer_problems",
    "answer_refusal",
    "done_to",
    "member_id",
    "notice",
    "space_context",
]


def space_context(
    tenant: Tenant, identity: Identity, space: Space, current: str, **extra: Any
) -> dict[str, Any]:
    """A space page's context: `space` and `current` for the sub-navigation."""
    return page_context(
        tenant, identity, space=space, current=current, errors=None, values={}, **extra
    )


async def done_to(
    request: AnyRequest, aredis: Any, pair_id: uuid.UUID, page: str, text: str
) -> Redirect:
    """After an action: 303 to the space page `page` with a one-time notice."""
    return await done(request, aredis, f"/pairs/{pair_id}/{page}", text, kind="pairs")


def answer_problems(
    template: str,
    context: dict[str, Any],
    problems: Problems,
    values: dict[str, Any],
    anchors: dict[str, str] | None = None,
) -> Template:
    """The page again with the problems at their fields (400); nothing was changed."""
    errors = problems if isinstance(problems, FormErrors) else FormErrors(problems.problems)
    return rerender(template, {**context, "anchors": anchors or {}}, errors, values=values)


def answer_refusal(
    template: str, context: dict[str, Any], message: str, values: dict[str, Any] | None = None
) -> Template:
    """The page again with the refusal as its one problem (409); nothing was changed.
    `values`: what was typed, to show again (only where the page's rows are unchanged)."""
    return rerender(
        template,
        {"anchors": {}, **context},
        refused(message),
        values=values,
        status_code=CONFLICT,
    )
