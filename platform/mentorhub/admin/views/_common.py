"""What the tenant admin's pages (`scheme`, `settings`, `coordinators`) answer alike: the
acting member's id for the audit, a form page shown plain or again with its problems, and
the 303 back to a page with a one-time notice."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from litestar.response import Redirect, Template
from redis.asyncio import Redis

from mentorhub.core.problems import Problems
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, base
from mentorhub.web import flash
from mentorhub.web.forms import rerender


def actor_id(identity: Identity) -> uuid.UUID | None:
    """The signed-in member's id (None for an identity without a member row)."""
    return uuid.UUID(identity.member_id) if identity.member_id else None


def form_page(
    template: str,
    context: Mapping[str, Any],
    values: Mapping[str, Any],
    errors: Problems | None = None,
    *,
    status_code: int = 400,
) -> Template:
    """The page with `values` in its form: plain (200), or with `errors` listed in the
    error summary and at their fields (`status_code`, 400 unless said)."""
    if errors is None:
        return Template(template, context={**context, "errors": None, "values": dict(values)})
    return rerender(template, context, errors, values=values, status_code=status_code)


async def back_with_notice(
    aredis: Redis, request: AnyRequest, page: str, notice: dict[str, Any]
) -> Redirect:
    """303 to `page` (under the tenant's base), which shows `notice` once."""
    await flash.put(aredis, request, TENANT_COOKIE, notice)
    return Redirect(f"{base(request)}{page}", status_code=303)
