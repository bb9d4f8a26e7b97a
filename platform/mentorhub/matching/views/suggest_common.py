"""What the suggest-and-accept and mutual-acceptance pages share: the signed-in member's id,
dates in the association's time zone, the pages' common context, the refusal shown as the
page's error summary, and one-time notices after an action."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from litestar.response import Redirect

from mentorhub.applications.queue import tenant_zone
from mentorhub.core.problems import Problem, Problems
from mentorhub.db.access import NotFound
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, base
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash

#: How a refused action is answered: the page again with the reason, 409.
CONFLICT = 409


def member_id(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


def parse_id(value: str, what: str) -> uuid.UUID:
    """An id from the address; anything that is not one is "No such …" (404)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(what) from None


def day_in(tenant: Tenant, value: date | datetime | None) -> str:
    """A day in words, a moment taken in the association's time zone."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(tenant_zone(tenant.jurisdiction))
    return f"{value.day} {value:%B %Y}"


def context(tenant: Tenant, identity: Identity, **extra: Any) -> dict[str, Any]:
    zone = tenant_zone(tenant.jurisdiction)

    def day(value: date | datetime | None) -> str:
        return day_in(tenant, value)

    def when(value: datetime | None) -> str:
        if value is None:
            return "—"
        local = value.astimezone(zone)
        return f"{local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()}"

    return {
        "tenant": tenant,
        "identity": identity,
        "day": day,
        "when": when,
        "errors": None,
        "values": {},
        **extra,
    }


def refused(message: str) -> Problems:
    """A refusal as the page's one problem (nothing was changed)."""
    text = str(message).rstrip()
    if "Nothing was changed" not in text:
        text = f"{text} Nothing was changed."
    return Problems([Problem(message=text)])


def at_field(problems: Problems, renames: dict[str, str]) -> Problems:
    """The service's problems with their paths renamed to the page's field ids."""
    return Problems(
        [Problem(path=renames.get(p.path, p.path), message=p.message) for p in problems.problems]
    )


async def done(
    request: AnyRequest, aredis: Any, path: str, text: str, kind: str = "matching"
) -> Redirect:
    """After an action: the notice for the next page, and 303 to it."""
    await flash.put(aredis, request, TENANT_COOKIE, {"kind": kind, "text": text})
    return Redirect(f"{base(request)}{path}", status_code=303)


async def notice(request: AnyRequest, aredis: Any) -> dict[str, Any] | None:
    return await flash.take(aredis, request, TENANT_COOKIE)
