"""Which cohorts a coordinator runs (`coordinator_scopes`, migration 0018).

A coordinator with no row runs every cohort of the tenant (how every coordinator worked
before scopes existed, and what a small association wants); with rows, only those cohorts.
The cockpit, the evaluation report and the coordinator's other cohort pages ask here."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.admin.models import CoordinatorScope

__all__ = ["Scope", "cohorts_in_scope", "in_scope"]

#: None: every cohort; otherwise the cohorts this coordinator runs.
Scope = frozenset[uuid.UUID] | None


async def cohorts_in_scope(session: AsyncSession, member_id: uuid.UUID | None) -> Scope:
    """The cohorts `member_id` coordinates, in the session's tenant (None: every cohort).
    A tenant admin who is not a coordinator is asked with their own id: no rows, every
    cohort (tenant admins oversee the whole association)."""
    if member_id is None:
        return None
    rows = await session.execute(
        select(CoordinatorScope.cohort_id).where(CoordinatorScope.member_id == member_id)
    )
    cohorts = frozenset(rows.scalars())
    return cohorts or None


def in_scope(scope: Scope, cohort_id: uuid.UUID) -> bool:
    return scope is None or cohort_id in scope
