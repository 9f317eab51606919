"""The order's money, as every report reads it: one function, so daily_sales and orders_export can never
disagree about what an order was worth. Pure: no boto3, no clock.

Orders stored before orders carried totals hold ``subtotal`` 0 (and no discounts, shipping or tax):
their gross is the sum of their lines' totals, which is what they were sold for.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shared.models.orders import Order, OrderLine

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class OrderMoney:
    """What an order was sold for, before anything was returned or cancelled."""

    gross: Decimal  # unit price x quantity over the lines, before discounts
    discounts: Decimal  # every discount: on lines, on the order, on shipping
    shipping: Decimal  # shipping charged, before its discounts (those are in ``discounts``)
    taxes: Decimal
    taxes_included: bool  # prices (so ``gross``) and shipping already hold ``taxes``

    @property
    def included_taxes(self) -> Decimal:
        """The part of ``taxes`` already inside gross and shipping (all of it, or nothing)."""
        return self.taxes if self.taxes_included else ZERO

    @property
    def total(self) -> Decimal:
        """What the customer pays: gross - discounts + shipping (+ taxes unless included)."""
        return self.gross - self.discounts + self.shipping + self.taxes - self.included_taxes


def order_money(order: Order) -> OrderMoney:
    """The order's money. ``subtotal`` 0 with lines that have totals (an order stored before subtotals)
    is the lines' totals. ``discount_total`` already holds the line discounts; should a channel report
    less than its lines' discounts, the lines' discounts are what was given."""
    lines_gross = sum((line.line_total for line in order.lines), ZERO)
    lines_discount = sum((line.discount for line in order.lines), ZERO)
    return OrderMoney(
        gross=order.subtotal if order.subtotal else lines_gross,
        discounts=max(order.discount_total, lines_discount),
        shipping=order.shipping_total,
        taxes=order.tax_total,
        taxes_included=order.taxes_included,
    )


def line_net(line: OrderLine) -> Decimal:
    """A line after its own discounts (all its units)."""
    return line.line_total - line.discount
