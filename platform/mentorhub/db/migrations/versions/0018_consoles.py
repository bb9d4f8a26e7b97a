"""Consoles and reports (issue 17): the platform's tenant lifecycle, the tenant admin's
settings, coordinators' scope, and the member's erasure.

* The runtime role still may not write the platform's tables (0006). The platform console
  and the tenant admin's branding change them only through SECURITY DEFINER functions that
  check what they are given: `mentorhub_tenant_create`, `mentorhub_tenant_set_status`,
  `mentorhub_tenant_add_hostname`, `mentorhub_tenant_remove_hostname`,
  `mentorhub_tenant_hostname_verified`, `mentorhub_tenant_set_branding` (the last only for
  the tenant of the caller's own transaction). A taken-over web process can do what the
  consoles can do, no more: it cannot list itself a platform administrator, write a
  hostname without its verification step, or rewrite a tenant's row at will.
* `tenant_domains.verified_at` / `verify_token`: a hostname added in the console routes only
  once verified (the HTTP challenge); the files' hostnames are the operator's and count as
  verified.
* `tenants.suspended_at`, `tenants.branding_edited_at` (once a tenant admin has edited the
  branding in the console, loading the tenant file no longer overwrites it).
* `platform_audit`: what platform admins did (create, hostnames, SSO, suspend, resume), with
  no tenant content — platform-owned, the runtime role may insert and read it.
* `mentorhub_tenant_usage(since)`: members, active pairs and mails sent since `since`, per
  tenant — counts only. It reads across tenants through `usage_count` policies granted to
  the owner alone (the function's definer), so the runtime role reaches the counts and
  never a row.
* `tenant_profiles` (one row per tenant): contact addresses and the logo (PNG/JPEG bytes).
* `coordinator_scopes`: the cohorts a coordinator runs. A coordinator with no row runs every
  cohort (as before this migration); with rows, only those.
* `members.erased_at`: a member erased at a tenant admin's request (Art. 17): the row stays,
  anonymised, so the other person's entries and the reports' aggregates keep their links.
* `scheme_versions.created_by` / `summary`: who stored a version from the console and what
  it changed, for the versions list.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mentorhub.db.rls import app_role, protect_tenant_table

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_USAGE = "(SELECT current_setting('mentorhub.scope', true)) = 'usage'"

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
HOSTNAME = (  # labels of 1-63 letters, digits and inner hyphens; 253 in all
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)"
    r"(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)

FUNCTIONS = f"""
CREATE FUNCTION mentorhub_tenant_create(
    p_id uuid, p_slug text, p_name text, p_jurisdiction text, p_branding jsonb
) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_slug IS NULL OR p_slug !~ '{SLUG}' THEN
        RAISE EXCEPTION 'invalid tenant slug' USING ERRCODE = '22023';
    END IF;
    IF p_name IS NULL OR length(btrim(p_name)) = 0 OR length(p_name) > 200 THEN
        RAISE EXCEPTION 'invalid tenant name' USING ERRCODE = '22023';
    END IF;
    IF p_jurisdiction IS NULL OR p_jurisdiction !~ '^[A-Z]{{2}}(-[A-Z0-9]{{1,3}})?$' THEN
        RAISE EXCEPTION 'invalid jurisdiction' USING ERRCODE = '22023';
    END IF;
    INSERT INTO tenants (id, slug, name, jurisdiction, status, branding)
    VALUES (p_id, p_slug, btrim(p_name), p_jurisdiction, 'active', COALESCE(p_branding, '{{}}'));
END $$;

CREATE FUNCTION mentorhub_tenant_set_status(p_id uuid, p_status text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_status NOT IN ('active', 'suspended') THEN
        RAISE EXCEPTION 'invalid tenant status' USING ERRCODE = '22023';
    END IF;
    UPDATE tenants SET status = p_status,
        suspended_at = CASE WHEN p_status = 'suspended' THEN now() ELSE NULL END
    WHERE id = p_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such tenant' USING ERRCODE = 'P0002';
    END IF;
END $$;

CREATE FUNCTION mentorhub_tenant_add_hostname(p_id uuid, p_hostname text, p_token text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_hostname IS NULL OR p_hostname !~ '{HOSTNAME}' THEN
        RAISE EXCEPTION 'invalid hostname' USING ERRCODE = '22023';
    END IF;
    IF p_token IS NULL OR length(p_token) < 20 THEN
        RAISE EXCEPTION 'invalid verification token' USING ERRCODE = '22023';
    END IF;
    INSERT INTO tenant_domains (hostname, tenant_id, verify_token, verified_at, added_at)
    VALUES (p_hostname, p_id, p_token, NULL, now());
END $$;

CREATE FUNCTION mentorhub_tenant_remove_hostname(p_id uuid, p_hostname text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM tenant_domains WHERE tenant_id = p_id AND hostname = p_hostname;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such hostname' USING ERRCODE = 'P0002';
    END IF;
END $$;

CREATE FUNCTION mentorhub_tenant_hostname_verified(p_id uuid, p_hostname text, p_token text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE tenant_domains SET verified_at = now()
    WHERE tenant_id = p_id AND hostname = p_hostname AND verify_token = p_token;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such pending hostname' USING ERRCODE = 'P0002';
    END IF;
END $$;

CREATE FUNCTION mentorhub_tenant_set_branding(p_id uuid, p_name text, p_branding jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_id IS DISTINCT FROM mentorhub_current_tenant() THEN
        RAISE EXCEPTION 'branding may be set only in the tenant''s own transaction'
            USING ERRCODE = '42501';
    END IF;
    IF p_name IS NULL OR length(btrim(p_name)) = 0 OR length(p_name) > 200 THEN
        RAISE EXCEPTION 'invalid tenant name' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(p_branding) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'invalid branding' USING ERRCODE = '22023';
    END IF;
    UPDATE tenants SET name = btrim(p_name), branding = p_branding, branding_edited_at = now()
    WHERE id = p_id;
END $$;

CREATE FUNCTION mentorhub_tenant_usage(p_since timestamptz)
RETURNS TABLE (tenant_id uuid, members bigint, active_pairs bigint, mails_sent bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    previous text := current_setting('mentorhub.scope', true);
BEGIN
    PERFORM set_config('mentorhub.scope', 'usage', true);
    RETURN QUERY
        SELECT t.id,
            (SELECT count(*) FROM members m WHERE m.tenant_id = t.id AND m.erased_at IS NULL),
            (SELECT count(*) FROM pairs p WHERE p.tenant_id = t.id AND p.state = 'active'),
            (SELECT count(*) FROM messages g
              WHERE g.tenant_id = t.id AND g.status = 'sent' AND g.sent_at >= p_since)
        FROM tenants t;
    PERFORM set_config('mentorhub.scope', COALESCE(previous, ''), true);
END $$;
"""

FUNCTION_SIGNATURES = (
    "mentorhub_tenant_create(uuid, text, text, text, jsonb)",
    "mentorhub_tenant_set_status(uuid, text)",
    "mentorhub_tenant_add_hostname(uuid, text, text)",
    "mentorhub_tenant_remove_hostname(uuid, text)",
    "mentorhub_tenant_hostname_verified(uuid, text, text)",
    "mentorhub_tenant_set_branding(uuid, text, jsonb)",
    "mentorhub_tenant_usage(timestamptz)",
)

USAGE_TABLES = ("members", "pairs", "messages")


def _tenant_id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id"), primary_key=True)


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", UUID(as_uuid=True), primary_key=True)


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], name=f"{table}_{column}_fk"
    )


def upgrade() -> None:
    role = app_role()
    # Tenants and hostnames.
    op.add_column("tenants", sa.Column("suspended_at", sa.DateTime(timezone=True)))
    op.add_column("tenants", sa.Column("branding_edited_at", sa.DateTime(timezone=True)))
    op.add_column("tenant_domains", sa.Column("verify_token", sa.String(64)))
    op.add_column("tenant_domains", sa.Column("verified_at", sa.DateTime(timezone=True)))
    op.add_column(
        "tenant_domains",
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.execute("UPDATE tenant_domains SET verified_at = now()")  # the operator's files'
    op.execute("UPDATE tenants SET suspended_at = now() WHERE status = 'suspended'")

    op.create_table(
        "platform_audit",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id")),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        _created_at(),
    )
    op.create_index("platform_audit_by_time", "platform_audit", ["created_at", "id"])
    op.create_index("platform_audit_by_tenant", "platform_audit", ["tenant_id", "created_at"])
    op.execute(f"GRANT SELECT, INSERT ON platform_audit TO {role}")

    # Tenant admin's settings.
    op.create_table(
        "tenant_profiles",
        _tenant_id(),
        _id(),
        sa.Column("contact_email", sa.String(320), nullable=False, server_default=""),
        sa.Column("contact_phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("privacy_email", sa.String(320), nullable=False, server_default=""),
        sa.Column("help_url", sa.String(500), nullable=False, server_default=""),
        sa.Column("logo", sa.LargeBinary),
        sa.Column("logo_type", sa.String(32)),
        sa.Column("logo_sha", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("updated_by", UUID(as_uuid=True)),
        sa.Column("lock_version", sa.Integer, nullable=False, server_default="0"),
        _created_at(),
        _fk("tenant_profiles", "updated_by", "members"),
        sa.CheckConstraint(
            "logo_type IS NULL OR logo_type IN ('image/png', 'image/jpeg')",
            name="tenant_profiles_logo_type_known",
        ),
        sa.CheckConstraint("logo IS NULL OR octet_length(logo) <= 1048576", name="logo_size"),
    )
    op.create_index("tenant_profiles_one", "tenant_profiles", ["tenant_id"], unique=True)
    protect_tenant_table("tenant_profiles", privileges="SELECT, INSERT, UPDATE")

    op.create_table(
        "coordinator_scopes",
        _tenant_id(),
        _id(),
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_by", UUID(as_uuid=True)),
        _created_at(),
        _fk("coordinator_scopes", "member_id", "members"),
        _fk("coordinator_scopes", "cohort_id", "cohorts"),
        _fk("coordinator_scopes", "created_by", "members"),
    )
    op.create_index(
        "coordinator_scopes_one",
        "coordinator_scopes",
        ["tenant_id", "member_id", "cohort_id"],
        unique=True,
    )
    protect_tenant_table("coordinator_scopes")

    # Erasure and scheme versions from the console.
    op.add_column("members", sa.Column("erased_at", sa.DateTime(timezone=True)))
    op.add_column("scheme_versions", sa.Column("created_by", sa.String(320)))
    op.add_column(
        "scheme_versions", sa.Column("summary", sa.Text, nullable=False, server_default="")
    )

    # Usage counts across tenants: only the definer (the owner) may read through these.
    for table in USAGE_TABLES:
        op.execute(
            f"CREATE POLICY usage_count ON {table} FOR SELECT TO CURRENT_USER USING ({_USAGE})"
        )
    for body in FUNCTIONS.split("\nCREATE FUNCTION ")[1:]:  # one statement each (asyncpg)
        op.execute("CREATE FUNCTION " + body)
    for signature in FUNCTION_SIGNATURES:
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")


def downgrade() -> None:
    for signature in FUNCTION_SIGNATURES:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    for table in USAGE_TABLES:
        op.execute(f"DROP POLICY IF EXISTS usage_count ON {table}")
    op.drop_column("scheme_versions", "summary")
    op.drop_column("scheme_versions", "created_by")
    op.drop_column("members", "erased_at")
    op.drop_table("coordinator_scopes")
    op.drop_table("tenant_profiles")
    op.drop_table("platform_audit")
    op.drop_column("tenant_domains", "added_at")
    op.drop_column("tenant_domains", "verified_at")
    op.drop_column("tenant_domains", "verify_token")
    op.drop_column("tenants", "branding_edited_at")
    op.drop_column("tenants", "suspended_at")
