"""Applications: each scheme's forms, eligibility, approvals and recruitment, from its
configuration (models, pure state machine and eligibility, actions, pages per audience).

Importing the area registers its actions with identity's hooks (a line manager's decision
through the approval link, a roster import: `services.approval_decided`,
`services.reevaluate_members`), so every process that mounts the area's pages has them.
"""

from mentorhub.applications import services as _services  # noqa: F401  (registers the hooks)
