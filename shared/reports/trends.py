"""Sales trends: the sales counters of each day, ISO week or month of a range, beside the same bucket of the
period before, with the change in percent. Pure: no boto3, no clock; the reads are the caller's
(``shared.services.trends``), told by ``plan``.

* **Buckets.** The days, ISO weeks or months ``first..last`` touches, the first and last clipped to the
  range (each point says its ``first_day`` and ``last_day``). A bucket is read as its ``cover``: a whole
  month from the MONTH items, whole ISO weeks from the WEEK items, the days left from the DAY items
  (shared.reports.periods), so a clipped bucket is exact and a long range reads a few items per month.
* **Previous period.** The range moved back by as many days, weeks or months as it has buckets: each
  bucket is compared with the bucket that many steps before (for months: the same days of the months
  before; for days and whole weeks: the same-length range immediately before).
* **Change** = (now - before) / |before| x 100, one decimal; null where before is 0 (or null). A fall
  is negative whatever the sign of before (net sales can be negative on a week of many returns).
* **Figures** are the glossary's (shared.reports.sales), per currency. A SKU's series has no shipping,
  taxes or total sales (the order's, not a SKU's): null.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from shared.dal.keys import key_part, parse_counter
from shared.models.reports import SalesFigures
from shared.models.trends import (
    MAX_TREND_SKUS,
    Granularity,
    TrendBy,
    TrendChange,
    TrendFigures,
    TrendPoint,
    TrendSeries,
)
from shared.reports.periods import Bucket, Period, PeriodKind, buckets, cover, label_of, shift
from shared.reports.sales import CounterRow, figures_of

KINDS: dict[Granularity, PeriodKind] = {"day": "DAY", "week": "WEEK", "month": "MONTH"}
TOTAL = "total"  # the name of the series of everything
PERCENT_STEP = Decimal("0.1")


@dataclass(frozen=True)
class TrendQuery:
    granularity: Granularity
    by: TrendBy
    first: dt.date
    last: dt.date
    channel: str | None = None  # only this channel (by=total or by=channel)
    skus: tuple[str, ...] = ()  # by=sku: these SKUs; none: the top MAX_TREND_SKUS by net sales
    currency: str | None = None  # only this currency


@dataclass(frozen=True)
class BucketPair:
    """A point's bucket and the bucket of the period before it is compared with."""

    current: Bucket
    previous: Bucket


def plan(query: TrendQuery) -> list[BucketPair]:
    """The buckets of the range, each with its previous bucket (the range moved back by its length in
    buckets)."""
    kind = KINDS[query.granularity]
    now = buckets(kind, query.first, query.last)
    steps = len(now)
    pairs = []
    for bucket in now:
        first, last = shift(kind, bucket.first, steps), shift(kind, bucket.last, steps)
        pairs.append(BucketPair(bucket, Bucket(Period(kind, label_of(kind, first)), first, last)))
    return pairs


def reads(bucket: Bucket) -> list[Period]:
    """The counter items' periods whose sum is the bucket (its ``cover``)."""
    return cover(bucket.first, bucket.last)


def prefixes(query: TrendQuery, skus: Sequence[str] = ()) -> list[str]:
    """The sort-key prefixes a bucket's read asks for: the totals, one channel's or every channel's
    counters, the named SKUs' or every SKU's."""
    if query.by == "sku":
        return [f"SKU#{key_part(sku)}#" for sku in skus] if skus else ["SKU#"]
    if query.channel is not None:
        return [f"CHANNEL#{query.channel}#"]
    return ["CHANNEL#"] if query.by == "channel" else ["TOTAL#"]


SeriesKey = tuple[str, str]  # (currency, name)


def series_rows(query: TrendQuery, rows: Iterable[CounterRow]) -> dict[SeriesKey, dict[str, Decimal]]:
    """A bucket's rows added up per series: (currency, 'total' | channel | SKU) -> fields."""
    found: dict[SeriesKey, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        counter = parse_counter(row.what)
        if counter is None or counter.kind == "STATUS":
            continue
        if query.currency is not None and counter.currency != query.currency:
            continue
        if query.by == "sku":
            if counter.kind != "SKU" or (query.skus and counter.name not in query.skus):
                continue
            name = counter.name
        elif counter.kind == "CHANNEL" and query.by == "channel" and query.channel in (None, counter.name):
            name = counter.name
        elif query.by == "total" and query.channel == (counter.name if counter.kind == "CHANNEL" else None):
            if counter.kind not in ("CHANNEL", "TOTAL"):
                continue
            name = TOTAL
        else:
            continue
        into = found[(counter.currency, name)]
        for field, value in row.fields.items():
            into[field] += value
    return {key: dict(fields) for key, fields in found.items()}


def top_skus(
    rows: Iterable[Mapping[SeriesKey, Mapping[str, Decimal]]], n: int = MAX_TREND_SKUS
) -> dict[str, list[str]]:
    """Per currency, the ``n`` SKUs with the highest net sales over the buckets given (ties: by SKU)."""
    net: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for bucket in rows:
        for (currency, sku), fields in bucket.items():
            net[currency][sku] += figures_of(fields).net_sales
    return {
        currency: [sku for sku, _ in sorted(by_sku.items(), key=lambda item: (-item[1], item[0]))[:n]]
        for currency, by_sku in sorted(net.items())
    }


def trend_figures(fields: Mapping[str, Decimal], *, sku: bool) -> TrendFigures:
    sales: SalesFigures = figures_of(fields)
    return TrendFigures(
        orders=sales.orders,
        units=sales.units,
        gross_sales=sales.gross_sales,
        discounts=sales.discounts,
        returns=sales.returns,
        net_sales=sales.net_sales,
        shipping=None if sku else sales.shipping,
        taxes=None if sku else sales.taxes,
        total_sales=None if sku else sales.total_sales,
        average_order_value=sales.average_order_value,
    )


def change(now: Decimal | int | None, before: Decimal | int | None) -> Decimal | None:
    """(now - before) / |before| in percent, one decimal; None where before is 0 or either is None."""
    if now is None or before is None or before == 0:
        return None
    return (Decimal(now - before) * 100 / abs(Decimal(before))).quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)


def changes(now: TrendFigures, before: TrendFigures) -> TrendChange:
    return TrendChange(
        **{name: change(getattr(now, name), getattr(before, name)) for name in TrendChange.model_fields}
    )


def series(
    query: TrendQuery,
    pairs: Sequence[BucketPair],
    current: Sequence[Mapping[SeriesKey, Mapping[str, Decimal]]],
    previous: Sequence[Mapping[SeriesKey, Mapping[str, Decimal]]],
    keep: Mapping[str, Sequence[str]] | None = None,
) -> list[TrendSeries]:
    """One series per (currency, name) found in either period (``keep``: per currency, only these names,
    in this order), a point per bucket: its figures beside the previous bucket's and the change."""
    found = {key for bucket in (*current, *previous) for key in bucket}
    if keep is not None:
        found = {(currency, name) for currency, name in found if name in keep.get(currency, ())}

    def order(key: SeriesKey) -> tuple[str, int, str]:
        currency, name = key
        if keep is not None:
            return currency, list(keep[currency]).index(name), name
        return currency, 0 if name == TOTAL else 1, name

    result = []
    sku = query.by == "sku"
    for key in sorted(found, key=order):
        points = []
        for pair, now_rows, before_rows in zip(pairs, current, previous, strict=True):
            now = trend_figures(now_rows.get(key, {}), sku=sku)
            before = trend_figures(before_rows.get(key, {}), sku=sku)
            points.append(
                TrendPoint(
                    period=pair.current.period.label,
                    first_day=pair.current.first.isoformat(),
                    last_day=pair.current.last.isoformat(),
                    figures=now,
                    previous_period=pair.previous.period.label,
                    previous_first_day=pair.previous.first.isoformat(),
                    previous_last_day=pair.previous.last.isoformat(),
                    previous=before,
                    change_percent=changes(now, before),
                )
            )
        result.append(TrendSeries(name=key[1], currency=key[0], points=points))
    return result


def notes(query: TrendQuery, pairs: Sequence[BucketPair]) -> list[str]:
    said = [
        "Figures per currency (never added across currencies), in the glossary's words: net sales = gross "
        "sales - discounts - returns; total sales = net sales + shipping + taxes - included taxes; average "
        "order value = (gross sales - discounts) / orders.",
        f"Each {query.granularity} is compared with the {query.granularity} {len(pairs)} "
        f"{query.granularity}(s) before it (the range moved back by its length); change_percent is null "
        "where the previous figure is 0.",
    ]
    if any(pair.current.clipped for pair in pairs):
        said.append(
            "The first or last bucket is clipped to the range: each point's first_day and last_day say which "
            "days it counts (its previous bucket is clipped the same way)."
        )
    if query.by == "sku":
        said.append("A SKU's series has no shipping, taxes or total sales (they are the order's): null.")
    return said
