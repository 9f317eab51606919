"""Order shapes: what a platform sends to POST /orders and what it gets back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from shared.models.common import (
    CATALOG_CURRENCY_NOTE,
    Currency,
    Email,
    Model,
    Money,
    Sku,
    StrictModel,
    WholeNumber,
    described,
)
from shared.models.inventory import DEFAULT_LOCATION, Location

OrderStatus = Literal[
    "PENDING_PAYMENT",
    "BACKORDERED",
    "CONFIRMED",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "DELIVERED",
    "CANCELLED",
    "RETURNED",
    "FULFILLED_BY_CHANNEL",
]
# PENDING_PAYMENT: placed on its channel and not paid yet (stock reserved, not ready to ship).
# FULFILLED_BY_CHANNEL: the channel ships it from its own stock (Amazon FBA): recorded for the sales
# figures, it reserves and moves none of the merchant's stock.
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
    country: str = Field(
        pattern=described(r"^[A-Z]{2}$", "must be a two-letter ISO 3166-1 country code such as DE"),
        description="ISO 3166-1 alpha-2",
        examples=["DE"],
    )


class OrderLineIn(StrictModel):
    sku: Sku
    quantity: WholeNumber = Field(ge=1, le=10_000)
    unit_price: Money | None = Field(
        default=None,
        description="In the order's currency. Only from a channel that sends its own prices (staff, and "
        "the channels in OWN_PRICE_CHANNELS such as pos); from any other channel it is a 422. Omitted: the "
        f"catalog price, {CATALOG_CURRENCY_NOTE}",
    )


class NewOrder(StrictModel):
    external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="The platform's own order id, deduplicated per channel: the same body again returns the "
        "order (200), another body is a 409 external-id-conflict naming it",
    )
    customer: CustomerIn
    shipping_address: Address | None = None
    currency: Currency | None = Field(
        default=None,
        description="Defaults to the catalog currency (OMS_CURRENCY). Another one needs a unit_price on "
        "every line: catalog prices are never converted",
    )
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)
    shipping_total: Money | None = Field(default=None, description="Shipping charged, before its discounts")
    discount_total: Money | None = Field(
        default=None, description="Every discount on the order (lines and shipping), as one amount"
    )
    tax_total: Money | None = Field(default=None, description="Tax on the order")
    taxes_included: bool = Field(
        default=False, description="Whether prices and shipping already include tax_total (VAT-style)"
    )

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
    quantity: WholeNumber = Field(ge=1, le=10_000)


class ShipmentIn(StrictModel):
    carrier: str = Field(
        min_length=1,
        max_length=40,
        pattern=described(
            r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$",
            "must be letters, digits, spaces, '.', '_' or '-', starting with a letter or digit",
        ),
        description="Known carriers (ups, fedex, usps, dhl, dpd, royal-mail, ...) get a tracking URL",
        examples=["ups"],
    )
    tracking_number: str = Field(
        min_length=1,
        max_length=64,
        pattern=described(
            r"^[A-Za-z0-9][A-Za-z0-9 -]*$",
            "must be letters, digits, spaces or '-', starting with a letter or digit",
        ),
        description="Unique per carrier and order: a resent shipment is recognised by it",
        examples=["1Z999AA10123456784"],
    )
    lines: list[LineQuantityIn] | None = Field(
        default=None, min_length=1, max_length=MAX_LINES, description="Omitted: every unit not yet shipped"
    )
    location: Location = Field(default=DEFAULT_LOCATION, description="The location the units leave from")


class ResolutionIn(StrictModel):
    resolution: str = Field(
        min_length=1, max_length=500, examples=["refunded on Amazon; no reshipment: customer informed"]
    )


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
    unit_price: Money = Field(description="In the order's currency: the channel's price, or the catalog's")
    line_total: Money = Field(description="unit_price x quantity, before discounts")
    discount: Money = Field(default=Decimal("0.00"), description="Discounts on this line")


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
    carrier: str | None = Field(default=None, description="None: a channel reported it without one")
    tracking_number: str | None = None
    tracking_url: str | None = Field(default=None, description="For known carriers")
    lines: list[LineQuantity]
    location: str
    shipped_at: str
    actor: str
    channel_ref: str | None = Field(
        default=None, description="The channel's id of a shipment made outside the OMS"
    )


class ReturnRecord(Model):
    return_id: str
    lines: list[LineQuantity]
    reason: str
    restock: bool
    location: str
    returned_at: str
    actor: str
    idempotency_key: str | None = Field(default=None, description="The Idempotency-Key it was sent with")


class Refund(Model):
    """Money given back: on the channel (``source`` the channel) or by staff. Counts as returns."""

    refund_id: str
    amount: Money
    lines: list[LineQuantity] | None = Field(default=None, description="Where the channel says which")
    reason: str | None = None
    refunded_at: str
    source: str


class Attention(Model):
    """Something staff must look at: a change the lifecycle refused, a buyer asking to cancel, totals
    that disagree with the channel's. Never dropped; resolved by staff with a note."""

    attention_id: str
    kind: str = Field(examples=["update-refused", "buyer-requested-cancel", "total-mismatch"])
    detail: str
    raised_at: str
    source: str
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolution: str | None = None


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
    subtotal: Money = Field(default=Decimal("0.00"), description="Gross sales: unit price x quantity, summed")
    discount_total: Money = Decimal("0.00")
    shipping_total: Money = Decimal("0.00")
    tax_total: Money = Decimal("0.00")
    taxes_included: bool = False
    total: Money = Field(
        description="subtotal - discount_total + shipping_total (+ tax_total unless included)"
    )
    placed_at: str | None = Field(default=None, description="When it was placed on its channel")
    created_at: str = Field(description="When the OMS received it")
    updated_at: str
    version: int = Field(
        default=1,
        ge=1,
        description="1 when the order is recorded, one more with every change of it. Webhook receivers keep "
        "the newest they saw and drop a payload whose version is not newer",
    )
    fulfilled_by_channel: bool = False
    channel_version: str | None = Field(default=None, description="The channel's version last applied")
    channel_hash: str | None = Field(
        default=None, description="Fingerprint of the channel version last applied"
    )
    history: list[HistoryEntry] = Field(default_factory=list)
    backorder: list[BackorderLine] | None = Field(
        default=None, description="BACKORDERED orders: what was short when the order arrived"
    )
    shipments: list[Shipment] = Field(default_factory=list)
    delivered_at: str | None = None
    returns: list[ReturnRecord] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)
    attention: list[Attention] = Field(default_factory=list)
    erased_at: str | None = Field(default=None, description="When the customer's personal data was erased")
    source: Literal["import"] | None = Field(
        default=None,
        description="import: recorded from an import file (its created_at is the import's time, its "
        "placed_at the file's); None: placed or sent live",
    )
    import_id: str | None = Field(default=None, description="The import run that last wrote it")


class OrderPage(Model):
    items: list[Order]
    next_token: str | None = Field(default=None, description="Pass back as next_token for the next page")


def line_total(quantity: int, unit_price: Decimal) -> Decimal:
    return (unit_price * quantity).quantize(Decimal("0.01"))


def order_total(
    subtotal: Decimal,
    discount_total: Decimal,
    shipping_total: Decimal,
    tax_total: Decimal,
    taxes_included: bool,
) -> Decimal:
    """What the customer pays: net sales plus shipping, plus tax where prices do not include it."""
    return subtotal - discount_total + shipping_total + (Decimal("0.00") if taxes_included else tax_total)


def order_from_item(item: dict[str, Any]) -> Order:
    """An order as stored (an item of the orders table, or a stream image of one, deserialised)."""
    return Order.model_validate(item)
