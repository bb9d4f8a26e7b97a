"""The platform console's tenant lifecycle (issue 17, point 4) against the real database,
Redis and SMTP sink: create (a reference scheme and the blank one), bad input changing
nothing, slug and hostname conflicts, a failed creation leaving nothing so that the same form
works again, hostnames and their HTTP challenge (a real server on loopback), single sign-on
stored, suspend and resume, usage counted exactly — and another tenant's content never on
the platform's pages."""

from __future__ import annotations

import dataclasses
import tomllib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update

from mentorhub.app import create_app
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import IdentityProvider, Member
from mentorhub.messages.models import Message
from mentorhub.schemes.loader import load_tenant, scheme_document
from mentorhub.schemes.models import SchemeVersion
from mentorhub.schemes.validate import parse_scheme
from mentorhub.settings import Settings
from mentorhub.tenancy import lifecycle
from mentorhub.tenancy.models import PlatformAuditEntry, Tenant, TenantDomain
from mentorhub.tenancy.verify import ChallengeFailed, fetch_challenge
from tests.browser.helpers import serving_on_loopback
from tests.checkpoints.clock_helpers import clock_world
from tests.conftest import new_slug
from tests.foundation.helpers import make_tenant
from tests.messages.sink import Sink
from tests.messages.test_messages import deliver_all
from tests.support import as_owner
from tests.tenancy.conftest import ADMIN, Console, platform_audit


def form(slug: str, /, **over: str) -> dict[str, str]:
    values = {
        "slug": slug,
        "name": f"Guild {slug}",
        "jurisdiction": "gb-eng",
        "hostnames": f"mentoring.{slug}.example.org\n\nMENTOR.{slug}.example.org.\n",
        "admin_email": f"first.admin@{slug}.example.org",
        "scheme": "ahep",
    }
    return {**values, **over}


async def tenant_by_slug(db: Database, slug: str) -> Tenant | None:
    async with db.platform() as session:
        return (
            await session.execute(select(Tenant).where(Tenant.slug == slug))
        ).scalar_one_or_none()


async def counts(db: Database) -> tuple[int, int, int]:
    """Tenants, hostnames and platform audit entries, all of them."""
    async with db.platform() as session:
        return (
            (await session.execute(select(func.count()).select_from(Tenant))).scalar_one(),
            (await session.execute(select(func.count()).select_from(TenantDomain))).scalar_one(),
            (
                await session.execute(select(func.count()).select_from(PlatformAuditEntry))
            ).scalar_one(),
        )


async def tenant_rows(db: Database, tenant_id: uuid.UUID, model: Any) -> list[Any]:
    async with db.tenant(tenant_id) as session:
        return list((await session.execute(select(model))).scalars())


# --- create -----------------------------------------------------------------------------------


async def test_a_tenant_is_created_from_a_reference_scheme(
    db: Database, console: Console, inbox: Sink
) -> None:
    slug = new_slug()
    done = await console.post("/platform/tenants/new", form(slug))
    assert done.status_code == 303, done.text[:2000]
    assert done.headers["location"] == f"/platform/tenants/{slug}?done=created"

    tenant = await tenant_by_slug(db, slug)
    assert tenant is not None and tenant.is_active
    assert (tenant.name, tenant.jurisdiction) == (f"Guild {slug}", "GB-ENG")
    domains = sorted(tenant.domains, key=lambda d: d.hostname)
    assert [d.hostname for d in domains] == [
        f"mentor.{slug}.example.org",
        f"mentoring.{slug}.example.org",
    ]
    assert all(d.verified_at is None and len(d.verify_token or "") == 43 for d in domains)
    assert tenant.hostnames == []  # pending ones route nowhere

    ahep = load_tenant("ahep")
    [version] = await tenant_rows(db, tenant.id, SchemeVersion)
    assert (version.version, version.created_by) == (1, ADMIN)
    expected = scheme_document(ahep.scheme)
    assert {k: v for k, v in version.document.items() if k != "version"} == {
        k: v for k, v in expected.items() if k != "version"
    }
    async with db.tenant(tenant.id) as session:
        wording = (
            await session.execute(text("SELECT count(*) FROM message_templates"))
        ).scalar_one()
    assert wording == len(ahep.messages)

    [admin] = await tenant_rows(db, tenant.id, Member)
    assert (admin.email, admin.roles) == (f"first.admin@{slug}.example.org", ["tenant_admin"])
    actions = sorted(e.action for e in await tenant_rows(db, tenant.id, AuditEntry))
    assert actions == ["role_change", "tenant_created"]
    [created] = await platform_audit(db, tenant.id)
    assert (created.action, created.actor) == ("tenant.created", ADMIN)
    assert created.details["scheme"] == "ahep"

    await deliver_all(db, tenant)
    [mail] = inbox.to(admin.email)
    assert "administrator" in str(mail.parsed().get_body(("plain",)).get_content()).lower()  # type: ignore[union-attr]

    page = await console.get(done.headers["location"])
    assert page.status_code == 200
    assert "The tenant was created" in page.text
    assert f"mentoring.{slug}.example.org" in page.text and "Pending" in page.text
    assert f"/.well-known/mentorhub-verify/{domains[1].verify_token}" in page.text


async def test_a_tenant_is_created_with_the_blank_scheme(db: Database, console: Console) -> None:
    slug = new_slug()
    done = await console.post(
        "/platform/tenants/new", form(slug, scheme="blank", hostnames="", jurisdiction="CA-AB")
    )
    assert done.status_code == 303, done.text[:2000]
    tenant = await tenant_by_slug(db, slug)
    assert tenant is not None and tenant.domains == []
    [version] = await tenant_rows(db, tenant.id, SchemeVersion)
    blank = tomllib.loads(lifecycle.BLANK_SCHEME.read_text())["scheme"]
    assert version.version == 1
    assert version.document == scheme_document(parse_scheme(blank, "blank"))
    home = await console.client.get(f"/t/{slug}/")
    assert home.status_code == 200 and f"Guild {slug}" in home.text


def test_the_blank_scheme_is_a_valid_scheme_of_version_1() -> None:
    data = tomllib.loads(lifecycle.BLANK_SCHEME.read_text())
    assert set(data) == {"scheme"}
    scheme = parse_scheme(data["scheme"], "blank")
    assert scheme.version == 1 and scheme.checkpoints == ()


BAD: list[tuple[dict[str, str], str, str]] = [
    ({"slug": "Bad Slug"}, "slug", "Slug must be lower-case"),
    ({"slug": "-leading"}, "slug", "Slug must be lower-case"),
    ({"slug": "new"}, "slug", "kept for this page"),
    ({"slug": ""}, "slug", "Slug must be lower-case"),
    ({"name": ""}, "name", "Name is needed"),
    ({"jurisdiction": "XX"}, "jurisdiction", "unknown country"),
    ({"jurisdiction": "GB-ZZZ"}, "jurisdiction", "unknown subdivision"),
    ({"hostnames": "not a hostname"}, "hostnames", "is not a hostname"),
    ({"hostnames": "localhost"}, "hostnames", "is not a hostname"),
    ({"admin_email": "nobody"}, "admin_email", "e-mail"),
    ({"admin_email": ""}, "admin_email", "is needed"),
    ({"scheme": "museums-associations"}, "scheme", "Choose a starting scheme"),
    ({"scheme": ""}, "scheme", "Choose a starting scheme"),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD)
async def test_bad_input_creates_nothing(
    db: Database, console: Console, change: dict[str, str], field: str, words: str
) -> None:
    before = await counts(db)
    slug = new_slug()
    refused = await console.post("/platform/tenants/new", form(slug, **change))
    assert refused.status_code == 400
    assert "The tenant was not created" in refused.text
    assert f'href="#{field}' in refused.text
    assert words in refused.text
    assert await counts(db) == before


async def test_a_taken_slug_or_hostname_is_refused(db: Database, console: Console) -> None:
    other = await make_tenant(db)  # serves <slug>.example.org
    before = await counts(db)
    taken_slug = await console.post("/platform/tenants/new", form(other.slug))
    assert taken_slug.status_code == 400
    assert f"The slug {other.slug} is taken" in taken_slug.text
    taken_host = await console.post(
        "/platform/tenants/new", form(new_slug(), hostnames=f"{other.slug}.example.org")
    )
    assert taken_host.status_code == 400
    assert f"{other.slug}.example.org already serves a tenant" in taken_host.text
    assert await counts(db) == before


FAIL_ON_MEMBER = """
CREATE FUNCTION pg_temp.refuse_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT slug FROM tenants WHERE id = NEW.tenant_id) = '{slug}' THEN
        RAISE EXCEPTION 'the second part fails (test)';
    END IF;
    RETURN NEW;
END $$
"""


async def test_a_failure_after_the_tenant_row_leaves_nothing_and_the_same_form_works_again(
    db: Database, console: Console, settings: Settings
) -> None:
    """The tenant row, its hostnames and audit entries are written first; the first admin
    is listed last. A real failure there (a trigger that refuses the member) must leave no
    half-made tenant behind, and the same form sent again must create it."""
    slug = new_slug()
    before = await counts(db)
    async with as_owner(db) as owner, owner.platform() as session:
        await session.execute(text(FAIL_ON_MEMBER.format(slug=slug)))
        await session.execute(
            text(
                "CREATE TRIGGER refuse_member BEFORE INSERT ON members "
                "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_member()"
            )
        )
    new = lifecycle.NewTenant(
        slug=slug,
        name="Half Made",
        jurisdiction="GB-ENG",
        hostnames=f"half.{slug}.example.org",
        admin_email=f"admin@{slug}.example.org",
        scheme="arts-marketing",
    )
    with pytest.raises(Exception, match="the second part fails"):
        await lifecycle.create_tenant(db, settings, new, actor=ADMIN)
    assert await tenant_by_slug(db, slug) is None
    assert await counts(db) == before
    async with as_owner(db) as owner, owner.platform() as session:
        await session.execute(text("DROP TRIGGER refuse_member ON members"))
    tenant = await lifecycle.create_tenant(db, settings, new, actor=ADMIN)
    assert tenant.slug == slug
    assert [d.hostname for d in tenant.domains] == [f"half.{slug}.example.org"]
    assert len(await tenant_rows(db, tenant.id, SchemeVersion)) == 1
    assert [m.roles for m in await tenant_rows(db, tenant.id, Member)] == [["tenant_admin"]]
    assert [e.action for e in await platform_audit(db, tenant.id)] == ["tenant.created"]


# --- hostnames and their challenge -------------------------------------------------------------


async def created(db: Database, settings: Settings, hostnames: str = "") -> Tenant:
    slug = new_slug()
    return await lifecycle.create_tenant(
        db,
        settings,
        lifecycle.NewTenant(
            slug=slug,
            name=f"Guild {slug}",
            jurisdiction="GB-ENG",
            hostnames=hostnames,
            admin_email=f"admin@{slug}.example.org",
            scheme="blank",
        ),
        actor=ADMIN,
    )


async def test_hostnames_are_added_pending_refused_when_taken_and_removed(
    db: Database, console: Console, settings: Settings
) -> None:
    tenant = await created(db, settings)
    other = await make_tenant(db)
    base = f"/platform/tenants/{tenant.slug}/hostnames"
    added = await console.post(base, {"hostname": f"Www.{tenant.slug}.example.org"})
    assert added.status_code == 303
    host = f"www.{tenant.slug}.example.org"
    before = await counts(db)
    for bad, words in [
        (f"{other.slug}.example.org", "already serves a tenant"),
        (host, "already serves a tenant"),
        ("no_underscores.example.org", "is not a hostname"),
        ("", "Hostname is needed"),
    ]:
        refused = await console.post(base, {"hostname": bad})
        assert refused.status_code == 400, bad
        assert words in refused.text and 'href="#hostname"' in refused.text
    assert await counts(db) == before
    page = await console.get(f"/platform/tenants/{tenant.slug}")
    assert host in page.text and "Pending" in page.text
    unknown = await console.post(f"{base}/elsewhere.example.org/remove")
    assert unknown.status_code == 404
    removed = await console.post(f"{base}/{host}/remove")
    assert removed.status_code == 303
    async with db.platform() as session:
        left = (
            await session.execute(select(TenantDomain).where(TenantDomain.tenant_id == tenant.id))
        ).all()
    assert left == []
    actions = sorted(e.action for e in await platform_audit(db, tenant.id))
    assert actions == ["hostname.added", "hostname.removed", "tenant.created"]


async def test_the_challenge_verifies_a_hostname_served_by_the_platform(
    db: Database, settings: Settings
) -> None:
    """The application itself, on loopback, answers the challenge for the pending hostname;
    the platform's fetch (MENTORHUB_VERIFY_RESOLVE to that port) verifies it, and it routes."""
    slug = new_slug()
    host = f"mentoring.{slug}.example.org"
    async with serving_on_loopback(create_app(settings, db=db)) as site:
        port = int(site.rsplit(":", 1)[1])
        here = dataclasses.replace(settings, verify_resolve=(("*", "127.0.0.1", port),))
        tenant = await created(db, here, hostnames=host)
        [domain] = tenant.domains
        token = domain.verify_token or ""
        async with httpx.AsyncClient() as browser:
            answer = await browser.get(
                f"{site}/.well-known/mentorhub-verify/{token}", headers={"host": host}
            )
            assert (answer.status_code, answer.text) == (200, token)
            for wrong_host, wrong_token in [(host, "x" * 43), ("other.example.org", token)]:
                refused = await browser.get(
                    f"{site}/.well-known/mentorhub-verify/{wrong_token}",
                    headers={"host": wrong_host},
                )
                assert refused.status_code == 404
            before = await browser.get(f"{site}/login", headers={"host": host})
            assert before.status_code == 404  # pending: not the tenant's site yet
        with pytest.raises(ChallengeFailed, match="answered 404"):
            await fetch_challenge(here, host, "y" * 43)
        await lifecycle.verify_hostname(db, here, tenant.slug, host, actor=ADMIN)
        async with httpx.AsyncClient() as browser:
            home = await browser.get(f"{site}/", headers={"host": host})
            assert home.status_code == 200 and tenant.name in home.text
            login = await browser.get(f"{site}/login", headers={"host": host})
            assert login.status_code == 503 and "sign" in login.text.lower()  # its own page
            gone = await browser.get(
                f"{site}/.well-known/mentorhub-verify/{token}", headers={"host": host}
            )
            assert gone.status_code == 404  # verified: no longer pending
    async with db.platform() as session:
        verified = (
            await session.execute(select(TenantDomain).where(TenantDomain.hostname == host))
        ).scalar_one()
    assert verified.verified_at is not None
    actions = sorted(e.action for e in await platform_audit(db, tenant.id))
    assert actions == ["hostname.verified", "tenant.created"]


async def _answering(body: bytes, status: int = 200, location: str | None = None) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        headers = [(b"content-type", b"text/plain")]
        if location:
            headers.append((b"location", location.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize(
    ("body", "status", "location", "why"),
    [
        (b"not the token", 200, None, "not with this hostname's token"),
        (b"", 500, None, "answered 500"),
        (b"", 302, "http://elsewhere.example.org/", "redirected to another host"),
    ],
)
async def test_the_challenge_refuses_a_wrong_answer(
    settings: Settings, body: bytes, status: int, location: str | None, why: str
) -> None:
    async with serving_on_loopback(await _answering(body, status, location)) as site:
        here = dataclasses.replace(
            settings, verify_resolve=(("*", "127.0.0.1", int(site.rsplit(":", 1)[1])),)
        )
        with pytest.raises(ChallengeFailed, match=why):
            await fetch_challenge(here, "mentoring.example.org", "t" * 43)


async def test_a_failed_verification_is_shown_audited_and_changes_nothing_else(
    db: Database, console: Console, settings: Settings
) -> None:
    tenant = await created(db, settings, hostnames=f"www.{uuid.uuid4().hex[:6]}.example.org")
    [domain] = tenant.domains
    refused = await console.post(
        f"/platform/tenants/{tenant.slug}/hostnames/{domain.hostname}/verify"
    )
    assert refused.status_code == 400
    assert "Not verified" in refused.text and "could not be reached" in refused.text
    async with db.platform() as session:
        still = (
            await session.execute(
                select(TenantDomain.verified_at).where(TenantDomain.hostname == domain.hostname)
            )
        ).scalar_one()
    assert still is None
    [failed] = [e for e in await platform_audit(db, tenant.id) if e.action != "tenant.created"]
    assert failed.action == "hostname.verify_failed"
    assert failed.details["hostname"] == domain.hostname


# --- suspend and resume -------------------------------------------------------------------------


async def test_suspend_with_a_reason_then_resume(
    db: Database, console: Console, settings: Settings
) -> None:
    tenant = await created(db, settings)
    base = f"/platform/tenants/{tenant.slug}"
    assert (await console.client.get(f"/t/{tenant.slug}/")).status_code == 200
    confirm = await console.get(f"{base}/suspend")
    assert confirm.status_code == 200 and f"Suspend {tenant.name}?" in confirm.text
    no_reason = await console.post(f"{base}/suspend", {"reason": "  "})
    assert no_reason.status_code == 400 and "Reason is needed" in no_reason.text
    assert (await tenant_by_slug(db, tenant.slug)).is_active  # type: ignore[union-attr]

    done = await console.post(f"{base}/suspend", {"reason": "Unpaid invoice"})
    assert done.status_code == 303
    found = await tenant_by_slug(db, tenant.slug)
    assert found is not None and not found.is_active and found.suspended_at is not None
    page = await console.client.get(f"/t/{tenant.slug}/")
    assert page.status_code == 403 and "is suspended" in page.text
    again = await console.post(f"{base}/suspend", {"reason": "twice"})
    assert again.status_code == 400 and "already suspended" in again.text

    resumed = await console.post(f"{base}/resume")
    assert resumed.status_code == 303
    assert (await tenant_by_slug(db, tenant.slug)).is_active  # type: ignore[union-attr]
    assert (await console.client.get(f"/t/{tenant.slug}/")).status_code == 200
    entries = await platform_audit(db, tenant.id)
    assert sorted((e.action, e.details.get("reason")) for e in entries) == [
        ("tenant.created", None),
        ("tenant.resumed", None),
        ("tenant.suspended", "Unpaid invoice"),
    ]
    actions = [e.action for e in await tenant_rows(db, tenant.id, AuditEntry)]
    assert {"tenant_suspended", "tenant_resumed"} <= set(actions)
    shown = await console.get(base)
    assert "Unpaid invoice" in shown.text and "tenant.suspended" in shown.text


# --- single sign-on ------------------------------------------------------------------------------


async def test_sso_is_checked_then_stored_active_and_its_secret_never_shown(
    db: Database, console: Console, settings: Settings, providers: Any
) -> None:
    tenant = await created(db, settings)
    base = f"/platform/tenants/{tenant.slug}/sso"
    provider = providers["a"]
    unreachable = await console.post(
        base,
        {
            "issuer": f"http://127.0.0.1:{settings.verify_resolve[0][2]}",
            "client_id": "c",
            "client_secret": "s3cr3t-never-shown",
            "scopes": "openid email",
        },
    )
    assert unreachable.status_code == 400 and 'href="#issuer"' in unreachable.text
    no_openid = await console.post(
        base,
        {"issuer": provider.issuer, "client_id": "c", "client_secret": "x", "scopes": "email"},
    )
    assert no_openid.status_code == 400 and "Scopes must include openid" in no_openid.text
    assert await tenant_rows(db, tenant.id, IdentityProvider) == []

    stored = await console.post(
        base,
        {
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "scopes": "openid email profile",
        },
    )
    assert stored.status_code == 303
    [row] = await tenant_rows(db, tenant.id, IdentityProvider)
    assert (row.issuer, row.client_id, row.status) == (
        provider.issuer,
        provider.client_id,
        "active",
    )
    [audited] = [e for e in await platform_audit(db, tenant.id) if e.action != "tenant.created"]
    assert audited.action == "tenant.sso_stored"
    assert provider.client_secret not in str(audited.details)
    page = await console.get(f"/platform/tenants/{tenant.slug}")
    assert provider.issuer in page.text and provider.client_secret not in page.text
    login = await console.client.get(f"/t/{tenant.slug}/login")
    assert login.status_code == 303 and login.headers["location"].startswith(provider.issuer)


# --- usage ---------------------------------------------------------------------------------


async def seed_mail(db: Database, tenant_id: uuid.UUID, sent: list[datetime | None]) -> None:
    async with db.tenant(tenant_id) as session:
        for n, at in enumerate(sent):
            session.add(
                Message(
                    tenant_id=tenant_id,
                    key=f"usage-test:{n}",
                    kind="reminder",
                    to_address=f"someone{n}@example.org",
                    subject="Marker subject never shown",
                    status="sent" if at else "pending",
                    sent_at=at,
                )
            )


async def test_usage_is_counted_exactly_and_no_content_reaches_the_pages(
    db: Database, console: Console
) -> None:
    a = await clock_world(db)  # a coordinator, a mentor, a mentee, one active pair
    b = await clock_world(db)
    async with db.tenant(a.id) as session:
        session.add(
            Member(
                tenant_id=a.id,
                id=uuid.uuid4(),
                email="erased@example.org",
                display_name="Erased Marker",
                roles=["mentee"],
                erased_at=datetime.now(UTC),
            )
        )
    now = datetime.now(UTC)
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    await seed_mail(db, a.id, [now, first + timedelta(seconds=1), first - timedelta(days=1), None])
    await seed_mail(db, b.id, [now])
    async with db.tenant(b.id) as session:
        await session.execute(
            update(Member).where(Member.id == b.mentee.id).values(display_name="Zebedee Marker")
        )

    listing = await console.get("/platform/tenants")
    assert listing.status_code == 200
    row = listing.text.split(f'/platform/tenants/{a.slug}"', 1)[1].split("</tr>", 1)[0]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in row.split("<td")[4:]]
    assert cells == ["3", "1", "2"]  # members (the erased one not), active pairs, mails
    details = await console.get(f"/platform/tenants/{a.slug}")
    for page in (listing.text, details.text):
        for marker in ("Zebedee Marker", "Erased Marker", "Marker subject", "Maya Mentor"):
            assert marker not in page
        assert b.mentee.email not in page and a.mentor.email not in page


async def test_the_list_is_three_statements_whatever_the_number_of_tenants(
    db: Database,
) -> None:
    """The tenants, their hostnames (one statement for all) and one call of the usage
    function: no statement per tenant."""
    from mentorhub.tenancy.usage import tenant_rows as rows_of

    for _ in range(3):
        await make_tenant(db)
    statements: list[str] = []
    bind = db.sessionmaker.kw["bind"]
    from sqlalchemy import event

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if not statement.lstrip().upper().startswith(("SELECT SET_CONFIG", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(bind.sync_connection, "before_cursor_execute", seen)
    try:
        rows = await rows_of(db)
    finally:
        event.remove(bind.sync_connection, "before_cursor_execute", seen)
    assert len(rows) >= 3
    assert len(statements) == 3, statements  # tenants, their domains (selectin), usage
