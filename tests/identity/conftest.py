"""A real, independent OpenID Connect provider (panva's oidc-provider, from npm) on loopback:
one for tenant A and one for tenant B, started once per run, restartable with a new signing
key (rotation)."""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.providers import save_provider
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.models import Tenant
from tests.conftest import Servers
from tests.foundation.helpers import make_tenant
from tests.support import serving

OIDC_DIR = Path(__file__).parent / "oidc"
BASE = "https://localhost"
RUN = secrets.token_hex(3)
SLUG_A = f"sso-a-{RUN}"
SLUG_B = f"sso-b-{RUN}"

ACCOUNTS = {
    "admin": {"name": "Tess Admin", "roles": ["tenant_admin"]},
    "coordinator": {"name": "Cora Coordinator", "roles": ["coordinator"]},
    "mentor": {"name": "Morgan Mentor", "roles": ["mentor"]},
    "mentee": {"name": "Eli Mentee", "roles": ["mentee"]},
    "newcomer": {"name": "Nia Newcomer", "roles": None},  # not listed: created at sign-in
}


def email(slug: str, key: str) -> str:
    return f"{key}@{slug}.example.org"


def callback(slug: str) -> str:
    return f"{BASE}/t/{slug}/login/callback"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class OidcProvider:
    name: str
    slug: str
    tmp: Path
    port: int = field(default_factory=_free_port)
    client_id: str = ""
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    key_id: str = "key-1"
    extra_clients: list[dict[str, Any]] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> dict[str, Any]:
        accounts = {
            key: {
                "email": email(self.slug, key),
                "email_verified": True,
                "name": spec["name"],
                "membership_status": "active",
            }
            for key, spec in ACCOUNTS.items()
        }
        clients = [
            {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uris": [callback(self.slug)],
                "post_logout_redirect_uris": [f"{BASE}/t/{self.slug}/"],
            },
            *self.extra_clients,
        ]
        return {"port": self.port, "keyId": self.key_id, "clients": clients, "accounts": accounts}

    def start(self) -> None:
        if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError(
                "the test OpenID Connect provider is not installed: run "
                "`npm ci --prefix tests/identity/oidc` (Node.js 20+; .ci/run does this)"
            )
        path = self.tmp / f"oidc-{self.name}.json"
        path.write_text(json.dumps(self.config()))
        self.process = subprocess.Popen(
            ["node", str(OIDC_DIR / "provider.mjs"), str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        if not line.startswith("ready"):
            raise RuntimeError(f"the OIDC provider {self.name} did not start: {line!r}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def rotate(self) -> None:
        """Restart with a new signing key under a new key id."""
        self.stop()
        self.key_id = f"key-{secrets.token_hex(4)}"
        self.start()


@pytest.fixture(scope="session")
def providers(servers: Servers) -> Iterator[dict[str, OidcProvider]]:
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            "the test OpenID Connect provider is not installed: run "
            "`npm ci --prefix tests/identity/oidc`",
            pytrace=False,
        )
    a = OidcProvider("a", SLUG_A, servers.tmp, client_id="mentorhub-a")
    b = OidcProvider("b", SLUG_B, servers.tmp, client_id="mentorhub-b")
    # A client at B's provider that answers to A's callback: the mix-up attack's setting.
    b.extra_clients.append(
        {
            "client_id": "mix-up",
            "client_secret": "mix-up-secret",
            "redirect_uris": [callback(SLUG_A)],
        }
    )
    # The platform admins' own client, at A's provider.
    a.extra_clients.append(
        {
            "client_id": "mentorhub-platform",
            "client_secret": "platform-secret",
            "redirect_uris": [f"{BASE}/platform/login/callback"],
        }
    )
    a.start()
    b.start()
    try:
        yield {"a": a, "b": b}
    finally:
        a.stop()
        b.stop()


@pytest.fixture
def settings() -> Settings:
    """Rate limits high enough for a test run; the rate-limit test sets its own."""
    return dataclasses.replace(
        get_settings(),
        login_rate_per_minute=100_000,
        login_account_rate_per_minute=100_000,
        login_tenant_rate_per_minute=100_000,
        link_rate_per_minute=100_000,
        link_tenant_rate_per_minute=100_000,
    )


async def provision(db: Database, settings: Settings, slug: str, provider: OidcProvider) -> Tenant:
    tenant = await make_tenant(db, slug)
    assert settings.secret_key is not None
    async with db.tenant(tenant.id) as session:
        await save_provider(
            session,
            settings.secret_key,
            issuer=provider.issuer,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            scopes="openid email profile membership",
            claim_mapping={"membership": "membership_status"},
        )
        for key, spec in ACCOUNTS.items():
            if spec["roles"] is not None:
                session.add(
                    Member(
                        tenant_id=tenant.id,
                        email=email(slug, key),
                        display_name=str(spec["name"]),
                        roles=list(spec["roles"]),
                    )
                )
    return tenant


@pytest.fixture
async def tenant_a(db: Database, settings: Settings, providers: dict[str, OidcProvider]) -> Tenant:
    return await provision(db, settings, SLUG_A, providers["a"])


@pytest.fixture
async def tenant_b(db: Database, settings: Settings, providers: dict[str, OidcProvider]) -> Tenant:
    return await provision(db, settings, SLUG_B, providers["b"])


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


async def follow_provider(location: str) -> str:
    """Play the browser at the provider until it redirects back to MentorHub."""
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        for _ in range(10):
            if location.startswith(BASE):
                return location
            response = await browser.get(location)
            assert response.status_code in (302, 303), response.text[:300]
            location = urljoin(location, response.headers["location"])
    raise AssertionError("the provider did not redirect back")


async def start_login(client: httpx.AsyncClient, slug: str, who: str) -> str:
    response = await client.get(f"/t/{slug}/login", params={"login_hint": who})
    assert response.status_code == 303, response.text[:500]
    return await follow_provider(response.headers["location"])


async def sign_in(client: httpx.AsyncClient, slug: str, who: str) -> httpx.Response:
    back = await start_login(client, slug, who)
    return await client.get(back.removeprefix(BASE))


def csrf_from(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def wait_until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)
