"""Applications: each scheme's forms, eligibility, approvals and recruitment, from its
configuration (models, pure state machine and eligibility, actions, pages per audience)."""
