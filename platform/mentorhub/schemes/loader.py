"""Read a tenant file (`tenants/<slug>.toml`): its `[tenant]` identity, its `[scheme]` and,
optionally, its own wording of messages (`[messages.<kind>]`, see `schemes.messages`).

All tables are validated in one go so `mentorhub scheme check tenants/*.toml` reports every
problem of every file. Keys outside `[tenant]`, `[scheme]` and `[messages]` are errors.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from mentorhub.schemes.errors import Problem, SchemeError
from mentorhub.schemes.messages import MessageText, check_messages, message_texts
from mentorhub.schemes.rules import Scheme, TenantInfo
from mentorhub.schemes.validate import _scheme_found, _tenant_found, parse_scheme

__all__ = [
    "TenantFile",
    "default_tenants_dir",
    "load_tenant",
    "load_tenant_file",
    "parse_scheme",
    "parse_tenant_file",
    "scheme_document",
]

TOP_LEVEL_KEYS = ("messages", "scheme", "tenant")


class TenantFile(msgspec.Struct, frozen=True):
    """A validated tenant file: where it came from, who the tenant is, its scheme, and the
    kinds of message it rewords (not part of the scheme's versioned rules: the wording is
    the tenant's current one, see `tenancy.loading`)."""

    path: str
    tenant: TenantInfo
    scheme: Scheme
    messages: tuple[MessageText, ...] = ()


def parse_tenant_file(data: Any, source: str, *, expected_slug: str | None = None) -> TenantFile:
    """Validate a whole tenant document (already parsed from TOML); every problem is listed."""
    found: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        raise SchemeError([Problem(file=source, message="must be a TOML document")])
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            found.append((str(key), "unknown key (allowed here: messages, scheme, tenant)"))
    if "tenant" in data:
        found.extend(_tenant_found(data["tenant"], expected_slug))
    else:
        found.append(("tenant", "required table [tenant] is missing"))
    if "scheme" in data:
        found.extend(_scheme_found(data["scheme"]))
    else:
        found.append(("scheme", "required table [scheme] is missing"))
    if "messages" in data:
        found.extend(check_messages(data["messages"]))
    if found:
        raise SchemeError(
            Problem(file=source, path=path, message=message) for path, message in found
        )
    return TenantFile(
        path=source,
        tenant=msgspec.convert(data["tenant"], TenantInfo),
        scheme=msgspec.convert(data["scheme"], Scheme),
        messages=message_texts(data.get("messages")),
    )


def scheme_document(scheme: Scheme) -> dict[str, Any]:
    """The scheme as a JSON-ready document, for storing a version in the database.

    `parse_scheme(scheme_document(s), source) == s`: a stored version reads back exactly,
    so a pair can keep the version it started under.
    """
    doc: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(scheme))
    return doc


def load_tenant_file(path: str | os.PathLike[str]) -> TenantFile:
    """Read and validate `path`; raises :class:`SchemeError` naming the file in each problem.

    The tenant's slug must match the file name (`ahep.toml` holds slug "ahep").
    """
    p = Path(path)
    source = str(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        problem = Problem(file=source, message=f"cannot read: {exc.strerror or exc}")
        raise SchemeError([problem]) from None
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError([Problem(file=source, message=f"not valid TOML: {exc}")]) from None
    return parse_tenant_file(data, source, expected_slug=p.stem)


def default_tenants_dir() -> Path:
    """`$MENTORHUB_TENANTS_DIR`, else the repository's `tenants/` next to `platform/`."""
    env = os.environ.get("MENTORHUB_TENANTS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "tenants"


def load_tenant(slug: str, tenants_dir: str | os.PathLike[str] | None = None) -> TenantFile:
    """The validated tenant file of `slug` (`<tenants_dir>/<slug>.toml`).

    Raises :class:`FileNotFoundError` when there is no such tenant, :class:`SchemeError`
    when its file is invalid.
    """
    directory = Path(tenants_dir) if tenants_dir is not None else default_tenants_dir()
    if not slug or "/" in slug or "\\" in slug or slug.startswith("."):
        raise FileNotFoundError(f"unknown tenant {slug!r}")
    path = directory / f"{slug}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in directory.glob("*.toml")) if directory.is_dir() else []
        hint = f" (known: {', '.join(known)})" if known else f" (no tenant files in {directory})"
        raise FileNotFoundError(f"unknown tenant {slug!r}{hint}")
    return load_tenant_file(path)
