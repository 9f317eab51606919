"""Shipments, delivery and returns against moto: stock moves with the status change, in one write."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.domain.auth import Principal
from shared.domain.inventory import StockChange
from shared.domain.moments import utc_text
from shared.models.orders import NewOrder, ShipmentIn
from shared.services.orders import OrderChanged, Placed
from tests.support.http import ApiClient
from tests.support.server import moto_server

ORDER = {
    "customer": {"email": "a@example.com", "name": "A"},
    "lines": [{"sku": "TSHIRT", "quantity": 4}, {"sku": "MUG", "quantity": 2}],
}


def ups(number: str, lines: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"carrier": "ups", "tracking_number": number, **({"lines": lines} if lines else {}), **extra}


def totals(staff: ApiClient, sku: str) -> tuple[int, int, int]:
    stock = staff.get(f"/inventory/{sku}").json()
    return stock["on_hand"], stock["reserved"], stock["available"]


def test_a_partial_shipment_then_the_rest(stocked: ApiClient, web: ApiClient) -> None:
    order_id = web.post("/orders", ORDER).json()["order_id"]
    assert totals(stocked, "TSHIRT") == (10, 4, 6)

    first = stocked.post(f"/orders/{order_id}/shipments", ups("1Z1", [{"sku": "TSHIRT", "quantity": 3}]))

    assert first.status == 201, first.body
    assert first.json()["status"] == "PARTIALLY_SHIPPED"
    assert totals(stocked, "TSHIRT") == (7, 1, 6)  # on hand and reserved drop together
    assert totals(stocked, "MUG") == (3, 2, 1)

    rest = stocked.post(f"/orders/{order_id}/shipments", ups("1Z2", location="default"))

    assert rest.status == 201, rest.body
    order = rest.json()
    assert order["status"] == "SHIPPED"
    assert [[(line["sku"], line["quantity"]) for line in s["lines"]] for s in order["shipments"]] == [
        [("TSHIRT", 3)],
        [("MUG", 2), ("TSHIRT", 1)],
    ]
    assert order["shipments"][0]["tracking_url"] == "https://www.ups.com/track?tracknum=1Z1"
    assert [h["status"] for h in order["history"]] == ["CONFIRMED", "PARTIALLY_SHIPPED", "SHIPPED"]
    assert totals(stocked, "TSHIRT") == (6, 0, 6)
    assert totals(stocked, "MUG") == (1, 0, 1)
    # The ledger has each shipment, and web sees the same tracking through GET /orders/{id}.
    ledger = stocked.get("/inventory/TSHIRT/movements").json()["items"]
    assert [(m["kind"], m["change"]) for m in ledger[:2]] == [("shipment", -1), ("shipment", -3)]
    assert web.get(f"/orders/{order_id}").json()["shipments"] == order["shipments"]


def test_shipping_refusals(stocked: ApiClient, web: ApiClient) -> None:
    order_id = web.post("/orders", ORDER).json()["order_id"]

    too_many = stocked.post(f"/orders/{order_id}/shipments", ups("1Z1", [{"sku": "MUG", "quantity": 3}]))
    assert too_many.status == 422
    assert too_many.json()["errors"][0]["field"] == "body.lines.0.quantity"
    assert web.post(f"/orders/{order_id}/shipments", ups("1Z1")).status == 403  # staff only
    assert stocked.post("/orders/nope/shipments", ups("1Z1")).status == 404
    assert stocked.post(f"/orders/{order_id}/shipments", {"carrier": "ups"}).status == 422
    assert totals(stocked, "MUG") == (3, 2, 1)  # nothing moved

    assert stocked.post(f"/orders/{order_id}/cancel", {"reason": "fraud"}).status == 200
    cancelled = stocked.post(f"/orders/{order_id}/shipments", ups("1Z1"))
    assert (cancelled.status, cancelled.json()["order_status"]) == (409, "CANCELLED")


def test_a_resent_shipment_ships_once(stocked: ApiClient, web: ApiClient) -> None:
    order_id = web.post("/orders", ORDER).json()["order_id"]
    first = stocked.post(f"/orders/{order_id}/shipments", ups("1Z1", [{"sku": "MUG", "quantity": 1}]))

    again = stocked.post(f"/orders/{order_id}/shipments", ups("1Z1", [{"sku": "MUG", "quantity": 1}]))

    assert (first.status, again.status) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(again.json()["shipments"]) == 1
    assert totals(stocked, "MUG") == (2, 1, 1)


def test_delivery_and_a_restocked_return(stocked: ApiClient, web: ApiClient) -> None:
    order_id = web.post("/orders", ORDER).json()["order_id"]
    assert stocked.post(f"/orders/{order_id}/delivery", {}).status == 409  # not shipped yet
    stocked.post(f"/orders/{order_id}/shipments", ups("1Z1"))

    delivered = stocked.post(f"/orders/{order_id}/delivery", {"note": "signed for"})
    again = stocked.post(f"/orders/{order_id}/delivery")

    assert delivered.status == 200, delivered.body
    assert delivered.json()["status"] == "DELIVERED" and delivered.json()["delivered_at"]
    assert (again.status, again.json()["history"]) == (200, delivered.json()["history"])
    assert totals(stocked, "TSHIRT") == (6, 0, 6)

    body = {"lines": [{"sku": "TSHIRT", "quantity": 2}], "reason": "too small", "restock": True}
    returned = stocked.post(f"/orders/{order_id}/returns", body, headers={"Idempotency-Key": "rma-1"})
    retried = stocked.post(f"/orders/{order_id}/returns", body, headers={"Idempotency-Key": "rma-1"})
    damaged = stocked.post(
        f"/orders/{order_id}/returns",
        {"lines": [{"sku": "TSHIRT", "quantity": 1}], "reason": "damaged", "restock": False},
    )

    assert (returned.status, retried.status, damaged.status) == (201, 200, 201)
    order = damaged.json()
    assert order["status"] == "RETURNED"
    assert [(r["restock"], r["lines"]) for r in order["returns"]] == [
        (True, [{"sku": "TSHIRT", "quantity": 2}]),
        (False, [{"sku": "TSHIRT", "quantity": 1}]),
    ]
    assert totals(stocked, "TSHIRT") == (8, 0, 8)  # two back on the shelf, the damaged one not
    assert stocked.get("/inventory/TSHIRT/movements").json()["items"][0]["kind"] == "return"
    over = stocked.post(
        f"/orders/{order_id}/returns",
        {"lines": [{"sku": "TSHIRT", "quantity": 2}], "reason": "x", "restock": True},
    )
    assert over.status == 422  # 4 shipped, 3 returned
    assert web.post(f"/orders/{order_id}/returns", body).status == 403


def test_a_count_taken_before_a_shipment_but_arriving_after_keeps_it(
    stocked: ApiClient, web: ApiClient
) -> None:
    from functions.stock_updates import wiring

    before = datetime.now(UTC) - timedelta(seconds=5)
    order_id = web.post("/orders", ORDER).json()["order_id"]
    stocked.post(f"/orders/{order_id}/shipments", ups("1Z1", [{"sku": "TSHIRT", "quantity": 4}]))
    assert totals(stocked, "TSHIRT") == (6, 0, 6)

    # The warehouse counted 10 before the parcel left; its message arrives after the shipment.
    late = StockChange("TSHIRT", "default", "count", utc_text(before), "count-1", "wms", on_hand=10)
    wiring.stock_service().apply_batch([late])

    assert totals(stocked, "TSHIRT") == (6, 0, 6)  # 10 counted, minus the 4 shipped after the count


def test_a_cancel_racing_a_shipment_one_wins_and_stock_is_exact() -> None:
    with moto_server({"MUG": 10}) as server:
        staff = Principal("staff", "k-staff")
        request = {
            "customer": {"email": "a@example.com", "name": "A"},
            "lines": [{"sku": "MUG", "quantity": 2}],
        }
        for round_ in range(3):
            placed = server.order_service().place(NewOrder.model_validate(request), staff, None)
            assert isinstance(placed, Placed)
            order_id = placed.order.order_id

            def change(n: int, order_id: str = order_id, round_: int = round_) -> object:
                if n % 2:
                    return server.order_service().cancel(order_id, staff, "race")
                shipment = ShipmentIn(carrier="ups", tracking_number=f"T{round_}-{n}")
                return server.order_service().ship(order_id, staff, shipment)

            with ThreadPoolExecutor(6) as pool:
                results = list(pool.map(change, range(6)))

            stored = server.orders.get(order_id)
            assert stored is not None
            # Exactly one change won; the losers saw it (a 409, or the same change already made).
            assert [h.status for h in stored.history] in (
                ["CONFIRMED", "CANCELLED"],
                ["CONFIRMED", "SHIPPED"],
            )
            assert len(stored.shipments) == (1 if stored.status == "SHIPPED" else 0)
            assert sum(isinstance(r, OrderChanged) and not r.replayed for r in results) == 1
        stock = server.inventory.stock("MUG")
        assert stock is not None
        ledger = server.inventory.movements("MUG", None, 100)[0]
        shipped = -sum(m.change for m in ledger if m.kind == "shipment")
        assert (stock.on_hand, stock.reserved, stock.available) == (10 - shipped, 0, 10 - shipped)
