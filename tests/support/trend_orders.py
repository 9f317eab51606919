"""Three months of orders for the trends tests (tests/integration/test_trends.py): two currencies, three
channels, 13 SKUs (one holding a '#'), cancellations (some after a refund), returns, refunds without
lines, taxes on top and included, placed at any minute of a business day in Europe/Berlin. Seeded: the
same orders every run. Each order as its successive versions, as the orders stream carries them."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.models.orders import HistoryEntry, LineQuantity, Order, OrderLine, Refund, ReturnRecord

TIMEZONE = "Europe/Berlin"
BERLIN = ZoneInfo(TIMEZONE)
D = Decimal
CENT = D("0.01")
FIRST, LAST = dt.date(2026, 6, 1), dt.date(2026, 8, 31)
CHANNELS = ("web", "shopify", "amazon")
SKUS = (*(f"SKU-{n:02d}" for n in range(12)), "KIT#1")  # a '#' in a SKU is escaped in keys


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- the orders --------------------------------------------------------------------------------


def build_orders(seed: int = 18) -> list[list[Order]]:
    """Each order's successive versions (as the stream carries them)."""
    rng = random.Random(seed)
    histories: list[list[Order]] = []
    day = FIRST
    n = 0
    while day <= LAST:
        for _ in range(rng.randint(1, 4)):
            n += 1
            # any minute of the business day (midnight in Berlin is 22:00 or 23:00 UTC the day before)
            at = dt.datetime.combine(day, dt.time(0, 0), BERLIN) + dt.timedelta(
                minutes=rng.randrange(24 * 60)
            )
            histories.append(one_order(rng, f"t{n:04d}", at))
        day += dt.timedelta(days=1)
    return histories


def one_order(rng: random.Random, order_id: str, at: dt.datetime) -> list[Order]:
    currency = rng.choice(("EUR", "EUR", "USD"))
    lines = []
    for sku in rng.sample(SKUS, rng.randint(1, 3)):
        quantity = rng.randint(1, 4)
        price = D(rng.randint(300, 4000)) / 100
        per_unit_off = rng.choice((D(0), D(0), D("0.50"), D("1.00")))
        lines.append(
            OrderLine(
                sku=sku,
                quantity=quantity,
                unit_price=price,
                line_total=price * quantity,
                discount=per_unit_off * quantity,
            )
        )
    subtotal = sum((line.line_total for line in lines), D(0))
    line_off = sum((line.discount for line in lines), D(0))
    order_off = rng.choice((D(0), D(0), D("2.00")))
    shipping = rng.choice((D(0), D("4.90")))
    included = rng.random() < 0.5
    taxes = (subtotal * D("0.19")).quantize(CENT)
    total = subtotal - line_off - order_off + shipping + (D(0) if included else taxes)
    placed = utc(at)
    received = utc(at + dt.timedelta(minutes=rng.randint(0, 120)))
    order = Order(
        order_id=order_id,
        status="CONFIRMED",
        channel=rng.choice(CHANNELS),
        currency=currency,
        lines=lines,
        subtotal=subtotal,
        discount_total=line_off + order_off,
        shipping_total=shipping,
        tax_total=taxes,
        taxes_included=included,
        total=total,
        placed_at=placed,
        created_at=received,
        updated_at=received,
        history=[HistoryEntry(status="CONFIRMED", at=received, actor="feed")],
        customer_id=f"c{rng.randint(1, 40)}",
    )
    versions = [order]
    fate = rng.random()
    later = at + dt.timedelta(hours=rng.randint(2, 24 * 6))
    if fate < 0.12:  # cancelled (some after a refund of part of it: the refund is taken back too)
        if rng.random() < 0.4:
            versions.append(refund(versions[-1], later - dt.timedelta(hours=1), D("3.00")))
        versions.append(move(versions[-1], "CANCELLED", later))
    elif fate < 0.30:  # shipped, then some units of a line returned
        shipped = move(order, "SHIPPED", later)
        back = rng.choice(lines)
        returned_at = later + dt.timedelta(days=rng.randint(1, 10))
        versions += [shipped, give_back(shipped, returned_at, back.sku, rng.randint(1, back.quantity))]
    elif fate < 0.40:  # shipped, then a refund without lines (money only)
        shipped = move(order, "SHIPPED", later)
        versions += [shipped, refund(shipped, later + dt.timedelta(days=2), D(rng.randint(100, 900)) / 100)]
    elif fate < 0.70:
        versions.append(move(order, "SHIPPED", later))
    return versions


def move(order: Order, status: str, at: dt.datetime) -> Order:
    entry = HistoryEntry(status=status, at=utc(at), actor="staff")  # type: ignore[arg-type]
    return order.model_copy(
        update={"status": status, "updated_at": utc(at), "history": [*order.history, entry]}
    )


def refund(order: Order, at: dt.datetime, amount: Decimal) -> Order:
    paid = Refund(refund_id=f"rf-{order.order_id}", amount=amount, refunded_at=utc(at), source=order.channel)
    return order.model_copy(update={"refunds": [*order.refunds, paid], "updated_at": utc(at)})


def give_back(order: Order, at: dt.datetime, sku: str, quantity: int) -> Order:
    record = ReturnRecord(
        return_id=f"r-{order.order_id}",
        lines=[LineQuantity(sku=sku, quantity=quantity)],
        reason="too small",
        restock=True,
        location="default",
        returned_at=utc(at),
        actor="staff",
    )
    returned = move(order, "RETURNED", at)
    return returned.model_copy(update={"returns": [record]})
