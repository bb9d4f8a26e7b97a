"""(filled in by its owner; see views/__init__.py)"""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
