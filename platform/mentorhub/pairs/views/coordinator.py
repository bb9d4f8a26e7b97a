"""The pair's space: coordinator pages (issue 15). The coordinator's view of a pair is the
pair's own address, `GET /pairs/{pair_id}` [pair_home], rendered for the coordinator by
`pairs.views.home` (templates/pairs/home_coordinator.html); ending and removal are in
`pairs.views.ending`, the shared log entries in `pairs.views.logs`. No routes of its own."""

from __future__ import annotations

from litestar.handlers import HTTPRouteHandler

ROUTES: list[HTTPRouteHandler] = []
