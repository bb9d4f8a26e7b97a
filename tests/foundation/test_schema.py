"""Structural isolation: read the catalog, so a future table cannot slip through."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mentorhub.db import Database
from mentorhub.db.rls import PLATFORM_TABLES

TABLES = text(
    """
    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
           EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy,
           COALESCE((
             SELECT array_agg(a.attname::text ORDER BY a.attname)
             FROM pg_constraint k
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
             WHERE k.conrelid = c.oid AND k.contype = 'p'), '{}') AS pk
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
    """
)

FOREIGN_KEYS = text(
    """
    SELECT k.conname, src.relname, dst.relname,
           ARRAY(SELECT attname::text FROM pg_attribute
                 WHERE attrelid = k.conrelid AND attnum = ANY (k.conkey)) AS cols
    FROM pg_constraint k
    JOIN pg_class src ON src.oid = k.conrelid
    JOIN pg_class dst ON dst.oid = k.confrelid
    JOIN pg_namespace n ON n.oid = src.relnamespace
    WHERE k.contype = 'f' AND n.nspname = 'public'
    """
)

VIEWS = text(
    """
    SELECT c.relname, COALESCE(c.reloptions, '{}') AS options
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')
    """
)


async def isolation_violations(conn: AsyncConnection) -> list[str]:
    """Everything about the schema that would let one tenant's rows reach another."""
    problems = []
    tables = (await conn.execute(TABLES)).all()
    tenant_tables = set()
    for name, rls, forced, has_policy, pk in tables:
        if name in PLATFORM_TABLES:
            continue
        tenant_tables.add(name)
        if "tenant_id" not in pk:
            problems.append(f"{name}: primary key {pk} lacks tenant_id")
        if not rls:
            problems.append(f"{name}: row-level security is not enabled")
        if not forced:
            problems.append(f"{name}: row-level security is not forced")
        if not has_policy:
            problems.append(f"{name}: has no policy")
    for fk, src, dst, cols in (await conn.execute(FOREIGN_KEYS)).all():
        if src in tenant_tables and dst in tenant_tables and "tenant_id" not in cols:
            problems.append(f"{src}: foreign key {fk} to {dst} does not include tenant_id")
    for view, options in (await conn.execute(VIEWS)).all():
        if "security_invoker=true" not in options and "security_invoker=on" not in options:
            problems.append(f"view {view} is not security_invoker")
    return problems


async def test_every_tenant_table_is_keyed_and_forced(owner_db: Database) -> None:
    async with owner_db.sessionmaker() as session:
        conn = await session.connection()
        tables = {row[0] for row in (await conn.execute(TABLES)).all()}
        assert {"members", "outbox", "audit_log", "tenants"} <= tables  # the check sees tables
        assert await isolation_violations(conn) == []


async def test_check_fails_when_rls_is_dropped_from_any_table(owner_db: Database) -> None:
    """The structural test is not vacuous: weaken each tenant table in turn (inside a
    transaction that is rolled back) and it must complain about exactly that table."""
    async with owner_db.sessionmaker() as session:
        conn = await session.connection()
        names = [r[0] for r in (await conn.execute(TABLES)).all() if r[0] not in PLATFORM_TABLES]
        assert names
        for name in names:
            for change, expected in (
                (f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY", "not forced"),
                (f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY", "not enabled"),
            ):
                savepoint = await conn.begin_nested()
                await conn.execute(text(change))
                problems = await isolation_violations(conn)
                await savepoint.rollback()
                assert problems == [f"{name}: row-level security is {expected}"]


async def test_check_rejects_a_table_without_tenant_key_and_an_unsafe_view(
    owner_db: Database,
) -> None:
    async with owner_db.sessionmaker() as session:
        conn = await session.connection()
        savepoint = await conn.begin_nested()
        await conn.execute(text("CREATE TABLE sneaky (id int PRIMARY KEY)"))
        await conn.execute(text("CREATE VIEW member_names AS SELECT display_name FROM members"))
        problems = await isolation_violations(conn)
        await savepoint.rollback()
        assert "sneaky: primary key ['id'] lacks tenant_id" in problems
        assert "sneaky: row-level security is not forced" in problems
        assert "view member_names is not security_invoker" in problems


async def test_runtime_role_owns_nothing_and_cannot_bypass(owner_db: Database) -> None:
    async with owner_db.sessionmaker() as session:
        role = (
            await session.execute(
                text(
                    "SELECT rolsuper, rolbypassrls, "
                    "(SELECT count(*) FROM pg_class WHERE relowner = r.oid) "
                    "FROM pg_roles r WHERE rolname = 'mentorhub_app'"
                )
            )
        ).one()
        assert tuple(role) == (False, False, 0)
