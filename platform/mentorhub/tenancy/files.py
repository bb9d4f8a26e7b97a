"""Read the `[tenant]` part of a tenant file: who the association is and how it looks.
The `[scheme]` part is the scheme engine's to read and validate."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import holidays
import msgspec

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class TenantFileError(ValueError):
    pass


class Branding(msgspec.Struct, forbid_unknown_fields=True):
    scheme_name: str
    tagline: str = ""
    logo_text: str = ""
    primary_color: str = "#1f4e79"
    accent_color: str = "#c2410c"


class TenantInfo(msgspec.Struct, forbid_unknown_fields=True):
    slug: str
    name: str
    jurisdiction: str
    hostnames: list[str]
    branding: Branding


@dataclass(frozen=True)
class TenantFile:
    path: Path
    tenant: TenantInfo


def check_jurisdiction(code: str) -> str | None:
    """None if `holidays` knows `code` (COUNTRY or COUNTRY-SUBDIVISION), else the problem."""
    country, _, subdiv = code.partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        return f"unknown country {country!r} (the holidays library does not know it)"
    if subdiv and subdiv not in supported[country]:
        return f"unknown subdivision {subdiv!r} of {country}"
    return None


def parse_tenant(data: object, source: str) -> TenantInfo:
    try:
        info = msgspec.convert(data, TenantInfo)
    except msgspec.ValidationError as exc:
        raise TenantFileError(f"{source}: tenant: {exc}") from None
    problems = []
    if not SLUG.match(info.slug):
        problems.append(f"tenant.slug {info.slug!r} must be lower-case words joined by hyphens")
    if not info.hostnames:
        problems.append("tenant.hostnames must list at least one hostname")
    for i, host in enumerate(info.hostnames):
        if not HOSTNAME.match(host):
            problems.append(f"tenant.hostnames[{i}] {host!r} is not a lower-case hostname")
    if (problem := check_jurisdiction(info.jurisdiction)) is not None:
        problems.append(f"tenant.jurisdiction: {problem}")
    for key in ("primary_color", "accent_color"):
        if not HEX_COLOUR.match(getattr(info.branding, key)):
            problems.append(f"tenant.branding.{key} must be a colour like #1f4e79")
    if problems:
        raise TenantFileError("\n".join(f"{source}: {p}" for p in problems))
    return info


def read_tenant_file(path: Path) -> TenantFile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TenantFileError(f"{path}: {exc}") from None
    if "tenant" not in data:
        raise TenantFileError(f"{path}: has no [tenant] table")
    return TenantFile(path=path, tenant=parse_tenant(data["tenant"], str(path)))


def read_tenant_dir(directory: Path) -> list[TenantFile]:
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise TenantFileError(f"{directory}: no tenant files (*.toml)")
    return [read_tenant_file(p) for p in files]
