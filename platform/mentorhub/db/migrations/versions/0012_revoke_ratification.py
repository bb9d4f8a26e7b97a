"""A board ratification recorded by mistake can be revoked: the runtime role may delete a
row of board_ratifications (0011 granted SELECT, INSERT only). The revocation is audited
(`ratification_revoked`, with the member and the date that was recorded), as a removed
training record is; the audit log keeps the history, the table what stands now.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from alembic import op

from mentorhub.db.rls import app_role

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"GRANT DELETE ON board_ratifications TO {app_role()}")


def downgrade() -> None:
    op.execute(f"REVOKE DELETE ON board_ratifications FROM {app_role()}")
