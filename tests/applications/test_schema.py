"""The applications tables: keyed by tenant, one live application per cohort and role."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from mentorhub.applications.models import Application
from mentorhub.db import Database
from tests.applications.conftest import add_member, make_world


async def test_one_live_application_per_cohort_and_role(db: Database) -> None:
    world = await make_world(db, "museums-association")
    member = await add_member(db, world.tenant)

    def application(state: str = "draft") -> Application:
        return Application(
            tenant_id=world.tenant.id,
            id=uuid.uuid4(),
            cohort_id=world.cohort.id,
            member_id=member.id,
            role="mentee",
            state=state,
        )

    async with db.tenant(world.tenant.id) as session:
        session.add(application("withdrawn"))
        session.add(application())
    with pytest.raises(IntegrityError, match="applications_one_live"):
        async with db.tenant(world.tenant.id) as session:
            session.add(application())
    async with db.tenant(world.tenant.id) as session:
        count = await session.execute(text("SELECT count(*) FROM applications"))
        assert count.scalar_one() == 2
