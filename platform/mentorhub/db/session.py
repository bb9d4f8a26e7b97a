"""One way to open a transaction: scoped to a tenant, or on the explicit platform path.

`Database.tenant(tenant_id)` sets `mentorhub.tenant_id` with `set_config(..., true)`, so the
setting ends with the transaction and a pooled connection never carries a tenant into the
next one. Row-level security reads it; the ORM hook below adds the same filter to every
ORM query on a tenant-owned model and refuses one that runs with no tenant set.
`Database.platform(scope)` is the separately named path for code that must see across
tenants (the outbox relay); it sets `mentorhub.scope`, which only the policies that name
that scope honour. No tenant-owned ORM query runs there, whatever the scope.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from mentorhub.db.base import TenantOwned
from mentorhub.db.urls import async_url

TENANT_KEY = "tenant_id"
SCOPES = frozenset({"relay", "platform"})


class NoTenantError(RuntimeError):
    """A tenant-owned query ran outside `Database.tenant(...)`."""


class Database:
    """Holds the runtime engine and opens scoped transactions on it."""

    def __init__(self, engine: AsyncEngine, *, bind: Any = None) -> None:
        self.engine = engine
        self.sessionmaker = async_sessionmaker(
            bind=bind if bind is not None else engine,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10, **kwargs: Any) -> Database:
        engine = create_async_engine(
            async_url(url),
            pool_size=pool_size,
            max_overflow=kwargs.pop("max_overflow", pool_size),
            pool_pre_ping=True,
            **kwargs,
        )
        return cls(engine)

    async def dispose(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def tenant(self, tenant_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
        """A transaction that sees only `tenant_id`'s rows; commits on success."""
        if not isinstance(tenant_id, uuid.UUID):
            raise TypeError(f"tenant_id must be a UUID, not {type(tenant_id).__name__}")
        async with self.sessionmaker() as session, session.begin():
            session.info[TENANT_KEY] = tenant_id
            await session.execute(
                text(
                    "SELECT set_config('mentorhub.tenant_id', :tenant, true), "
                    "set_config('mentorhub.scope', '', true)"
                ),
                {"tenant": str(tenant_id)},
            )
            yield session

    @asynccontextmanager
    async def platform(self, scope: str = "platform") -> AsyncIterator[AsyncSession]:
        """The explicit cross-tenant path. Sees platform tables; tenant-owned tables only
        where a policy grants `scope` (today: the relay on the outbox)."""
        if scope not in SCOPES:
            raise ValueError(f"unknown platform scope {scope!r}")
        async with self.sessionmaker() as session, session.begin():
            session.info["scope"] = scope
            await session.execute(
                text(
                    "SELECT set_config('mentorhub.scope', :scope, true), "
                    "set_config('mentorhub.tenant_id', '', true)"
                ),
                {"scope": scope},
            )
            yield session


def current_tenant(session: AsyncSession) -> uuid.UUID:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise NoTenantError("this session is not scoped to a tenant")
    return tenant_id  # type: ignore[no-any-return]


@event.listens_for(Session, "do_orm_execute")
def _scope_tenant_queries(state: ORMExecuteState) -> None:
    """Application-level scoping: every ORM statement on a tenant-owned model is filtered by
    the session's tenant; with no tenant set, it fails loudly instead of seeing nothing."""
    if not (state.is_select or state.is_update or state.is_delete):
        return
    mappers = state.all_mappers
    if not any(issubclass(m.class_, TenantOwned) for m in mappers):
        return
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None:
        # The relay's scope too: its policy lets it see every tenant's outbox rows, so it
        # uses Core statements on the outbox table only, never the tenant-owned ORM models.
        raise NoTenantError("a tenant-owned query ran outside Database.tenant(...)")
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
        )
    )
