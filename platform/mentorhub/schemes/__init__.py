"""The scheme engine: each association's rules as validated configuration, and every pair's
timeline computed from them.

Public API (pure; no I/O except the loader reading a file):

- :func:`load_tenant_file` / :func:`load_tenant` / :func:`parse_tenant_file` /
  :func:`parse_scheme` → :class:`TenantFile` / :class:`Scheme`, or :class:`SchemeError`
  whose ``problems`` each name file, key path and message;
- :func:`timeline` (scheme, :class:`PairFacts`, jurisdiction=…) → sorted :class:`Event` list;
- :func:`describe` (scheme) → :class:`Section` list for the public scheme page;
- :func:`scheme_document` (scheme) → JSON-ready dict to store a version (read back with
  :func:`parse_scheme`).
"""

from mentorhub.schemes.describe import Section, describe
from mentorhub.schemes.errors import FactsError, Problem, SchemeError
from mentorhub.schemes.loader import (
    TenantFile,
    default_tenants_dir,
    load_tenant,
    load_tenant_file,
    parse_tenant_file,
    scheme_document,
)
from mentorhub.schemes.rules import Scheme, TenantInfo
from mentorhub.schemes.timeline import (
    Event,
    PairFacts,
    Span,
    relationship_span,
    tenant_timeline,
    timeline,
)
from mentorhub.schemes.validate import parse_scheme, parse_tenant

__all__ = [
    "Event",
    "FactsError",
    "PairFacts",
    "Problem",
    "Scheme",
    "SchemeError",
    "Section",
    "Span",
    "TenantFile",
    "TenantInfo",
    "default_tenants_dir",
    "describe",
    "load_tenant",
    "load_tenant_file",
    "parse_scheme",
    "parse_tenant",
    "parse_tenant_file",
    "relationship_span",
    "scheme_document",
    "tenant_timeline",
    "timeline",
]
