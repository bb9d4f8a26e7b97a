"""Request-level dependencies shared by every area."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from mentorhub.db import Database
from mentorhub.identity.guards import SignInRequired
from mentorhub.identity.sessions import Identity
from mentorhub.tenancy.models import Tenant
from mentorhub.web.reads import RequestReads, request_reads


class TenantSuspended(Exception):
    def __init__(self, tenant: Tenant) -> None:
        super().__init__(tenant.slug)
        self.tenant = tenant


async def provide_db(state: State) -> Database:
    return state.db  # type: ignore[no-any-return]


async def provide_tenant(request: Request[Any, Any, Any], tenant_slug: FromPath[str]) -> Tenant:
    """The tenant this request is for, as TenantRouting found it: the hostname's, or the
    `/t/<slug>/` prefix's where prefixes are allowed. Unknown → 404; suspended → the
    suspended page."""
    found: Tenant | None = request.scope["state"].get("tenant")
    if found is None or found.slug != tenant_slug:
        raise NotFoundException()
    if not found.is_active:
        raise TenantSuspended(found)
    return found


async def provide_identity(request: Request[Any, Any, Any]) -> Identity:
    """The signed-in identity the route's guard already checked."""
    identity: Identity | None = request.scope["state"].get("identity")
    if identity is None:
        raise SignInRequired(platform="tenant_slug" not in request.path_params)
    return identity


async def provide_reads(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> RequestReads:
    """The request's one read transaction in its tenant (`web.reads`), opened on first use.
    It depends on `tenant`, so an unknown or suspended tenant is refused first."""
    return request_reads(request)


#: What handlers declare to receive the database and the request's tenant.
DB = NamedDependency[Database]
#: The request's shared read-only tenant transaction, as a `Database` for read helpers.
TenantReads = NamedDependency[RequestReads]
CurrentTenant = NamedDependency[Tenant]
CurrentIdentity = NamedDependency[Identity]
