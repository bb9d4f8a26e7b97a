"""Turn the plain `postgresql://` URLs operators write into what SQLAlchemy and asyncpg take."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def async_url(url: str) -> URL:
    """`postgresql://...` (or `postgres://`) → the asyncpg dialect, keeping socket `?host=`."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+asyncpg")


def with_user(url: str, user: str, password: str | None = None) -> str:
    """The same server and database as `url`, logged in as another role."""
    parsed = make_url(url).set(username=user, password=password)
    return parsed.render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def describe(url: str) -> str:
    """Where a URL points, without its password, for error messages."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "localhost"
    return f"{host}:{parsed.port or 5432}/{parsed.database}"
