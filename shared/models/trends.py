"""GET /analytics/trends: sales figures per day, ISO week or month over a range, each beside the same figures
for the period before, per currency (amounts in two currencies are never added together).

The words are the README's glossary (shared.reports.sales). The arithmetic is shared.reports.trends.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from shared.models.common import Model, Sku
from shared.models.reports import Amount

Granularity = Literal["day", "week", "month"]
TrendBy = Literal["total", "channel", "sku"]
GRANULARITIES: tuple[Granularity, ...] = ("day", "week", "month")
TREND_BYS: tuple[TrendBy, ...] = ("total", "channel", "sku")
MAX_TREND_DAYS = 731  # two years, a leap day included
DEFAULT_TREND_DAYS = 30  # ``from`` defaults to this many days before ``to``
MAX_TREND_SKUS = 10  # ``sku`` given at most this many times; without it, the top this many by net sales

Percent = Decimal  # one decimal place, e.g. 12.5 for +12.5 %


class TrendFigures(Model):
    """One period's figures (for everything, a channel or a SKU) in one currency.

    ``orders`` and ``units`` are placed less cancelled in the period (a cancellation takes back, on its
    own day, everything its order had added). ``shipping``, ``taxes`` and ``total_sales`` are the
    order's: null in a SKU's series. ``average_order_value`` = (gross sales - discounts) / orders, as
    in daily_sales (null without orders)."""

    orders: int
    units: int
    gross_sales: Amount
    discounts: Amount
    returns: Amount
    net_sales: Amount = Field(description="gross sales - discounts - returns")
    shipping: Amount | None = Field(description="null for a SKU")
    taxes: Amount | None = Field(description="null for a SKU")
    total_sales: Amount | None = Field(
        description="net sales + shipping + taxes - included taxes; null for a SKU"
    )
    average_order_value: Amount | None = Field(
        description="(gross sales - discounts) / orders; null: no orders"
    )


class TrendChange(Model):
    """The change from the previous period in percent, one decimal; null where the previous figure is 0
    (or null)."""

    orders: Percent | None
    units: Percent | None
    gross_sales: Percent | None
    discounts: Percent | None
    returns: Percent | None
    net_sales: Percent | None
    shipping: Percent | None
    taxes: Percent | None
    total_sales: Percent | None
    average_order_value: Percent | None


class TrendPoint(Model):
    """One bucket: a day, an ISO week (``2026-W05``) or a month (``2026-02``), clipped to the range
    (``first_day``/``last_day`` say which days it holds), beside the same-length bucket of the period
    before."""

    period: str = Field(description="2026-02-03, 2026-W05 or 2026-02")
    first_day: str = Field(
        description="First business day counted (the range clips the first and last bucket)"
    )
    last_day: str = Field(description="Last business day counted (inclusive)")
    figures: TrendFigures
    previous_period: str = Field(description="The bucket compared with")
    previous_first_day: str
    previous_last_day: str
    previous: TrendFigures
    change_percent: TrendChange


class TrendSeries(Model):
    """The points of everything (``total``), a channel or a SKU, in one currency, oldest first."""

    name: str = Field(description="'total', the channel or the SKU")
    currency: str
    points: list[TrendPoint]


class TrendStatistics(Model):
    items_read: int = Field(description="DynamoDB items read to answer")
    requests: int = Field(description="DynamoDB requests made to answer")


class Trends(Model):
    granularity: Granularity
    by: TrendBy
    first_day: str = Field(description="First business day of the range (ISO date): the query's from")
    last_day: str = Field(description="Last business day of the range (inclusive): the query's to")
    previous_first_day: str = Field(
        description="First day of the period compared with (just before the range)"
    )
    previous_last_day: str
    timezone: str
    currencies: list[str] = Field(description="Every currency that had sales in either period, sorted")
    skus: list[Sku] | None = Field(
        default=None, description="by=sku: the SKUs shown (as asked, or the top ones by net sales)"
    )
    skus_chosen_by: str | None = Field(default=None, description="by=sku: how the SKUs were chosen")
    series: list[TrendSeries] = Field(description="Sorted by currency, then total / channel / SKU")
    notes: list[str] = Field(description="How to read the answer (clipped buckets, previous periods)")
    statistics: TrendStatistics
