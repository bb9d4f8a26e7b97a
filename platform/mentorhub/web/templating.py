"""What page templates get besides their context: the CSP nonce (`web.security`) and the
product's words for stored values (`identity.labels`: `{{ role | role_label }}`,
`{{ member.roles | role_labels }}`, `{{ entry.action | action_label }}`)."""

from __future__ import annotations

from typing import Any

from mentorhub.identity.labels import ROLE_LABELS, action_label, role_label, role_labels
from mentorhub.web.security import register_template_callables


def configure_templates(engine: Any) -> None:
    """Litestar's `engine_callback` for the Jinja engine of the pages."""
    register_template_callables(engine)
    env = engine.engine
    env.filters.update(
        role_label=role_label, role_labels=role_labels, action_label=action_label
    )
    env.globals["ROLE_LABELS"] = ROLE_LABELS
