"""GET /analytics/trends and the sales_trends report: the reads ``shared.reports.trends`` plans, from the
sales counters' DAY, WEEK and MONTH items (shared.dal.sales), and what they cost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Protocol

from shared.models.trends import MAX_TREND_DAYS, MAX_TREND_SKUS, Trends, TrendStatistics
from shared.reports.periods import Bucket, Period
from shared.reports.sales import CounterRow
from shared.reports.trends import (
    SeriesKey,
    TrendQuery,
    notes,
    plan,
    prefixes,
    reads,
    series,
    series_rows,
    top_skus,
)


class PeriodCounters(Protocol):
    """A store of the sales counters (``shared.dal.sales.SalesStore``)."""

    items_read: int
    requests: int

    def rows(self, period: Period, prefix: str = "", *, legacy: bool = False) -> list[CounterRow]: ...


class InvalidTrendQuery(ValueError):
    """A range or filter the trends do not answer (a 422 naming ``field``: to, sku or channel)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


EARLIEST = dt.date(2000, 1, 1)  # the previous period of a trend from here is still a date
LATEST = dt.date(2099, 12, 31)


def check(query: TrendQuery) -> None:
    if query.first < EARLIEST:
        raise InvalidTrendQuery("from", f"from is before {EARLIEST}")
    if query.last > LATEST:
        raise InvalidTrendQuery("to", f"to is after {LATEST}")
    if query.last < query.first:
        raise InvalidTrendQuery("to", "to is before from")
    if (query.last - query.first).days + 1 > MAX_TREND_DAYS:
        raise InvalidTrendQuery("to", f"a trend covers at most {MAX_TREND_DAYS} days")
    if query.skus and query.by != "sku":
        raise InvalidTrendQuery("sku", "sku needs by=sku")
    if query.channel is not None and query.by == "sku":
        raise InvalidTrendQuery("channel", "channel with by=sku: the SKU counters are not per channel")
    if len(query.skus) > MAX_TREND_SKUS:
        raise InvalidTrendQuery("sku", f"at most {MAX_TREND_SKUS} sku")
    if len(set(query.skus)) != len(query.skus):
        raise InvalidTrendQuery("sku", "a sku is given twice")


class TrendService:
    """``counters`` makes the store a trend reads through (its counts of items and requests are read
    before and after the trend)."""

    def __init__(self, counters: Callable[[], PeriodCounters], timezone: str) -> None:
        self._counters = counters
        self._timezone = timezone

    @staticmethod
    def _bucket(
        counters: PeriodCounters, bucket: Bucket, query: TrendQuery, skus: tuple[str, ...]
    ) -> dict[SeriesKey, dict[str, Decimal]]:
        rows = [
            row
            for period in reads(bucket)
            for prefix in prefixes(query, skus)
            for row in counters.rows(period, prefix)
        ]
        return series_rows(query, rows)

    def trends(self, query: TrendQuery) -> Trends:
        """The trend asked for (checked: ``InvalidTrendQuery``), with the items and requests it cost."""
        check(query)
        counters = self._counters()
        items, requests = counters.items_read, counters.requests
        pairs = plan(query)
        current = [self._bucket(counters, pair.current, query, query.skus) for pair in pairs]
        previous = [self._bucket(counters, pair.previous, query, query.skus) for pair in pairs]
        keep: Mapping[str, list[str]] | None = None
        chosen_by = None
        if query.by == "sku" and not query.skus:
            keep = top_skus(current)
            chosen_by = (
                f"The {MAX_TREND_SKUS} SKUs with the highest net sales from {query.first} to {query.last}, "
                "per currency (ties by SKU), read from every SKU's counters of the range"
            )
        elif query.by == "sku":
            keep = None
            chosen_by = "As asked (sku)"
        found = series(query, pairs, current, previous, keep)
        skus = None
        if query.by == "sku":
            skus = (
                list(query.skus)
                if query.skus
                else sorted({sku for names in (keep or {}).values() for sku in names})
            )
        first_previous = pairs[0].previous.first
        last_previous = pairs[-1].previous.last
        return Trends(
            granularity=query.granularity,
            by=query.by,
            first_day=query.first.isoformat(),
            last_day=query.last.isoformat(),
            previous_first_day=first_previous.isoformat(),
            previous_last_day=last_previous.isoformat(),
            timezone=self._timezone,
            currencies=sorted({s.currency for s in found}),
            skus=skus,
            skus_chosen_by=chosen_by,
            series=found,
            notes=notes(query, pairs),
            statistics=TrendStatistics(
                items_read=counters.items_read - items, requests=counters.requests - requests
            ),
        )


def default_range(
    today: dt.date, first: dt.date | None, last: dt.date | None, days: int
) -> tuple[dt.date, dt.date]:
    """``to`` defaults to yesterday, ``from`` to ``days`` days before ``to``."""
    last = last or today - dt.timedelta(days=1)
    return first or last - dt.timedelta(days=days), last
