"""The hostname check of the platform console: an HTTP challenge.

A hostname added in the console is *pending*, with a random token, and routes nowhere. To
verify it, the platform fetches

    <MENTORHUB_VERIFY_SCHEME>://<hostname>/.well-known/mentorhub-verify/<token>

and the hostname is verified only if that answers 200 with the token as its body (white
space around it aside). The application answers that path on every Host, before it looks
for a tenant (`tenancy.routing`): the token, as text, when that Host has exactly that token
pending, and 404 otherwise — so the answer comes back only once the hostname's DNS (or the
operator's proxy) really reaches this platform.

* Short timeouts (`TIMEOUT`), at most `MAX_BODY` bytes read, no proxy from the environment.
* Redirects: followed (at most `MAX_REDIRECTS`) only to the same hostname (http → https on
  the same name is fine); a redirect to another host fails the check.
* `MENTORHUB_VERIFY_RESOLVE` (settings; `hostname=address:port`, `*` for any hostname)
  connects to that address instead of asking DNS, still naming the hostname (Host header,
  TLS server name): the tests, and an embedded default whose hostnames DNS does not know.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant

__all__ = [
    "CHALLENGE_PREFIX",
    "ChallengeFailed",
    "answers",
    "challenge_url",
    "fetch_challenge",
    "new_token",
]

CHALLENGE_PREFIX = "/.well-known/mentorhub-verify/"
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
MAX_BODY = 1024
MAX_REDIRECTS = 3


class ChallengeFailed(Exception):
    """The hostname did not answer its challenge; the text says why, for the page."""


def new_token() -> str:
    """A pending hostname's token: 43 URL-safe characters (256 random bits)."""
    return secrets.token_urlsafe(32)


def challenge_url(settings: Settings, hostname: str, token: str) -> str:
    """Where the platform looks (and what the page tells the operator to serve)."""
    return f"{settings.verify_scheme}://{hostname}{CHALLENGE_PREFIX}{token}"


def _resolved(settings: Settings, hostname: str) -> tuple[str, int] | None:
    for host, address, port in settings.verify_resolve:
        if host in (hostname, "*"):
            return address, port
    return None


def answers(tenants: Iterable[Tenant], hostname: str, token: str) -> bool:
    """Whether `hostname` has `token` pending (the routing's answer to a challenge)."""
    if not token or len(token) > 64:
        return False
    for tenant in tenants:
        for domain in tenant.domains:
            if (
                domain.hostname == hostname
                and domain.verified_at is None
                and domain.verify_token
                and secrets.compare_digest(domain.verify_token.encode(), token.encode())
            ):
                return True
    return False


async def fetch_challenge(settings: Settings, hostname: str, token: str) -> None:
    """Fetch the challenge; ChallengeFailed says why it did not hold."""
    url = challenge_url(settings, hostname, token)
    try:
        async with httpx.AsyncClient(
            timeout=TIMEOUT, follow_redirects=False, trust_env=False
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                location = await _one(client, settings, hostname, url, token)
                if location is None:
                    return
                url = location
    except httpx.TimeoutException:
        raise ChallengeFailed(f"{hostname} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise ChallengeFailed(f"{hostname} could not be reached ({type(exc).__name__})") from None
    raise ChallengeFailed(f"{hostname} redirected more than {MAX_REDIRECTS} times")


async def _one(
    client: httpx.AsyncClient, settings: Settings, hostname: str, url: str, token: str
) -> str | None:
    """One request: None when the token came back, else the same-host redirect's target."""
    parts = urlsplit(url)
    target = url
    headers: dict[str, str] = {"accept": "text/plain"}
    extensions: dict[str, Any] = {}
    resolved = _resolved(settings, hostname)
    if resolved is not None:
        address, port = resolved
        shown = f"[{address}]" if ":" in address else address
        target = parts._replace(netloc=f"{shown}:{port}").geturl()
        headers["host"] = hostname
        extensions["sni_hostname"] = hostname
    async with client.stream("GET", target, headers=headers, extensions=extensions) as response:
        if response.is_redirect:
            location: str = urljoin(url, response.headers.get("location", ""))
            if (urlsplit(location).hostname or "").lower() != hostname:
                raise ChallengeFailed(f"{hostname} redirected to another host")
            return location
        if response.status_code != 200:
            raise ChallengeFailed(f"{hostname} answered {response.status_code}, not the token")
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_BODY:
                break
    if body.strip() != token.encode():
        raise ChallengeFailed(f"{hostname} answered, but not with this hostname's token")
    return None
