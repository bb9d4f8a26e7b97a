"""Errors of tenancy, kept free of heavy imports so start-up code can catch them cheaply."""


class TenantFilesError(ValueError):
    """A tenants folder that cannot be loaded; the message lists every problem."""


class TenantConflict(ValueError):
    """A tenant file claims a hostname another tenant already serves."""
