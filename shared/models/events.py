"""Domain events the OMS publishes on its EventBridge bus (``oms-events``).

Each event's ``detail`` is one of the models below; its ``source`` says which part of the system
published it and its ``detail-type`` is the model's name. Events never carry personal data: no
customer name, email or phone, no address. Consumers that need those read the order over the API.
"""

from __future__ import annotations

from pydantic import Field

from shared.models.common import Model, Money, Sku
from shared.models.imports import CurrencyTotal, FormatName, KindCounts, RunStatus
from shared.models.orders import LineQuantity, OrderStatus

INVENTORY_SOURCE = "oms.inventory"  # the source of every inventory event
ORDERS_SOURCE = "oms.orders"  # the source of every order event
IMPORTS_SOURCE = "oms.imports"  # the source of every import event
WEBHOOKS_SOURCE = "oms.webhooks"  # the source of every webhook endpoint event
EVENT_SOURCES = (
    INVENTORY_SOURCE,
    ORDERS_SOURCE,
    IMPORTS_SOURCE,
    WEBHOOKS_SOURCE,
)  # every source the functions publish with

STOCK_LOW = "StockLow"  # detail-types
ORDER_CREATED = "OrderCreated"
ORDER_STATUS_CHANGED = "OrderStatusChanged"
ORDER_SHIPPED = "OrderShipped"
IMPORT_FINISHED = "ImportFinished"
WEBHOOK_ENDPOINT_DISABLED = "WebhookEndpointDisabled"


class StockLow(Model):
    """Available stock of a SKU crossed its low-stock threshold downwards (once per crossing)."""

    sku: Sku
    location: str | None = Field(description="The location whose stock moved; null when orders reserved it")
    available: int
    on_hand: int
    reserved: int
    low_stock_threshold: int
    location_on_hand: int | None = None
    locations: dict[str, int] = Field(default_factory=dict, description="on_hand per location")
    occurred_at: str
    change_id: str = Field(description="Identifies the stock change; the same on a redelivered event")


# --- orders -------------------------------------------------------------------------------------


class OrderEventLine(Model):
    sku: Sku
    quantity: int
    unit_price: Money
    line_total: Money


class OrderEvent(Model):
    """What every order event carries: which change of which order.

    Only identifiers, statuses and amounts: never the customer's name, email or phone, never an address.
    """

    event_id: str = Field(
        description="Identifies the change (not the delivery): the same on a redelivered event, so "
        "consumers deduplicate on it"
    )
    order_id: str
    channel: str
    external_id: str | None = None
    customer_id: str | None = Field(
        default=None, description="The opaque customer id (never the customer's name, email or phone)"
    )
    status: OrderStatus = Field(description="The order's status after the change")
    updated_at: str = Field(description="When the change was made (the order's updated_at after it)")


class OrderCreated(OrderEvent):
    """An order was recorded (CONFIRMED, or BACKORDERED when stock was short)."""

    currency: str
    total: Money
    lines: list[OrderEventLine]
    created_at: str


class OrderStatusChanged(OrderEvent):
    """The order's status changed: once per change (a second shipment of a partially shipped order is
    no status change, only an OrderShipped)."""

    old_status: OrderStatus
    new_status: OrderStatus
    actor: str | None = Field(default=None, description="Who made the change: role:key_id, or a process")
    reason: str | None = None
    changed_at: str


class OrderShipped(OrderEvent):
    """A shipment left: one event per shipment."""

    shipment_id: str
    carrier: str | None = Field(default=None, description="None: a shipment a channel reported without one")
    tracking_number: str | None = None
    tracking_url: str | None = None
    lines: list[LineQuantity] = Field(description="The units this shipment holds")
    shipped_at: str


# --- imports ------------------------------------------------------------------------------------


class ImportFinished(Model):
    """An import run ended (FINISHED, REJECTED, CHECKED or FAILED): once per run.

    Numbers and where the error report is: never the file's name (it may name a person) nor a row.
    """

    import_id: str
    format: FormatName
    dry_run: bool
    status: RunStatus
    rows_done: int
    counts: dict[str, KindCounts] = Field(description="Per kind: read, created, updated, unchanged, rejected")
    totals: list[CurrencyTotal] = Field(
        description="Per currency: the file's own totals and what was written"
    )
    error_report: str | None = Field(
        default=None, description="Where the refused rows are (the imports bucket)"
    )
    error_chunks: list[int] = Field(
        default_factory=list,
        description="Chunks whose writes refused rows: their reports are errors/{import_id}-chunk-{n}.{ext}",
    )
    started_at: str
    finished_at: str


# --- webhooks -----------------------------------------------------------------------------------


class WebhookEndpointDisabled(Model):
    """A webhook endpoint was disabled after its deliveries failed for 3 days: once per disabling."""

    endpoint_id: str
    url_host: str = Field(description="The host of the endpoint's URL (never its path or query)")
    reason: str
    disabled_at: str
