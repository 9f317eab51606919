"""Days, ISO weeks and months as the sales counters and the trends name them. Pure: no clock.

A week is ISO (``2026-W05``, Monday first), a month ``2026-02``; both are whole business days
(shared.reports.days). ``cover`` says which counter items add up to a run of days: whole months from the
MONTH items, whole ISO weeks from the WEEK items, the days left from the DAY items, so a long range reads
a few items per month, and a clipped month or week is still exact.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["DAY", "WEEK", "MONTH"]
ROLLUPS: tuple[PeriodKind, ...] = ("WEEK", "MONTH")  # kept beside each DAY item (not for statuses)


@dataclass(frozen=True, order=True)
class Period:
    """A day (``2026-02-03``), an ISO week (``2026-W05``) or a month (``2026-02``)."""

    kind: PeriodKind
    label: str


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def label_of(kind: PeriodKind, day: dt.date) -> str:
    if kind == "DAY":
        return day.isoformat()
    return iso_week(day) if kind == "WEEK" else month_of(day)


def periods_of(day: str) -> tuple[Period, Period, Period]:
    """The day, its ISO week and its month: the items one day's counter is added to."""
    date = dt.date.fromisoformat(day)
    return Period("DAY", day), Period("WEEK", iso_week(date)), Period("MONTH", month_of(date))


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def bucket_bounds(kind: PeriodKind, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the day, ISO week or month holding ``day``."""
    if kind == "DAY":
        return day, day
    if kind == "WEEK":
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    return day.replace(day=1), month_end(day)


def period_bounds(period: Period) -> tuple[dt.date, dt.date]:
    """The days a period holds."""
    if period.kind == "DAY":
        day = dt.date.fromisoformat(period.label)
    elif period.kind == "WEEK":
        year, week = period.label.split("-W")
        day = dt.date.fromisocalendar(int(year), int(week), 1)
    else:
        day = dt.date.fromisoformat(f"{period.label}-01")
    return bucket_bounds(period.kind, day)


@dataclass(frozen=True)
class Bucket:
    """One point of a trend: its period, clipped to the range (``first``..``last``, inclusive)."""

    period: Period
    first: dt.date
    last: dt.date

    @property
    def clipped(self) -> bool:
        return (self.first, self.last) != period_bounds(self.period)


def buckets(kind: PeriodKind, first: dt.date, last: dt.date) -> list[Bucket]:
    """The days, weeks or months ``first..last`` touches, the first and last clipped to the range."""
    found: list[Bucket] = []
    day = first
    while day <= last:
        start, end = bucket_bounds(kind, day)
        found.append(Bucket(Period(kind, label_of(kind, day)), max(start, first), min(end, last)))
        day = end + dt.timedelta(days=1)
    return found


def cover(first: dt.date, last: dt.date) -> list[Period]:
    """The fewest counter items that add up to ``first..last`` exactly, oldest first: each whole month in
    it; before and after those, each whole ISO week; the days left (at most 6 at either end of a run of
    weeks)."""
    one = dt.timedelta(days=1)
    months_from = first if first.day == 1 else month_end(first) + one
    months_to = last if last == month_end(last) else last.replace(day=1) - one
    if months_from > months_to:
        return _weeks(first, last)
    months: list[Period] = []
    day = months_from
    while day <= months_to:
        months.append(Period("MONTH", month_of(day)))
        day = month_end(day) + one
    return [*_weeks(first, months_from - one), *months, *_weeks(months_to + one, last)]


def _weeks(first: dt.date, last: dt.date) -> list[Period]:
    found: list[Period] = []
    day = first
    while day <= last:
        if day.weekday() == 0 and day + dt.timedelta(days=6) <= last:
            found.append(Period("WEEK", iso_week(day)))
            day += dt.timedelta(days=7)
        else:
            found.append(Period("DAY", day.isoformat()))
            day += dt.timedelta(days=1)
    return found


def shift(kind: PeriodKind, day: dt.date, steps: int) -> dt.date:
    """``day`` moved back ``steps`` days, weeks or months (a month's day clamped to the month's end; the
    last day of a month stays the last day)."""
    if kind == "DAY":
        return day - dt.timedelta(days=steps)
    if kind == "WEEK":
        return day - dt.timedelta(weeks=steps)
    months = day.year * 12 + day.month - 1 - steps
    year, month = divmod(months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    at = last if day == month_end(day) else min(day.day, last)
    return dt.date(year, month + 1, at)
