"""What page templates get besides their context: the CSP nonce (`web.security`) and the
product's words for stored values (`identity.labels`: `{{ role | role_label }}`,
`{{ member.roles | role_labels }}`, `{{ entry.action | action_label }}`)."""

from __future__ import annotations

from typing import Any

from mentorhub.identity.labels import ROLE_LABELS, action_label, role_label, role_labels
from mentorhub.web.security import register_template_callables


def configure_templates(engine: Any, *, auto_reload: bool = False) -> None:
    """Litestar's `engine_callback` for the Jinja engine of the pages. Each template is
    compiled once per process; Jinja's default would also stat its file (and every file it
    extends) on every render to see whether it changed, so that is left on only in debug
    mode."""
    register_template_callables(engine)
    env = engine.engine
    env.auto_reload = auto_reload
    env.filters.update(
        role_label=role_label, role_labels=role_labels, action_label=action_label
    )
    env.globals["ROLE_LABELS"] = ROLE_LABELS
