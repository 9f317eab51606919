"""Report shapes: what staff ask for (POST /reports), what they get back (GET /reports/{id}) and the
figures each report type holds, which the renderers (shared.reports.render) turn into files.

Money is Decimal throughout and leaves the API as a decimal string; a report's amounts may be negative
(net sales on a day with more returns than sales), so they use ``Amount``, not the order's ``Money``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, WithJsonSchema, model_validator

from shared.models.common import IsoDate, Model, Sku, StrictModel
from shared.models.orders import OrderStatus
from shared.patterns import described

ReportType = Literal[
    "daily_sales", "inventory", "orders_export", "sales_trends", "customer_behaviour", "inventory_performance"
]
ReportStatus = Literal["PENDING", "READY", "FAILED"]
FileFormat = Literal["csv", "xlsx", "html"]
ReportSource = Literal["api", "schedule"]

REPORT_TYPES: tuple[ReportType, ...] = (
    "daily_sales",
    "inventory",
    "orders_export",
    "sales_trends",
    "customer_behaviour",
    "inventory_performance",
)
# The analytics reports (issue 18): built as a shared.reports.tabular.TabularReport over ``from``..``to``.
ANALYTICS_TYPES: tuple[ReportType, ...] = ("sales_trends", "customer_behaviour", "inventory_performance")
MAX_ANALYTICS_DAYS = 731  # an analytics report covers at most two years
# The files each report type is written as, in this order.
FORMATS: dict[ReportType, tuple[FileFormat, ...]] = {
    "daily_sales": ("csv", "xlsx", "html"),
    "inventory": ("csv", "xlsx"),
    "orders_export": ("csv",),
    "sales_trends": ("csv", "xlsx", "html"),
    "customer_behaviour": ("csv", "xlsx", "html"),
    "inventory_performance": ("csv", "xlsx", "html"),
}
CONTENT_TYPES: dict[FileFormat, str] = {
    "csv": "text/csv; charset=utf-8; header=present",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
MAX_EXPORT_DAYS = 366  # orders_export: the longest period one report covers
SALES_WINDOW_DAYS = 7  # inventory: days of cover at the rate of this many days' sales
CENT = Decimal("0.01")

Amount = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": described(r"^-?\d+\.\d{2}$", "must be an amount with two decimals, like 1234.50"),
            "examples": ["1234.50"],
        }
    ),
]


def cents(value: Decimal) -> Decimal:
    """Money to the cent, half up (the way an invoice rounds)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- requests and records ----------------------------------------------------------------------


class ReportRequest(StrictModel):
    """POST /reports. ``daily_sales`` takes ``date`` (default: yesterday in the business time zone);
    ``inventory`` takes ``date`` (default: today; stock is as it is when the report is built);
    ``orders_export`` takes ``from`` and ``to`` (inclusive business days). The analytics reports
    (``sales_trends``, ``customer_behaviour``, ``inventory_performance``) take ``from`` and ``to``
    together (at most two years), or neither: the last full month for ``sales_trends`` and
    ``customer_behaviour``, the last full ISO week (Monday to Sunday) for ``inventory_performance``."""

    type: ReportType
    date: IsoDate | None = Field(default=None, description="daily_sales, inventory", examples=["2026-11-23"])
    from_: IsoDate | None = Field(
        default=None, alias="from", description="orders_export and the analytics reports: first day"
    )
    to: IsoDate | None = Field(
        default=None, description="orders_export and the analytics reports: last day (inclusive)"
    )

    @model_validator(mode="after")
    def _period_fits_type(self) -> ReportRequest:
        if self.type == "orders_export":
            if self.date is not None:
                raise ValueError("orders_export takes from and to, not date")
            if self.from_ is None or self.to is None:
                raise ValueError("orders_export needs from and to")
            if self.to < self.from_:
                raise ValueError("to is before from")
            if (self.to - self.from_).days + 1 > MAX_EXPORT_DAYS:
                raise ValueError(f"orders_export covers at most {MAX_EXPORT_DAYS} days")
        elif self.type in ANALYTICS_TYPES:
            if self.date is not None:
                raise ValueError(f"{self.type} takes from and to, not date")
            if (self.from_ is None) != (self.to is None):
                raise ValueError(f"{self.type} takes from and to together, or neither (the last full period)")
            if self.from_ is not None and self.to is not None:
                if self.to < self.from_:
                    raise ValueError("to is before from")
                if (self.to - self.from_).days + 1 > MAX_ANALYTICS_DAYS:
                    raise ValueError(f"{self.type} covers at most {MAX_ANALYTICS_DAYS} days")
        elif self.from_ is not None or self.to is not None:
            raise ValueError(f"{self.type} takes date, not from and to")
        return self


class ReportFile(Model):
    format: FileFormat
    key: str = Field(description="The object's key in the reports bucket")
    content_type: str
    bytes: int
    rows: int = Field(description="Data rows in the file (CSV: without the header)")
    download_url: str | None = Field(default=None, description="Presigned GET; expires at expires_at")
    expires_at: str | None = None


class Report(Model):
    report_id: str
    type: ReportType
    period: str = Field(description="The period in the file keys: a date, or from_to for an export")
    period_start: str = Field(description="First business day covered (ISO date)")
    period_end: str = Field(description="Last business day covered (ISO date, inclusive)")
    timezone: str = Field(description="The business time zone that defines a day")
    status: ReportStatus
    source: ReportSource
    requested_at: str
    requested_by: str = Field(
        description="Who asked: a person (staff:alice, whatever their role) or a key (role:key id), or the "
        "schedule's name"
    )
    completed_at: str | None = None
    reason: str | None = Field(default=None, description="FAILED: why")
    rows: int | None = Field(default=None, description="READY: data rows in the report")
    files: list[ReportFile] = Field(default_factory=list)


class ReportPage(Model):
    items: list[Report]
    next_token: str | None = Field(default=None, description="Pass back as next_token for the next page")


# --- daily_sales -------------------------------------------------------------------------------


class SalesFigures(Model):
    """One currency's figures for one business day (for everything, a channel or a SKU), in the words
    merchants know from Shopify's reports (see shared.reports.sales for when each counts).

    ``orders`` and ``units`` are those placed that day less those cancelled that day
    (``cancelled_orders``): a cancellation takes back everything its order had added, on its own day,
    so over a period holding both days a cancelled order counts zero. For a SKU, ``orders`` counts
    orders holding it, and shipping and taxes (the order's) stay 0.
    """

    orders: int = 0
    units: int = 0
    cancelled_orders: int = Field(default=0, description="Orders cancelled that day (taken back)")
    returned_units: int = 0
    gross_sales: Amount = Field(
        default=Decimal("0.00"), description="Unit price x quantity, before discounts"
    )
    discounts: Amount = Field(default=Decimal("0.00"), description="On lines, on orders and on shipping")
    returns: Amount = Field(default=Decimal("0.00"), description="Refunded amounts and returned units' value")
    shipping: Amount = Field(default=Decimal("0.00"), description="Charged, before shipping discounts")
    taxes: Amount = Decimal("0.00")
    included_taxes: Amount = Field(
        default=Decimal("0.00"), description="The part of taxes already inside gross sales and shipping"
    )

    @property
    def net_sales(self) -> Decimal:
        return cents(self.gross_sales - self.discounts - self.returns)

    @property
    def total_sales(self) -> Decimal:
        """Net sales + shipping + taxes, taxes already inside the prices not added twice."""
        return cents(self.net_sales + self.shipping + self.taxes - self.included_taxes)

    @property
    def average_order_value(self) -> Decimal | None:
        """(Gross sales - discounts) per order, to the cent; None on a day without orders."""
        return cents((self.gross_sales - self.discounts) / self.orders) if self.orders > 0 else None


class ChannelSales(Model):
    channel: str
    figures: SalesFigures


class SkuSales(Model):
    sku: Sku
    figures: SalesFigures


class CurrencySales(Model):
    currency: str
    totals: SalesFigures
    by_channel: list[ChannelSales] = Field(description="Sorted by channel")
    by_sku: list[SkuSales] = Field(description="Sorted by net sales, highest first, then SKU")


class DailySales(Model):
    date: str = Field(description="The business day (ISO date)")
    timezone: str
    currencies: list[CurrencySales] = Field(description="One entry per currency, sorted by currency")
    orders_by_status: dict[OrderStatus, int] = Field(
        description="The orders placed that day, by their status at the end of the day"
    )


# --- inventory ---------------------------------------------------------------------------------

ALL_LOCATIONS = "ALL"  # the location of an inventory row that holds a SKU's totals


class InventoryRow(Model):
    """A SKU's totals (``location`` ALL, with the SKU-wide columns) or one location's levels (on hand,
    reserved and available only: the SKU-wide columns are left empty so no sum counts them twice)."""

    sku: Sku
    name: str
    location: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int | None = None
    low_stock: bool | None = None
    units_sold: int | None = Field(default=None, description="Net units sold in the sales window")
    days_of_cover: Decimal | None = Field(
        default=None, description="available / (units_sold / window days), one decimal; empty: no sales"
    )


class InventoryReport(Model):
    date: str = Field(description="The business day the snapshot was taken")
    timezone: str
    sales_from: str = Field(description="First day of the sales window (ISO date)")
    sales_to: str = Field(description="Last day of the sales window (ISO date, inclusive)")
    rows: list[InventoryRow]


# --- orders_export -----------------------------------------------------------------------------


class ExportRow(Model):
    """One order line. Identifiers, amounts and dates only: never a name, email, phone or address.

    The order's own amounts (subtotal ... total) are on its first line's row only (``line`` 1) and
    empty on the others, so a spreadsheet sums any column without counting an order twice.
    """

    order_id: str
    external_id: str | None
    channel: str
    status: OrderStatus
    placed_at: str = Field(description="On its channel (created_at for orders stored without it)")
    created_at: str
    business_date: str = Field(description="The business day of placed_at")
    customer_id: str | None
    currency: str
    line: int = Field(description="1, 2, ...: the line's place in the order")
    sku: Sku
    quantity: int
    unit_price: Amount
    line_total: Amount = Field(description="unit_price x quantity, before discounts")
    line_discount: Amount
    taxes_included: bool
    subtotal: Amount | None = Field(default=None, description="Line 1 only: gross sales")
    discount_total: Amount | None = Field(default=None, description="Line 1 only: every discount")
    shipping_total: Amount | None = None
    tax_total: Amount | None = None
    total: Amount | None = Field(default=None, description="Line 1 only: what the customer pays")


EXPORT_COLUMNS: tuple[str, ...] = tuple(ExportRow.model_fields)
