"""Stock changes through the catalog stream: backorders confirmed when stock arrives, StockLow once
per crossing. The stream is moto's, read by the same poller the local stack runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from functions.api import wiring
from shared.domain.auth import Principal
from shared.models.orders import NewOrder
from shared.services.orders import Placed
from tests.support.http import ApiClient
from tests.support.inventory import InventoryStream, StockFeed


@pytest.fixture
def stream(staff: ApiClient) -> InventoryStream:
    return InventoryStream()


def product(staff: ApiClient, sku: str, on_hand: int, threshold: int | None = None) -> None:
    body: dict[str, Any] = {"name": sku, "price": "5.00"}
    if threshold is not None:
        body["low_stock_threshold"] = threshold
    assert staff.put(f"/products/{sku}", body).status in (200, 201)
    assert staff.put(f"/inventory/{sku}", {"on_hand": on_hand}).status == 200


def marketplace_order(external_id: str, *lines: tuple[str, int]) -> str:
    """An order already sold on a marketplace: recorded BACKORDERED when stock is short."""
    request = NewOrder.model_validate(
        {
            "external_id": external_id,
            "customer": {"email": "buyer@example.com", "name": "B"},
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
        }
    )
    principal = Principal(role="channel", key_id="k-wholesale", channel="wholesale")  # not a feed channel
    result = wiring.order_service().place(request, principal, None, allow_backorder=True)
    assert isinstance(result, Placed)
    return result.order.order_id


def status(staff: ApiClient, order_id: str) -> dict[str, Any]:
    return staff.get(f"/orders/{order_id}").json()


def totals(staff: ApiClient, sku: str) -> tuple[int, int, int]:
    stock = staff.get(f"/inventory/{sku}").json()
    return stock["on_hand"], stock["reserved"], stock["available"]


def arrive(staff: ApiClient, sku: str, units: int) -> None:
    reply = staff.post(f"/inventory/{sku}/adjustments", {"delta": units, "reason": "received"})
    assert reply.status == 201, reply.body


def test_a_backordered_order_is_confirmed_when_stock_arrives(
    staff: ApiClient, stream: InventoryStream
) -> None:
    product(staff, "LAMP", 1)
    product(staff, "BULB", 10)
    order_id = marketplace_order("E-1", ("LAMP", 2), ("BULB", 3))
    stream.drain()
    assert status(staff, order_id)["status"] == "BACKORDERED"  # still short: nothing reserved
    assert totals(staff, "LAMP") == (1, 0, 1)

    arrive(staff, "LAMP", 4)
    stream.drain()

    order = status(staff, order_id)
    assert order["status"] == "CONFIRMED"
    assert order["backorder"] is None
    assert [h["status"] for h in order["history"]] == ["BACKORDERED", "CONFIRMED"]
    assert order["history"][-1]["actor"] == "inventory"
    assert "LAMP" in order["history"][-1]["reason"]
    assert totals(staff, "LAMP") == (5, 2, 3)
    assert totals(staff, "BULB") == (10, 3, 7)  # every line reserved, not only the one that arrived
    stream.drain()
    assert totals(staff, "LAMP") == (5, 2, 3)  # and never twice


def test_two_backorders_competing_for_the_last_units_the_older_wins(
    staff: ApiClient, stream: InventoryStream
) -> None:
    product(staff, "LAMP", 0)
    older = marketplace_order("E-1", ("LAMP", 2))
    younger = marketplace_order("E-2", ("LAMP", 2))
    stream.drain()

    arrive(staff, "LAMP", 3)  # enough for one of them
    stream.drain()

    assert status(staff, older)["status"] == "CONFIRMED"
    assert status(staff, younger)["status"] == "BACKORDERED"
    assert totals(staff, "LAMP") == (3, 2, 1)  # nothing oversold

    arrive(staff, "LAMP", 1)
    stream.drain()
    assert status(staff, younger)["status"] == "CONFIRMED"
    assert totals(staff, "LAMP") == (4, 4, 0)


def test_a_younger_order_does_not_jump_the_line(staff: ApiClient, stream: InventoryStream) -> None:
    product(staff, "LAMP", 0)
    older = marketplace_order("E-1", ("LAMP", 5))
    younger = marketplace_order("E-2", ("LAMP", 1))
    stream.drain()

    arrive(staff, "LAMP", 2)  # enough for the younger, not the older
    stream.drain()

    assert status(staff, older)["status"] == "BACKORDERED"
    assert status(staff, younger)["status"] == "BACKORDERED"  # first come, first served
    assert totals(staff, "LAMP") == (2, 0, 2)


def order_body(sku: str, quantity: int) -> dict[str, Any]:
    return {
        "customer": {"email": "a@example.com", "name": "A"},
        "lines": [{"sku": sku, "quantity": quantity}],
    }


def test_stock_low_is_published_once_per_crossing(
    staff: ApiClient, web: ApiClient, stream: InventoryStream
) -> None:
    product(staff, "CUP", 10, threshold=5)
    stream.drain()
    assert stream.published() == []

    assert web.post("/orders", order_body("CUP", 5)).status == 201  # available 10 -> 5: crossed
    assert web.post("/orders", order_body("CUP", 1)).status == 201  # 5 -> 4: still low
    stream.drain()

    [event] = stream.published()
    assert event["source"] == "oms.inventory"
    assert event["detail-type"] == "StockLow"
    detail = event["detail"]
    assert (detail["sku"], detail["available"], detail["low_stock_threshold"]) == ("CUP", 5, 5)
    assert (detail["on_hand"], detail["reserved"], detail["location"]) == (10, 5, None)
    listed = staff.get("/inventory", query={"low_stock": "true"}).json()["items"]
    assert [(i["sku"], i["available"]) for i in listed] == [("CUP", 4)]

    arrive(staff, "CUP", 10)  # recovers: 14 available
    stream.drain()
    assert stream.published() == []
    assert staff.get("/inventory", query={"low_stock": "true"}).json()["items"] == []

    reply = staff.post(
        "/inventory/CUP/adjustments", {"delta": -10, "reason": "damaged", "location": "default"}
    )
    assert reply.status == 201
    stream.drain()
    [again] = stream.published()
    assert (again["detail"]["available"], again["detail"]["location"]) == (4, "default")


def test_the_flag_follows_a_threshold_change(staff: ApiClient, stream: InventoryStream) -> None:
    product(staff, "CUP", 3)
    stream.drain()
    assert (
        staff.put("/products/CUP", {"name": "Cup", "price": "5.00", "low_stock_threshold": 3}).status == 200
    )
    stream.drain()
    assert [e["detail"]["sku"] for e in stream.published()] == ["CUP"]
    assert [i["sku"] for i in staff.get("/inventory", query={"low_stock": "true"}).json()["items"]] == ["CUP"]


def test_stock_updates_from_the_feed_fill_backorders(staff: ApiClient, stream: InventoryStream) -> None:
    product(staff, "LAMP", 0)
    order_id = marketplace_order("E-9", ("LAMP", 1))
    feed = StockFeed()
    feed.send(
        {
            "sku": "LAMP",
            "location": "wms-eu-1",
            "on_hand": 6,
            "as_of": datetime.now(UTC).isoformat(),
            "update_id": "count-1",
            "source": "wms-eu-1",
        }
    )
    feed.run()
    stream.drain()

    assert status(staff, order_id)["status"] == "CONFIRMED"
    stock = staff.get("/inventory/LAMP").json()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (6, 1, 5)
    [wms] = [loc for loc in stock["locations"] if loc["location"] == "wms-eu-1"]
    assert (wms["on_hand"], wms["reserved"], wms["available"]) == (6, 1, 5)


def test_the_walk_goes_down_the_whole_line(
    staff: ApiClient, stream: InventoryStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Orders passed over (waiting for another SKU) never hide the ones behind them."""
    from shared.services import backorders

    monkeypatch.setattr(backorders, "WAITING_PAGE", 2)
    product(staff, "LAMP", 0)
    product(staff, "BULB", 0)
    held = [marketplace_order(f"E-{n}", ("LAMP", 1), ("BULB", 1)) for n in range(3)]
    last = marketplace_order("E-9", ("LAMP", 1))
    stream.drain()

    arrive(staff, "LAMP", 10)
    stream.drain()

    assert [status(staff, order_id)["status"] for order_id in held] == ["BACKORDERED"] * 3
    assert status(staff, last)["status"] == "CONFIRMED"
