"""Outbound requests to identity providers, safe against server-side request forgery.

A tenant admin types an issuer URL, and the provider's discovery document names more URLs
(`jwks_uri`, `token_endpoint`, ...); the product fetches them and POSTs the client secret to
one. Without care that lets anyone who controls a form or a discovery document make the
server talk to its own network: the cloud metadata service at 169.254.169.254, a database
on 10.x, an admin port on 127.0.0.1. So every URL fetched here is:

- https only (plain http only to loopback, and only when loopback is allowed: the embedded
  default and the tests, `MENTORHUB_OIDC_ALLOW_LOOPBACK`);
- resolved once, every address checked (no private, loopback, link-local, multicast,
  reserved, unspecified or shared addresses, IPv4 or IPv6, IPv4-mapped included), and then
  connected to *that* address: a custom httpcore network backend does the lookup, so there
  is no second lookup a DNS-rebinding attacker could answer differently. TLS still checks
  the certificate against the URL's host name (httpcore sends that name as SNI and Host);
- never redirected, bounded in time (connect 3 s, 5 s in all) and size (512 KB).

The checks that need no network (`check_url`, `address_allowed`) are the core's
(`mentorhub.core.addresses`), so settings can apply them without importing this area.

Every failure is one `OutboundError`; its text is for the server log only. Callers show the
same neutral message whatever went wrong, so the form cannot be used as a port scanner.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import anyio
import httpcore
import httpx

from mentorhub.core.addresses import AddressRefused, OutboundError, address_allowed, check_url

__all__ = [
    "CONNECT_TIMEOUT",
    "MAX_BYTES",
    "TOTAL_TIMEOUT",
    "AddressRefused",
    "CheckedBackend",
    "CheckedTransport",
    "OutboundError",
    "check_url",
    "checked_client",
    "request_json",
    "resolve",
]

CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 5.0
MAX_BYTES = 512 * 1024


async def resolve(host: str, port: int, *, allow_loopback: bool) -> list[str]:
    """Every address `host` resolves to, each checked; refuses if any is not allowed (a
    name that mixes public and private answers is not trusted with either)."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundError(f"{host} could not be resolved: {exc}") from None
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0])
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and len(sockaddr) > 3 and sockaddr[3]:
            raise AddressRefused(f"{host} resolves to a scoped address {text}")
        if not address_allowed(address, allow_loopback=allow_loopback):
            raise AddressRefused(f"{host} resolves to {address}, which may not be reached")
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise OutboundError(f"{host} resolves to no address")
    return addresses


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with the address check in the one place a connection is
    made: resolve, check, connect to the checked address. The HTTP layer above keeps the
    URL's host for `Host` and for TLS (SNI and certificate name)."""

    def __init__(self, *, allow_loopback: bool) -> None:
        self.allow_loopback = allow_loopback
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with anyio.fail_after(timeout):
            addresses = await resolve(host, port, allow_loopback=self.allow_loopback)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("Unix sockets are never reached from here")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    """httpcore's exceptions as httpx's, so callers deal with one family."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise httpx.TimeoutException(str(exc), request=request) from exc
    except (
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpcore.ProxyError,
        httpcore.UnsupportedProtocol,
    ) as exc:
        raise httpx.TransportError(str(exc), request=request) from exc


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterator[bytes] | Any, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped(self._request):
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            await self._stream.aclose()


class CheckedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an httpcore pool that connects only through
    `CheckedBackend` (httpx 0.28 has no public way to give its own transport a backend)."""

    def __init__(self, *, allow_loopback: bool, ssl_context: ssl.SSLContext | None = None) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or _ssl_context(),
            max_connections=4,
            network_backend=CheckedBackend(allow_loopback=allow_loopback),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _mapped(request):
            response = await self._pool.handle_async_request(core)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream, request),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle takes tens of milliseconds: once per process."""
    return httpx.create_ssl_context()


def checked_client(
    *, allow_loopback: bool, ssl_context: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    """An httpx client that reaches only checked addresses: no redirects, no proxies from
    the environment (a proxy would make the connection, unchecked), short timeouts."""
    return httpx.AsyncClient(
        transport=CheckedTransport(allow_loopback=allow_loopback, ssl_context=ssl_context),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT),
    )


async def request_json(
    method: str,
    url: str,
    *,
    allow_loopback: bool,
    max_bytes: int = MAX_BYTES,
    ssl_context: ssl.SSLContext | None = None,
    **kwargs: Any,
) -> tuple[int, Any]:
    """(status, decoded JSON body) of one request to a checked address; any redirect,
    failure, oversize or non-JSON body raises `OutboundError`."""
    check_url(url, allow_loopback=allow_loopback)
    headers = {**kwargs.pop("headers", {}), "Accept-Encoding": "identity"}
    try:
        with anyio.fail_after(TOTAL_TIMEOUT):
            async with (
                checked_client(allow_loopback=allow_loopback, ssl_context=ssl_context) as http,
                http.stream(method, url, headers=headers, **kwargs) as response,
            ):
                if response.is_redirect:
                    raise OutboundError(f"{url} answered a redirect, which is not followed")
                if response.headers.get("content-encoding", "identity") != "identity":
                    raise OutboundError(f"{url} answered compressed although asked not to")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise OutboundError(f"{url} answered more than {max_bytes} bytes")
                body = bytearray()
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) > max_bytes:
                        raise OutboundError(f"{url} answered more than {max_bytes} bytes")
                status = response.status_code
    except TimeoutError:
        raise OutboundError(f"{url} did not answer within {TOTAL_TIMEOUT:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # ValueError: bad IDNA
        raise OutboundError(f"{url}: {type(exc).__name__}: {exc}") from None
    except OSError as exc:  # TLS errors included
        raise OutboundError(f"{url}: {type(exc).__name__}: {exc}") from None
    try:
        return status, json.loads(bytes(body))
    except ValueError:
        raise OutboundError(f"{url} answered {status} with a body that is not JSON") from None
