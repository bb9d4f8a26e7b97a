"""Settings, read once from the environment.

Every value is checked when it is read, and a bad one raises `SettingsError` with one line
that names the variable and what is wrong, so the process can stop before it half-starts.
The checks are the core's (URLs, addresses, mail settings): reading the settings imports no
area of the product, and the data layer reads none (its timeouts are handed to
`Database.connect` by whoever connects, `Settings.db_timeouts()`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mentorhub.core.addresses import AddressRefused, check_url, parse_networks
from mentorhub.core.smtp import SmtpConfig, SmtpConfigError, check_address, parse_smtp_url

if TYPE_CHECKING:
    from mentorhub.db.session import Timeouts

#: The repository root when running from a checkout; templates and tenant files live there.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class SettingsError(ValueError):
    """A setting has a bad value; the message is one line naming it."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    return value


def _float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}={raw!r} must be true or false")


def check_database_url(name: str, url: str) -> str:
    """Accept a plain `postgresql://` URL as operators write it; reject anything else."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgresql", "postgres", "postgresql+asyncpg"}:
        raise SettingsError(
            f"{name} must be a postgresql:// URL (got scheme {parts.scheme or 'none'!r})"
        )
    if not parts.path.strip("/"):
        raise SettingsError(f"{name} must name a database, e.g. postgresql://host/mentorhub")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise SettingsError(f"{name} has a malformed port") from None
    if not parts.hostname and "host=" not in parts.query:
        raise SettingsError(f"{name} must name a host (or a socket directory as ?host=...)")
    return url


def check_redis_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise SettingsError(f"{name} must be a redis://, rediss:// or unix:// URL")
    if parts.scheme != "unix" and not parts.hostname:
        raise SettingsError(f"{name} must name a host")
    try:
        parts.port  # noqa: B018
    except ValueError:
        raise SettingsError(f"{name} has a malformed port") from None
    return url


@dataclass(frozen=True)
class Settings:
    """Everything configurable. `database_url` is the owner's (migrations); the web and
    workers connect with `app_database_url`, a role that owns nothing and cannot bypass RLS."""

    database_url: str | None
    app_database_url: str | None
    redis_url: str | None
    secret_key: str | None
    data_dir: Path | None
    app_role: str = "mentorhub_app"
    tenants_dir: Path = PROJECT_ROOT / "tenants"
    templates_dir: Path = PROJECT_ROOT / "templates"
    path_prefix_tenants: bool = False
    db_pool_size: int = 10
    # A frozen or unreachable database fails a page fast (the 503 page) instead of hanging it.
    db_connect_timeout: float = 3.0
    db_statement_timeout: float = 5.0
    db_idle_transaction_timeout: float = 60.0
    db_pool_timeout: float = 3.0
    outbox_batch: int = 500
    outbox_poll_seconds: float = 0.5
    outbox_redeliver_after: float = 60.0
    outbox_max_attempts: int = 10
    debug: bool = False
    log_level: str = "INFO"
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 12 * 3600
    approval_link_days: int = 14
    # Rate limits per minute (mentorhub/identity/ratelimit.py): per client address, per
    # account named, per tenant; the client's address is believed from trusted proxies only.
    login_rate_per_minute: int = 30
    login_account_rate_per_minute: int = 10
    login_tenant_rate_per_minute: int = 600
    link_rate_per_minute: int = 30
    link_tenant_rate_per_minute: int = 600
    trusted_proxies: tuple[str, ...] = ()  # addresses/networks, checked (web/proxies.py)
    platform_oidc_issuer: str | None = None
    platform_oidc_client_id: str | None = None
    platform_oidc_client_secret: str | None = None
    oidc_allow_loopback: bool = False
    # Messages (mentorhub.messages): where mail goes, and as whom.
    smtp: SmtpConfig | None = None
    mail_from: str = "mentorhub@localhost"
    # The pair's documents (mentorhub.pairs.storage): S3-compatible storage when a bucket is
    # set, else a directory (storage_dir, else <data_dir>/documents).
    storage_dir: Path | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_prefix: str = ""
    # The platform console's hostname check (`tenancy/verify.py`): the scheme it fetches
    # `<scheme>://<hostname>/.well-known/mentorhub-verify/<token>` with, and where to connect
    # instead of DNS ((hostname or "*", address, port) entries; tests, the embedded default).
    verify_scheme: str = "http"
    verify_resolve: tuple[tuple[str, str, int], ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    def db_timeouts(self) -> Timeouts:
        """The database timeouts, for `Database.connect` (the data layer reads no settings:
        whoever connects hands them in)."""
        from mentorhub.db.session import Timeouts

        return Timeouts(
            connect=self.db_connect_timeout,
            statement=self.db_statement_timeout,
            idle_in_transaction=self.db_idle_transaction_timeout,
            pool=self.db_pool_timeout,
        )

    @classmethod
    def from_env(cls) -> Settings:
        database_url = _env("DATABASE_URL")
        if database_url is not None:
            check_database_url("DATABASE_URL", database_url)
        app_role = _env("MENTORHUB_APP_ROLE", "mentorhub_app") or "mentorhub_app"
        if not app_role.replace("_", "").isalnum():
            raise SettingsError("MENTORHUB_APP_ROLE must be letters, digits and underscores")
        app_database_url = _env("MENTORHUB_APP_DATABASE_URL")
        if app_database_url is not None:
            check_database_url("MENTORHUB_APP_DATABASE_URL", app_database_url)
        elif database_url is not None:
            # Same server and database, logged in as the runtime role (trust or peer auth;
            # set MENTORHUB_APP_DATABASE_URL to give it a password).
            from mentorhub.db.urls import with_user

            app_database_url = with_user(database_url, app_role)
        redis_url = _env("REDIS_URL")
        if redis_url is not None:
            check_redis_url("REDIS_URL", redis_url)
        if (database_url is None) != (redis_url is None):
            missing = "REDIS_URL" if redis_url is None else "DATABASE_URL"
            raise SettingsError(
                f"{missing} is not set: production mode needs both DATABASE_URL and REDIS_URL "
                "(set neither to run on embedded services)"
            )
        data_dir = _env("MENTORHUB_DATA_DIR")
        tenants_dir = Path(_env("MENTORHUB_TENANTS_DIR", str(PROJECT_ROOT / "tenants")) or "")
        secret_key = _env("MENTORHUB_SECRET_KEY")
        if secret_key is not None and len(secret_key) < 32:
            raise SettingsError("MENTORHUB_SECRET_KEY must be at least 32 characters")
        idle, absolute = _session_timeouts()
        # Identity providers on this machine's loopback (plain http allowed there): on for
        # the embedded default (its demo provider) and the tests, off in production.
        oidc_allow_loopback = _bool("MENTORHUB_OIDC_ALLOW_LOOPBACK", database_url is None)
        platform_oidc = _platform_oidc(oidc_allow_loopback)
        return cls(
            database_url=database_url,
            app_database_url=app_database_url,
            redis_url=redis_url,
            secret_key=secret_key,
            data_dir=Path(data_dir).expanduser() if data_dir else None,
            app_role=app_role,
            tenants_dir=tenants_dir,
            path_prefix_tenants=_bool("MENTORHUB_PATH_PREFIX_TENANTS", database_url is None),
            db_pool_size=_int("MENTORHUB_DB_POOL_SIZE", 10, minimum=1),
            db_connect_timeout=_float("MENTORHUB_DB_CONNECT_TIMEOUT", 3.0, minimum=0.1),
            db_statement_timeout=_float("MENTORHUB_DB_STATEMENT_TIMEOUT", 5.0, minimum=0.1),
            db_idle_transaction_timeout=_float(
                "MENTORHUB_DB_IDLE_TRANSACTION_TIMEOUT", 60.0, minimum=1
            ),
            db_pool_timeout=_float("MENTORHUB_DB_POOL_TIMEOUT", 3.0, minimum=0.1),
            outbox_batch=_int("MENTORHUB_OUTBOX_BATCH", 500, minimum=1),
            outbox_poll_seconds=_float("MENTORHUB_OUTBOX_POLL_SECONDS", 0.5, minimum=0.01),
            outbox_redeliver_after=_float("MENTORHUB_OUTBOX_REDELIVER_AFTER", 60.0, minimum=1),
            outbox_max_attempts=_int("MENTORHUB_OUTBOX_MAX_ATTEMPTS", 10, minimum=1),
            debug=_bool("MENTORHUB_DEBUG", False),
            log_level=_log_level(),
            session_idle_seconds=idle,
            session_absolute_seconds=absolute,
            approval_link_days=_int("MENTORHUB_APPROVAL_LINK_DAYS", 14, minimum=1),
            login_rate_per_minute=_int("MENTORHUB_LOGIN_RATE_PER_MINUTE", 30, minimum=1),
            login_account_rate_per_minute=_int(
                "MENTORHUB_LOGIN_ACCOUNT_RATE_PER_MINUTE", 10, minimum=1
            ),
            login_tenant_rate_per_minute=_int(
                "MENTORHUB_LOGIN_TENANT_RATE_PER_MINUTE", 600, minimum=1
            ),
            link_rate_per_minute=_int("MENTORHUB_LINK_RATE_PER_MINUTE", 30, minimum=1),
            link_tenant_rate_per_minute=_int(
                "MENTORHUB_LINK_TENANT_RATE_PER_MINUTE", 600, minimum=1
            ),
            trusted_proxies=_trusted_proxies(),
            platform_oidc_issuer=platform_oidc[0],
            platform_oidc_client_id=platform_oidc[1],
            platform_oidc_client_secret=platform_oidc[2],
            smtp=_smtp(),
            mail_from=_mail_from(),
            oidc_allow_loopback=oidc_allow_loopback,
            verify_scheme=_verify_scheme(),
            verify_resolve=parse_verify_resolve(_env("MENTORHUB_VERIFY_RESOLVE", "") or ""),
            **_storage(),
        )


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _log_level() -> str:
    raw = (_env("MENTORHUB_LOG_LEVEL", "INFO") or "INFO").upper()
    if raw not in LOG_LEVELS:
        raise SettingsError(f"MENTORHUB_LOG_LEVEL={raw!r} must be one of {', '.join(LOG_LEVELS)}")
    return raw


def _verify_scheme() -> str:
    raw = (_env("MENTORHUB_VERIFY_SCHEME", "http") or "http").lower()
    if raw not in {"http", "https"}:
        raise SettingsError(f"MENTORHUB_VERIFY_SCHEME={raw!r} must be http or https")
    return raw


def parse_verify_resolve(raw: str) -> tuple[tuple[str, str, int], ...]:
    """MENTORHUB_VERIFY_RESOLVE, curl's --resolve turned round: comma-separated
    `hostname=address:port` (`*=127.0.0.1:8123`: every hostname), where the hostname check
    connects instead of asking DNS; the request still names the hostname (Host)."""
    out: list[tuple[str, str, int]] = []
    for entry in filter(None, (e.strip() for e in raw.split(","))):
        host, sep, target = entry.partition("=")
        address, colon, port = target.rpartition(":")
        host, address = host.strip().lower(), address.strip().strip("[]")
        if not sep or not colon or not host or not address or not port.isdigit():
            raise SettingsError(
                f"MENTORHUB_VERIFY_RESOLVE entry {entry!r} must be hostname=address:port"
            )
        if not 0 < int(port) < 65536:
            raise SettingsError(f"MENTORHUB_VERIFY_RESOLVE entry {entry!r}: port out of range")
        out.append((host, address, int(port)))
    return tuple(out)


def _trusted_proxies() -> tuple[str, ...]:
    """MENTORHUB_TRUSTED_PROXIES: comma-separated addresses or networks whose
    X-Forwarded-For / X-Forwarded-Proto are believed (mentorhub/web/proxies.py)."""
    try:
        networks = parse_networks(_env("MENTORHUB_TRUSTED_PROXIES", "") or "")
        return tuple(str(network) for network in networks)
    except ValueError as exc:
        raise SettingsError(f"MENTORHUB_TRUSTED_PROXIES: {exc}") from None


def _session_timeouts() -> tuple[int, int]:
    idle = _int("MENTORHUB_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
    absolute = _int("MENTORHUB_SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=60)
    if absolute < idle:
        raise SettingsError(
            f"MENTORHUB_SESSION_ABSOLUTE_SECONDS={absolute} must be at least the idle timeout "
            f"MENTORHUB_SESSION_IDLE_SECONDS={idle}"
        )
    return idle, absolute


PLATFORM_OIDC = (
    "MENTORHUB_PLATFORM_OIDC_ISSUER",
    "MENTORHUB_PLATFORM_OIDC_CLIENT_ID",
    "MENTORHUB_PLATFORM_OIDC_CLIENT_SECRET",
)


def _platform_oidc(allow_loopback: bool) -> tuple[str | None, str | None, str | None]:
    """The platform admins' own identity provider: all three variables or none."""
    values = tuple(_env(name) for name in PLATFORM_OIDC)
    missing = [name for name, value in zip(PLATFORM_OIDC, values, strict=True) if value is None]
    if missing and len(missing) < len(PLATFORM_OIDC):
        raise SettingsError(f"{missing[0]} is not set (the platform sign-in needs all three)")
    issuer = values[0]
    if issuer is not None:
        try:
            check_url(issuer, allow_loopback=allow_loopback)
        except AddressRefused as exc:
            raise SettingsError(f"MENTORHUB_PLATFORM_OIDC_ISSUER {exc}") from None
    return values[0], values[1], values[2]


def _smtp() -> SmtpConfig | None:
    """MENTORHUB_SMTP_URL (+ _USERNAME, _PASSWORD, _TIMEOUT_SECONDS); unset → None, which
    production start-up refuses in one line (`mentorhub.messages.delivery.require_smtp`)."""
    url = _env("MENTORHUB_SMTP_URL")
    if url is None:
        return None
    try:
        return parse_smtp_url(
            url,
            username=_env("MENTORHUB_SMTP_USERNAME"),
            password=_env("MENTORHUB_SMTP_PASSWORD"),
            timeout=_float("MENTORHUB_SMTP_TIMEOUT_SECONDS", 10.0, minimum=0.1),
        )
    except SmtpConfigError as exc:
        raise SettingsError(str(exc)) from None


def _mail_from() -> str:
    value = _env("MENTORHUB_MAIL_FROM", "mentorhub@localhost") or "mentorhub@localhost"
    try:
        return check_address(value, "MENTORHUB_MAIL_FROM")
    except SmtpConfigError as exc:
        raise SettingsError(str(exc)) from None


def _storage() -> dict[str, Any]:
    """Where the pair's documents are kept: MENTORHUB_STORAGE_DIR (a directory), or
    MENTORHUB_S3_BUCKET with MENTORHUB_S3_ENDPOINT_URL, _REGION, _ACCESS_KEY_ID,
    _SECRET_ACCESS_KEY (both or neither) and _PREFIX."""
    storage_dir = _env("MENTORHUB_STORAGE_DIR")
    bucket = _env("MENTORHUB_S3_BUCKET")
    endpoint = _env("MENTORHUB_S3_ENDPOINT_URL")
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError("MENTORHUB_S3_ENDPOINT_URL must be an http:// or https:// URL")
    key_id = _env("MENTORHUB_S3_ACCESS_KEY_ID")
    secret = _env("MENTORHUB_S3_SECRET_ACCESS_KEY")
    if (key_id is None) != (secret is None):
        missing = (
            "MENTORHUB_S3_SECRET_ACCESS_KEY" if secret is None else "MENTORHUB_S3_ACCESS_KEY_ID"
        )
        raise SettingsError(f"{missing} is not set (S3 keys are given both or neither)")
    if bucket is None and (endpoint or key_id):
        raise SettingsError("MENTORHUB_S3_BUCKET is not set (the other S3 settings need it)")
    return {
        "storage_dir": Path(storage_dir).expanduser() if storage_dir else None,
        "s3_bucket": bucket,
        "s3_endpoint_url": endpoint,
        "s3_region": _env("MENTORHUB_S3_REGION"),
        "s3_access_key_id": key_id,
        "s3_secret_access_key": secret,
        "s3_prefix": _env("MENTORHUB_S3_PREFIX", "") or "",
    }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
