"""A warehouse's view: plain boto3 to the local stack's SQS; stock through the API, events on the tap."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from tests.e2e.conftest import STAFF, WEB, Stack
from tests.e2e.test_marketplace_feed import sqs
from tests.support.queues import about_sku, take_matching
from tests.support.waiting import wait_until


def stock(stack: Stack, sku: str) -> dict[str, Any]:
    return dict(requests.get(f"{stack.api}/inventory/{sku}", headers=STAFF, timeout=10).json())


def test_a_warehouse_sends_counts_and_movements_and_staff_see_them(stack: Stack) -> None:
    sku = f"E2E-{uuid.uuid4().hex[:8]}"
    product = {"name": "Lamp", "price": "30.00", "low_stock_threshold": 4}
    assert (
        requests.put(f"{stack.api}/products/{sku}", json=product, headers=STAFF, timeout=10).status_code
        == 201
    )
    client = sqs(stack)
    url = client.get_queue_url(QueueName="oms-stock-updates")["QueueUrl"]
    tap = client.get_queue_url(QueueName="oms-events-tap")["QueueUrl"]

    def send(**fields: Any) -> None:
        body = {
            "sku": sku,
            "location": "wms-eu-1",
            "source": "wms-eu-1",
            "update_id": uuid.uuid4().hex,
            **fields,
        }
        client.send_message(QueueUrl=url, MessageBody=json.dumps(body))

    send(on_hand=10, as_of=datetime.now(UTC).isoformat())
    assert wait_until(lambda: stock(stack, sku)["on_hand"] == 10, timeout=20)

    receipt = {"delta": 2, "as_of": datetime.now(UTC).isoformat(), "update_id": "receipt-1"}
    send(**receipt)
    send(**receipt)  # the warehouse retried: applied once
    assert wait_until(lambda: len(movements(stack, sku)) == 2, timeout=20)
    assert stock(stack, sku)["on_hand"] == 12

    # Orders take it to the threshold: StockLow arrives on the tap queue, once.
    order = {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": sku, "quantity": 8}]}
    assert requests.post(f"{stack.api}/orders", json=order, headers=WEB, timeout=10).status_code == 201
    seen: list[dict[str, Any]] = []

    def published() -> bool:
        seen.extend(take_matching(client, tap, about_sku(sku)))
        return bool(seen)

    assert wait_until(published, timeout=20)
    assert wait_until(lambda: sku in [item["sku"] for item in low_stock(stack)], timeout=10)
    seen.extend(take_matching(client, tap, about_sku(sku)))
    assert [e["detail-type"] for e in seen] == ["StockLow"]  # once, though more writes followed it
    assert (seen[0]["detail"]["available"], seen[0]["detail"]["low_stock_threshold"]) == (4, 4)

    view = stock(stack, sku)
    assert (view["on_hand"], view["reserved"], view["available"]) == (12, 8, 4)
    assert [loc["location"] for loc in view["locations"]] == ["wms-eu-1"]


def movements(stack: Stack, sku: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{stack.api}/inventory/{sku}/movements", headers=STAFF, timeout=10)
    return list(reply.json()["items"])


def low_stock(stack: Stack) -> list[dict[str, Any]]:
    reply = requests.get(f"{stack.api}/inventory", params={"low_stock": "true"}, headers=STAFF, timeout=10)
    return list(reply.json()["items"])
