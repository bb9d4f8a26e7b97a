"""Shared fixtures for the scheme engine tests: the five shipped tenant files."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from mentorhub.schemes import TenantFile, load_tenant_file

TENANTS_DIR = Path(__file__).resolve().parents[2] / "tenants"
SLUGS = (
    "arts-marketing",
    "museums-association",
    "advice-skills-academy",
    "ahep",
    "alberta-museums",
)

_LOADED = {slug: load_tenant_file(TENANTS_DIR / f"{slug}.toml") for slug in SLUGS}


def tenant(slug: str) -> TenantFile:
    """The validated tenant file of `slug` (loaded once per test run)."""
    return _LOADED[slug]


def raw(slug: str) -> dict[str, Any]:
    """A fresh, mutable copy of the parsed TOML of `slug` for breaking on purpose."""
    return tomllib.loads((TENANTS_DIR / f"{slug}.toml").read_text(encoding="utf-8"))


@pytest.fixture
def tenants_dir() -> Path:
    return TENANTS_DIR
