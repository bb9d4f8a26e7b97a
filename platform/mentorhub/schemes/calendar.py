"""Calendar arithmetic for scheme timelines: months that clamp, and holiday-aware business days.

Holiday calendars come from the `holidays` package. Building one costs a few hundred
microseconds, far more than a whole pair's timeline, so each (jurisdiction, year) calendar
is built once per process and cached; the cache is tiny (a few jurisdictions × a few years).
"""

from __future__ import annotations

import calendar as _stdcal
from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = [
    "MONTH_NAMES",
    "add_months",
    "add_period",
    "check_jurisdiction",
    "days_in_month",
    "first_business_day",
    "holiday_dates",
    "is_business_day",
    "last_day_of_month",
    "month_bounds",
    "next_business_day",
    "split_jurisdiction",
]

_ONE_DAY = timedelta(days=1)
# Days per month (index 1–12); a table, because calendar.monthrange is slow in a hot loop.
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

#: English month names by number (1–12); calendar.month_name is locale-aware and slow.
MONTH_NAMES = ("", "January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


def days_in_month(year: int, month: int) -> int:
    """Number of days in `month` of `year` (leap years included)."""
    if month == 2 and _stdcal.isleap(year):
        return 29
    return _DAYS_IN_MONTH[month]


def last_day_of_month(year: int, month: int) -> date:
    """The last calendar day of `month` in `year`."""
    return date(year, month, days_in_month(year, month))


@lru_cache(maxsize=1 << 16)
def add_months(d: date, months: int) -> date:
    """`d` moved by `months` calendar months, clamped to the end of the target month.

    31 January + 1 month is 28 February (29 in a leap year), not 3 March: a rule such as
    "one month after matching" means the same day next month, or that month's last day when
    the day does not exist. Clamping is not reversible (31 Jan + 1 − 1 = 28 Jan); timelines
    therefore always count from their anchor, never step back and forth.

    Memoised: timelines ask for the same few thousand (date, months) pairs again and again.
    """
    if months == 0:
        return d
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    month = month0 + 1
    day = d.day
    if day > 28:
        last = days_in_month(year, month)
        if day > last:
            day = last
    return date(year, month, day)


@lru_cache(maxsize=4096)
def month_bounds(year: int, month: int) -> tuple[date, date, str]:
    """(first day, last day, "October 2026") of a month — memoised for timeline loops."""
    return date(year, month, 1), last_day_of_month(year, month), f"{MONTH_NAMES[month]} {year}"


def add_period(d: date, months: int = 0, weeks: int = 0, days: int = 0) -> date:
    """`d` + months (clamped, see :func:`add_months`), then + weeks and days."""
    if months:
        d = add_months(d, months)
    if weeks or days:
        d = d + timedelta(days=weeks * 7 + days)
    return d


def split_jurisdiction(code: str) -> tuple[str, str | None]:
    """"CA-AB" → ("CA", "AB"); "GB" → ("GB", None)."""
    country, _, subdiv = code.partition("-")
    return country, (subdiv or None)


def check_jurisdiction(code: str) -> str | None:
    """None when `holidays` knows `code` (COUNTRY or COUNTRY-SUBDIVISION), else the problem."""
    if not isinstance(code, str) or not code:
        return "must be a holidays country code such as 'GB-ENG' or 'CA-AB'"
    country, subdiv = split_jurisdiction(code)
    supported = holidays.list_supported_countries()
    if country not in supported:
        return f"unknown country {country!r} (the holidays library does not know it)"
    if subdiv is not None and subdiv not in supported[country]:
        return f"unknown subdivision {subdiv!r} of {country}"
    return None


@lru_cache(maxsize=256)
def holiday_dates(jurisdiction: str, year: int) -> frozenset[date]:
    """Public holidays of `jurisdiction` in `year` (cached: built once per process)."""
    country, subdiv = split_jurisdiction(jurisdiction)
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year).keys())


@lru_cache(maxsize=64)
def _weekend(jurisdiction: str) -> frozenset[int]:
    """Weekday numbers (Mon=0) that are the weekend in `jurisdiction` (Sat/Sun in GB and CA)."""
    country, subdiv = split_jurisdiction(jurisdiction)
    cal = holidays.country_holidays(country, subdiv=subdiv, years=2000)
    return frozenset(getattr(cal, "weekend", {5, 6}))


def is_business_day(d: date, jurisdiction: str) -> bool:
    """True when `d` is neither a weekend day nor a public holiday in `jurisdiction`."""
    return d.weekday() not in _weekend(jurisdiction) and d not in holiday_dates(
        jurisdiction, d.year
    )


def next_business_day(d: date, jurisdiction: str) -> date:
    """`d` itself when it is a business day, else the next one."""
    while not is_business_day(d, jurisdiction):
        d += _ONE_DAY
    return d


@lru_cache(maxsize=4096)
def first_business_day(year: int, month: int, jurisdiction: str) -> date:
    """The first business day of a month (1 January 2027 in Alberta → Monday 4 January)."""
    return next_business_day(date(year, month, 1), jurisdiction)
