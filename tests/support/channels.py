"""The OMS's total of a canonical channel order, as shared.domain.channel_orders computes it from its lines
(unpriced lines count nothing here), for the adapter tests to hold against each platform's own total."""

from __future__ import annotations

from decimal import Decimal

from shared.models.channels import ChannelOrder
from shared.models.orders import line_total, order_total

ZERO = Decimal("0.00")


def computed_total(order: ChannelOrder) -> Decimal:
    subtotal = sum(
        (line_total(line.quantity, line.unit_price) for line in order.lines if line.unit_price is not None),
        ZERO,
    )
    discounts = (
        sum((line.discount for line in order.lines), ZERO) + order.shipping_discount + order.order_discount
    )
    return order_total(subtotal, discounts, order.shipping_total, order.tax_total, order.taxes_included)
