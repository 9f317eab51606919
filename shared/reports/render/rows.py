"""The figures as rows of plain cells, shared by the CSV, XLSX and HTML writers.

A cell is text, an int, a Decimal, a bool or None (empty). Money leaves here rounded to the cent; the
writers decide how a cell looks (CSV text, an Excel number, HTML).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import get_args

from shared.models.orders import OrderStatus
from shared.models.reports import (
    DailySales,
    ExportRow,
    InventoryReport,
    SalesFigures,
    cents,
)

Cell = str | int | Decimal | bool | None
Row = tuple[Cell, ...]

FIGURE_COLUMNS: tuple[str, ...] = (
    "orders",
    "units",
    "gross_sales",
    "discounts",
    "returns",
    "net_sales",
    "shipping",
    "taxes",
    "included_taxes",
    "total_sales",
    "average_order_value",
    "cancelled_orders",
    "returned_units",
)
# What a SKU row holds: shipping, taxes and so total sales are the order's, never a SKU's.
ORDER_LEVEL_COLUMNS = frozenset({"shipping", "taxes", "included_taxes", "total_sales", "average_order_value"})
SKU_FIGURE_COLUMNS: tuple[str, ...] = tuple(c for c in FIGURE_COLUMNS if c not in ORDER_LEVEL_COLUMNS)
DAILY_SALES_COLUMNS: tuple[str, ...] = ("date", "currency", "section", "key", *FIGURE_COLUMNS)
INVENTORY_COLUMNS: tuple[str, ...] = (
    "date",
    "sku",
    "name",
    "location",
    "on_hand",
    "reserved",
    "available",
    "low_stock_threshold",
    "low_stock",
    "units_sold",
    "days_of_cover",
)
# Decimal columns holding money (two decimals); any other Decimal column keeps its own precision.
MONEY_COLUMNS = frozenset(
    {
        "gross_sales",
        "discounts",
        "returns",
        "net_sales",
        "shipping",
        "taxes",
        "included_taxes",
        "total_sales",
        "average_order_value",
        "unit_price",
        "line_total",
        "line_discount",
        "subtotal",
        "discount_total",
        "shipping_total",
        "tax_total",
        "total",
    }
)
STATUS_ORDER: tuple[OrderStatus, ...] = get_args(OrderStatus)

# OWASP "CSV injection": a spreadsheet treats text starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(text: str) -> str:
    """Text from merchants or marketplaces, defused: a leading formula character gets a ``'``."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def money(value: Decimal) -> Decimal:
    """To the cent, and never ``-0.00``."""
    rounded = cents(value)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def figures(f: SalesFigures) -> Row:
    """One SalesFigures as the cells of FIGURE_COLUMNS (net, total and AOV are the model's properties)."""
    aov = f.average_order_value
    return (
        f.orders,
        f.units,
        money(f.gross_sales),
        money(f.discounts),
        money(f.returns),
        money(f.net_sales),
        money(f.shipping),
        money(f.taxes),
        money(f.included_taxes),
        money(f.total_sales),
        None if aov is None else money(aov),
        f.cancelled_orders,
        f.returned_units,
    )


def sku_figures(f: SalesFigures) -> Row:
    """A SKU's figures as the cells of SKU_FIGURE_COLUMNS."""
    return (
        f.orders,
        f.units,
        money(f.gross_sales),
        money(f.discounts),
        money(f.returns),
        money(f.net_sales),
        f.cancelled_orders,
        f.returned_units,
    )


def sku_figures_wide(f: SalesFigures) -> Row:
    """A SKU's figures as the cells of FIGURE_COLUMNS: the order-level ones empty."""
    cells = dict(zip(SKU_FIGURE_COLUMNS, sku_figures(f), strict=True))
    return tuple(cells.get(column) for column in FIGURE_COLUMNS)


def statuses(orders_by_status: Mapping[OrderStatus, int]) -> list[tuple[str, int]]:
    """The status counts in lifecycle order (BACKORDERED ... RETURNED)."""
    return [(s, orders_by_status[s]) for s in STATUS_ORDER if s in orders_by_status]


def daily_sales_rows(report: DailySales) -> Iterator[Row]:
    """The long format of DAILY_SALES_COLUMNS, section by section: every currency's ``total``, then
    every currency's ``channel`` rows, then every currency's ``sku`` rows (order-level columns empty),
    then the ``status`` counts (no currency; the count in ``orders``)."""
    for c in report.currencies:
        yield (report.date, c.currency, "total", "", *figures(c.totals))
    for c in report.currencies:
        for ch in c.by_channel:
            yield (report.date, c.currency, "channel", ch.channel, *figures(ch.figures))
    for c in report.currencies:
        for s in c.by_sku:
            yield (report.date, c.currency, "sku", s.sku, *sku_figures_wide(s.figures))
    blanks = (None,) * (len(FIGURE_COLUMNS) - 1)
    for status, count in statuses(report.orders_by_status):
        yield (report.date, "", "status", status, count, *blanks)


def inventory_rows(report: InventoryReport) -> Iterator[Row]:
    """One row of INVENTORY_COLUMNS per InventoryRow, in the report's order."""
    for r in report.rows:
        yield (
            report.date,
            r.sku,
            r.name,
            r.location,
            r.on_hand,
            r.reserved,
            r.available,
            r.low_stock_threshold,
            r.low_stock,
            r.units_sold,
            r.days_of_cover,
        )


def _money_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else money(value)


def export_row(r: ExportRow) -> Row:
    """One ExportRow as the cells of EXPORT_COLUMNS (attribute access: this runs millions of times)."""
    return (
        r.order_id,
        r.external_id,
        r.channel,
        r.status,
        r.placed_at,
        r.created_at,
        r.business_date,
        r.customer_id,
        r.currency,
        r.line,
        r.sku,
        r.quantity,
        money(r.unit_price),
        money(r.line_total),
        money(r.line_discount),
        r.taxes_included,
        _money_or_none(r.subtotal),
        _money_or_none(r.discount_total),
        _money_or_none(r.shipping_total),
        _money_or_none(r.tax_total),
        _money_or_none(r.total),
    )
