"""Inventory performance (GET /analytics/inventory, the ``inventory_performance`` report): per SKU and
location, what sold, what ran out, what sits, and what to reorder.

Definitions and formulas: ``shared.reports.inventory_performance`` and the README, "Inventory performance".
Unit rates and shares are decimals serialised as strings (``"1.43"``), like money: exact, never floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer, WithJsonSchema

from shared.models.catalog import (  # noqa: F401 - the planning defaults, re-exported
    DEFAULT_LEAD_TIME_DAYS,
    DEFAULT_SERVICE_LEVEL,
    MAX_LEAD_TIME_DAYS,
    SERVICE_LEVELS,
)
from shared.models.common import Model, Sku
from shared.patterns import described

Rate = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": described(r"^-?\d+(\.\d+)?$", 'is a decimal number as a string, such as "1.43"'),
            "examples": ["1.43"],
        }
    ),
]
"""A decimal figure (units per day, days, a share) as a string: exact, never a float."""


class Statistics(Model):
    """What answering cost: DynamoDB items read and requests made (the bench and the docs quote it)."""

    items_read: int = Field(description="DynamoDB items read to answer")
    requests: int = Field(description="DynamoDB requests made to answer (Query, GetItem, BatchGetItem)")


class UnitsSold(Model):
    """Units sold (net of cancellations and returns) over the days ending on ``as_of``, and per day."""

    days: int = Field(description="The window's length: 7, 30 or 90 days ending on as_of")
    units: int = Field(description="Units sold in the window")
    per_day: Rate = Field(description="units / days, 2 decimals")


class Reorder(Model):
    """The reorder suggestion and how it was worked out (README, "Inventory performance")."""

    lead_time_days: int = Field(description="The product's lead time (default 7)")
    service_level: Rate = Field(description="The product's service level (default 0.95)")
    z: Rate = Field(description="NormalDist().inv_cdf(service_level), 3 decimals")
    daily_rate: Rate = Field(description="Mean daily demand over the 90 days ending on as_of, 2 decimals")
    demand_std_dev: Rate = Field(
        description="sigma: population standard deviation of the 90 daily demands (zero days included)"
    )
    lead_time_demand: Rate = Field(description="daily_rate x lead_time_days, 2 decimals")
    safety_stock: Rate = Field(description="z x sigma x sqrt lead_time_days, 2 decimals")
    reorder_point: Rate = Field(description="lead_time_demand + safety_stock, 2 decimals")
    reorder: bool = Field(description="available ≤ reorder_point (and the SKU sells)")
    suggested_quantity: int = Field(
        description="When reorder: max(0, ceil(target_cover_days x daily_rate + safety_stock - available)); "
        "else 0"
    )


class DayFigures(Model):
    """One business day of a SKU."""

    day: str = Field(description="The business day (ISO date)")
    sold: int = Field(description="Units sold that day (net of cancellations and returns)")
    out_of_stock: bool = Field(description="Available reached 0 or less that day (or stayed there)")
    shipped: dict[str, int] = Field(
        default_factory=dict, description="Units shipped that day, per location (locations that shipped)"
    )


class LocationFigures(Model):
    location: str
    on_hand: int = Field(description="Units on hand there now")
    shipped: int = Field(description="Units shipped from there in the period")


class SkuPerformance(Model):
    sku: Sku
    name: str | None = None
    on_hand: int = Field(description="Units on hand now (every location)")
    reserved: int = Field(description="Units held by open orders now")
    available: int = Field(description="on_hand - reserved now")
    sold: list[UnitsSold] = Field(description="Units sold over 7, 30 and 90 days ending on as_of")
    days_of_cover: Rate | None = Field(
        description="available ÷ the 30-day daily rate, 1 decimal; null when nothing sold in 30 days"
    )
    sell_through: Rate | None = Field(
        description="Over the period: sold ÷ (sold + on hand now), 4 decimals; null when both are 0"
    )
    days_out_of_stock: int = Field(description="Days of the period on which the SKU was out of stock")
    out_of_stock_now: bool = Field(description="available ≤ 0 now")
    slow_mover: bool = Field(
        description="On hand > 0, sold in the last dead_stock_days days, but its 90-day rate is under "
        "slow_mover_rate units a day"
    )
    dead_stock: bool = Field(description="Nothing sold in dead_stock_days days while on hand > 0")
    last_sold: str | None = Field(
        description="The last day it sold, looking back over the longest of the period, 90 days and "
        "dead_stock_days; null when it sold on none of them"
    )
    reorder: Reorder
    locations: list[LocationFigures] = Field(
        description="Per location: on hand now and shipped in the period"
    )
    daily: list[DayFigures] = Field(description="Each day of the period, oldest first")


class InventoryPerformance(Model):
    """GET /analytics/inventory: a page of SKUs, in SKU order."""

    as_of: str = Field(description="The period's last business day")
    period_start: str = Field(description="The period's first business day")
    days: int = Field(description="The period's length in days")
    location: str | None = Field(default=None, description="Only this location's SKUs and shipments")
    target_cover_days: int = Field(description="Days of demand a suggested reorder brings stock up to")
    dead_stock_days: int = Field(description="N: dead stock sold nothing in N days while on hand")
    slow_mover_rate: Rate = Field(description="A slow mover's 90-day rate is under this many units a day")
    items: list[SkuPerformance]
    next_token: str | None = None
    statistics: Statistics
