"""Inventory report arithmetic. Pure.

One row per SKU with its totals (location ``ALL``): on hand, reserved, available, the low-stock flag,
the units sold in the sales window and the days of cover, then one row per location with that
location's levels. Days of cover = available / (units sold / window days), to one decimal: how many
days the sellable stock lasts at the window's rate; empty when nothing sold (no rate), 0 when nothing
is available.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from shared.models.inventory import Stock
from shared.models.reports import ALL_LOCATIONS, SALES_WINDOW_DAYS, InventoryReport, InventoryRow

TENTH = Decimal("0.1")


def days_of_cover(available: int, units_sold: int, window_days: int = SALES_WINDOW_DAYS) -> Decimal | None:
    if units_sold <= 0:
        return None
    if available <= 0:
        return Decimal("0.0")
    return (Decimal(available) * window_days / units_sold).quantize(TENTH, rounding=ROUND_HALF_UP)


def rows_for(stock: Stock, name: str, units_sold: int) -> list[InventoryRow]:
    total = InventoryRow(
        sku=stock.sku,
        name=name,
        location=ALL_LOCATIONS,
        on_hand=stock.on_hand,
        reserved=stock.reserved,
        available=stock.available,
        low_stock_threshold=stock.low_stock_threshold,
        low_stock=stock.low_stock,
        units_sold=units_sold,
        days_of_cover=days_of_cover(stock.available, units_sold),
    )
    return [
        total,
        *(
            InventoryRow(
                sku=stock.sku,
                name=name,
                location=level.location,
                on_hand=level.on_hand,
                reserved=level.reserved,
                available=level.available,
            )
            for level in sorted(stock.locations, key=lambda level: level.location)
        ),
    ]


def inventory_report(
    date: str,
    timezone: str,
    sales_from: str,
    sales_to: str,
    products: Iterable[tuple[Stock, str]],
    units_sold: Mapping[str, int],
) -> InventoryReport:
    """The report from every product's stock and name (in SKU order) and the units sold per SKU."""
    rows: list[InventoryRow] = []
    for stock, name in sorted(products, key=lambda product: product[0].sku):
        rows += rows_for(stock, name, units_sold.get(stock.sku, 0))
    return InventoryReport(date=date, timezone=timezone, sales_from=sales_from, sales_to=sales_to, rows=rows)
