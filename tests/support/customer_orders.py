"""Orders for the customer behaviour tests (issue 18): a customer's orders on given days, in EUR or USD,
on a channel, each as the orders stream carries it (built on tests/support/report_orders)."""

from __future__ import annotations

from decimal import Decimal

from shared.models.orders import Order
from tests.support.report_orders import line, moved, refunded, returned, sold

__all__ = ["bought", "cancelled", "moved", "refunded", "returned"]


def bought(
    order_id: str,
    customer_id: str | None,
    at: str,
    *,
    currency: str = "EUR",
    channel: str = "web",
    price: str = "10.00",
    quantity: int = 1,
    discounts: str = "0.00",
) -> Order:
    """An order placed at ``at`` (UTC) by ``customer_id`` (None: a guest order), SKU A at ``price``."""
    order = sold(order_id, channel, at, line("A", quantity, price), discounts=discounts)
    return order.model_copy(update={"currency": currency, "customer_id": customer_id})


def cancelled(order: Order, at: str) -> Order:
    return moved(order, "CANCELLED", at)


def net(order: Order) -> Decimal:
    """What an order (not cancelled) is worth net, computed here from the order alone: gross - discounts -
    refunds - returned units at their line's price net of the line's own discount, for the simple one-SKU
    orders these tests make (a refund here never names the units a return already valued)."""
    gross = sum((item.line_total for item in order.lines), Decimal(0))
    unit = sum((item.line_total - item.discount for item in order.lines), Decimal(0)) / sum(
        item.quantity for item in order.lines
    )
    returned_units = sum(q.quantity for r in order.returns for q in r.lines)
    refunds = sum((r.amount for r in order.refunds), Decimal(0))
    return gross - order.discount_total - refunds - (unit * returned_units).quantize(Decimal("0.01"))
