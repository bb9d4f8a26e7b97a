"""Bad input at every input path answers a clear 4xx and changes nothing — never a 500.

The values: a NUL byte (PostgreSQL cannot store it: it used to reach the database and answer
500), another control character, a bidi override, a zero-width space, and text longer than
the field holds. Free text (an approver's comment, a members search) may hold bidi and
zero-width characters; everything else refuses them. Each path answers 400 with its form
shown again and the problem named at the top (or, where there is no form, a plain error
page); the audit log, members, providers and approval requests are exactly as before.

The input paths (every route handler that reads a query, a form, a path or a file; found by
grepping `identity/views/`, `web/views.py`, `identity/demo_idp.py`, `messages/views.py`):

- `GET  /t/{slug}/login`              `login_hint`
- `GET  /t/{slug}/login/callback`     `state`, `code`, `iss`, `error`, `error_description`
- `GET  /platform/login`              `login_hint`
- `GET  /platform/login/callback`     `state`, `code`, `iss`, `error`
- `GET  /t/{slug}/approvals/{token}`  the token
- `POST /t/{slug}/approvals/{token}`  `decision`, `comment`
- `POST /t/{slug}/admin/roster`       the file: member number and e-mail cells
- `POST /t/{slug}/admin/sso`          `issuer`, `client_id`, `client_secret`, `scopes`,
                                      `membership`
- `POST /t/{slug}/admin/sso/test`     `login_hint`
- `POST /t/{slug}/admin/members/{id}/roles`  the member id, `roles`
- `GET  /t/{slug}/admin/members`      `q`, `page`
- `GET  /t/{slug}/coordinator/members` `q`, `page`
- `GET  /t/{slug}/admin/audit`        `page`
- `GET  /t/{slug}/...`                the tenant slug itself
- the demo provider (embedded default only): `GET|POST /demo-idp/{realm}/authorize`,
  `POST /demo-idp/{realm}/token`, `GET /demo-idp/{realm}/end-session`, the realm
- `GET  /t/{slug}/notifications`      `before` (a bigint cursor)
- `GET  /t/{slug}/notifications/{id}` the message id
- `GET|POST /t/{slug}/messages/unsubscribe/{token}`  the signed token

`/`, `/t/{slug}/`, `/t/{slug}/scheme`, `/healthz` and `/static` read no input.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from sqlalchemy import select

from mentorhub.app import create_app
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity import demo_idp, services
from mentorhub.identity.approvals import create_request
from mentorhub.identity.models import (
    ApprovalRequest,
    IdentityProvider,
    Member,
)
from mentorhub.identity.oidc import OidcError, ProviderConfig
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import SLUG_A, OidcProvider, csrf_from, email, sign_in
from tests.support import serving

BAD = {
    "nul": "ab\x00cd",
    "control": "ab\x1bcd",
    "bidi": "ab\u202ecd",
    "zero-width": "ab\u200bcd",
    "too long": "x" * 5000,
}
SAYS = {
    "nul": "must not contain control characters",
    "control": "must not contain control characters",
    "bidi": "must not contain invisible formatting characters",
    "zero-width": "must not contain invisible formatting characters",
    "too long": "characters or fewer",
}
FREE_TEXT_OK = {"bidi", "zero-width"}  # allowed in a comment or a search


async def snapshot(db: Database, tenant: Tenant) -> tuple[Any, ...]:
    """Everything a bad request might have changed, in a comparable form."""
    async with db.tenant(tenant.id) as session:
        audit = (
            await session.execute(
                # A refused roster is audited by design (and mailed to the uploader): that
                # record is the refusal, not a change (tests/identity/test_roster_rejected.py).
                select(
                    AuditEntry.action, AuditEntry.actor, AuditEntry.subject, AuditEntry.details
                ).where(AuditEntry.action != "roster_rejected")
            )
        ).all()
        members = (
            await session.execute(
                select(
                    Member.email,
                    Member.display_name,
                    Member.roles,
                    Member.membership_status,
                    Member.member_number,
                )
            )
        ).all()
        providers = (
            await session.execute(
                select(
                    IdentityProvider.issuer,
                    IdentityProvider.client_id,
                    IdentityProvider.scopes,
                    IdentityProvider.status,
                    IdentityProvider.claim_mapping,
                )
            )
        ).all()
        approvals = (
            await session.execute(select(ApprovalRequest.status, ApprovalRequest.comment))
        ).all()
    rows = [audit, members, providers, approvals]
    return tuple(sorted(map(repr, group)) for group in rows)


@dataclass
class Ctx:
    client: httpx.AsyncClient
    db: Database
    settings: Settings
    tenant: Tenant
    provider: OidcProvider
    link: str = ""  # an approval request's one-time link, made before the snapshot

    async def token(self, path: str) -> str:
        page = await self.client.get(path)
        assert page.status_code == 200, page.text[:300]
        return csrf_from(page.text)

    async def member_id(self, key: str) -> str:
        async with self.db.tenant(self.tenant.id) as session:
            found = (
                await session.execute(
                    select(Member.id).where(Member.email == email(SLUG_A, key))
                )
            ).scalar_one()
        return str(found)

    async def new_approval_link(self) -> str:
        assert self.settings.secret_key is not None
        async with self.db.tenant(self.tenant.id) as session:
            _, token = await create_request(
                session,
                self.settings.secret_key,
                summary="Application of Eli Mentee",
                details={"Applicant": "Eli Mentee"},
                approver_email="line.manager@example.org",
                valid_days=14,
            )
        return f"/t/{SLUG_A}/approvals/{token}"

    async def started_state(self, path: str) -> str:
        """Start a real sign-in (the login cookie is kept) and return its `state`."""
        started = await self.client.get(path)
        assert started.status_code == 303, started.text[:300]
        return parse_qs(urlsplit(started.headers["location"]).query)["state"][0]


A = f"/t/{SLUG_A}"
Path = Callable[[Ctx, str], Awaitable[httpx.Response]]


async def login_hint(ctx: Ctx, v: str) -> httpx.Response:
    return await ctx.client.get(f"{A}/login", params={"login_hint": v})


async def platform_login_hint(ctx: Ctx, v: str) -> httpx.Response:
    return await ctx.client.get("/platform/login", params={"login_hint": v})


def callback(name: str) -> Path:
    async def answer(ctx: Ctx, v: str) -> httpx.Response:
        state = await ctx.started_state(f"{A}/login")
        params = {"state": state, "iss": ctx.provider.issuer, "error": "access_denied", name: v}
        return await ctx.client.get(f"{A}/login/callback", params=params)

    return answer


def platform_callback(name: str) -> Path:
    async def answer(ctx: Ctx, v: str) -> httpx.Response:
        params = {"state": "s", "error": "access_denied", name: v}
        return await ctx.client.get("/platform/login/callback", params=params)

    return answer


async def approval_comment(ctx: Ctx, v: str) -> httpx.Response:
    link = ctx.link
    token = await ctx.token(link)
    return await ctx.client.post(
        link, data={"_csrf_token": token, "decision": "approve", "comment": v}
    )


async def approval_decision(ctx: Ctx, v: str) -> httpx.Response:
    link = ctx.link
    token = await ctx.token(link)
    return await ctx.client.post(link, data={"_csrf_token": token, "decision": v})


async def approval_token(ctx: Ctx, v: str) -> httpx.Response:
    return await ctx.client.get(ctx.link[:-4] + quote(v[:50], safe=""))


ROSTER_HEAD = "member_number,email,status,ratified_on\n"


def roster(cell: int) -> Path:
    async def upload(ctx: Ctx, v: str) -> httpx.Response:
        cells = ["N-1", "new.member@example.org", "active", "2026-01-31"]
        cells[cell] = v if cell == 0 else v + "@example.org"
        content = ROSTER_HEAD + ",".join(cells) + "\n"
        token = await ctx.token(f"{A}/admin/roster")
        return await ctx.client.post(
            f"{A}/admin/roster",
            data={"_csrf_token": token},
            files={"roster": ("roster.csv", content.encode(), "text/csv")},
        )

    return upload


def sso(name: str) -> Path:
    async def save(ctx: Ctx, v: str) -> httpx.Response:
        data = {
            "issuer": ctx.provider.issuer,
            "client_id": "new-client",
            "client_secret": "a-secret",
            "scopes": "openid email",
            "membership": "membership_status",
            name: v,
        }
        token = await ctx.token(f"{A}/admin/sso")
        return await ctx.client.post(f"{A}/admin/sso", data={"_csrf_token": token, **data})

    return save


async def sso_test_hint(ctx: Ctx, v: str) -> httpx.Response:
    token = await ctx.token(f"{A}/admin/sso")
    return await ctx.client.post(
        f"{A}/admin/sso/test", data={"_csrf_token": token, "login_hint": v}
    )


async def roles(ctx: Ctx, v: str) -> httpx.Response:
    mentor = await ctx.member_id("mentor")
    token = await ctx.token(f"{A}/admin/members")
    return await ctx.client.post(
        f"{A}/admin/members/{mentor}/roles",
        data={"_csrf_token": token, "roles": ["mentor", v]},
    )


async def roles_member_id(ctx: Ctx, v: str) -> httpx.Response:
    token = await ctx.token(f"{A}/admin/members")
    path = f"{A}/admin/members/{quote(v[:50], safe='')}/roles"
    return await ctx.client.post(path, data={"_csrf_token": token, "roles": ["mentor"]})


def query(path: str, name: str) -> Path:
    async def get(ctx: Ctx, v: str) -> httpx.Response:
        return await ctx.client.get(f"{A}{path}", params={name: v})

    return get


async def tenant_slug(ctx: Ctx, v: str) -> httpx.Response:
    return await ctx.client.get(f"/t/{quote(v[:100], safe='')}/")


#: (name, path, free text?, what the page says whatever the value) — None: the value's own
#: message (SAYS).
PATHS: list[tuple[str, Path, bool, str | None]] = [
    ("login login_hint", login_hint, False, None),
    ("callback error", callback("error"), False, None),
    ("callback state", callback("state"), False, None),
    ("callback code", callback("code"), False, None),
    ("callback iss", callback("iss"), False, None),
    ("callback error_description", callback("error_description"), True, None),
    ("platform login login_hint", platform_login_hint, False, None),
    ("platform callback error", platform_callback("error"), False, None),
    ("platform callback state", platform_callback("state"), False, None),
    ("approval comment", approval_comment, True, None),
    ("approval decision", approval_decision, False, "Choose approve or decline"),
    ("approval token", approval_token, False, "not valid here"),
    ("roster member number", roster(0), False, None),
    ("roster e-mail", roster(1), False, None),
    ("sso issuer", sso("issuer"), False, None),
    ("sso client_id", sso("client_id"), False, None),
    ("sso client_secret", sso("client_secret"), False, None),
    ("sso scopes", sso("scopes"), False, None),
    ("sso membership claim", sso("membership"), False, None),
    ("sso test login_hint", sso_test_hint, False, None),
    ("roles", roles, False, "Roles must be chosen from"),
    ("roles member id", roles_member_id, False, "Page not found"),
    ("admin members q", query("/admin/members", "q"), True, None),
    ("admin members page", query("/admin/members", "page"), False, None),
    ("coordinator members q", query("/coordinator/members", "q"), True, None),
    ("coordinator members page", query("/coordinator/members", "page"), False, None),
    ("audit page", query("/admin/audit", "page"), False, None),
    ("tenant slug", tenant_slug, False, "Page not found"),
]
CASES = [
    pytest.param(path, value, says, id=f"{name}: {kind}")
    for name, path, free, fixed in PATHS
    for kind, value in BAD.items()
    if not (free and kind in FREE_TEXT_OK)
    for says in [fixed or SAYS[kind]]
]


@pytest.mark.parametrize(("path", "value", "says"), CASES)
async def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    tenant_a: Tenant,
    providers: dict[str, OidcProvider],
    path: Path,
    value: str,
    says: str,
) -> None:
    await sign_in(client, SLUG_A, "admin")
    ctx = Ctx(client, db, settings, tenant_a, providers["a"])
    ctx.link = await ctx.new_approval_link()
    before = await snapshot(db, tenant_a)
    response = await path(ctx, value)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert says in response.text, response.text[:2000]
    assert await snapshot(db, tenant_a) == before


async def test_a_form_shown_again_has_the_summary_first_and_the_message_at_its_field(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    tenant_a: Tenant,
    providers: dict[str, OidcProvider],
) -> None:
    await sign_in(client, SLUG_A, "admin")
    ctx = Ctx(client, db, settings, tenant_a, providers["a"])
    response = await sso("client_id")(ctx, "x" * 300)
    assert response.status_code == 400
    html = response.text
    summary = html.index('class="error-summary" role="alert"')
    assert summary < html.index("<h1>")
    assert '<h2 id="error-summary-title" class="error-summary-title">Nothing was saved</h2>' in html
    assert '<a href="#client_id">Client ID must be 255 characters or fewer</a>' in html
    field = re.search(r'<input id="client_id"[^>]*>', html)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="client_id-error"' in field.group(0)
    assert 'id="client_id-error" class="error-message"' in html
    assert 'value="' + "x" * 300 + '"' in field.group(0)  # what was typed, shown again
    secret = re.search(r'<input id="client_secret"[^>]*>', html)
    assert secret is not None and "value=" not in secret.group(0)  # never sent back


async def test_free_text_keeps_right_to_left_marks_and_joiners(
    client: httpx.AsyncClient, db: Database, settings: Settings, tenant_a: Tenant,
    providers: dict[str, OidcProvider],
) -> None:
    """A comment in a right-to-left language, or with an emoji sequence, is someone's words."""
    await sign_in(client, SLUG_A, "admin")
    ctx = Ctx(client, db, settings, tenant_a, providers["a"])
    ctx.link = await ctx.new_approval_link()
    words = "موافق \u200fمع الشكر\n👩\u200d💻 e\u0301"  # a mark, a joiner, decomposed é
    done = await approval_comment(ctx, words)
    assert done.status_code == 200, done.text[:500]
    async with db.tenant(tenant_a.id) as session:
        comments = (await session.execute(select(ApprovalRequest.comment))).scalars().all()
    assert comments == [words.replace("e\u0301", "\u00e9")]  # stored NFC


async def test_a_roster_e_mail_longer_than_a_display_name_is_taken(
    client: httpx.AsyncClient, db: Database, settings: Settings, tenant_a: Tenant,
    providers: dict[str, OidcProvider],
) -> None:
    """An address of 250 characters is valid (up to 254): it used to answer 500, because a
    new member's display name (200 characters) is their address until they sign in."""
    await sign_in(client, SLUG_A, "admin")
    ctx = Ctx(client, db, settings, tenant_a, providers["a"])
    address = "a" * 60 + "@" + ".".join(["b" * 60] * 3) + ".org"
    assert len(address) == 247
    content = ROSTER_HEAD + f"N-9,{address},lapsed,\n"
    token = await ctx.token(f"{A}/admin/roster")
    taken = await client.post(
        f"{A}/admin/roster",
        data={"_csrf_token": token},
        files={"roster": ("roster.csv", content.encode(), "text/csv")},
    )
    assert taken.status_code == 200, taken.text[:1000]
    async with db.tenant(tenant_a.id) as session:
        member = (
            await session.execute(select(Member).where(Member.email == address))
        ).scalar_one()
    assert member.display_name == address[:200]


async def test_a_providers_claims_go_through_the_same_check(
    db: Database, tenant_a: Tenant, providers: dict[str, OidcProvider]
) -> None:
    """A name or e-mail address an identity provider sends with a NUL byte is refused as a
    failed sign-in, before anything is stored."""
    config = ProviderConfig(providers["a"].issuer, "mentorhub-a", "s")
    before = await snapshot(db, tenant_a)
    for claims in (
        {"sub": "s-1", "email": "n@example.org", "name": "Nu\x00l", "email_verified": True},
        {"sub": "s-2", "email": "n\u202e@example.org", "email_verified": True},
        {"sub": "s\x00", "email": "n@example.org", "email_verified": True},
    ):
        with pytest.raises(OidcError, match="cannot be used"):
            await services.sign_in(db, tenant_a.id, config, claims)
    assert await snapshot(db, tenant_a) == before


@pytest.fixture
async def demo_client(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The application with the demo provider mounted, as on the embedded default."""
    monkeypatch.setenv("MENTORHUB_EMBEDDED", "1")
    monkeypatch.setattr(demo_idp, "_EMBEDDED_PROCESS", True)
    async with serving(create_app(settings, db=db), base_url="http://localhost") as c:
        yield c


DEMO_BAD = {**BAD, "bad address": "http://[::1"}


@pytest.mark.parametrize("value", DEMO_BAD.values(), ids=DEMO_BAD.keys())
async def test_the_demo_providers_endpoints_refuse_bad_input_without_a_500(
    demo_client: httpx.AsyncClient, db: Database, tenant_a: Tenant, value: str
) -> None:
    realm = f"/demo-idp/{SLUG_A}"
    before = await snapshot(db, tenant_a)
    good = {
        "client_id": demo_idp.client_id(SLUG_A),
        "redirect_uri": f"http://localhost/t/{SLUG_A}/login/callback",
        "response_type": "code",
        "scope": "openid email",
        "state": "s",
        "nonce": "n",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }
    page = await demo_client.get(f"{realm}/authorize", params=good)
    assert page.status_code == 200, page.text[:500]
    token = csrf_from(page.text)
    answers = [
        await demo_client.get(f"/demo-idp/{quote(value[:100], safe='')}/authorize", params=good),
        *[
            await demo_client.get(f"{realm}/authorize", params={**good, key: value})
            for key in good
        ],
        await demo_client.post(
            f"{realm}/authorize", data={**good, "_csrf_token": token, "member": value}
        ),
        await demo_client.post(f"{realm}/token", data={"code": value}),
        await demo_client.post(
            f"{realm}/token",
            data={"code": value, "grant_type": "authorization_code"},
            auth=(demo_idp.client_id(SLUG_A), value),
        ),
        await demo_client.get(f"{realm}/end-session", params={"post_logout_redirect_uri": value}),
    ]
    for answer in answers:
        assert answer.status_code < 500, (answer.request.url, answer.text[:300])
    assert await snapshot(db, tenant_a) == before


MESSAGES_BAD = {**BAD, "huge number": "9" * 30, "number and text": "12\u202e"}


@pytest.mark.parametrize("value", MESSAGES_BAD.values(), ids=MESSAGES_BAD.keys())
async def test_notifications_and_unsubscribe_refuse_bad_input_without_a_500(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant, value: str
) -> None:
    """`messages/views.py`: typed parameters (`before`, the message id) and the signed
    unsubscribe token."""
    await sign_in(client, SLUG_A, "mentor")
    before = await snapshot(db, tenant_a)
    member = "0" * 32
    answers = [
        await client.get(f"{A}/notifications", params={"before": value}),
        await client.get(f"{A}/notifications/{quote(value[:60], safe='')}"),
        await client.get(f"{A}/messages/unsubscribe/{member}.{quote(value[:60], safe='')}"),
        await client.post(f"{A}/messages/unsubscribe/{member}.{quote(value[:60], safe='')}"),
    ]
    for answer in answers:
        assert 400 <= answer.status_code < 500, (answer.request.url, answer.text[:300])
    assert await snapshot(db, tenant_a) == before
