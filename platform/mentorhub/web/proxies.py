"""Who the client is: the socket's peer, or what trusted proxies say it is.

`X-Forwarded-For` and `X-Forwarded-Proto` are only headers; any client can send them. They
are believed only from the proxies named in `MENTORHUB_TRUSTED_PROXIES` (addresses or
networks; none by default, so the peer is the client). From a trusted peer, the
`X-Forwarded-For` list is walked from the right (each proxy appends the address it saw)
past every trusted proxy; the first address that is not one is the client. Whatever a client
puts further left is never reached, so it cannot choose the address its rate limits and log
lines count against.

This is done here, under any server, rather than by uvicorn's `--proxy-headers`: uvicorn
trusts 127.0.0.1 (and `FORWARDED_ALLOW_IPS`) by default, which on the embedded default let
any local client name its own address. The server is told not to rewrite the client
(`server.py`); `ForwardedClient` sets `scope["client"]` and `scope["scheme"]` once, for
everything after it (Litestar's `request.client`, `request.url`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import Any

from mentorhub.core.addresses import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

UNKNOWN = "unknown"


def parse_address(value: str) -> Address | None:
    """An address as proxies write it: bare, `v4:port`, or `[v6]:port`; None if not one."""
    text = value.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def trusted(address: Address | None, networks: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in networks)


def resolve_client(
    peer: str | None, forwarded_for: Iterable[str], networks: Sequence[Network]
) -> tuple[str, int | None]:
    """The client's address and, when it came through trusted proxies, the index (from the
    left) of the `X-Forwarded-For` entry it was read from; None when it is the peer itself.

    `forwarded_for` is every `X-Forwarded-For` header value in order. A peer that is not a
    trusted proxy is the client, whatever the headers say."""
    current = parse_address(peer) if peer else None
    if current is None:
        return (peer or UNKNOWN), None
    if not trusted(current, networks):
        return str(current), None
    hops = [entry for value in forwarded_for for entry in value.split(",")]
    chosen: int | None = None
    for index in range(len(hops) - 1, -1, -1):
        if not trusted(current, networks):
            break
        address = parse_address(hops[index])
        if address is None:
            break  # garbage where a proxy should have written an address: stop at the proxy
        current, chosen = address, index
    return str(current), chosen


def _proto(values: list[str], chosen: int, hops: int) -> str | None:
    """The scheme the client used, from the trusted proxies' `X-Forwarded-Proto`: one value,
    or one per `X-Forwarded-For` hop (then the one beside the client's entry)."""
    protos = [p.strip().lower() for value in values for p in value.split(",")]
    if len(protos) == 1:
        proto = protos[0]
    elif len(protos) == hops:
        proto = protos[chosen]
    elif protos:
        proto = protos[-1]
    else:
        return None
    return proto if proto in {"http", "https"} else None


class ForwardedClient:
    """ASGI: put the real client (and scheme) in the scope; see the module docstring."""

    def __init__(self, app: ASGIApp, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            peer = str(client[0]) if client else None
            forwarded: list[str] = []
            protos: list[str] = []
            if self.networks:
                for name, value in scope.get("headers", []):
                    if name == b"x-forwarded-for":
                        forwarded.append(bytes(value).decode("latin-1"))
                    elif name == b"x-forwarded-proto":
                        protos.append(bytes(value).decode("latin-1"))
            host, chosen = resolve_client(peer, forwarded, self.networks)
            if chosen is not None:
                scope["client"] = (host, 0)
                hops = sum(len(value.split(",")) for value in forwarded)
                proto = _proto(protos, chosen, hops)
                if proto is not None:
                    ws = scope["type"] == "websocket"
                    scope["scheme"] = proto.replace("http", "ws") if ws else proto
        await self.app(scope, receive, send)
