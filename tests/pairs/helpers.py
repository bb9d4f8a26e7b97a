"""Helpers for the matching flows' and pairs' tests: accepted applicants with real answers
(posted through the scheme's own form parser), as the applications area leaves them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from mentorhub.applications.models import Application
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.messages.models import Message
from mentorhub.schemes.forms import form_for, parse_answers
from tests.applications.conftest import World, add_member, answers


async def accepted(
    db: Database, world: World, role: str, name: str | None = None, **given: Any
) -> Application:
    """A member (with `role`) whose application for `role` in the world's cohort is
    accepted, with the answers of `answers(world, role, **given)`."""
    name = name or f"{role.title()} {uuid.uuid4().hex[:4]}"
    member = await add_member(db, world.tenant, name, roles=(role,))
    form = form_for(world.scheme, role)
    assert form is not None
    parsed, errors = parse_answers(
        form, answers(world, role, **given), final=True, organisations=["Citizens Advice Leeds"]
    )
    assert errors == [], errors
    async with db.tenant(world.id) as session:
        app = Application(
            tenant_id=world.id,
            id=uuid.uuid4(),
            cohort_id=world.cohort.id,
            member_id=member.id,
            role=role,
            state="accepted",
            answers=parsed,
            lock_version=1,
        )
        session.add(app)
    return app


async def member_of(db: Database, world: World, member_id: uuid.UUID) -> Member:
    async with db.tenant(world.id) as session:
        found = await session.get(Member, {"tenant_id": world.id, "id": member_id})
        assert found is not None
        return found


async def kinds_of(db: Database, world: World, member_id: uuid.UUID) -> list[str]:
    async with db.tenant(world.id) as session:
        rows = await session.execute(
            select(Message.kind).where(Message.member_id == member_id).order_by(Message.id)
        )
        return list(rows.scalars())
