"""One way to open a transaction: scoped to a tenant, or on the explicit platform path.

`Database.tenant(tenant_id)` sets `mentorhub.tenant_id` with `set_config(..., true)`, so the
setting ends with the transaction and a pooled connection never carries a tenant into the
next one. On the product's engine (`Database.connect`) the setting travels in the same round
trip as the transaction's BEGIN (`_ScopedConnection`): a transaction costs BEGIN (with the
setting), its statements and COMMIT. Row-level security reads it; the ORM hook below adds
the same filter to every ORM query on a tenant-owned model and refuses one that runs with no
tenant set.
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

import asyncpg
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
SCOPES = frozenset({"relay", "platform", "clock"})


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


class _ScopedConnection(asyncpg.Connection):  # type: ignore[misc]
    """asyncpg's connection, able to send a transaction's scope settings with its BEGIN.

    asyncpg's `Transaction.start` sends `BEGIN ...;` as a simple query. `_set_scope` queues
    the settings' `SELECT set_config(...)` here and starts the transaction, and the BEGIN
    carries it: one round trip instead of two (a simple query may hold several statements,
    and the transaction BEGIN opens goes on after it). What is queued is used by that BEGIN
    only and dropped right after (and when the connection goes back to the pool), so it
    can never reach another transaction."""

    __slots__ = ("_read_only", "_with_begin")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._with_begin: str | None = None
        self._read_only = False

    def send_with_begin(self, sql: str | None, *, read_only: bool = False) -> None:
        self._with_begin = sql
        self._read_only = read_only

    async def execute(
        self,
        query: str,
        *args: Any,
        timeout: float | None = None,  # noqa: ASYNC109 (asyncpg's own signature)
    ) -> str:
        if self._with_begin is not None and not args and query.startswith("BEGIN"):
            begin = query.rstrip().rstrip(";")
            if self._read_only and "READ ONLY" not in begin:
                begin += " READ ONLY"
            query = f"{begin}; {self._with_begin}"
            self.send_with_begin(None)
        return await super().execute(query, *args, timeout=timeout)  # type: ignore[no-any-return]


def _checked_in(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()
    driver = getattr(dbapi_connection, "driver_connection", None)
    if isinstance(driver, _ScopedConnection):
        driver.send_with_begin(None)


async def _set_scope(
    session: AsyncSession, tenant: str, scope: str, *, read_only: bool = False
) -> None:
    """Start the session's transaction with the transaction-local `mentorhub.tenant_id` and
    `mentorhub.scope` set, in one round trip on the product's engine: the driver's BEGIN
    carries the settings (`_ScopedConnection`). On a connection already in a transaction (a
    session joined to an outer one, as the tests do; `read_only` is then left to the outer
    transaction), or another engine's, the settings are a statement of their own.

    The transaction is started here, not at the first statement as the driver would: code
    that runs statements on the driver connection itself (the outbox's batch processing)
    relies on the transaction and its settings being in place once `Database.tenant(...)`
    has been entered. `tenant` is a UUID's text or empty, `scope` one of SCOPES or empty:
    nothing else is ever put in the SQL text."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver, adapter = raw.driver_connection, raw.dbapi_connection
    start = getattr(adapter, "_start_transaction", None)
    if (
        isinstance(driver, _ScopedConnection)
        and start is not None
        and getattr(adapter, "_transaction", True) is None  # the driver has not begun yet
        and not driver.is_in_transaction()
    ):
        driver.send_with_begin(
            f"SELECT set_config('mentorhub.tenant_id', '{tenant}', true), "
            f"set_config('mentorhub.scope', '{scope}', true);",
            read_only=read_only,
        )
        try:
            await start()  # SQLAlchemy's asyncpg adapter: BEGIN, and the settings with it
        except Exception as error:
            raise await _as_sqlalchemy_error(connection, adapter, error) from error
        finally:
            driver.send_with_begin(None)
        return
    await session.execute(
        text(
            "SELECT set_config('mentorhub.tenant_id', :tenant, true), "
            "set_config('mentorhub.scope', :scope, true)"
        ),
        {"tenant": tenant, "scope": scope},
    )


async def _as_sqlalchemy_error(connection: Any, adapter: Any, error: Exception) -> Exception:
    """What SQLAlchemy makes of a driver error on a statement, for the BEGIN `_set_scope`
    sends itself: a `DBAPIError` (so an outage is told apart from a bug, `db.errors`), with
    the connection invalidated when it is gone."""
    dialect = connection.dialect
    base = dialect.loaded_dbapi.Error
    if not isinstance(error, base):
        return error
    lost = bool(dialect.is_disconnect(error, adapter, None))
    if lost:
        await connection.invalidate(error)
    wrapped: Exception = exc.DBAPIError.instance(
        "BEGIN", None, error, base, connection_invalidated=lost, dialect=dialect
    )
    return wrapped


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
            connect_args={"connection_class": _ScopedConnection}
            | limits.connect_args()
            | kwargs.pop("connect_args", {}),
            **kwargs,
        )
        event.listen(engine.sync_engine, "connect", _checked_in)  # new: just answered
        event.listen(engine.sync_engine, "checkout", _check_out)
        event.listen(engine.sync_engine, "checkin", _checked_in)
        return cls(engine)

    async def dispose(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def tenant(
        self, tenant_id: uuid.UUID, *, read_only: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A transaction that sees only `tenant_id`'s rows; commits on success. `read_only`:
        the server refuses any write in it (BEGIN READ ONLY)."""
        if not isinstance(tenant_id, uuid.UUID):
            raise TypeError(f"tenant_id must be a UUID, not {type(tenant_id).__name__}")
        async with self.sessionmaker() as session, session.begin():
            session.info[TENANT_KEY] = tenant_id
            await _set_scope(session, str(tenant_id), "", read_only=read_only)
            yield session

    @asynccontextmanager
    async def platform(self, scope: str = "platform") -> AsyncIterator[AsyncSession]:
        """The explicit cross-tenant path. Sees platform tables; tenant-owned tables only
        where a policy grants `scope` (today: the relay on the outbox)."""
        if scope not in SCOPES:
            raise ValueError(f"unknown platform scope {scope!r}")
        async with self.sessionmaker() as session, session.begin():
            session.info["scope"] = scope
            await _set_scope(session, "", scope)
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
