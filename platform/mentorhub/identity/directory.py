"""The members list a tenant admin and a coordinator page through and search.

A search matches a member whose name, e-mail address or member number contains the words
typed, each word anywhere, in any case ("smith 2031" finds Jane Smith, M-2031). Row-level
security keeps PostgreSQL from using an index for a condition whose functions are not
leakproof (LIKE), so a search filters the tenant's members in name order: a common word
fills its page after a few rows, a rare one reads the tenant's members once. What it reads
is `members.search_text`: name, e-mail and member number lowercased into one column when
the row is written (a stored generated column, migration 0007), so a row costs one LIKE.
The match count is exact up to `COUNT_LIMIT` and said as "more than" beyond it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Text, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core.paging import PAGE_SIZE, Page, window
from mentorhub.db import Database
from mentorhub.identity.models import Member

#: Beyond this many matches a search says "more than 1,000"; counting them all would read
#: every member for a word that matches most of them.
COUNT_LIMIT = 1_000


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(search: str) -> ColumnElement[bool] | None:
    words = search.lower().split()
    if not words:
        return None
    haystack = literal_column("members.search_text", Text)
    return and_(*(haystack.like(f"%{_escape_like(w)}%", escape="\\") for w in words))


async def members_page(
    session: AsyncSession, *, search: str = "", number: int = 1, size: int = PAGE_SIZE
) -> Page[Member]:
    """One page of the tenant's members in name order, those matching `search` if given.
    `total` is exact, except for a search with more than `COUNT_LIMIT` matches: then it is
    COUNT_LIMIT (the pages reach that far) and `Page.capped` says there are more."""
    condition = _matches(search)
    keys = select(Member.id)
    if condition is not None:
        keys = keys.where(condition)
        counted = select(func.count()).select_from(keys.limit(COUNT_LIMIT + 1).subquery())
    else:
        counted = select(func.count()).select_from(Member)
    total = int((await session.execute(counted)).scalar_one())
    capped = condition is not None and total > COUNT_LIMIT
    total = min(total, COUNT_LIMIT) if capped else total
    last = max(1, -(-total // size))
    number = min(max(1, number), last)
    if total == 0:
        return Page(rows=[], number=1, size=size, total=0)
    at = window(total, number, size, exact=not capped)
    order = (
        (Member.display_name.desc(), Member.id.desc())
        if at.backwards
        else (Member.display_name, Member.id)
    )
    page_keys = keys.order_by(*order).offset(at.offset).limit(at.limit).subquery()
    rows = await session.execute(
        select(Member)
        .join(page_keys, Member.id == page_keys.c.id)
        .order_by(Member.display_name, Member.id)
    )
    return Page(
        rows=list(rows.scalars()),
        number=number,
        size=size,
        total=total,
        capped=capped,
    )


async def read_members_page(
    db: Database, tenant_id: uuid.UUID, *, search: str = "", number: int = 1
) -> Page[Member]:
    """`members_page` in its own short tenant transaction, for a page."""
    async with db.tenant(tenant_id) as session:
        return await members_page(session, search=search, number=number)
