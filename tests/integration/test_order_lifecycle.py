"""Order status changes against moto: cancel releases stock, concurrent changes, who may cancel."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from shared.domain.auth import Principal
from shared.models.orders import NewOrder
from shared.services.orders import OrderChanged, Placed
from tests.support.http import ApiClient
from tests.support.inventory import InventoryStream
from tests.support.server import moto_server

ORDER = {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": "MUG", "quantity": 2}]}
UPS = {"carrier": "ups", "tracking_number": "1Z999AA10123456784"}


def totals(staff: ApiClient, sku: str) -> tuple[int, int, int]:
    stock = staff.get(f"/inventory/{sku}").json()
    return stock["on_hand"], stock["reserved"], stock["available"]


def test_cancel_releases_the_reservation_in_the_same_write(stocked: ApiClient, web: ApiClient) -> None:
    order = web.post("/orders", ORDER).json()
    assert totals(stocked, "MUG") == (3, 2, 1)

    reply = web.post(f"/orders/{order['order_id']}/cancel", {"reason": "changed my mind"})

    assert reply.status == 200, reply.body
    assert reply.json()["status"] == "CANCELLED"
    history = reply.json()["history"]
    assert [h["status"] for h in history] == ["CONFIRMED", "CANCELLED"]
    assert history[-1]["reason"] == "changed my mind"
    assert totals(stocked, "MUG") == (3, 0, 3)
    again = web.post(f"/orders/{order['order_id']}/cancel", {"reason": "retry"})
    assert (again.status, again.json()["history"]) == (200, history)  # a retry changes nothing
    assert totals(stocked, "MUG") == (3, 0, 3)


def test_only_the_owning_channel_or_staff_may_cancel(
    stocked: ApiClient, web: ApiClient, pos: ApiClient
) -> None:
    order = web.post("/orders", ORDER).json()
    assert pos.post(f"/orders/{order['order_id']}/cancel", {"reason": "x"}).status == 404
    assert stocked.post(f"/orders/{order['order_id']}/cancel", {"reason": "x"}).status == 200
    assert stocked.post("/orders/nope/cancel", {"reason": "x"}).status == 404
    assert stocked.post(f"/orders/{order['order_id']}/cancel", {}).status == 422


def test_a_forbidden_transition_is_a_409_naming_the_status(stocked: ApiClient, web: ApiClient) -> None:
    order = web.post("/orders", ORDER).json()
    assert stocked.post(f"/orders/{order['order_id']}/shipments", UPS).status == 201

    reply = web.post(f"/orders/{order['order_id']}/cancel", {"reason": "too late"})

    assert reply.status == 409
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.json()["order_status"] == "SHIPPED"
    assert "SHIPPED" in reply.json()["detail"]


def test_a_cancelled_backorder_is_never_confirmed(staff: ApiClient) -> None:
    staff.put("/products/LAMP", {"name": "Lamp", "price": "5.00"})
    staff.put("/inventory/LAMP", {"on_hand": 0})
    stream = InventoryStream()
    from functions.api import wiring

    request = NewOrder.model_validate(
        {
            "external_id": "E-1",
            "customer": {"email": "b@example.com", "name": "B"},
            "lines": [{"sku": "LAMP", "quantity": 1}],
        }
    )
    placed = wiring.order_service().place(
        request, Principal("channel", "k-wholesale", "wholesale"), None, allow_backorder=True
    )
    assert isinstance(placed, Placed) and placed.order.status == "BACKORDERED"
    stream.drain()

    assert staff.post(f"/orders/{placed.order.order_id}/cancel", {"reason": "buyer cancelled"}).status == 200
    staff.post("/inventory/LAMP/adjustments", {"delta": 5, "reason": "received"})
    stream.drain()

    assert staff.get(f"/orders/{placed.order.order_id}").json()["status"] == "CANCELLED"
    assert totals(staff, "LAMP") == (5, 0, 5)


def test_two_concurrent_cancels_release_the_stock_once() -> None:
    with moto_server({"MUG": 5}) as server:
        web = Principal("channel", "k-web", "web")
        placed = server.order_service().place(NewOrder.model_validate(ORDER), web, None)
        assert isinstance(placed, Placed)

        with ThreadPoolExecutor(8) as pool:
            results = list(
                pool.map(
                    lambda n: server.order_service().cancel(placed.order.order_id, web, f"r{n}"), range(8)
                )
            )

        assert all(isinstance(r, OrderChanged) and r.order.status == "CANCELLED" for r in results)
        assert sum(not r.replayed for r in results if isinstance(r, OrderChanged)) == 1
        stock = server.inventory.stock("MUG")
        assert stock is not None
        assert (stock.on_hand, stock.reserved, stock.available) == (5, 0, 5)  # released once, not eight times
        stored = server.orders.get(placed.order.order_id)
        assert stored is not None
        assert [h.status for h in stored.history] == ["CONFIRMED", "CANCELLED"]  # one change won


def test_every_change_of_an_order_increments_its_version(stocked: ApiClient, web: ApiClient) -> None:
    """Webhook receivers order payloads by ``version``: 1 when recorded, +1 per change, none on a replay."""
    order = web.post("/orders", ORDER).json()
    assert order["version"] == 1
    path = f"/orders/{order['order_id']}"

    shipped = stocked.post(f"{path}/shipments", UPS)
    assert shipped.status == 201, shipped.body
    assert stocked.get(path).json()["version"] == 2
    delivered = stocked.post(f"{path}/delivery", {})
    assert (delivered.status, delivered.json()["version"]) == (200, 3)
    assert stocked.post(f"{path}/delivery", {}).json()["version"] == 3  # a retry is no change
    returned = stocked.post(
        f"{path}/returns", {"lines": [{"sku": "MUG", "quantity": 1}], "reason": "x", "restock": True}
    )
    assert (returned.status, returned.json()["version"]) == (201, 4), returned.body
    assert stocked.get(path).json()["version"] == 4


def test_a_backorder_confirmed_and_an_erasure_are_changes_too(admin: ApiClient, staff: ApiClient) -> None:
    staff.put("/products/LAMP", {"name": "Lamp", "price": "5.00"})
    staff.put("/inventory/LAMP", {"on_hand": 0})
    stream = InventoryStream()
    from functions.api import wiring

    request = NewOrder.model_validate(
        {"customer": {"email": "c@example.com", "name": "C"}, "lines": [{"sku": "LAMP", "quantity": 1}]}
    )
    placed = wiring.order_service().place(
        request, Principal("channel", "k-wholesale", "wholesale"), None, allow_backorder=True
    )
    assert isinstance(placed, Placed) and placed.order.version == 1
    stream.drain()
    staff.post("/inventory/LAMP/adjustments", {"delta": 5, "reason": "received"})
    stream.drain()
    confirmed = staff.get(f"/orders/{placed.order.order_id}").json()
    assert (confirmed["status"], confirmed["version"]) == ("CONFIRMED", 2)

    assert admin.delete(f"/customers/{confirmed['customer_id']}").status in (200, 202, 204)
    assert staff.get(f"/orders/{placed.order.order_id}").json()["version"] == 3
