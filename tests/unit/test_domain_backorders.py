"""Backorders, without I/O: what an order waits for, and what confirming it writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from shared.domain.auth import Principal
from shared.domain.backorders import OrderMovedOn, StillShort, decide_confirmation, interpret_confirmation
from shared.domain.orders import (
    Contention,
    CreateOrder,
    OrderPlan,
    Refused,
    ReplaceOrder,
    ReserveStock,
    Shortage,
    StockRefused,
    WaitForStock,
    decide_new_order,
)
from shared.models.orders import NewOrder

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
FEED = Principal(role="channel", key_id="feed-amazon", channel="amazon")
REQUEST = NewOrder.model_validate(
    {
        "customer": {"email": "a@example.com", "name": "A"},
        "lines": [
            {"sku": "TSHIRT", "quantity": 2, "unit_price": "10.00"},
            {"sku": "MUG", "quantity": 1, "unit_price": "5.00"},
            {"sku": "TSHIRT", "quantity": 1, "unit_price": "10.00"},
        ],
    }
)


def backordered() -> OrderPlan:
    plan = decide_new_order(
        REQUEST,
        principal=FEED,
        catalog_prices={},
        order_id="o-1",
        now=NOW,
        default_currency="USD",
        backorder=[Shortage("TSHIRT", 3, 1)],
    )
    assert isinstance(plan, OrderPlan)
    return plan


def test_a_backordered_order_reserves_nothing_and_waits_for_every_sku() -> None:
    plan = backordered()

    assert plan.order.status == "BACKORDERED"
    assert not [w for w in plan.writes if isinstance(w, ReserveStock)]
    waits = [w for w in plan.writes if isinstance(w, WaitForStock)]
    # Every SKU, not only the short one: any of them may be short by the time stock arrives.
    assert [(w.sku, w.order_id, w.created_at) for w in waits] == [
        ("MUG", "o-1", plan.order.created_at),
        ("TSHIRT", "o-1", plan.order.created_at),
    ]
    assert isinstance(plan.writes[0], CreateOrder)


def test_confirming_reserves_every_line_with_the_status_change() -> None:
    order = backordered().order
    later = NOW + timedelta(hours=2)

    plan = decide_confirmation(order, now=later, arrived="TSHIRT")

    assert plan is not None
    confirm, *reserves = plan.writes
    assert isinstance(confirm, ReplaceOrder)
    assert confirm.expected_status == "BACKORDERED"
    assert confirm.expected_updated_at == order.updated_at  # only the version that was read
    assert confirm.order.status == "CONFIRMED" and confirm.order.backorder is None
    assert [h.status for h in confirm.order.history] == ["BACKORDERED", "CONFIRMED"]
    assert confirm.order.history[-1].actor == "inventory"
    assert "TSHIRT" in str(confirm.order.history[-1].reason)
    assert [(r.sku, r.quantity, r.expected_price) for r in reserves if isinstance(r, ReserveStock)] == [
        ("MUG", 1, None),
        ("TSHIRT", 3, None),
    ]


def test_an_order_that_no_longer_waits_is_not_confirmed() -> None:
    order = backordered().order.model_copy(update={"status": "CONFIRMED"})
    assert decide_confirmation(order, now=NOW, arrived="MUG") is None


def test_what_a_failed_confirmation_means() -> None:
    plan = decide_confirmation(backordered().order, now=NOW, arrived="MUG")
    assert plan is not None
    confirm, mug, tshirt = plan.writes
    assert isinstance(confirm, ReplaceOrder)
    assert isinstance(mug, ReserveStock) and isinstance(tshirt, ReserveStock)
    assert isinstance(interpret_confirmation([Refused(confirm), StockRefused(mug, None)]), OrderMovedOn)
    assert interpret_confirmation([StockRefused(tshirt, Decimal("5.00"), 1)]) == StillShort(
        frozenset({"TSHIRT"})
    )
    assert isinstance(interpret_confirmation([]), Contention)
