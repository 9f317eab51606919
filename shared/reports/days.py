"""What a business day is: a calendar day in the business time zone (``OMS_TIMEZONE``), DST included.

Order times are stored as UTC ISO strings with microseconds (``2026-11-23T23:30:00.000000Z``), which sort
as text: a business day is the half-open range ``[start, end)`` of those strings.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.moments import utc_text


class UnknownTimezone(ValueError):
    pass


@cache
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimezone(f"{name!r} is not an IANA time zone (OMS_TIMEZONE)") from exc


def parse_utc(timestamp: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def business_day(timestamp: str, tz: ZoneInfo) -> str:
    """The business day (ISO date) an ISO-8601 timestamp falls on."""
    return parse_utc(timestamp).astimezone(tz).date().isoformat()


def day_start(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The first instant of a business day, in UTC (local midnight; zoneinfo resolves DST gaps)."""
    return dt.datetime.combine(day, dt.time.min, tz).astimezone(dt.UTC)


def day_range(first: dt.date, last: dt.date, tz: ZoneInfo) -> tuple[str, str]:
    """``[start, end)`` as stored timestamps: from the first instant of ``first`` to the first instant
    after ``last`` (inclusive business days)."""
    return utc_text(day_start(first, tz)), utc_text(day_start(last + dt.timedelta(days=1), tz))


def utc_dates(start: str, end: str) -> list[str]:
    """The UTC calendar dates (``created_day`` of the orders table) that ``[start, end)`` touches."""
    first = parse_utc(start).date()
    last = (parse_utc(end) - dt.timedelta(microseconds=1)).date()
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def today(now: dt.datetime, tz: ZoneInfo) -> dt.date:
    return now.astimezone(tz).date()
