"""Approval requests keep their details in the order they were given: a JSON array of
[label, value] pairs instead of an object (jsonb reorders an object's keys by length, so
an approver saw "Role, Applicant, Organisation" for "Applicant, Organisation, Role").

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _as_owner_of_every_row(sql: str) -> None:
    """Row-level security is forced on the owner too: lift it for this one statement, in
    this transaction, so a data change reaches every tenant's rows."""
    op.execute("ALTER TABLE approval_requests NO FORCE ROW LEVEL SECURITY")
    op.execute(sql)
    op.execute("ALTER TABLE approval_requests FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    # Existing objects become arrays of pairs (in jsonb's key order: the original is lost).
    _as_owner_of_every_row(
        "UPDATE approval_requests SET details = COALESCE(("
        "SELECT jsonb_agg(jsonb_build_array(key, value)) FROM jsonb_each_text(details)"
        "), '[]'::jsonb) WHERE jsonb_typeof(details) = 'object'"
    )
    op.execute("ALTER TABLE approval_requests ALTER COLUMN details SET DEFAULT '[]'::jsonb")
    op.execute(
        "ALTER TABLE approval_requests ADD CONSTRAINT approval_requests_details_pairs "
        "CHECK (jsonb_typeof(details) = 'array')"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE approval_requests DROP CONSTRAINT approval_requests_details_pairs")
    op.execute("ALTER TABLE approval_requests ALTER COLUMN details SET DEFAULT '{}'::jsonb")
    _as_owner_of_every_row(
        "UPDATE approval_requests SET details = COALESCE(("
        "SELECT jsonb_object_agg(pair->>0, pair->>1) FROM jsonb_array_elements(details) pair"
        "), '{}'::jsonb)"
    )
