"""The coordinator's cockpit (issue 17): each pair's waiting checkpoint items and open tasks
through an index of those rows alone.

The cockpit's pairs statement reads, for each of a cohort's pairs, its open or missed
checkpoint items and its open coordinator tasks (`reports.cockpit`: LATERAL aggregates by
(tenant_id, pair_id)). Through `checkpoint_items_one` and `coordinator_tasks_by_pair` it read
every item and task of the pair and filtered most away (some 7 items a pair for 0.45 kept,
at 3,000 pairs 30,000 buffers); these partial indexes hold only the rows it wants, so a pair
with none costs one index probe. Both lead with tenant_id.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "checkpoint_items_waiting_by_pair",
        "checkpoint_items",
        ["tenant_id", "pair_id"],
        postgresql_where=sa.text("state IN ('open', 'missed')"),
    )
    op.create_index(
        "coordinator_tasks_open_by_pair",
        "coordinator_tasks",
        ["tenant_id", "pair_id"],
        postgresql_where=sa.text("state = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("coordinator_tasks_open_by_pair", table_name="coordinator_tasks")
    op.drop_index("checkpoint_items_waiting_by_pair", table_name="checkpoint_items")
