"""Helpers for the suggest-and-accept and mutual-acceptance flows' tests: carry out a
tenant's outbox as the worker does (the workers' own handler mapping), read who got what."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.messages.models import Message
from mentorhub.outbox.models import OutboxMessage
from mentorhub.outbox.process import process_message
from tests.applications.conftest import World


def handlers() -> Any:
    """The workers' one mapping (imported late: `workers` reads REDIS_URL when imported)."""
    from workers.handlers import HANDLERS

    return HANDLERS


async def run_outbox(db: Database, world: World, *, kind: str | None = None) -> int:
    """Carry out the tenant's open outbox rows (of `kind`, or all, until none is left, as
    rows may write more rows), as the worker would. Returns how many were carried out."""
    done = 0
    while True:
        async with db.tenant(world.id) as session:
            query = select(OutboxMessage.id).where(
                OutboxMessage.done_at.is_(None), OutboxMessage.failed_at.is_(None)
            )
            if kind is not None:
                query = query.where(OutboxMessage.kind == kind)
            pending = list((await session.execute(query.order_by(OutboxMessage.id))).scalars())
        if not pending:
            return done
        for outbox_id in pending:
            if await process_message(db, world.id, outbox_id, handlers()):
                done += 1
        if kind is not None:
            return done


async def kinds_to(db: Database, world: World, member_id: uuid.UUID) -> list[str]:
    async with db.tenant(world.id) as session:
        rows = await session.execute(
            select(Message.kind).where(Message.member_id == member_id).order_by(Message.id)
        )
        return list(rows.scalars())


async def contexts(
    db: Database, world: World, member_id: uuid.UUID, kind: str
) -> list[dict[str, Any]]:
    async with db.tenant(world.id) as session:
        rows = await session.execute(
            select(Message.context)
            .where(Message.member_id == member_id, Message.kind == kind)
            .order_by(Message.id)
        )
        return [dict(c) for c in rows.scalars()]


async def count(db: Database, world: World, model: Any, *where: Any) -> int:
    async with db.tenant(world.id) as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return int((await session.execute(query)).scalar_one())
