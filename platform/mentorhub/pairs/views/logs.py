"""The pair's space: logs pages (issue 15). Filled in by the page group's owner."""

from __future__ import annotations

from litestar.handlers import HTTPRouteHandler

ROUTES: list[HTTPRouteHandler] = []
