"""The lifecycle table and the cancel decision, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest

from shared.domain.backorders import decide_confirmation
from shared.domain.inventory import LocationLevel, MoveStock, ProductLevels, RecordMovement
from shared.domain.lifecycle import (
    TRANSITIONS,
    AlreadyDone,
    NotAllowed,
    allowed,
    decide_cancel,
    decide_delivery,
    decide_return,
    decide_shipment,
    stock_blocked_until,
)
from shared.domain.orders import MoveRefused, OrderPlan, Rejected, ReleaseStock, ReplaceOrder, StopWaiting
from shared.domain.tracking import tracking_url
from shared.models.orders import Order, OrderStatus, ReturnIn, ShipmentIn

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ALLOWED = {
    ("PENDING_PAYMENT", "CONFIRMED"),
    ("PENDING_PAYMENT", "CANCELLED"),
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
            "created_at": "2026-11-24T09:00:00.000000Z",
            "updated_at": "2026-11-24T09:30:00.000000Z",
            "history": [{"status": status, "at": "2026-11-24T09:00:00.000000Z", "actor": "k-web"}],
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
    assert (replace.expected_status, replace.expected_updated_at) == (
        "CONFIRMED",
        "2026-11-24T09:30:00.000000Z",
    )
    assert replace.order.status == "CANCELLED"
    assert replace.order.history[-1].model_dump() == {
        "status": "CANCELLED",
        "at": "2026-11-24T10:00:00.000000Z",
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
        ("CAP", "o-1", "2026-11-24T09:00:00.000000Z"),
        ("MUG", "o-1", "2026-11-24T09:00:00.000000Z"),
    ]
    assert decide_confirmation(plan.order, now=NOW, arrived="MUG") is None  # never confirmed after


@pytest.mark.parametrize("status", ["PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "RETURNED"])
def test_what_has_left_the_warehouse_cannot_be_cancelled(status: OrderStatus) -> None:
    assert decide_cancel(order(status), reason="r", actor="a", now=NOW) == NotAllowed(status, "CANCELLED")


def test_a_retried_cancel_is_already_done() -> None:
    cancelled = order("CANCELLED")
    assert decide_cancel(cancelled, reason="again", actor="a", now=NOW) == AlreadyDone(cancelled)


# --- shipments, delivery, returns ---------------------------------------------------------------


def ship(
    o: Order, lines: list[dict[str, object]] | None = None, tracking: str = "1Z1", **kw: object
) -> object:
    request = ShipmentIn.model_validate(
        {"carrier": "UPS", "tracking_number": tracking, **({"lines": lines} if lines else {})}
    )
    return decide_shipment(o, request, shipment_id=f"s-{tracking}", actor="staff:k", now=NOW, **kw)  # type: ignore[arg-type]


def test_a_shipment_of_everything_ships_the_order_and_moves_reserved_stock_out() -> None:
    plan = ship(order("CONFIRMED"))

    assert isinstance(plan, OrderPlan)
    assert plan.order.status == "SHIPPED"
    assert plan.order.history[-1].status == "SHIPPED"
    (shipment,) = plan.order.shipments
    assert shipment.tracking_url == "https://www.ups.com/track?tracknum=1Z1"
    assert [(line.sku, line.quantity) for line in shipment.lines] == [("CAP", 1), ("MUG", 3)]
    replace, *stock = plan.writes
    assert isinstance(replace, ReplaceOrder) and replace.expected_status == "CONFIRMED"
    moves = [w for w in stock if isinstance(w, MoveStock)]
    assert [(m.sku, m.change, m.unreserve, m.location) for m in moves] == [
        ("CAP", -1, 1, "default"),
        ("MUG", -3, 3, "default"),
    ]
    ledger = [w.movement for w in stock if isinstance(w, RecordMovement)]
    assert [(m.sku, m.kind, m.change, m.update_id) for m in ledger] == [
        ("CAP", "shipment", -1, "s-1Z1"),
        ("MUG", "shipment", -3, "s-1Z1"),
    ]
    assert all(m.moved_at == m.after == ledger[0].as_of for m in moves)  # the location's newest movement


def test_a_partial_shipment_then_the_rest() -> None:
    first = ship(order("CONFIRMED"), [{"sku": "MUG", "quantity": 2}])
    assert isinstance(first, OrderPlan) and first.order.status == "PARTIALLY_SHIPPED"

    rest = ship(first.order, tracking="1Z2")

    assert isinstance(rest, OrderPlan) and rest.order.status == "SHIPPED"
    assert [(line.sku, line.quantity) for line in rest.order.shipments[1].lines] == [("CAP", 1), ("MUG", 1)]
    assert rest.writes[0] == ReplaceOrder(rest.order, "PARTIALLY_SHIPPED", first.order.updated_at)


def test_shipping_more_than_is_left_is_refused_line_by_line() -> None:
    first = ship(order("CONFIRMED"), [{"sku": "MUG", "quantity": 2}])
    assert isinstance(first, OrderPlan)

    refused = ship(
        first.order, [{"sku": "MUG", "quantity": 2}, {"sku": "TOY", "quantity": 1}], tracking="1Z2"
    )

    assert isinstance(refused, Rejected)
    assert [e.field for e in refused.errors] == ["body.lines.0.quantity", "body.lines.1.quantity"]
    assert "1 left to ship" in refused.errors[0].message


def test_a_resent_shipment_is_recognised_by_carrier_and_tracking_number() -> None:
    first = ship(order("CONFIRMED"), [{"sku": "MUG", "quantity": 1}])
    assert isinstance(first, OrderPlan)
    resent = decide_shipment(
        first.order,
        ShipmentIn.model_validate({"carrier": "ups ", "tracking_number": "1Z1"}),
        shipment_id="other",
        actor="staff:k",
        now=NOW,
    )
    assert resent == AlreadyDone(first.order)


@pytest.mark.parametrize("status", ["BACKORDERED", "CANCELLED", "SHIPPED", "DELIVERED", "RETURNED"])
def test_only_confirmed_or_partially_shipped_orders_ship(status: OrderStatus) -> None:
    assert ship(order(status)) == NotAllowed(status, "SHIPPED")


def test_a_shipment_dated_at_or_before_a_newer_count_moves_just_after_it() -> None:
    ahead = "2026-11-24T10:00:30.000000Z"
    plan = ship(order("CONFIRMED"), not_before=ahead)
    assert isinstance(plan, OrderPlan)
    moves = [w for w in plan.writes if isinstance(w, MoveStock)]
    assert {m.after for m in moves} == {"2026-11-24T10:00:30.000001Z"}
    first = ship(order("CONFIRMED"))
    assert isinstance(first, OrderPlan)
    move = next(w for w in first.writes if isinstance(w, MoveStock))
    counted_ahead = ProductLevels(exists=True, level=LocationLevel(on_hand=5, counted_at=ahead))
    assert stock_blocked_until([MoveRefused(move, counted_ahead)]) == ahead
    moved_ahead = ProductLevels(exists=True, level=LocationLevel(on_hand=5, moved_at=ahead))
    assert stock_blocked_until([MoveRefused(move, moved_ahead)]) == ahead
    older = ProductLevels(
        exists=True, level=LocationLevel(on_hand=5, counted_at="2026-11-24T09:00:00.000000Z")
    )
    assert stock_blocked_until([MoveRefused(move, older)]) is None  # refused for another reason


def test_delivery_follows_shipping_only() -> None:
    plan = decide_delivery(order("SHIPPED"), note="at the door", actor="staff:k", now=NOW)
    assert isinstance(plan, OrderPlan)
    assert (plan.order.status, plan.order.delivered_at, plan.order.history[-1].reason) == (
        "DELIVERED",
        "2026-11-24T10:00:00.000000Z",
        "at the door",
    )
    assert decide_delivery(plan.order, note=None, actor="staff:k", now=NOW) == AlreadyDone(plan.order)
    assert decide_delivery(order("PARTIALLY_SHIPPED"), note=None, actor="s", now=NOW) == NotAllowed(
        "PARTIALLY_SHIPPED", "DELIVERED"
    )


def shipped_order() -> Order:
    plan = ship(order("CONFIRMED"))
    assert isinstance(plan, OrderPlan)
    return plan.order


def give_back(o: Order, lines: list[dict[str, object]], *, restock: bool, key: str | None = None) -> object:
    request = ReturnIn.model_validate({"lines": lines, "reason": "wrong size", "restock": restock})
    return decide_return(o, request, return_id="r-1", idempotency_key=key, actor="staff:k", now=NOW)


def test_a_restocked_return_puts_units_back_on_hand_through_the_ledger() -> None:
    plan = give_back(shipped_order(), [{"sku": "MUG", "quantity": 2}], restock=True, key="k1")

    assert isinstance(plan, OrderPlan)
    assert plan.order.status == "RETURNED"
    moves = [w for w in plan.writes if isinstance(w, MoveStock)]
    assert [(m.sku, m.change, m.unreserve) for m in moves] == [("MUG", 2, 0)]
    (entry,) = [w.movement for w in plan.writes if isinstance(w, RecordMovement)]
    assert (entry.kind, entry.change, entry.update_id) == ("return", 2, "r-1")
    assert give_back(plan.order, [{"sku": "MUG", "quantity": 1}], restock=True, key="k1") == AlreadyDone(
        plan.order
    )


def test_a_return_not_restocked_writes_only_the_order() -> None:
    plan = give_back(shipped_order(), [{"sku": "CAP", "quantity": 1}], restock=False)
    assert isinstance(plan, OrderPlan)
    assert [type(w) for w in plan.writes] == [ReplaceOrder]


def test_partial_returns_never_exceed_what_was_shipped() -> None:
    first = give_back(shipped_order(), [{"sku": "MUG", "quantity": 2}], restock=False)
    assert isinstance(first, OrderPlan)
    second = give_back(first.order, [{"sku": "MUG", "quantity": 1}], restock=False)
    assert isinstance(second, OrderPlan) and len(second.order.returns) == 2
    refused = give_back(second.order, [{"sku": "MUG", "quantity": 1}], restock=False)
    assert isinstance(refused, Rejected)
    assert "0 shipped and not returned" in refused.errors[0].message


@pytest.mark.parametrize("status", ["CONFIRMED", "PARTIALLY_SHIPPED", "CANCELLED", "BACKORDERED"])
def test_returns_need_a_shipped_order(status: OrderStatus) -> None:
    assert give_back(order(status), [{"sku": "MUG", "quantity": 1}], restock=True) == NotAllowed(
        status, "RETURNED"
    )


@pytest.mark.parametrize(
    ("carrier", "url"),
    [
        ("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/AB%2F1"),
        ("FedEx", "https://www.fedex.com/fedextrack/?trknbr=AB%2F1"),
        ("Bob's Vans", None),
    ],
)
def test_tracking_urls_for_known_carriers(carrier: str, url: str | None) -> None:
    assert tracking_url(carrier, "AB/1") == url
