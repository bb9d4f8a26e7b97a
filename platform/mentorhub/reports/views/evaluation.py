"""(being built for issue 17)"""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
