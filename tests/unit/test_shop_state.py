"""The e2e comparison of two shops (tests/support/shop_state.py) finds what an export would drop: it is
tested here on a doctored copy, so that the e2e test's 'equal' means something."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from tests.support.shop_state import State, differences, shop_state

ORDER = {
    "order_id": "o1",
    "status": "RETURNED",
    "channel": "shopify",
    "external_id": "#1001",
    "customer": {"email": "sam@example.com", "name": "Sam"},
    "total": "100.83",
    "history": [{"status": "CONFIRMED", "at": "2026-11-02T15:15:40.000000Z", "actor": "import"}],
    "shipments": [{"carrier": "ups", "tracking_number": "1Z"}],
    "returns": [{"return_id": "r1", "lines": [{"sku": "TEE-M", "quantity": 1}]}],
    "refunds": [{"refund_id": "rf1", "amount": "24.00"}],
    "source": "import",
    "import_id": "imp-a",
    "created_at": "2026-12-06T18:00:00.000000Z",
    "updated_at": "2026-12-06T18:00:00.000000Z",
}


class FakeApi:
    """GET over a shop held in memory, paged as the API pages (two items a page)."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.orders = orders

    def __call__(self, path: str, query: Mapping[str, str]) -> Any:
        if path == "/customers":
            return {"items": [{"customer_id": "c1", "email": query["email"], "created_at": "x"}]}
        items: list[dict[str, Any]] = {
            "/products": [{"sku": s, "name": s, "price": "1.00", "updated_at": "t"} for s in ("A", "B", "C")],
            "/inventory": [{"sku": "A", "on_hand": 3, "locations": [{"location": "default", "on_hand": 3}]}],
            "/orders": [o for o in self.orders if o["status"] == query.get("status")],
        }[path]
        start = int(query.get("next_token", "0"))
        token = str(start + 2) if start + 2 < len(items) else None
        return {"items": items[start : start + 2], "next_token": token}


def state() -> State:
    return shop_state(FakeApi([ORDER, {**ORDER, "external_id": "#1002", "order_id": "o2"}]))


def test_a_shop_equals_itself_apart_from_provenance() -> None:
    first = state()
    other = {**ORDER, "import_id": "imp-b", "created_at": "2026-12-06T19:00:00.000000Z", "source": None}
    second = shop_state(FakeApi([other, {**other, "external_id": "#1002", "order_id": "o2"}]))
    assert differences(first, second) == []
    assert set(first["orders"]) == {"shopify##1001", "shopify##1002"}
    assert set(first["products"]) == {"A", "B", "C"}  # every page
    assert set(first["customers"]) == {"sam@example.com"}


def test_what_an_export_drops_is_found() -> None:
    first = state()
    for doctor, expected in (
        (lambda s: s["orders"]["shopify##1001"]["shipments"].clear(), "shipments: 1 items != 0"),
        (lambda s: s["orders"]["shopify##1001"]["refunds"][0].update(amount="20.00"), "refunds[0]/amount"),
        (lambda s: s["orders"]["shopify##1001"].pop("returns"), "returns: missing from the second"),
        (lambda s: s["orders"]["shopify##1001"]["history"].pop(), "history: 1 items != 0"),
        (lambda s: s["orders"].pop("shopify##1002"), "orders/shopify##1002: missing from the second"),
        (lambda s: s["products"].pop("B"), "products/B: missing"),
        (lambda s: s["stock"]["A"]["locations"]["default"].update(on_hand=2), "locations/default/on_hand"),
        (lambda s: s["customers"].clear(), "customers/sam@example.com: missing"),
    ):
        second = copy.deepcopy(first)
        doctor(second)
        found = differences(first, second)
        assert found and any(expected in line for line in found), (expected, found)


def test_nothing_compared_is_a_difference() -> None:
    empty: State = {"products": {}, "stock": {}, "customers": {}, "orders": {}}
    assert differences(empty, empty) == [
        f"{kind}: the first shop has none (nothing to compare)"
        for kind in ("products", "stock", "customers", "orders")
    ]
