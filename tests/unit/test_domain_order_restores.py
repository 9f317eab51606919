"""Restoring an order from this OMS's export, decided without I/O: as it was, with the reservations and
waiting lines its status holds, its claim and customer link; unchanged when stored the same; refused
plans read back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.domain.channel_orders import Unchanged
from shared.domain.customers import CheckEmail, CustomerLink, CustomerMoved, TouchCustomer
from shared.domain.order_restores import (
    ExternalIdTaken,
    NotEnoughStock,
    StoredMeanwhile,
    UnknownSkus,
    decide_restore,
    interpret_restore,
)
from shared.domain.orders import (
    Claim,
    ClaimKey,
    CreateOrder,
    CustomerRefused,
    KeyClaimed,
    OrderExists,
    OrderPlan,
    ReleaseStock,
    ReplaceOrder,
    ReserveStock,
    Shortage,
    StockRefused,
    WaitForStock,
)
from tests.support.orders import order, shipment

LINK = CustomerLink("cust-1", "k" * 64, True)


def plan_of(result: OrderPlan | Unchanged) -> OrderPlan:
    assert isinstance(result, OrderPlan), result
    return result


def kinds(plan: OrderPlan) -> list[Any]:
    return [type(w).__name__ for w in plan.writes]


def test_a_new_order_is_written_as_it_was_with_what_its_status_holds() -> None:
    exported = order(
        "PARTIALLY_SHIPPED",
        channel_hash="h-1",
        shipments=[shipment("s-1", "2026-11-25T08:00:00.000Z", ("MUG", 1))],
    )
    plan = plan_of(decide_restore(exported, None, import_id="imp-1", customer=LINK))

    assert plan.order == exported.model_copy(
        update={"source": "import", "import_id": "imp-1", "customer_id": "cust-1"}
    )
    assert isinstance(plan.writes[0], CreateOrder)
    assert [(w.sku, w.quantity) for w in plan.writes if isinstance(w, ReserveStock)] == [
        ("CAP", 1),
        ("MUG", 1),
    ]
    (claim,) = [w for w in plan.writes if isinstance(w, ClaimKey)]
    assert (claim.kind, claim.channel, claim.key, claim.request_hash) == ("external", "web", "W-1001", "h-1")
    # The customer here keeps its own story (from the customers file): checked, never counted again.
    assert [type(w) for w in plan.writes if isinstance(w, CheckEmail | TouchCustomer)] == [CheckEmail]


def test_a_backordered_order_waits_again_and_a_shipped_one_holds_nothing() -> None:
    waiting = plan_of(decide_restore(order("BACKORDERED"), None, import_id="imp-1"))
    assert sorted(w.sku for w in waiting.writes if isinstance(w, WaitForStock)) == ["CAP", "MUG"]
    assert not any(isinstance(w, ReserveStock) for w in waiting.writes)

    shipped = plan_of(decide_restore(order("SHIPPED"), None, import_id="imp-1"))
    assert kinds(shipped) == ["CreateOrder", "ClaimKey"]


def test_the_same_order_again_is_unchanged_and_a_changed_one_replaces_the_stored_version() -> None:
    stored = order("CONFIRMED", source="import", import_id="imp-1")
    assert decide_restore(order("CONFIRMED"), stored, import_id="imp-2") == Unchanged("replay", "o-1")

    cancelled = order("CANCELLED", updated_at="2026-11-26T00:00:00.000Z")
    plan = plan_of(decide_restore(cancelled, stored, import_id="imp-2"))
    replace = plan.writes[0]
    assert isinstance(replace, ReplaceOrder)
    assert (replace.expected_status, replace.expected_updated_at) == ("CONFIRMED", stored.updated_at)
    assert [(w.sku, w.quantity) for w in plan.writes if isinstance(w, ReleaseStock)] == [
        ("CAP", 1),
        ("MUG", 2),
    ]
    assert plan.order.import_id == "imp-2"


def test_a_live_order_or_one_changed_since_the_export_is_never_taken_back() -> None:
    exported = order("CONFIRMED", updated_at="2026-11-26T00:00:00.000Z")
    live = order("SHIPPED", updated_at="2026-11-27T00:00:00.000Z")  # recorded here, not by an import
    assert decide_restore(exported, live, import_id="imp-2") == Unchanged("stale", "o-1")
    newer = order("SHIPPED", source="import", import_id="imp-1", updated_at="2026-11-27T00:00:00.000Z")
    assert decide_restore(exported, newer, import_id="imp-2") == Unchanged("stale", "o-1")


def test_an_open_order_the_stock_cannot_hold_is_restored_waiting_for_it() -> None:
    short = (Shortage("MUG", 2, 1),)
    plan = plan_of(
        decide_restore(
            order("CONFIRMED"), None, import_id="imp-1", backorder=short, at="2026-12-06T10:00:00.000000Z"
        )
    )
    assert plan.order.status == "BACKORDERED"
    assert [(b.sku, b.requested, b.available) for b in plan.order.backorder or []] == [("MUG", 2, 1)]
    assert plan.order.history[-1].actor == "import:imp-1"
    assert not any(isinstance(w, ReserveStock) for w in plan.writes)
    assert sorted(w.sku for w in plan.writes if isinstance(w, WaitForStock)) == ["CAP", "MUG"]
    # A shipped order holds nothing: a shortage means nothing to it.
    shipped = plan_of(decide_restore(order("SHIPPED"), None, import_id="imp-1", backorder=short))
    assert shipped.order.status == "SHIPPED"


def test_what_a_refused_restore_means() -> None:
    exported = order()
    create = CreateOrder(exported)
    claim = ClaimKey("external", "web", "W-1001", "o-1", "h")
    reserve = ReserveStock("MUG", 2)
    assert interpret_restore(
        [KeyClaimed(claim, Claim("o-9"))], order_id="o-1", contended=False
    ) == ExternalIdTaken("o-9")
    assert (
        interpret_restore([OrderExists(create, "o-1")], order_id="o-1", contended=False) == StoredMeanwhile()
    )
    assert interpret_restore([StockRefused(reserve, None)], order_id="o-1", contended=False) == UnknownSkus(
        frozenset({"MUG"})
    )
    assert interpret_restore(
        [StockRefused(reserve, price=Decimal("5.00"), available=1)],
        order_id="o-1",
        contended=False,
    ) == NotEnoughStock((("MUG", 2, 1),))
    assert interpret_restore(
        [CustomerRefused(CheckEmail("k", "cust-1"), "cust-2")], order_id="o-1", contended=False
    ) == CustomerMoved("cust-2")
