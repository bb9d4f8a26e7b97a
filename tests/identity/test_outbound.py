"""Server-side request forgery through the SSO form and the discovery document: real
sockets on loopback only (nothing here sends a packet anywhere else).

A "decoy" is a listening socket nobody accepts on: a connection to it would sit in its
accept queue, so "no connection pending" proves nothing at all reached it (no secret, not
even a SYN that completed).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mentorhub.identity import outbound
from mentorhub.identity.oidc import (
    UNREACHABLE,
    OidcClient,
    OidcError,
    Pending,
    ProviderConfig,
    check_issuer_url,
)
from mentorhub.settings import Settings, SettingsError

SECRET = "the-client-secret-that-must-not-leak"


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


@dataclass
class Provider:
    """A tiny HTTP server on 127.0.0.1 answering what a test sets, recording what it gets."""

    server: ThreadingHTTPServer
    answers: dict[str, Answer] = field(default_factory=dict)
    seen: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def discovery(self, issuer: str | None = None, **endpoints: str) -> None:
        issuer = issuer or self.issuer
        document = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/auth",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            **endpoints,
        }
        self.answers["/.well-known/openid-configuration"] = Answer(
            body=json.dumps(document).encode()
        )


@pytest.fixture
def provider() -> Iterator[Provider]:
    answers: dict[str, Answer] = {}
    seen: list[tuple[str, str, dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen.append((self.command, self.path, dict(self.headers), body))
            answer = answers.get(self.path, Answer(404, b"{}"))
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Provider(server, answers, seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def decoy() -> Iterator[socket.socket]:
    """A listener on 127.0.0.1 that never accepts: whatever connects stays queued."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.setblocking(False)
        yield listener


def nothing_arrived(listener: socket.socket) -> bool:
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return True
    connection.close()
    return False


def port_of(listener: socket.socket) -> int:
    return int(listener.getsockname()[1])


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the issuer as typed ---------------------------------------------------------------


@pytest.mark.parametrize(
    "issuer",
    [
        "https://10.0.0.1",
        "https://192.168.1.1/realms/x",
        "https://169.254.169.254",
        "https://[fd00::1]",
        "https://[fe80::1]",
        "https://[::1]",
        "https://[::ffff:127.0.0.1]",
        "https://[::ffff:169.254.169.254]",
        "https://0.0.0.0",
        "https://127.0.0.1",
        "https://localhost",
        "https://idp.localhost",
        "http://127.0.0.1:8080",
        "http://idp.example.org",
        "https://user:pw@idp.example.org",
        "ftp://idp.example.org",
    ],
)
def test_issuer_on_a_private_or_loopback_address_is_refused_in_production(issuer: str) -> None:
    with pytest.raises(ValueError, match=r"^an issuer "):
        check_issuer_url(issuer, allow_loopback=False)


def test_loopback_allowance_covers_loopback_only() -> None:
    assert check_issuer_url("http://127.0.0.1:8080", allow_loopback=True)
    assert check_issuer_url("http://localhost:8080/realm", allow_loopback=True)
    assert check_issuer_url("https://idp.example.org/realms/x", allow_loopback=False)
    for issuer in ("http://10.0.0.1", "https://169.254.169.254", "http://idp.example.org"):
        with pytest.raises(ValueError):
            check_issuer_url(issuer, allow_loopback=True)


@pytest.mark.parametrize(
    "host",
    [
        "localhost",  # a name, resolved
        "127.1",  # the short form getaddrinfo accepts: no literal check sees it
        "2130706433",  # 127.0.0.1 as one number
        "0x7f000001",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",  # connecting to it reaches this machine
    ],
)
async def test_a_host_that_resolves_to_loopback_is_never_connected_to(
    host: str, decoy: socket.socket
) -> None:
    """The DNS answer is checked, not just the text: no connection reaches the listener."""
    issuer = f"https://{host}:{port_of(decoy)}"
    with pytest.raises(OidcError) as refused:
        await OidcClient(allow_loopback=False).metadata(issuer)
    assert str(refused.value) == UNREACHABLE
    with pytest.raises(outbound.AddressRefused):
        await outbound.request_json("GET", issuer + "/x", allow_loopback=False)
    assert nothing_arrived(decoy)


async def test_resolution_checks_every_address() -> None:
    with pytest.raises(outbound.AddressRefused):
        await outbound.resolve("localhost", 443, allow_loopback=False)
    assert "127.0.0.1" in await outbound.resolve("localhost", 443, allow_loopback=True)


# --- the discovery document's endpoints ----------------------------------------------


def _pending(issuer: str) -> Pending:
    return Pending(issuer, "state", "nonce", "verifier", "https://localhost/t/x/login/callback")


@pytest.mark.parametrize("key", ["token_endpoint", "jwks_uri", "authorization_endpoint"])
@pytest.mark.parametrize(
    "where",
    [
        "http://127.0.0.1:{decoy}/x",  # another port on this machine
        "https://127.0.0.1:{decoy}/x",
        "https://localhost:{decoy}/x",
        "https://127.1:{decoy}/x",  # a name resolving to loopback
        "http://[::ffff:127.0.0.1]:{decoy}/x",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/token",
        "http://idp.example.org/token",  # plain http off loopback
    ],
)
async def test_endpoints_elsewhere_are_refused_before_the_secret_is_sent(
    provider: Provider, decoy: socket.socket, key: str, where: str
) -> None:
    """A discovery document on the (allowed) loopback issuer pointing an endpoint at an
    address the issuer check would refuse: refused at discovery, nothing reaches it."""
    provider.discovery(**{key: where.format(decoy=port_of(decoy))})
    oidc = OidcClient(allow_loopback=True)
    config = ProviderConfig(provider.issuer, "client", SECRET)
    with pytest.raises(OidcError) as refused:
        await oidc.finish(config, _pending(provider.issuer), {"state": "state", "code": "c"})
    assert str(refused.value) == UNREACHABLE
    with pytest.raises(OidcError):
        await oidc.start(config, "https://localhost/t/x/login/callback")
    assert nothing_arrived(decoy)
    assert all(SECRET not in repr(request) for request in provider.seen)
    assert [path for _, path, _, _ in provider.seen] == ["/.well-known/openid-configuration"] * 2


async def test_a_bad_end_session_endpoint_is_dropped_not_followed(provider: Provider) -> None:
    provider.discovery(end_session_endpoint="https://169.254.169.254/logout")
    oidc = OidcClient(allow_loopback=True)
    config = ProviderConfig(provider.issuer, "client", SECRET)
    assert await oidc.logout_url(config, None, "https://localhost/t/x/") is None


async def test_endpoints_on_the_issuer_origin_are_used(provider: Provider) -> None:
    """The loopback allowance covers the issuer's own origin; the token request goes there,
    with the name the URL gives in `Host` though the connection is to the checked address."""
    issuer = f"http://localhost:{provider.port}"
    provider.discovery(issuer=issuer, end_session_endpoint=f"{issuer}/logout?x=1")
    provider.answers["/token"] = Answer(400, b'{"error": "invalid_grant"}')
    oidc = OidcClient(allow_loopback=True)
    config = ProviderConfig(issuer, "client", SECRET)
    url, _ = await oidc.start(config, "https://localhost/t/x/login/callback")
    assert url.startswith(f"{issuer}/auth?")
    logout = await oidc.logout_url(config, None, "https://localhost/t/x/")
    assert logout is not None and logout.startswith(f"{issuer}/logout?x=1&")
    with pytest.raises(OidcError, match=r"could not be exchanged \(invalid_grant\)"):
        await oidc.finish(config, _pending(issuer), {"state": "state", "code": "c"})
    method, path, headers, _ = provider.seen[-1]
    assert (method, path) == ("POST", "/token")
    assert headers["Host"] == f"localhost:{provider.port}"
    assert headers["Authorization"].startswith("Basic ")


# --- one message, whatever fails -------------------------------------------------------


async def test_every_failure_reads_the_same(
    provider: Provider, decoy: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closed port, silence, non-JSON, an error status, a redirect, an oversize answer, a
    forbidden address: one text, so the SSO form tells a scanner nothing."""
    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT", 1.0)
    loopback = OidcClient(allow_loopback=True)
    production = OidcClient(allow_loopback=False)

    def serve(path: str, answer: Answer) -> str:
        provider.answers[f"{path}/.well-known/openid-configuration"] = answer
        return provider.issuer + path

    cases = {
        "closed port": (loopback, f"http://127.0.0.1:{closed_port()}"),
        "silence": (loopback, f"http://127.0.0.1:{port_of(decoy)}"),
        "not JSON": (loopback, serve("/html", Answer(200, b"<html>hi</html>", {}))),
        "JSON not an object": (loopback, serve("/list", Answer(200, b"[1, 2]"))),
        "server error": (loopback, serve("/500", Answer(500, b'{"error": "boom"}'))),
        "redirect": (
            loopback,
            serve(
                "/moved",
                Answer(302, b"{}", {"Location": f"http://127.0.0.1:{port_of(decoy)}/x"}),
            ),
        ),
        "too large": (
            loopback,
            serve("/big", Answer(200, b'{"pad": "' + b"x" * (600 * 1024) + b'"}')),
        ),
        "forbidden address": (production, provider.issuer),
        "private address": (loopback, "https://10.0.0.1"),
        "metadata service": (loopback, "https://169.254.169.254"),
    }
    messages = {}
    for name, (client, issuer) in cases.items():
        with pytest.raises(OidcError) as failed:
            await client.metadata(issuer)
        messages[name] = str(failed.value)
    assert set(messages.values()) == {UNREACHABLE}, messages
    # The redirect was not followed: the decoy had only the silent test's connection.
    connection, _ = decoy.accept()
    connection.close()
    assert nothing_arrived(decoy)


async def test_oversize_answers_are_cut_off(provider: Provider) -> None:
    provider.answers["/big"] = Answer(200, b"[" + b"0," * 300_000 + b"0]")
    with pytest.raises(outbound.OutboundError, match="more than"):
        await outbound.request_json("GET", provider.issuer + "/big", allow_loopback=True)
    status, data = await outbound.request_json(
        "GET", provider.issuer + "/big", allow_loopback=True, max_bytes=1024 * 1024
    )
    assert status == 200 and len(data) == 300_001


# --- the setting -------------------------------------------------------------------------


def test_loopback_is_off_in_production_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MENTORHUB_OIDC_ALLOW_LOOPBACK", raising=False)
    for name in ("MENTORHUB_PLATFORM_OIDC_ISSUER", "MENTORHUB_PLATFORM_OIDC_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MENTORHUB_PLATFORM_OIDC_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example.org/mentorhub")
    monkeypatch.setenv("REDIS_URL", "redis://redis.example.org")
    assert Settings.from_env().oidc_allow_loopback is False
    monkeypatch.setenv("MENTORHUB_PLATFORM_OIDC_ISSUER", "http://127.0.0.1:9000")
    monkeypatch.setenv("MENTORHUB_PLATFORM_OIDC_CLIENT_ID", "platform")
    monkeypatch.setenv("MENTORHUB_PLATFORM_OIDC_CLIENT_SECRET", "secret")
    with pytest.raises(SettingsError, match="MENTORHUB_PLATFORM_OIDC_ISSUER must be an https"):
        Settings.from_env()
    monkeypatch.setenv("MENTORHUB_OIDC_ALLOW_LOOPBACK", "true")
    assert Settings.from_env().oidc_allow_loopback is True
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.delenv("MENTORHUB_OIDC_ALLOW_LOOPBACK")
    assert Settings.from_env().oidc_allow_loopback is True  # embedded services
