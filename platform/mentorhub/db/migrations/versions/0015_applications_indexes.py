"""The coordinator's queue and an application's history, read through indexes.

* `audit_log_by_subject` (tenant_id, subject, created_at, id): an application's history is
  its audit entries (subject = its id) oldest first; it was a scan of the tenant's whole
  log by time. `queue.around` reads it exactly: the tenant, the subject, in this order.
* `applications.search_haystack`: what the queue's search looks in, kept by PostgreSQL
  (a stored generated column): the applicant's name, e-mail and member number
  (`search_text`) and the values of their answers (not the questions' ids), lower case.
  The search read the answers with `jsonb_each_text` per row and per query (about 13 ms
  for a cohort of 3,000, up to three times a page); now it is one LIKE per word on a
  column. It is computed by `applications_search_haystack(search_text, answers)`, an
  immutable SQL function (jsonb keeps an object's keys in one order, so the same answers
  always give the same text). No trigram index: the search is always within one cohort,
  whose rows the `applications_queue*` indexes find (3,000 rows filtered in ~1-2 ms); with
  a GIN trigram index on this column over 1,000 tenants' applications, PostgreSQL still
  chose the cohort's index for every search (EXPLAIN ANALYZE), so it would only cost
  writes. (pg_trgm is available on the embedded PostgreSQL 18 and the machine's 15, and is
  a trusted extension the database owner may create, should a search across cohorts
  ever need it.)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "audit_log_by_subject", "audit_log", ["tenant_id", "subject", "created_at", "id"]
    )
    op.execute(
        """
        CREATE FUNCTION applications_search_haystack(search_text text, answers jsonb)
        RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$
            SELECT lower(search_text || ' ' || coalesce(
                (SELECT string_agg(e.value, ' ') FROM jsonb_each_text(answers) AS e), ''))
        $$
        """
    )
    op.execute(
        "ALTER TABLE applications ADD COLUMN search_haystack text GENERATED ALWAYS AS "
        "(applications_search_haystack(search_text, answers)) STORED"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE applications DROP COLUMN search_haystack")
    op.execute("DROP FUNCTION applications_search_haystack(text, jsonb)")
    op.drop_index("audit_log_by_subject", "audit_log")
