"""The lifecycle table and the cancel decision, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest

from shared.domain.backorders import decide_confirmation
from shared.domain.lifecycle import TRANSITIONS, AlreadyDone, NotAllowed, allowed, decide_cancel
from shared.domain.orders import OrderPlan, ReleaseStock, ReplaceOrder, StopWaiting
from shared.models.orders import Order, OrderStatus

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ALLOWED = {
    ("BACKORDERED", "CONFIRMED"),
    ("BACKORDERED", "CANCELLED"),
    ("CONFIRMED", "PARTIALLY_SHIPPED"),
    ("CONFIRMED", "SHIPPED"),
    ("CONFIRMED", "CANCELLED"),
    ("PARTIALLY_SHIPPED", "PARTIALLY_SHIPPED"),
    ("PARTIALLY_SHIPPED", "SHIPPED"),
    ("SHIPPED", "DELIVERED"),
    ("SHIPPED", "RETURNED"),
    ("DELIVERED", "RETURNED"),
    ("RETURNED", "RETURNED"),
}
STATUSES: tuple[OrderStatus, ...] = get_args(OrderStatus)


def order(status: OrderStatus) -> Order:
    return Order.model_validate(
        {
            "order_id": "o-1",
            "status": status,
            "channel": "web",
            "customer": {"email": "a@example.com", "name": "A"},
            "currency": "USD",
            "lines": [
                {"sku": "MUG", "quantity": 2, "unit_price": "5.00", "line_total": "10.00"},
                {"sku": "CAP", "quantity": 1, "unit_price": "9.00", "line_total": "9.00"},
                {"sku": "MUG", "quantity": 1, "unit_price": "5.00", "line_total": "5.00"},
            ],
            "total": "24.00",
            "created_at": "2026-11-24T09:00:00.000Z",
            "updated_at": "2026-11-24T09:30:00.000Z",
            "history": [{"status": status, "at": "2026-11-24T09:00:00.000Z", "actor": "k-web"}],
        }
    )


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_the_transition_table(current: OrderStatus, target: OrderStatus) -> None:
    assert allowed(current, target) == ((current, target) in ALLOWED)


def test_every_status_has_a_row_and_cancelled_is_final() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    assert TRANSITIONS["CANCELLED"] == frozenset()


def test_cancelling_a_confirmed_order_releases_every_reservation_with_the_status_change() -> None:
    plan = decide_cancel(order("CONFIRMED"), reason="changed mind", actor="staff:k1", now=NOW)

    assert isinstance(plan, OrderPlan)
    replace, *releases = plan.writes
    assert isinstance(replace, ReplaceOrder)
    assert (replace.expected_status, replace.expected_updated_at) == ("CONFIRMED", "2026-11-24T09:30:00.000Z")
    assert replace.order.status == "CANCELLED"
    assert replace.order.history[-1].model_dump() == {
        "status": "CANCELLED",
        "at": "2026-11-24T10:00:00.000Z",
        "actor": "staff:k1",
        "reason": "changed mind",
    }
    assert releases == [ReleaseStock("CAP", 1), ReleaseStock("MUG", 3)]


def test_cancelling_a_backordered_order_leaves_its_waiting_lines_and_releases_nothing() -> None:
    plan = decide_cancel(order("BACKORDERED"), reason="r", actor="a", now=NOW)

    assert isinstance(plan, OrderPlan)
    assert not [w for w in plan.writes if isinstance(w, ReleaseStock)]
    waits = [w for w in plan.writes if isinstance(w, StopWaiting)]
    assert [(w.sku, w.order_id, w.created_at) for w in waits] == [
        ("CAP", "o-1", "2026-11-24T09:00:00.000Z"),
        ("MUG", "o-1", "2026-11-24T09:00:00.000Z"),
    ]
    assert decide_confirmation(plan.order, now=NOW, arrived="MUG") is None  # never confirmed after


@pytest.mark.parametrize("status", ["PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "RETURNED"])
def test_what_has_left_the_warehouse_cannot_be_cancelled(status: OrderStatus) -> None:
    assert decide_cancel(order(status), reason="r", actor="a", now=NOW) == NotAllowed(status, "CANCELLED")


def test_a_retried_cancel_is_already_done() -> None:
    cancelled = order("CANCELLED")
    assert decide_cancel(cancelled, reason="again", actor="a", now=NOW) == AlreadyDone(cancelled)
