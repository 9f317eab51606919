"""Order shapes: what a platform sends to POST /orders and what it gets back."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator

from shared.models.common import Currency, Email, Model, Money, Sku, StrictModel
from shared.models.inventory import DEFAULT_LOCATION, Location

OrderStatus = Literal[
    "BACKORDERED", "CONFIRMED", "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "CANCELLED", "RETURNED"
]
# One order is one TransactWriteItems (at most 100 items): the order, one reservation per distinct
# SKU and two dedup claims. Lines may repeat a SKU (a marketplace line total split in two does).
MAX_DISTINCT_SKUS = 50
MAX_LINES = 100


class CustomerIn(StrictModel):
    email: Email
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)


class Address(StrictModel):
    name: str | None = Field(default=None, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2", examples=["DE"])


class OrderLineIn(StrictModel):
    sku: Sku
    quantity: int = Field(ge=1, le=10_000, strict=True)
    unit_price: Money | None = Field(default=None, description="Defaults to the catalog price")


class NewOrder(StrictModel):
    external_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="The platform's own order id; deduplicated"
    )
    customer: CustomerIn
    shipping_address: Address | None = None
    currency: Currency | None = Field(default=None, description="Defaults to the merchant's currency")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)

    @field_validator("lines")
    @classmethod
    def _few_enough_skus(cls, lines: list[OrderLineIn]) -> list[OrderLineIn]:
        if len({line.sku for line in lines}) > MAX_DISTINCT_SKUS:
            raise ValueError(f"an order holds at most {MAX_DISTINCT_SKUS} distinct SKUs")
        return lines


class CancelIn(StrictModel):
    reason: str = Field(min_length=1, max_length=500, examples=["customer changed their mind"])


class LineQuantityIn(StrictModel):
    sku: Sku
    quantity: int = Field(ge=1, le=10_000, strict=True)


class ShipmentIn(StrictModel):
    carrier: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$",
        description="Known carriers (ups, fedex, usps, dhl, dpd, royal-mail, ...) get a tracking URL",
        examples=["ups"],
    )
    tracking_number: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]*$",
        description="Unique per carrier and order: a resent shipment is recognised by it",
        examples=["1Z999AA10123456784"],
    )
    lines: list[LineQuantityIn] | None = Field(
        default=None, min_length=1, max_length=MAX_LINES, description="Omitted: every unit not yet shipped"
    )
    location: Location = Field(default=DEFAULT_LOCATION, description="The location the units leave from")


class DeliveryIn(StrictModel):
    note: str | None = Field(default=None, max_length=500, examples=["left with a neighbour"])


class ReturnIn(StrictModel):
    lines: list[LineQuantityIn] = Field(min_length=1, max_length=MAX_LINES)
    reason: str = Field(min_length=1, max_length=500, examples=["wrong size"])
    restock: bool = Field(description="Whether the units go back to sellable stock")
    location: Location = Field(default=DEFAULT_LOCATION, description="Where restocked units go")


class OrderLine(Model):
    sku: Sku
    quantity: int
    unit_price: Money
    line_total: Money


class Customer(Model):
    email: str
    name: str
    phone: str | None = None


class HistoryEntry(Model):
    status: OrderStatus
    at: str
    actor: str
    reason: str | None = None


class LineQuantity(Model):
    sku: Sku
    quantity: int


class Shipment(Model):
    shipment_id: str
    carrier: str
    tracking_number: str
    tracking_url: str | None = Field(default=None, description="For known carriers")
    lines: list[LineQuantity]
    location: str
    shipped_at: str
    actor: str


class ReturnRecord(Model):
    return_id: str
    lines: list[LineQuantity]
    reason: str
    restock: bool
    location: str
    returned_at: str
    actor: str
    idempotency_key: str | None = Field(default=None, description="The Idempotency-Key it was sent with")


class BackorderLine(Model):
    """A SKU an order is waiting for: it was recorded without reserving, nothing oversold."""

    sku: Sku
    requested: int
    available: int


class Order(Model):
    order_id: str
    status: OrderStatus
    channel: str
    external_id: str | None = None
    customer_id: str | None = Field(default=None, description="The customer this order is linked to")
    customer: Customer | None = Field(default=None, description="Removed when the customer is erased")
    shipping_address: Address | None = None
    currency: str
    lines: list[OrderLine]
    total: Money
    created_at: str
    updated_at: str
    history: list[HistoryEntry] = Field(default_factory=list)
    backorder: list[BackorderLine] | None = Field(
        default=None, description="BACKORDERED orders: what was short when the order arrived"
    )
    shipments: list[Shipment] = Field(default_factory=list)
    delivered_at: str | None = None
    returns: list[ReturnRecord] = Field(default_factory=list)
    erased_at: str | None = Field(default=None, description="When the customer's personal data was erased")


class OrderPage(Model):
    items: list[Order]
    next_token: str | None = Field(default=None, description="Pass back as next_token for the next page")


def line_total(quantity: int, unit_price: Decimal) -> Decimal:
    return (unit_price * quantity).quantize(Decimal("0.01"))
