"""Orders built by the report tests: each order's successive versions, as the orders stream carries them.

Business time zone Europe/Berlin (UTC+1 in November); the day under test is 2026-11-23. See
tests/unit/test_report_sales.py for every figure these orders add up to.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.models.orders import HistoryEntry, LineQuantity, Order, OrderLine, ReturnRecord

BERLIN = ZoneInfo("Europe/Berlin")  # UTC+1 in November
DAY = "2026-11-23"
D = Decimal
TIMEZONE = "Europe/Berlin"


def line(sku: str, quantity: int, price: str) -> OrderLine:
    return OrderLine(sku=sku, quantity=quantity, unit_price=D(price), line_total=D(price) * quantity)


def placed(order_id: str, channel: str, currency: str, at: str, *lines: OrderLine) -> Order:
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


def moved(order: Order, status: str, at: str, **changes: object) -> Order:
    entry = HistoryEntry(status=status, at=at, actor="staff")  # type: ignore[arg-type]
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
    o1 = placed("o1", "web", "EUR", "2026-11-23T08:00:00.000Z", line("A", 2, "10.00"), line("B", 1, "5.50"))
    # 00:30 in Berlin on the 23rd (still the 22nd in UTC): placed on the day, cancelled the same day
    o2 = placed("o2", "web", "EUR", "2026-11-22T23:30:00.000Z", line("A", 1, "10.00"))
    o2_cancelled = moved(o2, "CANCELLED", "2026-11-23T10:00:00.000Z")
    # 23:59:59.999 in Berlin: on the day; shipped after midnight (the 24th in Berlin)
    o3 = placed("o3", "pos", "USD", "2026-11-23T22:59:59.999Z", line("C", 3, "7.25"))
    o3_shipped = moved(o3, "SHIPPED", "2026-11-23T23:30:00.000Z")
    # midnight in Berlin: the 24th, not the day
    o4 = placed("o4", "web", "EUR", "2026-11-23T23:00:00.000Z", line("A", 5, "10.00"))
    # placed earlier, shipped, two of four units returned on the day
    o5 = placed("o5", "ebay", "EUR", "2026-11-20T10:00:00.000Z", line("A", 4, "9.00"))
    o5_shipped = moved(o5, "SHIPPED", "2026-11-21T10:00:00.000Z")
    o5_returned = returned(o5_shipped, "2026-11-23T12:00:00.000Z", "A", 2)
    # placed earlier, cancelled on the day
    o6 = placed("o6", "web", "EUR", "2026-11-21T09:00:00.000Z", line("B", 2, "5.50"))
    o6_cancelled = moved(o6, "CANCELLED", "2026-11-23T09:00:00.000Z")
    return {
        "o1": [o1],
        "o2": [o2, o2_cancelled],
        "o3": [o3, o3_shipped],
        "o4": [o4],
        "o5": [o5, o5_shipped, o5_returned],
        "o6": [o6, o6_cancelled],
    }


def latest() -> list[Order]:
    return [history[-1] for history in versions().values()]
