"""Orders built by the report tests: each order's successive versions, as the orders stream carries them.

Business time zone Europe/Berlin (UTC+1 in November); the day under test is 2026-11-23. See
tests/unit/test_report_sales.py for every figure these orders add up to. EUR and USD orders are the
kind stored before orders carried totals (no subtotal, discounts, shipping, tax or placed time); the
GBP ones carry them: discounts, shipping, taxes on top and included, refunds with and without lines,
a cancellation the day after placement, an Amazon FBA order that arrived two days late, a
PENDING_PAYMENT one.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.models.orders import (
    HistoryEntry,
    LineQuantity,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    ReturnRecord,
    order_total,
)

BERLIN = ZoneInfo("Europe/Berlin")  # UTC+1 in November
DAY = "2026-11-23"
D = Decimal
TIMEZONE = "Europe/Berlin"


def line(sku: str, quantity: int, price: str, discount: str = "0.00") -> OrderLine:
    return OrderLine(
        sku=sku, quantity=quantity, unit_price=D(price), line_total=D(price) * quantity, discount=D(discount)
    )


def placed(order_id: str, channel: str, currency: str, at: str, *lines: OrderLine) -> Order:
    """An order as stored before totals: subtotal 0, total the lines' totals, no placed time."""
    return Order(
        order_id=order_id,
        status="CONFIRMED",
        channel=channel,
        currency=currency,
        lines=list(lines),
        total=sum((item.line_total for item in lines), D(0)),
        created_at=at,
        updated_at=at,
        history=[HistoryEntry(status="CONFIRMED", at=at, actor="test")],
        customer_id="cust-1",
    )


def sold(
    order_id: str,
    channel: str,
    at: str,
    *lines: OrderLine,
    discounts: str = "0.00",
    shipping: str = "0.00",
    taxes: str = "0.00",
    included: bool = False,
    created: str | None = None,
    status: OrderStatus = "CONFIRMED",
) -> Order:
    """A GBP order with true totals, placed on its channel at ``at`` (received at ``created``)."""
    subtotal = sum((item.line_total for item in lines), D(0))
    received = created or at
    return Order(
        order_id=order_id,
        status=status,
        channel=channel,
        currency="GBP",
        lines=list(lines),
        subtotal=subtotal,
        discount_total=D(discounts),
        shipping_total=D(shipping),
        tax_total=D(taxes),
        taxes_included=included,
        total=order_total(subtotal, D(discounts), D(shipping), D(taxes), included),
        placed_at=at,
        created_at=received,
        updated_at=received,
        history=[HistoryEntry(status=status, at=received, actor="feed")],
        customer_id="cust-2",
        fulfilled_by_channel=status == "FULFILLED_BY_CHANNEL",
    )


def refunded(order: Order, at: str, amount: str, *lines: tuple[str, int]) -> Order:
    refund = Refund(
        refund_id=f"rf-{at}",
        amount=D(amount),
        lines=[LineQuantity(sku=sku, quantity=q) for sku, q in lines] or None,
        refunded_at=at,
        source=order.channel,
    )
    return order.model_copy(update={"refunds": [*order.refunds, refund], "updated_at": at})


def moved(order: Order, status: str, at: str, **changes: object) -> Order:
    entry = HistoryEntry(status=status, at=at, actor="staff")
    return order.model_copy(
        update={"status": status, "updated_at": at, "history": [*order.history, entry], **changes}
    )


def returned(order: Order, at: str, sku: str, quantity: int) -> Order:
    record = ReturnRecord(
        return_id=f"r-{at}",
        lines=[LineQuantity(sku=sku, quantity=quantity)],
        reason="too small",
        restock=True,
        location="default",
        returned_at=at,
        actor="staff",
    )
    return moved(order, "RETURNED", at, returns=[*order.returns, record])


def versions() -> dict[str, list[Order]]:
    """Each order's successive versions, as the orders stream carries them."""
    o1 = placed(
        "o1", "web", "EUR", "2026-11-23T08:00:00.000000Z", line("A", 2, "10.00"), line("B", 1, "5.50")
    )
    # 00:30 in Berlin on the 23rd (still the 22nd in UTC): placed on the day, cancelled the same day
    o2 = placed("o2", "web", "EUR", "2026-11-22T23:30:00.000000Z", line("A", 1, "10.00"))
    o2_cancelled = moved(o2, "CANCELLED", "2026-11-23T10:00:00.000000Z")
    # 23:59:59.999 in Berlin: on the day; shipped after midnight (the 24th in Berlin)
    o3 = placed("o3", "pos", "USD", "2026-11-23T22:59:59.999000Z", line("C", 3, "7.25"))
    o3_shipped = moved(o3, "SHIPPED", "2026-11-23T23:30:00.000000Z")
    # midnight in Berlin: the 24th, not the day
    o4 = placed("o4", "web", "EUR", "2026-11-23T23:00:00.000000Z", line("A", 5, "10.00"))
    # placed earlier, shipped, two of four units returned on the day
    o5 = placed("o5", "ebay", "EUR", "2026-11-20T10:00:00.000000Z", line("A", 4, "9.00"))
    o5_shipped = moved(o5, "SHIPPED", "2026-11-21T10:00:00.000000Z")
    o5_returned = returned(o5_shipped, "2026-11-23T12:00:00.000000Z", "A", 2)
    # placed earlier, cancelled on the day
    o6 = placed("o6", "web", "EUR", "2026-11-21T09:00:00.000000Z", line("B", 2, "5.50"))
    o6_cancelled = moved(o6, "CANCELLED", "2026-11-23T09:00:00.000000Z")
    # GBP, taxes on top: a line discount of 4.00 and 5.00 more on the order and its shipping; one S1
    # unit refunded on the day (18.00), then that unit returned the next day (already refunded: 0.00)
    g1 = sold(
        "g1",
        "shopify",
        "2026-11-23T09:00:00.000000Z",
        line("S1", 2, "20.00", "4.00"),
        line("S2", 1, "10.00"),
        discounts="9.00",
        shipping="6.00",
        taxes="8.00",
    )
    g1_shipped = moved(g1, "SHIPPED", "2026-11-23T10:00:00.000000Z")
    g1_refunded = refunded(g1_shipped, "2026-11-23T15:00:00.000000Z", "18.00", ("S1", 1))
    g1_returned = returned(g1_refunded, "2026-11-24T10:00:00.000000Z", "S1", 1)
    # Amazon FBA, taxes included in prices and shipping, placed on the day but received two days later;
    # 4.00 refunded without lines on the day
    g2 = sold(
        "g2",
        "amazon",
        "2026-11-23T07:00:00.000000Z",
        line("S2", 3, "12.00"),
        shipping="4.00",
        taxes="6.67",
        included=True,
        created="2026-11-25T08:00:00.000000Z",
        status="FULFILLED_BY_CHANNEL",
    )
    g2_refunded = refunded(g2, "2026-11-23T20:00:00.000000Z", "4.00")
    # not paid yet: counts like any order
    g3 = sold(
        "g3", "shopify", "2026-11-23T11:00:00.000000Z", line("S1", 1, "20.00"), status="PENDING_PAYMENT"
    )
    # 5.00 refunded on the day, cancelled the next day (everything taken back), then refunded again
    # (after the cancellation: counts nothing)
    g4 = sold(
        "g4",
        "shopify",
        "2026-11-23T12:00:00.000000Z",
        line("S2", 2, "10.00"),
        discounts="2.00",
        shipping="5.00",
        taxes="3.00",
    )
    g4_refunded = refunded(g4, "2026-11-23T13:00:00.000000Z", "5.00")
    g4_cancelled = moved(g4_refunded, "CANCELLED", "2026-11-24T09:00:00.000000Z")
    g4_refunded_again = refunded(g4_cancelled, "2026-11-24T10:00:00.000000Z", "21.00", ("S2", 2))
    # placed earlier with a 6.00 line discount; one unit returned on the day (valued (40 - 6) / 2 =
    # 17.00), the refund for it (15.00) the next day: that day counts 15.00 - 17.00
    g5 = sold(
        "g5", "shopify", "2026-11-20T10:00:00.000000Z", line("S1", 2, "20.00", "6.00"), discounts="6.00"
    )
    g5_shipped = moved(g5, "SHIPPED", "2026-11-21T10:00:00.000000Z")
    g5_returned = returned(g5_shipped, "2026-11-23T14:00:00.000000Z", "S1", 1)
    g5_refunded = refunded(g5_returned, "2026-11-24T09:00:00.000000Z", "15.00", ("S1", 1))
    return {
        "o1": [o1],
        "o2": [o2, o2_cancelled],
        "o3": [o3, o3_shipped],
        "o4": [o4],
        "o5": [o5, o5_shipped, o5_returned],
        "o6": [o6, o6_cancelled],
        "g1": [g1, g1_shipped, g1_refunded, g1_returned],
        "g2": [g2, g2_refunded],
        "g3": [g3],
        "g4": [g4, g4_refunded, g4_cancelled, g4_refunded_again],
        "g5": [g5, g5_shipped, g5_returned, g5_refunded],
    }


def latest() -> list[Order]:
    return [history[-1] for history in versions().values()]
