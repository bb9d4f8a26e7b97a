"""Every tenant and hostname, kept in the process and at most a second old.

Tenant routing runs on every request, and tenants change rarely (an operator loads a file,
suspends an association). So instead of one or two platform transactions per request, each
web process keeps a *snapshot*: all tenants with their hostnames, read in one query, with
dictionaries by hostname and by slug, and the list in name order for
the landing page. A request looks its tenant up in memory.

Freshness — a suspended tenant must take effect within a second, in every process:

- A snapshot is served only while it is younger than `MAX_AGE` (1 s), counted from the
  moment its query *started*; the first request after that reads a new one (concurrent
  requests wait for that one read, they do not each run it). So a change committed at time
  T, by any process or by hand in SQL, is seen by every request routed after T + 1 s.
- A change made through this process's own code (`tenancy.services.set_status`,
  `upsert_tenant`, tenant loading) calls `invalidate()`, which makes every snapshot in the
  process stale at once.

Why a short TTL rather than a Redis pub/sub message: the TTL needs no writer to remember to
publish (a tenant changed by `mentorhub tenants load`, another web process or plain SQL is
covered alike), cannot miss a message while Redis reconnects, and has no subscriber task or
connection per process; its cost is one small query per second per web process while the
site is busy, and none while it is idle. A platform with many thousands of tenants would
want PostgreSQL `LISTEN/NOTIFY` or a version column instead of reading all of them each
second.

The snapshot's `Tenant` rows are detached ORM instances shared by all requests of the
process: read them, never change or attach them (nothing in the product does).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from mentorhub.db import Database
from mentorhub.tenancy.models import Tenant

#: Seconds a snapshot is served for (a suspension takes effect within this).
MAX_AGE = 1.0

_generation = 0


def invalidate() -> None:
    """Tenants or hostnames changed here: no snapshot in this process is served again."""
    global _generation
    _generation += 1


@dataclass(frozen=True)
class Snapshot:
    started: float  # monotonic time its query started
    generation: int
    by_hostname: dict[str, Tenant] = field(default_factory=dict)
    by_slug: dict[str, Tenant] = field(default_factory=dict)
    in_name_order: tuple[Tenant, ...] = ()

    def hostname(self, hostname: str) -> Tenant | None:
        return self.by_hostname.get(hostname.lower())

    def slug(self, slug: str) -> Tenant | None:
        return self.by_slug.get(slug)


class TenantDirectory:
    """One per application (web process); see the module docstring."""

    def __init__(
        self,
        db_getter: Callable[[], Database],
        *,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db_getter = db_getter
        self.max_age = max_age
        self.clock = clock
        self.loads = 0  # how many snapshots were read (tests and benchmarks look)
        self._snapshot: Snapshot | None = None
        self._loading: asyncio.Task[Snapshot] | None = None

    def _fresh(self, snapshot: Snapshot | None) -> bool:
        return (
            snapshot is not None
            and snapshot.generation == _generation
            and self.clock() - snapshot.started < self.max_age
        )

    async def snapshot(self) -> Snapshot:
        """The current snapshot; reads a new one (once, for all waiting requests) when it is
        a second old or something in this process changed a tenant."""
        snapshot = self._snapshot
        if self._fresh(snapshot):
            return snapshot  # type: ignore[return-value]
        loading = self._loading
        if loading is None or loading.done():
            loading = self._loading = asyncio.ensure_future(self._load())
        # Shielded: a request that goes away does not cancel the read others wait for.
        return await asyncio.shield(loading)

    async def _load(self) -> Snapshot:
        started, generation = self.clock(), _generation
        try:
            async with self.db_getter().platform() as session:
                stmt = select(Tenant).options(joinedload(Tenant.domains)).order_by(Tenant.name)
                tenants = list((await session.execute(stmt)).unique().scalars())
        finally:
            self._loading = None
        snapshot = Snapshot(
            started=started,
            generation=generation,
            by_hostname={  # a console-added hostname routes once verified
                d.hostname: t for t in tenants for d in t.domains if d.verified_at is not None
            },
            by_slug={t.slug: t for t in tenants},
            in_name_order=tuple(tenants),
        )
        self.loads += 1
        if self._snapshot is None or self._snapshot.started <= started:
            self._snapshot = snapshot
        return snapshot
