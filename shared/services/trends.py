"""GET /analytics/trends and the sales_trends report: the reads ``shared.reports.trends`` plans, from the
sales counters' DAY, WEEK and MONTH items (shared.dal.sales), and what they cost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from shared.models.trends import MAX_TREND_DAYS, MAX_TREND_SKUS, Trends, TrendStatistics
from shared.reports.periods import Period
from shared.reports.sales import CounterRow
from shared.reports.trends import (
    TrendQuery,
    notes,
    plan,
    prefixes,
    series,
    series_rows,
    top_skus,
)
from shared.reports.trends import reads as cover_of


class PeriodCounters(Protocol):
    """A store of the sales counters (``shared.dal.sales.SalesStore``)."""

    items_read: int
    requests: int

    def rows_many(self, reads: Sequence[tuple[Period, str]]) -> list[list[CounterRow]]:
        """The counters of each (period, sort-key prefix), added up over the shards, in order."""
        ...


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

    def trends(self, query: TrendQuery) -> Trends:
        """The trend asked for (checked: ``InvalidTrendQuery``), with the items and requests it cost."""
        check(query)
        counters = self._counters()
        items, requests = counters.items_read, counters.requests
        pairs = plan(query)
        buckets = [pair.current for pair in pairs] + [pair.previous for pair in pairs]
        wanted = prefixes(query, query.skus)
        reads = sorted(
            {(period, prefix) for bucket in buckets for period in cover_of(bucket) for prefix in wanted}
        )
        read = dict(zip(reads, counters.rows_many(reads), strict=True))
        summed = [
            series_rows(
                query, [row for period in cover_of(b) for prefix in wanted for row in read[(period, prefix)]]
            )
            for b in buckets
        ]
        current, previous = summed[: len(pairs)], summed[len(pairs) :]
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
    """``to`` defaults to yesterday, ``from`` to ``days`` days before ``to``. ``InvalidTrendQuery``: a day
    given outside EARLIEST..LATEST (checked first: a default worked out from it could overflow)."""
    for field, day in (("from", first), ("to", last)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise InvalidTrendQuery(field, f"{field} must be a day from {EARLIEST} to {LATEST}")
    last = last or today - dt.timedelta(days=1)
    return first or last - dt.timedelta(days=days), last
