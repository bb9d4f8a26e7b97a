"""One read transaction per request in its tenant, shared by the hooks and the handler.

A signed-in page used to open a tenant transaction for the navigation's unread count (the
`before_request` hook) and another for its own read: each BEGIN, the tenant setting, a query,
COMMIT. Here a request has at most one: `RequestReads` opens it on first use (a public page
that reads nothing opens none) and the middleware `EndRequestReads` ends it when the answer
starts — committed when it is a success (< 400), rolled back otherwise (the error pages of
a handler that raised) and whenever the request ends without an answer.

`RequestReads` is a `Database` whose `tenant(...)` gives that one session, so the read
helpers that take a database (`identity.queries.member`, `identity.directory
.read_members_page`) take it unchanged. It is for reads only: the transaction is READ ONLY
on the server, so a write through it fails loudly instead of being committed late. Actions
keep their own transaction (`db.tenant(...)` in their `services.py`), committed before the
handler answers. It is scoped to the request's tenant and refuses any other.

Handlers declare `reads: TenantReads` (`web.deps`); hooks call `request_reads(request)`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.enums import ScopeType
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.core.outage import unavailable_reason
from mentorhub.db import Database

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("mentorhub.web.reads")

#: Where the request's `RequestReads` lives in the request's state.
READS_KEY = "tenant_reads"


class RequestReads(Database):
    """The request's read-only tenant transaction, opened lazily (see the module)."""

    def __init__(self, db: Database, tenant_id: uuid.UUID) -> None:
        # The same engine and sessions as the application's database; no new sessionmaker.
        self.engine = db.engine
        self.sessionmaker = db.sessionmaker
        self._db = db
        self.tenant_id = tenant_id
        self._stack: AsyncExitStack | None = None
        self._session: AsyncSession | None = None

    async def session(self) -> AsyncSession:
        if self._session is None:
            stack = AsyncExitStack()
            self._session = await stack.enter_async_context(
                self._db.tenant(self.tenant_id, read_only=True)
            )
            self._stack = stack
        return self._session

    @asynccontextmanager
    async def tenant(
        self, tenant_id: uuid.UUID, *, read_only: bool = True
    ) -> AsyncIterator[AsyncSession]:
        """The shared session; leaving the block does not end the transaction."""
        if tenant_id != self.tenant_id:
            raise ValueError("a request reads only its own tenant")
        if not read_only:
            raise ValueError("the request's shared transaction is for reads only")
        yield await self.session()

    @property
    def opened(self) -> bool:
        return self._stack is not None

    async def end(self, *, commit: bool) -> None:
        stack, self._stack, self._session = self._stack, None, None
        if stack is None:
            return
        if commit:
            await stack.aclose()
        else:
            error = _Abandoned()
            await stack.__aexit__(type(error), error, None)  # rolls back, raises nothing


class _Abandoned(Exception):
    """Handed to the transaction's context to make it roll back."""


def request_reads(request: Request[Any, Any, Any]) -> RequestReads:
    """The request's `RequestReads`, made on first use. Only on a tenant's routes."""
    state = request.scope["state"]
    reads: RequestReads | None = state.get(READS_KEY)
    if reads is None:
        tenant = state.get("tenant")
        if tenant is None:
            raise LookupError("this request is for no tenant")
        reads = state[READS_KEY] = RequestReads(request.app.state.db, tenant.id)
    return reads


class EndRequestReads:
    """Litestar middleware: end the request's read transaction when the response starts,
    before anything is sent: committed when the answer is a success (< 400), rolled back
    otherwise (a handler's error reaches here as its error page: this runs inside nothing
    but Litestar's exception handling of the route), and rolled back when no answer
    started. A COMMIT that fails (the database went away) raises before the page is sent,
    and the error handling answers 503 instead.

    Ending it after the answer would take its COMMIT off the page's time, but the next
    request of the same browser could then overlap it: harmless on a pool, wrong on the one
    connection the tests share (savepoints released out of order)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})  # type: ignore[typeddict-item]

        async def ending(message: Message) -> None:
            if message["type"] == "http.response.start":
                reads: RequestReads | None = state.pop(READS_KEY, None)
                if reads is not None and reads.opened:
                    await reads.end(commit=message["status"] < 400)
            await send(message)

        try:
            await self.app(scope, receive, ending)
        finally:
            reads: RequestReads | None = state.pop(READS_KEY, None)
            if reads is not None and reads.opened:
                await _end(reads, commit=False)


async def _end(reads: RequestReads, *, commit: bool) -> None:
    try:
        await reads.end(commit=commit)
    except Exception as exc:  # no answer to change; a read-only transaction lost nothing
        reason = unavailable_reason(exc)
        if reason is None:
            log.exception("ending a request's read transaction failed")
        else:
            log.warning("a request's read transaction ended with the database away: %s", reason)
