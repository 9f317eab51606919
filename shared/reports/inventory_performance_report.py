"""The ``inventory_performance`` report: the figures of GET /analytics/inventory for every SKU, over the
report's period (``period_start``..``period_end``, inclusive business days), as a ``TabularReport``:

1. the reorder list (SKUs at or under their reorder point, largest suggested quantity first);
2. every SKU;
3. the days each SKU was out of stock;
4. slow movers and dead stock;
5. units shipped per SKU, location and day.

Charts: the SKUs out of stock the most days, and the largest suggested reorders. Stock (on hand,
available, and so the reorder list) is as it is when the report is built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from shared.models.inventory_analytics import InventoryPerformance, SkuPerformance
from shared.models.reports import Report
from shared.reports.inventory_performance import MAX_DAYS, Settings
from shared.reports.render.svg import Bar, Group
from shared.reports.tabular import BarChart, Sheet, TabularReport

TOP = 10  # bars per chart


class Figures(Protocol):
    """Every SKU's figures (``shared.services.inventory_performance.InventoryAnalytics``)."""

    def everything(self, settings: Settings, page_size: int = ...) -> InventoryPerformance: ...


def inventory_performance_report(report: Report, analytics: Figures) -> tuple[TabularReport, int]:
    """The report of ``report``'s period, and the DynamoDB items read to make it."""
    first, last = dt.date.fromisoformat(report.period_start), dt.date.fromisoformat(report.period_end)
    days = min(MAX_DAYS, (last - first).days + 1)
    figures = analytics.everything(Settings(as_of=last, days=days))
    return tabular(figures, report.timezone), figures.statistics.items_read


def _sold(item: SkuPerformance, days: int) -> tuple[int, Decimal]:
    found = next(s for s in item.sold if s.days == days)
    return found.units, found.per_day


def tabular(figures: InventoryPerformance, timezone: str) -> TabularReport:
    items = figures.items
    reorder = sorted(
        (item for item in items if item.reorder.reorder),
        key=lambda item: (-item.reorder.suggested_quantity, item.sku),
    )
    reorder_rows = [
        (
            item.sku,
            item.name,
            item.on_hand,
            item.available,
            item.reorder.daily_rate,
            item.reorder.demand_std_dev,
            item.reorder.lead_time_days,
            item.reorder.service_level,
            item.reorder.z,
            item.reorder.safety_stock,
            item.reorder.reorder_point,
            item.reorder.suggested_quantity,
            item.days_of_cover,
        )
        for item in reorder
    ]
    every = [
        (
            item.sku,
            item.name,
            item.on_hand,
            item.reserved,
            item.available,
            *_sold(item, 7),
            *_sold(item, 30),
            *_sold(item, 90),
            item.days_of_cover,
            item.sell_through,
            item.days_out_of_stock,
            item.slow_mover,
            item.dead_stock,
            item.last_sold,
            item.reorder.reorder_point,
            item.reorder.suggested_quantity,
        )
        for item in items
    ]
    out_days = [(item.sku, day.day) for item in items for day in item.daily if day.out_of_stock]
    slow_dead = [
        (
            item.sku,
            item.name,
            "dead" if item.dead_stock else "slow",
            item.on_hand,
            *_sold(item, 90),
            item.last_sold,
        )
        for item in items
        if item.dead_stock or item.slow_mover
    ]
    shipped = [
        (item.sku, location, day.day, units)
        for item in items
        for day in item.daily
        for location, units in sorted(day.shipped.items())
    ]
    period = f"{figures.period_start} to {figures.as_of}"
    return TabularReport(
        title=f"Inventory performance {period}",
        subtitle=f"{len(items)} SKUs, business days in {timezone}; stock as it was when the report was built",
        notes=(
            "Units sold: net of cancellations and returns, per business day (the daily sales counters).",
            "Days of cover: available / the 30-day daily rate. Sell-through: units sold in the period / "
            "(units sold + on hand).",
            "Reorder point: lead-time demand + safety stock, safety stock = z x sigma of the 90 daily "
            "demands (zero days included) x sqrt(lead time), z from the product's service level (default "
            "95 %: 1.645) and lead time (default 7 days); suggested quantity brings stock to "
            f"{figures.target_cover_days} days of cover plus the safety stock.",
            f"Dead stock: nothing sold in {figures.dead_stock_days} days while on hand. Slow mover: on hand, "
            f"under {figures.slow_mover_rate} units a day over 90 days.",
        ),
        charts=(
            _bars(
                "days-out-of-stock",
                "SKUs out of stock the most days",
                [(item.sku, item.days_out_of_stock) for item in items],
            ),
            _bars(
                "suggested-reorders",
                "Largest suggested reorders (units)",
                [(item.sku, item.reorder.suggested_quantity) for item in reorder],
            ),
        ),
        sheets=(
            Sheet(
                "Reorder",
                (
                    "sku",
                    "name",
                    "on_hand",
                    "available",
                    "daily_rate_90d",
                    "demand_std_dev",
                    "lead_time_days",
                    "service_level",
                    "z",
                    "safety_stock",
                    "reorder_point",
                    "suggested_quantity",
                    "days_of_cover",
                ),
                reorder_rows,
            ),
            Sheet(
                "All SKUs",
                (
                    "sku",
                    "name",
                    "on_hand",
                    "reserved",
                    "available",
                    "sold_7d",
                    "per_day_7d",
                    "sold_30d",
                    "per_day_30d",
                    "sold_90d",
                    "per_day_90d",
                    "days_of_cover",
                    "sell_through",
                    "days_out_of_stock",
                    "slow_mover",
                    "dead_stock",
                    "last_sold",
                    "reorder_point",
                    "suggested_quantity",
                ),
                every,
            ),
            Sheet("Out of stock days", ("sku", "day"), out_days),
            Sheet(
                "Slow and dead stock",
                ("sku", "name", "kind", "on_hand", "sold_90d", "per_day_90d", "last_sold"),
                slow_dead,
            ),
            Sheet("Shipped per location", ("sku", "location", "day", "units"), shipped),
        ),
    )


def _bars(chart_id: str, title: str, values: Sequence[tuple[str, int]]) -> BarChart:
    top = sorted((v for v in values if v[1] > 0), key=lambda v: (-v[1], v[0]))[:TOP]
    return BarChart(
        chart_id=chart_id,
        title=title,
        groups=(Group(heading="", bars=[Bar(label=sku, value=Decimal(n), shown=str(n)) for sku, n in top]),),
    )
