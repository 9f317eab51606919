"""A subscriber's view: an order placed and cancelled over HTTP, its events read from the local stack's
oms-events-tap queue (the orders table's stream, the order_events function, the bus): once each."""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests

from tests.e2e.conftest import STAFF, WEB, Stack
from tests.e2e.test_marketplace_feed import ensure_stock, sqs
from tests.support.queues import about_order, take_matching
from tests.support.waiting import wait_until


def test_an_order_placed_and_cancelled_arrives_on_the_tap_once_per_change(stack: Stack) -> None:
    sku = f"E2E-{uuid.uuid4().hex[:8]}"
    ensure_stock(stack, sku, 5)
    order = {
        "external_id": f"W-{uuid.uuid4().hex[:8]}",
        "customer": {"email": "jane.doe@example.com", "name": "Jane Doe"},
        "shipping_address": {"line1": "Hauptstrasse 5", "city": "Berlin", "country": "DE"},
        "lines": [{"sku": sku, "quantity": 2}],
    }
    placed = requests.post(f"{stack.api}/orders", json=order, headers=WEB, timeout=10)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    cancelled = requests.post(
        f"{stack.api}/orders/{order_id}/cancel", json={"reason": "changed my mind"}, headers=STAFF, timeout=10
    )
    assert cancelled.status_code == 200, cancelled.text

    client = sqs(stack)
    tap = client.get_queue_url(QueueName="oms-events-tap")["QueueUrl"]
    seen: list[dict[str, Any]] = []

    def both_arrived() -> bool:
        seen.extend(take_matching(client, tap, about_order(order_id)))
        return len(seen) >= 2

    assert wait_until(both_arrived, timeout=30), seen
    seen.extend(take_matching(client, tap, about_order(order_id)))  # anything more would be a duplicate

    by_kind = sorted(seen, key=lambda e: e["detail-type"])
    assert [e["detail-type"] for e in by_kind] == ["OrderCreated", "OrderStatusChanged"]
    created, changed = (e["detail"] for e in by_kind)
    assert (created["status"], created["external_id"], created["channel"]) == (
        "CONFIRMED",
        order["external_id"],
        "web",
    )
    assert [(line["sku"], line["quantity"]) for line in created["lines"]] == [(sku, 2)]
    assert (changed["old_status"], changed["new_status"], changed["reason"]) == (
        "CONFIRMED",
        "CANCELLED",
        "changed my mind",
    )
    assert changed["actor"].startswith("staff:")
    assert "Jane" not in json.dumps(seen) and "Hauptstrasse" not in json.dumps(seen)
