"""OpenID Connect relying party, one provider per tenant, on Authlib's framework-free parts
(RFC 6749 request builders, RFC 7636 S256 challenge, joserfc for the ID token). Authlib's
httpx client is not used: in 1.9 it warns at import unless `httpx2` is installed.

The flow: discovery (cached, `issuer` must match what the tenant configured), authorization
code with PKCE S256, `state` and `nonce` generated here and checked on return, the RFC 9207
`iss` response parameter compared with the tenant's issuer (so an answer from another
tenant's provider is refused before any code is spent), the code exchanged over httpx, and
the ID token verified with joserfc against the provider's JWKS (an unknown `kid` refetches
the JWKS once: key rotation), `iss`, `aud`, `exp`, `iat`, `nonce`.

Every provider URL goes through `outbound` (https, public addresses only, the checked address
is the one connected to, no redirects, short timeouts, a size cap). The discovery document's
endpoints are checked before use: on the issuer's own origin, or https on a public host; the
loopback allowance (embedded default, tests) never extends beyond the issuer's origin, so a
discovery document cannot send the client secret to another port on this machine. Whatever
fails on the way to the provider, the user sees one message, `UNREACHABLE`; the cause goes
to the server log.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, quote, urlencode, urlsplit

import anyio
import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from mentorhub.identity import outbound

ALGORITHMS = ["RS256", "PS256", "ES256"]
METADATA_TTL = 3600.0
LEEWAY = 60
#: The one message for any failure to reach or read the provider (no port-scanner oracle).
UNREACHABLE = "the identity provider could not be reached"
#: Endpoints a sign-in uses; the first three are required.
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint")

log = logging.getLogger(__name__)


class OidcError(Exception):
    """Sign-in failed; the message is safe to show and to audit."""


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    claim_mapping: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pending:
    """What the relying party remembers between the redirect and the callback."""

    issuer: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


@dataclass(frozen=True)
class SignIn:
    claims: dict[str, Any]
    id_token: str


def _loopback_setting() -> bool:
    from mentorhub.settings import get_settings

    return get_settings().oidc_allow_loopback


def check_issuer_url(issuer: str, *, allow_loopback: bool | None = None) -> str:
    """The checks on an issuer as typed (no network): https, a public host; plain http to
    loopback only where `MENTORHUB_OIDC_ALLOW_LOOPBACK` allows it. Raises `ValueError`."""
    if allow_loopback is None:
        allow_loopback = _loopback_setting()
    try:
        parts = outbound.check_url(issuer, allow_loopback=allow_loopback)
    except outbound.AddressRefused as exc:
        raise ValueError(f"an issuer {exc}") from None
    if parts.query or parts.fragment:
        raise ValueError("an issuer has no query or fragment")
    return issuer


def _origin(parts: SplitResult) -> tuple[str, str, int | None]:
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower().rstrip("."), parts.port or default


def same_origin(url: str, issuer: str) -> bool:
    try:
        return _origin(urlsplit(url)) == _origin(urlsplit(issuer))
    except ValueError:
        return False


_warned_loopback = False


def _warn_loopback() -> None:
    """Loopback providers outside the embedded default: allowed, but never quietly."""
    global _warned_loopback
    if _warned_loopback or os.environ.get("MENTORHUB_EMBEDDED") == "1":
        return
    _warned_loopback = True
    log.warning(
        "MENTORHUB_OIDC_ALLOW_LOOPBACK is on outside the embedded default: identity "
        "providers may be reached over plain http on this machine's loopback. Turn it off "
        "in production."
    )


class OidcClient:
    """Caches each issuer's metadata and keys; one per process.

    `http` is no longer used for provider traffic: every request goes through `outbound`,
    whose transport connects only to checked addresses. It is still accepted so that callers
    written against the old signature keep working. `allow_loopback` defaults to the
    `MENTORHUB_OIDC_ALLOW_LOOPBACK` setting."""

    def __init__(
        self, http: httpx.AsyncClient | None = None, *, allow_loopback: bool | None = None
    ) -> None:
        self.http = http
        self.allow_loopback = _loopback_setting() if allow_loopback is None else allow_loopback
        if self.allow_loopback:
            _warn_loopback()
        self._metadata: dict[str, tuple[float, dict[str, Any]]] = {}
        self._keys: dict[str, KeySet] = {}

    async def metadata(self, issuer: str) -> dict[str, Any]:
        cached = self._metadata.get(issuer)
        if cached is not None and time.monotonic() - cached[0] < METADATA_TTL:
            return cached[1]
        try:
            check_issuer_url(issuer, allow_loopback=self.allow_loopback)
        except ValueError as exc:
            log.warning("identity provider %s refused: %s", issuer, exc)
            raise OidcError(UNREACHABLE) from None
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        data = await self._get(url, issuer)
        if data.get("issuer") != issuer:
            raise OidcError("the identity provider's discovery document names another issuer")
        for key in ENDPOINTS:
            endpoint = data.get(key)
            if endpoint is None and key == "end_session_endpoint":
                continue
            try:
                await self._check_endpoint(endpoint, issuer)
            except (outbound.OutboundError, TimeoutError) as exc:
                log.warning("identity provider %s: %s %r refused: %s", issuer, key, endpoint, exc)
                if key == "end_session_endpoint":
                    data = {k: v for k, v in data.items() if k != key}  # no logout there
                    continue
                raise OidcError(UNREACHABLE) from None
        self._metadata[issuer] = (time.monotonic(), data)
        return data

    def _loopback_for(self, url: str, issuer: str) -> bool:
        """Loopback is allowed (where it is at all) only on the issuer's own origin."""
        return self.allow_loopback and same_origin(url, issuer)

    async def _check_endpoint(self, endpoint: object, issuer: str) -> None:
        """An endpoint from discovery: on the issuer's origin, or https on a host whose
        every address is public (the browser is sent to some of these; the rest are checked
        again, and pinned, when fetched)."""
        if not isinstance(endpoint, str):
            raise outbound.OutboundError("missing or not a string")
        loopback = self._loopback_for(endpoint, issuer)
        parts = outbound.check_url(endpoint, allow_loopback=loopback)
        if same_origin(endpoint, issuer):
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with anyio.fail_after(outbound.CONNECT_TIMEOUT):
            await outbound.resolve(parts.hostname or "", port, allow_loopback=loopback)

    async def _request(
        self, method: str, url: str, issuer: str, **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        try:
            status, data = await outbound.request_json(
                method, url, allow_loopback=self._loopback_for(url, issuer), **kwargs
            )
        except (outbound.OutboundError, TimeoutError) as exc:
            level = logging.WARNING if isinstance(exc, outbound.AddressRefused) else logging.INFO
            log.log(level, "identity provider %s: %s %s failed: %s", issuer, method, url, exc)
            raise OidcError(UNREACHABLE) from None
        if not isinstance(data, dict):
            log.info("identity provider %s: %s answered JSON that is not an object", issuer, url)
            raise OidcError(UNREACHABLE)
        return status, data

    async def _get(self, url: str, issuer: str) -> dict[str, Any]:
        status, data = await self._request("GET", url, issuer)
        if status != 200:
            log.info("identity provider %s: %s answered %s", issuer, url, status)
            raise OidcError(UNREACHABLE)
        return data

    async def _keyset(self, issuer: str, *, refresh: bool = False) -> KeySet:
        if not refresh and issuer in self._keys:
            return self._keys[issuer]
        meta = await self.metadata(issuer)
        data = await self._get(meta["jwks_uri"], issuer)
        try:
            keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
        except (ValueError, KeyError, TypeError, JoseError) as exc:
            log.info("identity provider %s: its keys could not be read: %s", issuer, exc)
            raise OidcError(UNREACHABLE) from None
        self._keys[issuer] = keys
        return keys

    async def start(
        self, config: ProviderConfig, redirect_uri: str, *, login_hint: str | None = None
    ) -> tuple[str, Pending]:
        meta = await self.metadata(config.issuer)
        pending = Pending(
            issuer=config.issuer,
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(48),
            redirect_uri=redirect_uri,
        )
        extra = {"login_hint": login_hint} if login_hint else {}
        url = prepare_grant_uri(
            meta["authorization_endpoint"],
            config.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=config.scopes,
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.code_verifier),
            code_challenge_method="S256",
            **extra,
        )
        return str(url), pending

    async def finish(
        self, config: ProviderConfig, pending: Pending, params: dict[str, str]
    ) -> SignIn:
        """`params` is the callback's query; the caller found `pending` by its `state`."""
        if params.get("state") != pending.state or pending.issuer != config.issuer:
            raise OidcError("the sign-in answer does not belong to this sign-in")
        meta = await self.metadata(config.issuer)
        iss = params.get("iss")
        if iss is not None and iss != config.issuer:
            raise OidcError("the sign-in answer came from another identity provider")
        if iss is None and meta.get("authorization_response_iss_parameter_supported"):
            raise OidcError("the sign-in answer does not name its identity provider")
        if "error" in params:
            raise OidcError(f"the identity provider refused: {params['error'][:80]}")
        code = params.get("code")
        if not code:
            raise OidcError("the sign-in answer has no code")
        body = prepare_token_request(
            "authorization_code",
            redirect_uri=pending.redirect_uri,
            code=code,
            code_verifier=pending.code_verifier,
        )
        status, token = await self._request(
            "POST",
            meta["token_endpoint"],
            config.issuer,
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=httpx.BasicAuth(quote(config.client_id), quote(config.client_secret)),
        )
        if status != 200:
            error = token.get("error")
            if not (isinstance(error, str) and re.fullmatch(r"[a-z_]{1,64}", error)):
                error = "error"
            log.info("identity provider %s: the token endpoint answered %s", config.issuer, status)
            raise OidcError(f"the code could not be exchanged ({error})")
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the identity provider sent no ID token")
        claims = await self.verify_id_token(config, id_token, nonce=pending.nonce)
        return SignIn(claims=claims, id_token=id_token)

    async def verify_id_token(
        self, config: ProviderConfig, id_token: str, *, nonce: str, now: int | None = None
    ) -> dict[str, Any]:
        try:
            header = extract_compact(id_token.encode()).protected
        except (JoseError, ValueError):
            raise OidcError("the ID token is malformed") from None
        keys = await self._keyset(config.issuer)
        kid = header.get("kid")
        if kid is not None and not any(k.kid == kid for k in keys.keys):
            keys = await self._keyset(config.issuer, refresh=True)
        try:
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                now=now,
                leeway=LEEWAY,
                iss={"essential": True, "value": config.issuer},
                aud={"essential": True, "value": config.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except JoseError as exc:
            raise OidcError(f"the ID token was refused ({exc.error}: {exc.description})") from None
        claims = token.claims
        aud = claims["aud"]
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != config.client_id:
            raise OidcError("the ID token was refused (azp)")
        return claims

    async def logout_url(
        self, config: ProviderConfig, id_token: str | None, post_logout_redirect_uri: str
    ) -> str | None:
        """RP-initiated logout at the provider, where it offers it."""
        meta = await self.metadata(config.issuer)
        endpoint = meta.get("end_session_endpoint")
        if not endpoint:
            return None
        query = {
            "client_id": config.client_id,
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"
