"""The analytics export's layout: its tables, their columns, and where their objects are. Pure data (the
CDK stack's Glue tables, ``oms sql``'s DuckDB views and the export function all read it).

Each table is gzipped JSON Lines under ``analytics/{table}/day={business day}/part-00000.json.gz``: one
object per table and business day, written whole each time the day is exported, so exporting a day again
replaces it (idempotent). The business day is the folder's ``day`` (a partition column in both engines,
never repeated inside the rows). Money is a JSON string with two decimals (``"12.30"``), which both
engines read into ``decimal(18,2)`` exactly (a JSON number would pass through a double on the way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Where the export's objects live in the analytics bucket; the Glue tables and oms sql read them there.
EXPORT_PREFIX = "analytics/"
PARTITION = "day"  # the partition column: the business day (YYYY-MM-DD)
PART = "part-00000.json.gz"

# Each night: yesterday, then (each in a run of its own, so one run reads one day's orders however many
# there are) the day before yesterday and the day before that: late changes to them land.
REEXPORT_DAYS_AGO = (1, 2, 3)

ColumnKind = Literal["string", "money", "count", "flag", "strings"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    comment: str


@dataclass(frozen=True)
class ExportTable:
    name: str  # the Glue table's, the DuckDB view's and the folder's name
    description: str
    columns: tuple[Column, ...]

    @property
    def prefix(self) -> str:
        """Where its objects are: ``analytics/{name}/``."""
        return f"{EXPORT_PREFIX}{self.name}/"

    def key(self, day: str) -> str:
        """The one object of a business day."""
        return f"{self.prefix}{PARTITION}={day}/{PART}"


def _money(name: str, comment: str) -> Column:
    return Column(name, "money", comment)


ORDERS_TABLE = ExportTable(
    name="orders",
    description="One row per order, in the folder of the business day it was placed on",
    columns=(
        Column("order_id", "string", "The OMS order id"),
        Column("channel", "string", "The channel it came from"),
        Column("external_id", "string", "The channel's own order id (null if none)"),
        Column("status", "string", "Its status when exported"),
        Column("currency", "string", "ISO 4217: every amount of the row is in it"),
        Column("placed_at", "string", "When it was placed on its channel (UTC, ISO 8601)"),
        Column("customer_id", "string", "The customer's id (null if none); never personal data"),
        Column("units", "count", "Units ordered"),
        _money("gross_sales", "Unit price x quantity, before discounts"),
        _money("discounts", "Every discount: lines, order, shipping"),
        Column("returned_units", "count", "Units returned (before any cancellation)"),
        _money("returns", "Money given back: refunds, returned units at their net price"),
        _money("net_sales", "gross_sales - discounts - returns"),
        _money("shipping", "Shipping charged, before its discounts"),
        _money("taxes", "Tax charged"),
        _money("included_taxes", "The part of taxes already inside gross and shipping"),
        _money("total_sales", "net_sales + shipping + taxes - included_taxes"),
        Column("cancelled", "flag", "Cancelled: counts zero in the sales figures"),
        Column("cancelled_at", "string", "When it was cancelled (UTC, ISO 8601; null if not)"),
    ),
)

LINES_TABLE = ExportTable(
    name="lines",
    description="One row per order line, in the folder of the business day its order was placed on",
    columns=(
        Column("order_id", "string", "The order it belongs to"),
        Column("line", "count", "Its position in the order, from 1"),
        Column("sku", "string", "The SKU"),
        Column("quantity", "count", "Units ordered"),
        _money("unit_price", "Price of one unit, in currency"),
        _money("line_total", "unit_price x quantity, before discounts"),
        _money("discount", "Discounts on this line"),
        _money("net", "line_total - discount"),
        Column("currency", "string", "ISO 4217"),
        Column("channel", "string", "The order's channel"),
        Column("cancelled", "flag", "Its order is cancelled"),
    ),
)

STOCKOUTS_TABLE = ExportTable(
    name="stockouts",
    description="One row per SKU and business day on which its available stock reached 0",
    columns=(
        Column("sku", "string", "The SKU"),
        Column("locations", "strings", "The locations where it reached 0 that day"),
    ),
)

TABLES: tuple[ExportTable, ...] = (ORDERS_TABLE, LINES_TABLE, STOCKOUTS_TABLE)
