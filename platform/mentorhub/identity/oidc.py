"""OpenID Connect relying party, one provider per tenant, on Authlib's framework-free parts
(RFC 6749 request builders, RFC 7636 S256 challenge, joserfc for the ID token). Authlib's
httpx client is not used: in 1.9 it warns at import unless `httpx2` is installed.

The flow: discovery (cached, `issuer` must match what the tenant configured), authorization
code with PKCE S256, `state` and `nonce` generated here and checked on return, the RFC 9207
`iss` response parameter compared with the tenant's issuer (so an answer from another
tenant's provider is refused before any code is spent), the code exchanged over httpx, and
the ID token verified with joserfc against the provider's JWKS (an unknown `kid` refetches
the JWKS once: key rotation), `iss`, `aud`, `exp`, `iat`, `nonce`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

ALGORITHMS = ["RS256", "PS256", "ES256"]
METADATA_TTL = 3600.0
LEEWAY = 60


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


def check_issuer_url(issuer: str) -> str:
    parts = urlsplit(issuer)
    loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError("an issuer must be an https:// URL (http only on loopback)")
    if parts.query or parts.fragment:
        raise ValueError("an issuer has no query or fragment")
    return issuer


class OidcClient:
    """Caches each issuer's metadata and keys; one per process."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self._metadata: dict[str, tuple[float, dict[str, Any]]] = {}
        self._keys: dict[str, KeySet] = {}

    async def metadata(self, issuer: str) -> dict[str, Any]:
        cached = self._metadata.get(issuer)
        if cached is not None and time.monotonic() - cached[0] < METADATA_TTL:
            return cached[1]
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = await self.http.get(url)
            response.raise_for_status()
            data: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(
                f"the identity provider could not be reached ({type(exc).__name__})"
            ) from None
        if data.get("issuer") != issuer:
            raise OidcError("the identity provider's discovery document names another issuer")
        self._metadata[issuer] = (time.monotonic(), data)
        return data

    async def _keyset(self, issuer: str, *, refresh: bool = False) -> KeySet:
        if not refresh and issuer in self._keys:
            return self._keys[issuer]
        meta = await self.metadata(issuer)
        try:
            response = await self.http.get(meta["jwks_uri"])
            response.raise_for_status()
            keys = KeySet.import_key_set(response.json())
        except (httpx.HTTPError, ValueError, KeyError, JoseError) as exc:
            raise OidcError(f"the identity provider's keys could not be read ({exc})") from None
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
        try:
            response = await self.http.post(
                meta["token_endpoint"],
                content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                auth=httpx.BasicAuth(quote(config.client_id), quote(config.client_secret)),
            )
            token: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"the code could not be exchanged ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise OidcError(f"the code could not be exchanged ({token.get('error', 'error')})")
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
        return f"{endpoint}?{urlencode(query)}"
