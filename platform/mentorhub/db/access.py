"""Fetch by id within the current tenant. Missing and foreign rows get the same answer, so
an error never tells a caller what exists in another tenant."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db.base import TenantOwned
from mentorhub.db.session import current_tenant

T = TypeVar("T", bound=TenantOwned)


class NotFound(LookupError):
    """Raised in a handler, it answers the 404 page (`app.py`); the status code also keeps
    its traceback out of the log, as for any 4xx."""

    status_code = 404

    def __init__(self, what: str) -> None:
        super().__init__(f"No such {what}.")
        self.what = what


async def get_in_tenant(
    session: AsyncSession, model: type[T], id_: uuid.UUID | int | str, *, what: str | None = None
) -> T:
    label = what or model.__name__.lower()
    tenant_id = current_tenant(session)
    try:
        key: object = uuid.UUID(str(id_)) if isinstance(id_, str) else id_
    except ValueError:
        raise NotFound(label) from None
    row = await session.get(model, {"tenant_id": tenant_id, "id": key})
    if row is None:
        raise NotFound(label)
    return row
