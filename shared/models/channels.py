"""The canonical channel order: what every adapter (Amazon, eBay, Shopify, WooCommerce, generic) makes
of its platform's document, and what the feed applies, whether the document came over SQS, a hook
route or an import.

One document is one *version* of an order's life on its channel: the first version creates the
order, later ones update it (prices arriving, lines or the whole order cancelled, a shipment made
outside the OMS, an address change, a refund). Everything here is in the channel's own terms,
translated: no OMS decision is made by an adapter.

Money follows the channel's convention, stated per adapter: ``unit_price`` is before discounts;
``taxes_included`` says whether prices already hold the tax (Amazon's EU marketplaces, a Shopify
store set up so) or tax comes on top (Amazon US, most US stores).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from shared.models.common import Currency, Money, Sku, StrictModel
from shared.models.orders import Address, CustomerIn

# Where the order stands on its channel:
#   pending    placed, not paid yet (Amazon Pending, WooCommerce pending/on-hold, Shopify pending):
#              stock is reserved, the order is not ready to ship
#   open       paid and to be shipped (Amazon Unshipped/PartiallyShipped, eBay NOT_STARTED/IN_PROGRESS,
#              WooCommerce processing, Shopify paid and unfulfilled or partially fulfilled)
#   shipped    every unit shipped (by the merchant outside the OMS, or by the channel when
#              ``fulfilled_by_channel``)
#   delivered  the channel says it arrived
#   cancelled  the whole order is cancelled
ChannelStatus = Literal["pending", "open", "shipped", "delivered", "cancelled"]


class ChannelLine(StrictModel):
    """One line as the channel has it now. ``quantity`` 0: the line was cancelled or removed."""

    line_id: str | None = Field(default=None, max_length=128, description="The channel's own line id")
    sku: Sku | None = Field(default=None, description="None: the channel gave no SKU; see ``listing``")
    listing: str | None = Field(
        default=None,
        max_length=200,
        description="Where the SKU is not given: the channel's listing (eBay legacyItemId"
        "[/legacyVariationId], WooCommerce product_id[/variation_id]), mapped to a SKU by staff",
    )
    quantity: int = Field(ge=0, le=10_000)
    unit_price: Money | None = Field(default=None, description="Before discounts; None: the catalog price")
    discount: Money = Field(default=Decimal("0.00"), description="Discounts on this line, all its units")
    tax: Money = Field(default=Decimal("0.00"), description="Tax on this line, all its units")


class ChannelShipment(StrictModel):
    """A shipment the channel reports (made outside the OMS). Carrier and tracking may be unknown."""

    shipment_ref: str = Field(min_length=1, max_length=200, description="Stable per shipment on the channel")
    carrier: str | None = Field(default=None, max_length=40)
    tracking_number: str | None = Field(default=None, max_length=64)
    lines: list[tuple[Sku, int]] | None = Field(default=None, description="None: every unit not yet shipped")
    shipped_at: str | None = None


class ChannelRefund(StrictModel):
    """Money given back on the channel. ``lines``: (sku, quantity) where the channel says."""

    refund_id: str = Field(min_length=1, max_length=200)
    amount: Money
    lines: list[tuple[Sku, int]] | None = None
    reason: str | None = Field(default=None, max_length=500)
    refunded_at: str | None = None


class ChannelOrder(StrictModel):
    """One version of one order on its channel, in canonical form."""

    channel: str
    external_id: str = Field(min_length=1, max_length=128, description="The channel's order id")
    status: ChannelStatus
    fulfilled_by_channel: bool = Field(
        default=False,
        description="Amazon FBA (AFN): the channel ships from its own stock, never the merchant's",
    )
    placed_at: str | None = Field(default=None, description="The channel's purchase time, ISO-8601 UTC")
    version: str | None = Field(
        default=None,
        description="The channel's last-modified time, ISO-8601 UTC (sortable): an older version is stale",
    )
    customer: CustomerIn
    shipping_address: Address | None = None
    currency: Currency | None = None
    lines: list[ChannelLine] = Field(min_length=1, max_length=100)
    shipping_total: Money = Decimal("0.00")
    shipping_discount: Money = Field(default=Decimal("0.00"), description="Discounts on shipping")
    order_discount: Money = Field(
        default=Decimal("0.00"), description="Discounts on the order not allocated to a line"
    )
    tax_total: Money = Decimal("0.00")
    taxes_included: bool = False
    channel_total: Money | None = Field(
        default=None, description="The channel's own order total, to check ours against"
    )
    shipments: list[ChannelShipment] = Field(default_factory=list)
    refunds: list[ChannelRefund] = Field(default_factory=list)
    attention: list[str] = Field(
        default_factory=list,
        description="What staff should look at, in the channel's words (a buyer asking to cancel, ...)",
    )


class RefundNotice(StrictModel):
    """A refund that arrives on its own, keyed by the order it belongs to (Shopify's ``refunds/create``)."""

    channel: str
    external_id: str = Field(min_length=1, max_length=128)
    refund: ChannelRefund
    version: str | None = None


__all__ = [
    "ChannelLine",
    "ChannelOrder",
    "ChannelRefund",
    "ChannelShipment",
    "ChannelStatus",
    "Currency",
    "RefundNotice",
]
