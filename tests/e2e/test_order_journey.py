"""One order's life through the running local stack: intake, two shipments, delivery; its history,
its customer and the events other systems received on the tap queue."""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests

from tests.e2e.conftest import STAFF, WEB, Stack
from tests.e2e.test_marketplace_feed import sqs
from tests.support.queues import about_order, take_matching
from tests.support.waiting import wait_until


def test_an_order_from_intake_to_delivery(stack: Stack) -> None:
    sku = f"E2E-{uuid.uuid4().hex[:8]}"
    api = stack.api
    assert requests.put(
        f"{api}/products/{sku}", json={"name": "Kettle", "price": "24.50"}, headers=STAFF, timeout=10
    ).ok
    assert requests.put(f"{api}/inventory/{sku}", json={"on_hand": 5}, headers=STAFF, timeout=10).ok
    email = f"journey-{uuid.uuid4().hex[:8]}@example.com"
    body = {"customer": {"email": email, "name": "Jo Journey"}, "lines": [{"sku": sku, "quantity": 3}]}

    placed = requests.post(f"{api}/orders", json=body, headers=WEB, timeout=10)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    path = f"{api}/orders/{order_id}"
    first = {"carrier": "ups", "tracking_number": "1Z0001", "lines": [{"sku": sku, "quantity": 1}]}
    assert requests.post(f"{path}/shipments", json=first, headers=STAFF, timeout=10).status_code == 201
    rest = {"carrier": "dhl", "tracking_number": "JD0002"}
    assert requests.post(f"{path}/shipments", json=rest, headers=STAFF, timeout=10).status_code == 201
    delivered = requests.post(f"{path}/delivery", json={"note": "signed by J."}, headers=STAFF, timeout=10)
    assert delivered.status_code == 200, delivered.text

    order = requests.get(path, headers=WEB, timeout=10).json()  # the platform tracks its own order
    assert order["status"] == "DELIVERED"
    assert [h["status"] for h in order["history"]] == [
        "CONFIRMED",
        "PARTIALLY_SHIPPED",
        "SHIPPED",
        "DELIVERED",
    ]
    assert order["history"][-1]["reason"] == "signed by J."
    assert [(s["carrier"], s["tracking_url"]) for s in order["shipments"]] == [
        ("ups", "https://www.ups.com/track?tracknum=1Z0001"),
        (
            "dhl",
            "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=JD0002",
        ),
    ]
    stock = requests.get(f"{api}/inventory/{sku}", headers=STAFF, timeout=10).json()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (2, 0, 2)
    customers = requests.get(
        f"{api}/customers", params={"email": email.upper()}, headers=STAFF, timeout=10
    ).json()
    assert [c["customer_id"] for c in customers["items"]] == [order["customer_id"]]

    client = sqs(stack)
    tap = client.get_queue_url(QueueName="oms-events-tap")["QueueUrl"]
    seen: list[dict[str, Any]] = []

    def all_arrived() -> bool:
        seen.extend(take_matching(client, tap, about_order(order_id)))
        return len(seen) >= 6

    assert wait_until(all_arrived, timeout=30), [e["detail-type"] for e in seen]
    seen.extend(take_matching(client, tap, about_order(order_id)))  # nothing more may follow
    kinds = sorted(e["detail-type"] for e in seen)
    assert kinds == ["OrderCreated", "OrderShipped", "OrderShipped"] + ["OrderStatusChanged"] * 3
    changes = [
        (e["detail"]["old_status"], e["detail"]["new_status"])
        for e in seen
        if e["detail-type"] == "OrderStatusChanged"
    ]
    assert sorted(changes) == sorted(
        [("CONFIRMED", "PARTIALLY_SHIPPED"), ("PARTIALLY_SHIPPED", "SHIPPED"), ("SHIPPED", "DELIVERED")]
    )
    shipped = [e["detail"] for e in seen if e["detail-type"] == "OrderShipped"]
    assert {s["tracking_number"] for s in shipped} == {"1Z0001", "JD0002"}
    assert email not in json.dumps(seen).lower()  # events carry no personal data
