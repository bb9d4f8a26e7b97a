"""The small shared core every area stands on: shape checks for files and inputs
(:mod:`~mentorhub.core.shape`) and running work tenant by tenant
(:mod:`~mentorhub.core.tenants`). It imports no area of the product."""
