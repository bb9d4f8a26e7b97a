"""The platform console (`/platform/...`, platform admins only): tenants, their lifecycle
(create, hostnames and their verification, single sign-on, suspend and resume) and usage
counts. `console` holds the pages; `app.py` adds `ROUTES`."""

from __future__ import annotations

from mentorhub.tenancy.views import console

ROUTES = [*console.ROUTES]

__all__ = ["ROUTES"]
