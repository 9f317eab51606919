"""Webhooks end to end on the running local stack: a receiver on 127.0.0.1 (an ``http.server`` thread) that
verifies each delivery with ``standardwebhooks``; an order placed and shipped over HTTP reaches it as two
signed deliveries (the orders stream, order_events, the bus, the rule, the webhooks queue's poller and
function), and the delivery log tells the same over the API."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.e2e.conftest import ADMIN, STAFF, WEB, Stack
from tests.e2e.test_marketplace_feed import ensure_stock
from tests.support.waiting import wait_until
from tests.support.webhook_receiver import receiver


def test_an_order_placed_and_shipped_reaches_a_local_receiver_signed(stack: Stack) -> None:
    with receiver() as hook:
        registered = requests.post(
            f"{stack.api}/webhooks",
            json={"url": hook.url, "events": ["order.created", "order.shipped"], "description": "e2e"},
            headers=ADMIN,
            timeout=10,
        )
        assert registered.status_code == 201, registered.text
        endpoint = registered.json()
        secret = endpoint["secret"]

        sku = f"E2E-{uuid.uuid4().hex[:8]}"
        ensure_stock(stack, sku, 5)
        placed = requests.post(
            f"{stack.api}/orders",
            json={
                "external_id": f"W-{uuid.uuid4().hex[:8]}",
                "customer": {"email": "hook.e2e@example.com", "name": "Hook Test"},
                "lines": [{"sku": sku, "quantity": 1}],
            },
            headers=WEB,
            timeout=10,
        )
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["order_id"]
        shipped = requests.post(
            f"{stack.api}/orders/{order_id}/shipments",
            json={"carrier": "ups", "tracking_number": "1ZE2E0001"},
            headers=STAFF,
            timeout=10,
        )
        assert shipped.status_code in (200, 201), shipped.text

        verified: dict[str, dict[str, Any]] = {}

        def both_verified() -> bool:
            with hook.lock:
                received = list(hook.received)
            for got in received:
                payload = got.verified(secret)  # raises on a bad signature or a stale timestamp
                if payload["data"].get("order_id") == order_id:
                    verified.setdefault(payload["type"], {**payload, "webhook-id": got.headers["webhook-id"]})
            return {"order.created", "order.shipped"} <= set(verified)

        assert wait_until(both_verified, timeout=60), [r.headers for r in hook.received]
        created, shipped_payload = verified["order.created"], verified["order.shipped"]
        assert created["data"]["version"] < shipped_payload["data"]["version"] or (
            # order.created is read when its event is handled: the shipment may already be in it
            created["data"]["version"] == shipped_payload["data"]["version"]
            and created["data"]["status"] == "SHIPPED"
        )
        assert shipped_payload["data"]["status"] == "SHIPPED"
        assert shipped_payload["data"]["shipments"][0]["tracking_number"] == "1ZE2E0001"
        assert created["webhook-id"] != shipped_payload["webhook-id"]

        def logged() -> list[dict[str, Any]]:
            reply = requests.get(
                f"{stack.api}/webhooks/{endpoint['endpoint_id']}/deliveries", headers=ADMIN, timeout=10
            )
            assert reply.status_code == 200, reply.text
            return list(reply.json()["items"])

        assert wait_until(
            lambda: {d["status"] for d in logged()} == {"succeeded"} and len(logged()) >= 2, timeout=30
        )
        log = {d["delivery_id"]: d for d in logged()}
        for payload in (created, shipped_payload):
            entry = log[payload["webhook-id"]]
            assert entry["event_type"] == payload["type"]
            assert [a["status"] for a in entry["attempts"]] == [200]
        requests.delete(f"{stack.api}/webhooks/{endpoint['endpoint_id']}", headers=ADMIN, timeout=10)
