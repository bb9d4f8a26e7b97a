"""Every tenant route, probed across tenants: an administrator signed in at association A
gets nothing from any signed-in route of association B — it is sent to B's sign-in (GET) or
refused (POST) — and nothing of B changes. The routes are enumerated from the real
application, so a route added later is probed without editing this test."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import func, select

from mentorhub.app import create_app
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.guards import PUBLIC, litestar_options
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import (  # noqa: F401  (fixtures)
    SLUG_A,
    SLUG_B,
    client,
    csrf_from,
    providers,
    settings,
    sign_in,
    tenant_a,
    tenant_b,
)

TENANT_PREFIX = "/t/{tenant_slug:str}"


def _signed_in_tenant_routes(settings: Settings) -> list[tuple[str, str]]:  # noqa: F811
    """(method, path template) of every tenant route that needs a session."""
    found = []
    for route in create_app(settings).app.routes:  # type: ignore[attr-defined]
        if not route.path.startswith(TENANT_PREFIX):
            continue
        for handler in route.route_handlers:
            if litestar_options(handler) or handler.opt.get("rule") == PUBLIC:
                continue
            for method in sorted(handler.http_methods):
                found.append((method, route.path))
    return found


def _concrete(template: str, slug: str) -> str:
    """Fill the path parameters: the tenant's slug, and a well-formed id for the rest."""
    path = template.replace("{tenant_slug:str}", slug)
    path = re.sub(r"\{[^}]+:int\}", "1", path)
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def _audit_count(db: Database, tenant: Tenant) -> int:
    async with db.tenant(tenant.id) as session:
        count = await session.execute(select(func.count()).select_from(AuditEntry))
        return int(count.scalar_one())


async def test_a_session_of_one_tenant_opens_no_route_of_another(
    client: Any,  # noqa: F811
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    tenant_b: Tenant,  # noqa: F811
) -> None:
    routes = _signed_in_tenant_routes(settings)
    assert any(method == "POST" for method, _ in routes)  # the enumeration sees forms too
    assert len(routes) > 10
    signed_in = await sign_in(client, SLUG_A, "admin")
    assert signed_in.status_code == 303
    token = csrf_from((await client.get(f"/t/{SLUG_A}/admin/members")).text)
    before = await _audit_count(db, tenant_b)
    for method, template in routes:
        path = _concrete(template, SLUG_B)
        if method == "GET":
            answer = await client.get(path)
            assert answer.status_code == 303, (path, answer.status_code)
            assert answer.headers["location"].endswith(f"/t/{SLUG_B}/login"), path
        else:
            answer = await client.request(method, path, data={"_csrf_token": token})
            assert answer.status_code in (403, 303), (method, path, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"].endswith(f"/t/{SLUG_B}/login"), path
    assert await _audit_count(db, tenant_b) == before
    # The same session still works at home: the probes were refused, not the session.
    assert (await client.get(f"/t/{SLUG_A}/admin/members")).status_code == 200
