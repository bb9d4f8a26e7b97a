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

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc, text
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


@dataclass(frozen=True)
class Timeouts:
    """How long a connection may wait, in seconds. `statement` and `idle_in_transaction` are
    the server's own limits (`statement_timeout`, `idle_in_transaction_session_timeout`); a
    server that is frozen cannot enforce them, so the driver gives up on any command one
    second after `statement` too. `connect` bounds opening a connection (handshake
    included), `pool` waiting for one from a full pool. The product's come from its settings
    (`Settings.db_timeouts()`), handed in by whoever connects: the data layer reads no
    settings."""

    connect: float = 3.0
    statement: float = 5.0
    idle_in_transaction: float = 60.0
    pool: float = 3.0

    def connect_args(self) -> dict[str, Any]:
        """asyncpg's `connect()` arguments."""
        return {
            "timeout": self.connect,
            "command_timeout": self.statement + 1,
            "server_settings": {
                "statement_timeout": str(round(self.statement * 1000)),
                "idle_in_transaction_session_timeout": str(round(self.idle_in_transaction * 1000)),
            },
        }


#: A pooled connection idle longer than this is pinged before use.
PING_AFTER_IDLE = 1.0


def _checked_in(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _check_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Replace a dead pooled connection before it is used. A connection the server closed
    (a restart, a terminated backend) is known closed without a round trip; one idle for a
    second or more is pinged. SQLAlchemy's `pool_pre_ping` pinged every checkout: three
    round trips on asyncpg (BEGIN, `;`, ROLLBACK) before each transaction, the largest
    single cost of a page's transaction, for connections used a millisecond earlier."""
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("connection closed by the server")
    if time.monotonic() - record.info.get("idle_since", 0.0) >= PING_AFTER_IDLE:
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise exc.DisconnectionError(str(error)) from error


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
    def connect(
        cls, url: str, *, pool_size: int = 10, timeouts: Timeouts | None = None, **kwargs: Any
    ) -> Database:
        """A pooled engine on `url`. Every connection carries `timeouts` (the defaults
        unless the caller passes its settings'), so a frozen or unreachable server fails a
        request in seconds; a connection that died while the server was away is replaced
        at checkout (`_check_out`)."""
        limits = timeouts if timeouts is not None else Timeouts()
        engine = create_async_engine(
            async_url(url),
            pool_size=pool_size,
            max_overflow=kwargs.pop("max_overflow", pool_size),
            pool_timeout=limits.pool,
            connect_args=limits.connect_args() | kwargs.pop("connect_args", {}),
            **kwargs,
        )
        event.listen(engine.sync_engine, "connect", _checked_in)  # new: just answered
        event.listen(engine.sync_engine, "checkout", _check_out)
        event.listen(engine.sync_engine, "checkin", _checked_in)
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
