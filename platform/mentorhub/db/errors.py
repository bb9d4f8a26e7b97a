"""Tell "the database is away" apart from a bug.

A frozen, stopped or overloaded PostgreSQL surfaces in several shapes: the pool's checkout
timeout, the driver's command or connect timeout (a bare `TimeoutError`), a refused or
missing socket (`OSError`), a connection closed under a statement, or the server's own
`statement_timeout`. Each of those is answered with the "briefly unavailable" page (503),
not the 500 page, and logged as one line rather than a traceback. Anything else stays a bug.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import exc as sa_exc

#: SQLSTATEs that mean the server cannot serve now, not that the statement is wrong:
#: connection exceptions (class 08), too many connections, statement or idle-in-transaction
#: timeout, and the server shutting down or starting up.
UNAVAILABLE_STATES = frozenset({"53300", "57014", "25P03", "57P01", "57P02", "57P03"})

#: Code whose `OSError`s are about reaching the database.
DRIVER_MODULES = ("asyncpg", "sqlalchemy")


def database_unavailable(exc: BaseException) -> str | None:
    """A few plain words on why the database could not answer, or None if `exc` is not
    about reaching it."""
    for link in _chain(exc):
        if isinstance(link, sa_exc.TimeoutError):
            return "no database connection free in time"
        if isinstance(link, sa_exc.DBAPIError):
            state = getattr(link.orig, "sqlstate", None) or ""
            if link.connection_invalidated or state.startswith("08"):
                return "database connection lost"
            if state == "57014":
                return "database statement timed out"
            if state in UNAVAILABLE_STATES:
                return "database not accepting work"
        if isinstance(link, OSError) and raised_in(link, DRIVER_MODULES):
            if isinstance(link, TimeoutError):
                return "database did not answer in time"
            return "database unreachable"
    return None


def raised_in(exc: BaseException, modules: tuple[str, ...]) -> bool:
    """Whether `exc` passed through code of one of `modules` on its way up."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        name = str(tb.tb_frame.f_globals.get("__name__", ""))
        if name.split(".", 1)[0] in modules:
            return True
        tb = tb.tb_next
    return False


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen and len(seen) < 10:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen
