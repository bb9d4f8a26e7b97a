"""Months clamp; business days follow the jurisdiction's holidays; calendars are cached."""

from __future__ import annotations

from datetime import date

from mentorhub.schemes.calendar import (
    add_months,
    add_period,
    check_jurisdiction,
    first_business_day,
    holiday_dates,
    is_business_day,
    next_business_day,
)


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 8, 31), 3) == date(2026, 11, 30)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


def test_add_period_months_then_weeks_and_days() -> None:
    assert add_period(date(2026, 1, 31), months=1, weeks=1, days=1) == date(2026, 3, 8)


def test_first_business_day_of_january_2027_in_alberta_is_monday_4th() -> None:
    # 1 Jan 2027 is a Friday and New Year's Day; 2–3 Jan are the weekend.
    assert first_business_day(2027, 1, "CA-AB") == date(2027, 1, 4)


def test_business_days_follow_the_jurisdiction() -> None:
    # Canada Day (Thu 1 July 2027) is a holiday in Alberta, not in England.
    assert not is_business_day(date(2027, 7, 1), "CA-AB")
    assert is_business_day(date(2027, 7, 1), "GB-ENG")
    # Boxing Day 2026 falls on a Saturday; England observes it on Monday 28 December.
    assert next_business_day(date(2026, 12, 25), "GB-ENG") == date(2026, 12, 29)


def test_holiday_calendar_is_built_once_per_jurisdiction_and_year() -> None:
    first = holiday_dates("GB-ENG", 2031)
    assert holiday_dates("GB-ENG", 2031) is first
    assert date(2031, 12, 25) in first


def test_check_jurisdiction() -> None:
    assert check_jurisdiction("CA-AB") is None
    assert check_jurisdiction("GB-ENG") is None
    assert "unknown country" in (check_jurisdiction("XX-AB") or "")
    assert "unknown subdivision" in (check_jurisdiction("CA-ZZ") or "")
