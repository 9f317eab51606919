"""The nightly analytics export (issue 18): each business day's orders, order lines and stock-out days
to S3 as gzipped JSON Lines (``shared.analytics.export``), for Athena and ``oms sql``.

A day is read through the orders' ``by_placed_day`` index (``OrderPeriods.placed_between``: the orders
placed on it, never a Scan) and the stock-out days' partition, and written as one object per table,
replacing the day's previous export: exporting a day again is idempotent, and is how late changes land
(a refund, a return, a cancellation of an order placed that day). The schedule exports yesterday and the
two days before it every night (``REEXPORT_DAYS_AGO``); a change to an older order lands when staff export its
day again (``oms analytics-export --from --to``, or the function invoked with ``{"from", "to"}``).

One run of the schedule exports one day: at a million orders a day, a day's orders take some ten
minutes to read and write (about 0.4 ms per order in Python, and the index's pages), inside the function's
15. A range asked for by event is capped at ``MAX_INVOKED_DAYS`` for the same reason (for a shop of a
thousand orders a day a month takes seconds); ``oms analytics-export`` runs on your machine, unbounded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from shared.analytics.export import json_line, order_rows, stockout_row
from shared.analytics.layout import LINES_TABLE, ORDERS_TABLE, REEXPORT_DAYS_AGO, STOCKOUTS_TABLE
from shared.dal.analytics_export import Stockout
from shared.models.orders import Order
from shared.reports.days import day_range, parse_utc, today

MAX_INVOKED_DAYS = 31  # days one invocation with {"from", "to"} may export (the function's 15 minutes)


class PlacedOrders(Protocol):
    items_read: int

    def placed_between(self, start: str, end: str) -> Iterator[Order]: ...


class StockoutSource(Protocol):
    items_read: int

    def stockouts_on(self, day: str) -> Iterator[Stockout]: ...


class RecordWriter(Protocol):
    records: int

    def write(self, record: bytes) -> None: ...


class ExportFiles(Protocol):
    def writer(self, key: str) -> AbstractContextManager[RecordWriter]: ...


@dataclass(frozen=True)
class DayExported:
    day: str
    orders: int
    lines: int
    stockouts: int


@dataclass
class ExportDone:
    days: list[DayExported] = field(default_factory=list)
    items_read: int = 0

    @property
    def orders(self) -> int:
        return sum(d.orders for d in self.days)

    @property
    def lines(self) -> int:
        return sum(d.lines for d in self.days)

    @property
    def stockouts(self) -> int:
        return sum(d.stockouts for d in self.days)


def days_between(first: dt.date, last: dt.date, most: int | None = None) -> list[dt.date]:
    """Every business day from ``first`` to ``last``, both included; a ValueError for an empty range or
    (with ``most``) a longer one."""
    if last < first:
        raise ValueError(f"{last} is before {first}")
    count = (last - first).days + 1
    if most is not None and count > most:
        raise ValueError(f"{count} days: at most {most} at a time")
    return [first + dt.timedelta(days=n) for n in range(count)]


def scheduled_day(scheduled_time: str, days_ago: int, tz: ZoneInfo) -> dt.date:
    """The day a nightly run exports: ``days_ago`` days before the day it was scheduled on, in the
    business time zone (the time it was scheduled for: a retried run exports the same day)."""
    if not 1 <= days_ago <= max(REEXPORT_DAYS_AGO):
        raise ValueError(f"days_ago {days_ago}: one of {REEXPORT_DAYS_AGO}")
    return today(parse_utc(scheduled_time), tz) - dt.timedelta(days=days_ago)


class AnalyticsExport:
    def __init__(
        self,
        orders: Callable[[], PlacedOrders],
        stockouts: Callable[[], StockoutSource],
        files: ExportFiles,
        tz: ZoneInfo,
    ) -> None:
        self._orders = orders
        self._stockouts = stockouts
        self._files = files
        self._tz = tz

    def export(self, first: dt.date, last: dt.date, most: int | None = None) -> ExportDone:
        """Export every day from ``first`` to ``last``, one after another."""
        days = days_between(first, last, most)
        orders, stockouts = self._orders(), self._stockouts()
        done = ExportDone()
        for day in days:
            done.days.append(self._day(day, orders, stockouts))
        done.items_read = orders.items_read + stockouts.items_read
        return done

    def _day(self, day: dt.date, source: PlacedOrders, stockouts: StockoutSource) -> DayExported:
        name = day.isoformat()
        start, end = day_range(day, day, self._tz)
        with (
            self._files.writer(ORDERS_TABLE.key(name)) as orders,
            self._files.writer(LINES_TABLE.key(name)) as lines,
        ):
            for order in source.placed_between(start, end):
                rows = order_rows(order, self._tz)
                if rows.day != name:  # never: the index window is the day's; kept out of another's folder
                    continue
                orders.write(json_line(rows.order))
                for line in rows.lines:
                    lines.write(json_line(line))
        with self._files.writer(STOCKOUTS_TABLE.key(name)) as out:
            for stockout in stockouts.stockouts_on(name):
                out.write(json_line(stockout_row(stockout.sku, stockout.locations)))
        return DayExported(name, orders.records, lines.records, out.records)
