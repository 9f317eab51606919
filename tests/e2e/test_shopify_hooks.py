"""A Shopify store's view: its webhooks, signed with the app's secret, over real HTTP to the running local
stack; the order's life and its stock back through the API."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import ADMIN, STAFF, Stack
from tests.support.waiting import wait_until

ORDER = json.loads(Path("tests/fixtures/shopify/orders_create.json").read_text())  # Shopify's sample
SECRET = "shpss_e2e_" + uuid.uuid4().hex


def deliver(stack: Stack, channel: str, document: dict[str, Any], topic: str) -> requests.Response:
    body = json.dumps(document).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return requests.post(
        f"{stack.api}/hooks/shopify/{channel}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Shop-Domain": "e2e.myshopify.com",
        },
        timeout=10,
    )


def reserved(stack: Stack, sku: str) -> int:
    return int(requests.get(f"{stack.api}/inventory/{sku}", headers=STAFF, timeout=10).json()["reserved"])


def the_order(stack: Stack, channel: str) -> dict[str, Any] | None:
    reply = requests.get(
        f"{stack.api}/orders",
        params={"channel": channel, "external_id": str(ORDER["id"])},
        headers=STAFF,
        timeout=10,
    )
    items = reply.json()["items"]
    return dict(items[0]) if items else None


def test_a_signed_shopify_order_then_its_cancellation(stack: Stack) -> None:
    channel = f"shop-{uuid.uuid4().hex[:8]}"
    skus = sorted({line["sku"] for line in ORDER["line_items"]})
    for sku in skus:
        requests.put(
            f"{stack.api}/products/{sku}", json={"name": sku, "price": "10.00"}, headers=STAFF, timeout=10
        )
        requests.put(f"{stack.api}/inventory/{sku}", json={"on_hand": 50}, headers=STAFF, timeout=10)
    connected = requests.put(
        f"{stack.api}/channels/{channel}/connection",
        json={"platform": "shopify", "secret": SECRET},
        headers=ADMIN,  # connections are an admin's
        timeout=10,
    )
    assert connected.status_code == 201, connected.text
    assert SECRET not in connected.text
    before = {sku: reserved(stack, sku) for sku in skus}

    forged = requests.post(
        f"{stack.api}/hooks/shopify/{channel}",
        data=json.dumps(ORDER).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": "bm90IGl0",
            "X-Shopify-Topic": "orders/create",
        },
        timeout=10,
    )
    assert forged.status_code == 401
    assert forged.headers["Content-Type"] == "application/problem+json"

    assert deliver(stack, channel, ORDER, "orders/create").status_code == 200
    assert wait_until(lambda: the_order(stack, channel) is not None, timeout=20)
    order = the_order(stack, channel)
    assert order is not None
    assert (order["status"], order["total"], order["currency"]) == (
        "CONFIRMED",
        ORDER["total_price"],
        ORDER["currency"],
    )
    assert {sku: reserved(stack, sku) - before[sku] for sku in skus} == {sku: 1 for sku in skus}

    cancelled = copy.deepcopy(ORDER)  # orders/cancelled: the same order, cancelled on Shopify
    cancelled.update(
        cancelled_at="2026-11-24T10:00:00-05:00",
        cancel_reason="customer",
        updated_at="2026-11-24T10:00:00-05:00",
        financial_status="voided",
    )
    assert deliver(stack, channel, cancelled, "orders/cancelled").status_code == 200
    assert wait_until(lambda: (the_order(stack, channel) or {}).get("status") == "CANCELLED", timeout=20)
    assert {sku: reserved(stack, sku) - before[sku] for sku in skus} == {sku: 0 for sku in skus}
    history = [h["status"] for h in (the_order(stack, channel) or {})["history"]]
    assert history == ["CONFIRMED", "CANCELLED"]
