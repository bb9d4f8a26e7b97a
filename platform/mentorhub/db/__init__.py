"""The data layer: engines, the tenant-scoped and platform transactions, the access helper."""

from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.db.session import Database, NoTenantError, Timeouts

__all__ = ["Database", "NoTenantError", "NotFound", "Timeouts", "get_in_tenant"]
